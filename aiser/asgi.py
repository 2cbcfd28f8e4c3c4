# SPDX-License-Identifier: MIT
"""ASGI entry point: HTTP through Django, websockets through Channels.

HTTP requests pass the body-size check first (`BodyLimitMiddleware`: 413 before Django or
authentication reads an oversized body; the one place bodies are refused by size). Served by
`python -m aiser.serve` (gunicorn with uvicorn workers), which hands the body over as it arrives.
Websockets pass the same-origin check, then the edition's middleware (the enterprise edition
resolves the organisation from the Host header), then the session user; a websocket that fails because
the database is down is closed with code 1013 and a reason (`DependencyGuardMiddleware`).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aiser.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from aiser.routing import websocket_urlpatterns  # noqa: E402
from chat2chart.core.body_limit import BodyLimitMiddleware  # noqa: E402
from chat2chart.core.websocket import DependencyGuardMiddleware, SameOriginMiddleware  # noqa: E402


def _websocket_app():  # noqa: ANN202
    app = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
    for path in reversed(settings.AISER_WEBSOCKET_MIDDLEWARE):
        app = import_string(path)(app)
    # Outside the edition's middleware, which may read the database to find the organisation.
    return SameOriginMiddleware(DependencyGuardMiddleware(app))


application = ProtocolTypeRouter(
    {"http": BodyLimitMiddleware(django_asgi_app), "websocket": _websocket_app()}
)
