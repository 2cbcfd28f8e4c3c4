# SPDX-License-Identifier: MIT
"""With the platform database unreachable: probes answer, the API gives a JSON 503 with Retry-After,
pages a branded 503, websockets close with a reason, Celery tasks retry; all recover when it returns.

Here the failure is the driver's own error raised where a request first reads the database (the
session), so every middleware and view behind it is exercised; tests/serving/test_database_outage.py
cuts a real server's database connection through a TCP proxy.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.cached_db import SessionStore
from django.db import OperationalError
from django.test import Client

from chat2chart.core.websocket import TRY_AGAIN_LATER


def _unreachable(self: Any) -> Any:
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


@pytest.fixture
def database_down(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Call it to make every session load fail as psycopg does when the server is gone; `.undo()`
    brings the database back."""

    def cut() -> Any:
        monkeypatch.setattr(SessionStore, "load", _unreachable)
        return monkeypatch

    return cut


def _client(workspace: Any, role: str = "editor") -> Client:
    client = Client(HTTP_HOST=workspace.host, raise_request_exception=False)
    client.force_login(workspace.users[role])
    return client


def test_the_api_answers_a_json_503_with_retry_after(alpha, database_down, settings):
    client = _client(alpha)
    database_down()
    settings.AISER_RETRY_AFTER_S = 17

    response = client.get("/api/v1/me/", HTTP_X_REQUEST_ID="outage-0000-api1")

    assert response.status_code == 503
    assert response["Retry-After"] == "17"
    error = response.json()["error"]
    assert error["code"] == "unavailable"
    assert "database" in error["message"]
    assert error["details"] == {"dependency": "database"}
    assert error["request_id"] == "outage-0000-api1"
    assert "Traceback" not in response.content.decode()


def test_a_write_to_the_api_answers_503_too(alpha, database_down):
    client = _client(alpha)
    database_down()

    response = client.post("/api/v1/dashboards/", {"title": "x"}, content_type="application/json")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"


def test_pages_answer_the_branded_unavailable_page(alpha, database_down):
    client = _client(alpha)
    database_down()

    response = client.get("/dashboards/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Aiser is temporarily unavailable" in page
    assert response["X-Request-ID"] in page
    assert "Traceback" not in page
    assert "OperationalError" not in page


def test_probes_answer_whatever_the_session_needs(alpha, database_down):
    client = _client(alpha)
    database_down()

    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200  # the database itself is up here


def test_everything_recovers_when_the_database_returns(alpha, database_down):
    client = _client(alpha)
    outage = database_down()
    assert client.get("/api/v1/me/").status_code == 503

    outage.undo()

    assert client.get("/api/v1/me/").status_code == 200
    assert client.get("/dashboards/").status_code == 200


def test_a_websocket_is_closed_with_try_again_later_and_a_reason(alpha, database_down):
    database_down()
    origin = f"http://{alpha.host}"
    headers = [
        (b"host", alpha.host.encode()),
        (b"origin", origin.encode()),
        (b"cookie", b"sessionid=" + b"k" * 32),
    ]

    async def connect() -> tuple[bool, dict[str, Any]]:
        from aiser.asgi import application

        communicator = WebsocketCommunicator(application, "/ws/conversations/1/", headers=headers)
        connected, _ = await communicator.connect(timeout=10)
        closing = await communicator.receive_output(timeout=10)
        await communicator.wait(timeout=5)
        return connected, closing

    connected, closing = asyncio.run(connect())

    assert connected is True
    assert closing["type"] == "websocket.close"
    assert closing["code"] == TRY_AGAIN_LATER
    assert "temporarily unavailable" in closing["reason"]


@pytest.fixture
def task_failures_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eager tasks return their failure instead of raising it, so a retry runs as a worker's would."""
    from aiser.celery import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)


def test_a_task_retries_while_the_database_is_down(alpha, monkeypatch, task_failures_returned):
    from chat2chart.sources import services, tasks

    calls = []

    def refresh_due() -> list[int]:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("server closed the connection unexpectedly")
        return [7]

    monkeypatch.setattr(services, "refresh_due_sources_in_workspace", refresh_due)

    result = tasks.refresh_due_sources.apply(args=[alpha.workspace_name])

    assert result.get(timeout=10) == [7]
    assert len(calls) == 3  # failed twice, retried, then succeeded


def test_a_task_gives_up_after_its_retries(alpha, monkeypatch, task_failures_returned):
    from chat2chart.sources import services, tasks

    calls = []

    def refresh_due() -> list[int]:
        calls.append(1)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "refresh_due_sources_in_workspace", refresh_due)

    with pytest.raises(OperationalError):
        tasks.refresh_due_sources.apply(args=[alpha.workspace_name]).get(timeout=10)
    assert len(calls) == 1 + tasks.refresh_due_sources.max_retries
