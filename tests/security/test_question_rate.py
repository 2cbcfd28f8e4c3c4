# SPDX-License-Identifier: MIT
"""Questions over the websocket spend the same budget as the caller's API requests."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from chat2chart.core.principal import Principal

pytestmark = pytest.mark.enterprise

SALES_CSV = "order_date,region,revenue\n2024-01-15,North,1200\n2024-02-03,South,400\n"


def _in_own_thread(func: Any, *args: Any) -> Any:
    """Run `func` in a thread of its own so its writes are committed (the consumer reads them)."""

    def run() -> Any:
        from django.db import connections

        try:
            return func(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def _start(workspace: Any, folder: Path) -> tuple[int, int]:
    from chat2chart.conversations import services
    from chat2chart.core.principal import Principal
    from chat2chart.sources import services as source_services

    upload = folder / "sales.csv"
    upload.write_text(SALES_CSV)
    with workspace.activate():
        source = source_services.source_create_file(
            name="Rate sales",
            upload=upload,
            original_name="sales.csv",
            on_bad_rows="error",
            principal=Principal.for_user(workspace.users["owner"]),
        )
        table = source.tables.get(is_current=True).name
        conversation = services.conversation_start(
            principal=Principal.for_user(workspace.users["viewer"]), source_id=source.pk, table=table
        )
        return source.pk, conversation.pk


def _remove(workspace: Any, source_id: int) -> None:
    from chat2chart.sources import services as source_services
    from chat2chart.sources.models import Source

    with workspace.activate():
        source = Source.objects.get(pk=source_id)
        source_services.source_delete(source=source, principal=Principal.for_user(workspace.users["owner"]))


@pytest.fixture
def conversation(alpha: Any, tmp_path: Path, settings: Any) -> Any:
    settings.AISER_LLM_MODEL = ""
    source_id, conversation_id = _in_own_thread(_start, alpha, tmp_path)
    try:
        yield conversation_id
    finally:
        _in_own_thread(_remove, alpha, source_id)


async def _ask(alpha: Any, conversation_id: int, cookie: bytes) -> dict[str, Any]:
    """Ask once on a new connection; the last event of the answer (done, error or cancelled).
    Disconnecting waits until the answer is saved."""
    from aiser.asgi import application

    headers = [
        (b"host", alpha.host.encode()),
        (b"origin", f"http://{alpha.host}".encode()),
        (b"cookie", cookie),
    ]
    communicator = WebsocketCommunicator(
        application, f"/ws/conversations/{conversation_id}/", headers=headers
    )
    connected, code = await communicator.connect(timeout=10)
    assert connected, code
    assert (await communicator.receive_json_from(timeout=10))["type"] == "history"
    await communicator.send_json_to({"type": "ask", "content": "revenue by region"})
    event: dict[str, Any] = {}
    while event.get("type") not in {"done", "error", "cancelled"}:
        event = await communicator.receive_json_from(timeout=30)
    await communicator.disconnect()
    return event


def test_questions_over_the_websocket_count_against_the_api_budget(alpha, conversation, settings):
    settings.AISER_API_RATE = "3/m"
    client = alpha.client("viewer")
    assert [client.get("/api/v1/me/").status_code for _ in range(2)] == [200, 200]
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    first = asyncio.run(_ask(alpha, conversation, cookie))
    second = asyncio.run(_ask(alpha, conversation, cookie))

    assert first["type"] == "done"
    assert second["type"] == "error"
    assert second["code"] == "rate_limited"
    # And the question spent the API budget too.
    assert client.get("/api/v1/me/").status_code == 429


def test_a_question_over_the_websocket_is_refused_when_the_organisation_budget_is_spent(
    alpha, beta, conversation, settings
):
    # Day-long windows: the test never straddles a window's end.
    settings.AISER_API_RATE = "100/d"
    settings.AISER_ORG_API_RATE = "2/d"
    viewer = alpha.client("viewer")
    # One request each from two members spends the organisation's budget (the viewer's also puts the
    # session where the websocket reads it).
    assert [viewer.get("/api/v1/me/").status_code, alpha.client("editor").get("/api/v1/me/").status_code] == [
        200,
        200,
    ]
    cookie = f"sessionid={viewer.cookies['sessionid'].value}".encode()

    refused = asyncio.run(_ask(alpha, conversation, cookie))

    assert refused["type"] == "error"
    assert refused["code"] == "rate_limited"
    assert beta.client("viewer").get("/api/v1/me/").status_code == 200  # another organisation's budget
