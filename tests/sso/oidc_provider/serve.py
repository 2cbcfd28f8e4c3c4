# SPDX-License-Identifier: MIT
"""Run the test OIDC provider: migrate its SQLite database, register Aiser's client, serve on
127.0.0.1:<port> until killed. Prints "ready <port>" once it listens."""

import os
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.sso.oidc_provider.settings"

import django  # noqa: E402

django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class ThreadedServer(WSGIServer):
    # One request at a time is enough: the test drives the flow step by step.
    timeout = 30


def main() -> None:
    call_command("migrate", verbosity=0)
    Application.objects.create(
        name="aiser",
        client_id=os.environ["OIDC_CLIENT_ID"],
        client_secret=os.environ["OIDC_CLIENT_SECRET"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://placeholder.invalid/",
        skip_authorization=True,
        algorithm=Application.RS256_ALGORITHM,
    )
    server = make_server(
        "127.0.0.1", 0, WSGIHandler(), server_class=ThreadedServer, handler_class=QuietHandler
    )
    print(f"ready {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
