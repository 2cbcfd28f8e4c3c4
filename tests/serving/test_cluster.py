# SPDX-License-Identifier: MIT
"""Two web nodes (`python -m aiser.serve`) behind nginx (aiser/cluster.py's configuration), sharing the
test database, Redis and one data directory, as `make cluster` runs them.

A question asked over HTTP on node A streams its events to a websocket on node B and to one through nginx;
an answer left running by a node that died is answered again, in the same message, when a client opens
the conversation through nginx. Figures equal pandas' sums over the same CSV.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pandas as pd
import pytest
from django.test import Client
from django.utils import timezone
from websockets.sync.client import ClientConnection, connect

from aiser.cluster import free_port, start_nginx
from tests.serving.conftest import ServedAiser

pytestmark = [pytest.mark.enterprise, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db]

SALES_CSV = (
    "order_date,region,revenue\n"
    "2024-01-15,North,1200\n"
    "2024-02-03,South,400\n"
    "2024-02-17,East,1300\n"
    "2024-03-05,North,1250\n"
)
EXPECTED = pd.read_csv(io.StringIO(SALES_CSV)).groupby("region")["revenue"].sum().to_dict()
TERMINAL = {"done", "error", "cancelled"}


@pytest.fixture(scope="module")
def nodes(serve: Any, workspaces: Any, tmp_path_factory: pytest.TempPathFactory) -> list[ServedAiser]:
    shared = str(tmp_path_factory.mktemp("shared-data"))  # until object storage: one disk for both nodes
    env = {"AISER_LLM_MODEL": "", "AISER_DATA_DIR": shared}
    return [serve(workers=1, env=env), serve(workers=1, env=env)]


@pytest.fixture(scope="module")
def proxy(nodes: list[ServedAiser], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedAiser]:
    """nginx in front of both nodes, as a ServedAiser (its `request` goes through nginx)."""
    run_dir = tmp_path_factory.mktemp("nginx")
    port = free_port()
    process = start_nginx(port=port, upstream_ports=[n.port for n in nodes], run_dir=run_dir)
    proxy = ServedAiser(process=process, port=port, log=run_dir / "nginx-error.log")  # type: ignore[arg-type]
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def owner(workspaces: dict[str, Any], django_db_blocker: Any) -> Iterator[dict[str, str]]:
    """Alpha's owner: an API key and a signed-in session cookie, committed for the servers to see."""
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
                name="cluster",
                role="owner",
            )
        client = Client(HTTP_HOST=alpha.host)
        client.force_login(alpha.users["owner"])
    yield {"key": new.raw_key, "session": client.cookies["sessionid"].value, "host": alpha.host}
    with django_db_blocker.unblock():
        new.api_key.delete()


def _api(
    server: ServedAiser, owner: dict[str, str], method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {owner['key']}"}
    if isinstance(body, dict):
        body, headers["Content-Type"] = json.dumps(body), "application/json"
    status, raw = server.request(method, path, host=owner["host"], headers=headers, body=body)
    return status, json.loads(raw) if raw else None


@pytest.fixture(scope="module")
def source(nodes: list[ServedAiser], owner: dict[str, str]) -> Iterator[tuple[int, str]]:
    """The CSV uploaded through node A: (source id, table)."""
    boundary = "aiser-cluster-test"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nCluster sales\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="sales.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n{SALES_CSV}\r\n--{boundary}--\r\n"
    ).encode()
    headers = {
        "Authorization": f"Bearer {owner['key']}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    status, raw = nodes[0].request("POST", "/api/v1/sources/", host=owner["host"], headers=headers, body=body)
    assert status == 201, raw
    source_id = json.loads(raw)["id"]
    status, detail = _api(nodes[0], owner, "GET", f"/api/v1/sources/{source_id}/")
    yield source_id, detail["tables"][0]
    _api(nodes[0], owner, "DELETE", f"/api/v1/sources/{source_id}/")


def _conversation(server: ServedAiser, owner: dict[str, str], source: tuple[int, str]) -> int:
    status, conversation = _api(
        server, owner, "POST", "/api/v1/conversations/", {"source": source[0], "table": source[1]}
    )
    assert status == 201, conversation
    return int(conversation["id"])


def _open(port: int, owner: dict[str, str], conversation_id: int) -> ClientConnection:
    """A websocket on the conversation through `port` (a node's or nginx's), past its history event."""
    host = owner["host"]
    websocket = connect(
        f"ws://{host}:{port}/ws/conversations/{conversation_id}/",
        sock=socket.create_connection(("127.0.0.1", port), timeout=30),
        origin=f"http://{host}:{port}",  # type: ignore[arg-type]
        additional_headers={"Cookie": f"sessionid={owner['session']}"},
        open_timeout=30,
    )
    history = json.loads(websocket.recv(timeout=30))
    assert history["type"] == "history"
    return websocket


def _events_to_the_end(websocket: ClientConnection) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    while not events or events[-1]["type"] not in TERMINAL:
        events.append(json.loads(websocket.recv(timeout=60)))
    return events


def _figures(message: dict[str, Any]) -> dict[str, Any]:
    return {row[0]: row[1] for row in message["data"]["rows"]}


def test_a_question_asked_on_node_a_streams_to_websockets_on_node_b_and_through_nginx(
    nodes, proxy, owner, source
):
    node_a, node_b = nodes
    conversation_id = _conversation(node_a, owner, source)
    on_b = _open(node_b.port, owner, conversation_id)
    through_nginx = _open(proxy.port, owner, conversation_id)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            streams = [pool.submit(_events_to_the_end, ws) for ws in (on_b, through_nginx)]
            status, answer = _api(
                node_a,
                owner,
                "POST",
                f"/api/v1/conversations/{conversation_id}/messages/",
                {"content": "total revenue by region"},
            )
            received = [stream.result(timeout=90) for stream in streams]
    finally:
        on_b.close()
        through_nginx.close()
    assert status == 201, answer
    assert _figures(answer) == EXPECTED
    for events in received:
        kinds = [e["type"] for e in events]
        # The question first (it was asked elsewhere), then its answer's events.
        assert kinds[:2] == ["question", "status"], kinds
        assert events[0]["message"]["content"] == "total revenue by region"
        assert "data" in kinds
        assert kinds[-1] == "done", kinds
        assert events[-1]["message_id"] == answer["id"]
        assert _figures(events[-1]["message"]) == EXPECTED


@pytest.fixture(scope="module")
def orphan(nodes, owner, source, workspaces, django_db_blocker) -> tuple[int, int]:
    """What a node killed mid-answer leaves: a question, and its answer running with no lease held.
    (conversation id, answer id), committed for the servers to see."""
    from chat2chart.conversations.broadcast import LEASE_S
    from chat2chart.conversations.models import Message

    conversation_id = _conversation(nodes[0], owner, source)
    with django_db_blocker.unblock(), workspaces["alpha"].activate():
        question = Message.objects.create(
            conversation_id=conversation_id,
            role="user",
            kind="question",
            content="total revenue by region",
            status="done",
        )
        answer = Message.objects.create(
            conversation_id=conversation_id, role="assistant", reply_to=question, status="running"
        )
        Message.objects.filter(pk=answer.pk).update(
            created_at=timezone.now() - timedelta(seconds=LEASE_S + 5)
        )
    return conversation_id, answer.pk


def test_an_answer_orphaned_by_a_dead_node_is_finished_when_a_client_reconnects(proxy, owner, orphan):
    conversation_id, answer_id = orphan
    first = _open(proxy.port, owner, conversation_id)
    try:
        events = _events_to_the_end(first)
    finally:
        first.close()
    assert events[-1]["type"] == "done", events[-1]
    assert events[-1]["message_id"] == answer_id
    assert _figures(events[-1]["message"]) == EXPECTED
    # Answered once: the next connection sees it done in its history and starts nothing.
    status, listed = _api(proxy, owner, "GET", f"/api/v1/conversations/{conversation_id}/messages/")
    assert status == 200, listed
    answers = [m for m in listed["messages"] if m["role"] == "assistant"]
    assert [(m["id"], m["status"]) for m in answers] == [(answer_id, "done")]


def test_reads_through_nginx_go_on_when_a_node_is_killed(nodes, proxy):
    """Last in the module: it kills node B (SIGKILL, its workers too). nginx sends each read that cannot
    reach B to A (proxy_next_upstream), so none fails."""
    node_b = nodes[1]
    for pid in [*node_b.worker_pids(), node_b.process.pid]:
        os.kill(pid, signal.SIGKILL)
    node_b.process.wait()
    statuses = [proxy.request("GET", "/readyz", host="localhost")[0] for _ in range(10)]
    assert statuses == [200] * 10
