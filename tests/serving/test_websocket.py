# SPDX-License-Identifier: MIT
"""The conversation websocket through a real `python -m aiser.serve` with two uvicorn workers.

A source is uploaded and four conversations started through the served API; four websockets at
once, one per conversation, each ask a question and receive the answer's events to the end;
the answer's figures equal pandas' sum over the same CSV. /readyz checks each worker's Redis
channel layer.
"""

from __future__ import annotations

import io
import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import pytest
from django.test import Client
from websockets.sync.client import connect

pytestmark = [pytest.mark.enterprise, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db]

SALES_CSV = (
    "order_date,region,revenue\n"
    "2024-01-15,North,1200\n"
    "2024-02-03,South,400\n"
    "2024-02-17,East,1300\n"
    "2024-03-05,North,1250\n"
)
TERMINAL = {"done", "error", "cancelled"}


@pytest.fixture(scope="module")
def server(serve: Any, workspaces: Any) -> Any:
    return serve(workers=2, env={"AISER_LLM_MODEL": ""})


@pytest.fixture(scope="module")
def owner(workspaces: dict[str, Any], django_db_blocker: Any) -> Iterator[dict[str, str]]:
    """Alpha's owner: an API key and a signed-in session cookie, committed for the server to see."""
    if "alpha" not in workspaces:
        pytest.skip("API keys need the enterprise edition")
    from chat2chart.core.principal import Principal
    from enterprise.rbac.services import api_key_create

    alpha = workspaces["alpha"]
    with django_db_blocker.unblock():
        with alpha.activate():
            new = api_key_create(
                organization=alpha.organization,
                principal=Principal.for_user(alpha.users["owner"]),
                name="websocket",
                role="owner",
            )
        client = Client(HTTP_HOST=alpha.host)
        client.force_login(alpha.users["owner"])
    yield {"key": new.raw_key, "session": client.cookies["sessionid"].value}
    with django_db_blocker.unblock():
        new.api_key.delete()


def _api(server: Any, host: str, key: str, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
    status, raw = server.request(method, path, host=host, headers=headers, **kwargs)
    return status, json.loads(raw) if raw else None


@pytest.fixture(scope="module")
def conversations(server: Any, workspaces: Any, owner: dict[str, str]) -> Iterator[list[int]]:
    """A source uploaded through the served API and four conversations about its table."""
    host, key = workspaces["alpha"].host, owner["key"]
    boundary = "aiser-websocket-test"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nSocket sales\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="sales.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n{SALES_CSV}\r\n--{boundary}--\r\n"
    ).encode()
    status, source = _api(
        server,
        host,
        key,
        "POST",
        "/api/v1/sources/",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert status == 201, source
    try:
        status, source = _api(server, host, key, "GET", f"/api/v1/sources/{source['id']}/")
        (table,) = source["tables"]
        started = []
        for _ in range(4):
            status, conversation = _api(
                server,
                host,
                key,
                "POST",
                "/api/v1/conversations/",
                body=json.dumps({"source": source["id"], "table": table}),
                headers={"Content-Type": "application/json"},
            )
            assert status == 201, conversation
            started.append(conversation["id"])
        yield started
    finally:
        _api(server, host, key, "DELETE", f"/api/v1/sources/{source['id']}/")


def _ask(
    server: Any, host: str, session: str, conversation_id: int, question: str, *, idle_s: float = 0
) -> list[dict[str, Any]]:
    """Open the conversation's websocket on the served port, wait `idle_s` seconds, ask, and return
    the events to the end."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    origin = f"http://{host}:{server.port}"
    with connect(
        f"ws://{host}:{server.port}/ws/conversations/{conversation_id}/",
        sock=sock,
        origin=origin,  # type: ignore[arg-type]
        additional_headers={"Cookie": f"sessionid={session}"},
        open_timeout=30,
    ) as websocket:
        history = json.loads(websocket.recv(timeout=30))
        assert history["type"] == "history"
        time.sleep(idle_s)
        websocket.send(json.dumps({"type": "ask", "content": question}))
        events: list[dict[str, Any]] = []
        while not events or events[-1]["type"] not in TERMINAL:
            events.append(json.loads(websocket.recv(timeout=60)))
    return events


def test_questions_over_websockets_are_answered_by_served_workers(server, workspaces, owner, conversations):
    host = workspaces["alpha"].host
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(
                pool.map(
                    lambda pk: _ask(server, host, owner["session"], pk, "total revenue by region"),
                    conversations,
                )
            )
    except Exception as error:
        raise AssertionError(f"{error!r}; server log:\n{server.log.read_text()[-4000:]}") from error
    expected = pd.read_csv(io.StringIO(SALES_CSV)).groupby("region")["revenue"].sum().to_dict()
    for events in answers:
        assert events[-1]["type"] == "done", events[-1]
        (data,) = [e for e in events if e["type"] == "data"]
        columns = [c["name"] if isinstance(c, dict) else c for c in data["columns"]]
        rows = {row[0]: row[1] for row in data["rows"]}
        assert len(columns) == 2
        assert rows == expected


def test_a_websocket_left_idle_still_answers(server, workspaces, owner, conversations):
    """A consumer waits on its Redis channel with a 5 s blocking pop; with redis-py's default 5 s
    socket timeout the read timed out first and the connection died after 5 s without traffic."""
    host, session = workspaces["alpha"].host, owner["session"]
    events = _ask(server, host, session, conversations[0], "total revenue by region", idle_s=12)
    assert events[-1]["type"] == "done", events[-1]


def test_each_worker_reaches_the_redis_channel_layer(server):
    for _ in range(8):
        status, raw = server.request("GET", "/readyz", host="localhost")
        assert status == 200, raw
        assert "channel_layer" in json.loads(raw)["checks"]
