# SPDX-License-Identifier: MIT
"""A real server whose platform database goes away and comes back (through a TCP proxy the test
switches): /healthz stays 200, /readyz answers 503 naming the database, the API a JSON 503 with
Retry-After, pages the branded 503; when the database is back everything answers again, no restart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.contrib.sessions.backends.db import SessionStore

from tests.faultproxy import FaultProxy
from tests.serving.conftest import database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(scope="module")
def proxy() -> Iterator[FaultProxy]:
    real = urlsplit(database_url())
    with FaultProxy(real.hostname or "127.0.0.1", real.port or 5432) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def server(serve: Any, proxy: FaultProxy, workspaces: Any) -> Any:
    real = urlsplit(database_url())
    credentials = real.netloc.rpartition("@")[0] or "postgres"
    through_proxy = real._replace(netloc=f"{credentials}@127.0.0.1:{proxy.port}")
    # No Redis: the server's cache is its own memory, so nothing the test process cached answers for it.
    return serve(
        workers=1,
        env={"DATABASE_URL": urlunsplit(through_proxy), "REDIS_URL": "", "AISER_DB_CONNECT_TIMEOUT_S": "3"},
    )


@pytest.fixture(scope="module")
def session_cookie(workspaces: dict[str, Any], django_db_blocker: Any) -> Iterator[str]:
    """A committed session of alpha's editor (the server reads it from the database)."""
    person = (workspaces.get("alpha") or workspaces["default"]).users["editor"]
    with django_db_blocker.unblock():
        session = SessionStore()
        session["_auth_user_id"] = str(person.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = person.get_session_auth_hash()
        session.create()
    yield f"sessionid={session.session_key}"
    with django_db_blocker.unblock():
        session.delete()


def _host(workspaces: dict[str, Any]) -> str:
    return workspaces["alpha"].host if "alpha" in workspaces else "localhost"


def test_the_server_answers_503s_while_its_database_is_away_and_recovers(
    server, proxy, session_cookie, workspaces
):
    host = _host(workspaces)
    signed_in = {"Cookie": session_cookie}
    assert server.request("GET", "/api/v1/me/", host=host, headers=signed_in)[0] == 200

    proxy.drop()
    try:
        health = server.request("GET", "/healthz", host=host)
        ready = server.request("GET", "/readyz", host=host)
        api = _response(server, "/api/v1/me/", host, signed_in)
        page = _response(server, "/dashboards/", host, signed_in)
    finally:
        proxy.restore()

    assert health[0] == 200
    assert ready[0] == 503
    assert "database" in json.loads(ready[1])["failing"]
    assert api["status"] == 503
    assert api["headers"]["retry-after"] == "30"
    assert json.loads(api["body"])["error"]["code"] == "unavailable"
    assert json.loads(api["body"])["error"]["request_id"] == api["headers"]["x-request-id"]
    assert page["status"] == 503
    assert "Aiser is temporarily unavailable" in page["body"]
    assert "Traceback" not in page["body"] + api["body"]

    # Back without a restart.
    assert server.request("GET", "/readyz", host=host)[0] == 200
    me = server.request("GET", "/api/v1/me/", host=host, headers=signed_in)
    assert me[0] == 200
    assert json.loads(me[1])["user"]["id"]
    assert server.request("GET", "/dashboards/", host=host, headers=signed_in)[0] == 200


def _response(server: Any, path: str, host: str, headers: dict[str, str]) -> dict[str, Any]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": host, **headers})
        response = conn.getresponse()
        return {
            "status": response.status,
            "headers": {name.lower(): value for name, value in response.getheaders()},
            "body": response.read().decode(),
        }
    finally:
        conn.close()
