# SPDX-License-Identifier: MIT
"""The conversation websocket through the real ASGI stack: events in order, cancellation, refusal of
other organisations and other owners before anything is sent, and a reconnect showing the finished answer.

The consumer's database calls run in other threads than the test's, so what these tests create is
committed (in a thread of its own) and deleted again in a `finally`. Each test drives the socket with
`asyncio.run`, as daphne would: no async test plugin is needed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from chat2chart.conversations.events import ErrorEvent, dump_event, parse_event
from chat2chart.core.principal import Principal

pytestmark = pytest.mark.enterprise

SALES_CSV = (
    "order_date,region,revenue\n"
    "2024-01-15,North,1200\n"
    "2024-02-03,South,400\n"
    "2024-02-17,East,1300\n"
    "2024-03-05,North,1250\n"
)
TERMINAL = {"done", "error", "cancelled"}


@pytest.fixture(autouse=True)
def _rule_planner(settings: Any) -> None:
    settings.AISER_LLM_MODEL = ""


def _create_conversation(workspace: Any, folder: Path, role: str) -> tuple[int, int]:
    from chat2chart.conversations import services
    from chat2chart.sources import services as source_services

    upload = folder / "sales.csv"
    upload.write_text(SALES_CSV)
    with workspace.activate():
        source = source_services.source_create_file(
            name="Socket sales",
            upload=upload,
            original_name="sales.csv",
            on_bad_rows="error",
            principal=Principal.for_user(workspace.users["owner"]),
        )
        table = source.tables.get(is_current=True).name
        conversation = services.conversation_start(
            principal=Principal.for_user(workspace.users[role]), source_id=source.pk, table=table
        )
        return source.pk, conversation.pk


def _delete_source(workspace: Any, source_id: int) -> None:
    from chat2chart.sources import services as source_services
    from chat2chart.sources.models import Source

    with workspace.activate():
        source = Source.objects.filter(pk=source_id).first()
        if source is not None:
            source_services.source_delete(
                source=source, principal=Principal.for_user(workspace.users["owner"])
            )


def _message_status(workspace: Any, message_id: int) -> str:
    from chat2chart.conversations.models import Message

    with workspace.activate():
        return Message.objects.get(pk=message_id).status


def _cookie(workspace: Any, role: str) -> bytes:
    return f"sessionid={workspace.client(role).cookies['sessionid'].value}".encode()


def committed(func: Callable[..., Any], *args: Any) -> Any:
    """Run `func` in a thread of its own: its writes are committed, as the consumer's threads need."""

    def run() -> Any:
        from django.db import connections

        try:
            return func(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def conversation(alpha: Any, tmp_path: Path) -> Any:
    source_id, conversation_id = committed(_create_conversation, alpha, tmp_path, "viewer")
    try:
        yield conversation_id
    finally:
        committed(_delete_source, alpha, source_id)


async def socket(
    workspace: Any, conversation_id: int, *, cookie: bytes = b"", host: str | None = None
) -> Any:
    from aiser.asgi import application

    host = host or workspace.host
    headers = [(b"host", host.encode()), (b"origin", f"http://{host}".encode())]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, f"/ws/conversations/{conversation_id}/", headers=headers)


async def connected(workspace: Any, conversation_id: int, role: str = "viewer") -> tuple[Any, dict[str, Any]]:
    communicator = await socket(
        workspace, conversation_id, cookie=await sync_to_async(_cookie)(workspace, role)
    )
    ok, code = await communicator.connect(timeout=10)
    assert ok, code
    history = await communicator.receive_json_from(timeout=10)
    assert history["type"] == "history"
    return communicator, history


async def until_finished(communicator: Any) -> list[dict[str, Any]]:
    events = []
    while not events or events[-1]["type"] not in TERMINAL:
        events.append(await communicator.receive_json_from(timeout=20))
    return events


def test_an_answer_streams_its_events_in_order(alpha, conversation):
    asyncio.run(_an_answer_streams_its_events_in_order(alpha, conversation))


async def _an_answer_streams_its_events_in_order(alpha, conversation):
    communicator, history = await connected(alpha, conversation)
    assert history["messages"] == []
    await communicator.send_json_to({"type": "ask", "content": "total revenue by region"})
    events = await until_finished(communicator)
    kinds = [e["type"] for e in events]
    compact = [k for i, k in enumerate(kinds) if k != "token" or kinds[i - 1] != "token"]
    assert compact == [
        "status",
        "plan",
        "status",
        "sql",
        "data",
        "status",
        "chart",
        "token",
        "suggestions",
        "done",
    ]
    assert events[-1]["message"]["chart"]["option"]["series"]
    assert "".join(e["text"] for e in events if e["type"] == "token") == events[-1]["message"]["content"]
    # Each one, and the history before them, is one of the typed answer events, sent as it was built.
    for event in [history, *events]:
        assert dump_event(parse_event(event)) == event
    await communicator.disconnect()


def test_a_message_that_is_not_json_gets_a_typed_error(alpha, conversation):
    asyncio.run(_a_message_that_is_not_json_gets_a_typed_error(alpha, conversation))


async def _a_message_that_is_not_json_gets_a_typed_error(alpha, conversation):
    communicator, _ = await connected(alpha, conversation)
    await communicator.send_to(text_data="not json")
    error = await communicator.receive_json_from(timeout=10)
    assert error == {"type": "error", "code": "invalid", "message": "Send JSON messages."}
    assert isinstance(parse_event(error), ErrorEvent)
    await communicator.disconnect()


@pytest.fixture
def held_query(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The pipeline's query waits until the test sets the returned event."""
    from chat2chart.conversations import pipeline

    released = threading.Event()
    real_query = pipeline.query_run

    def held(**kwargs: Any) -> Any:
        assert released.wait(10), "the test never released the query"
        return real_query(**kwargs)

    monkeypatch.setattr(pipeline, "query_run", held)
    return released


def test_cancel_stops_the_answer_between_steps(alpha, conversation, held_query):
    asyncio.run(_cancel_stops_the_answer_between_steps(alpha, conversation, held_query))


async def _cancel_stops_the_answer_between_steps(alpha, conversation, released):
    communicator, _ = await connected(alpha, conversation)
    await communicator.send_json_to({"type": "ask", "content": "total revenue by region"})
    seen = [await communicator.receive_json_from(timeout=10) for _ in range(3)]
    assert [e["type"] for e in seen] == ["status", "plan", "status"]
    await communicator.send_json_to({"type": "cancel"})
    # Messages are handled in order: the answer to this one means the cancel was taken.
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from(timeout=10))["code"] == "invalid"
    released.set()
    events = await until_finished(communicator)
    assert events[-1]["type"] == "cancelled"
    assert "chart" not in [e["type"] for e in events]
    assert await sync_to_async(_message_status)(alpha, events[-1]["message_id"]) == "cancelled"
    await communicator.disconnect()


def test_a_second_question_waits_for_the_first(alpha, conversation, held_query):
    asyncio.run(_a_second_question_waits_for_the_first(alpha, conversation, held_query))


async def _a_second_question_waits_for_the_first(alpha, conversation, released):
    communicator, _ = await connected(alpha, conversation)
    await communicator.send_json_to({"type": "ask", "content": "total revenue by region"})
    await communicator.send_json_to({"type": "ask", "content": "revenue by month"})
    events = []
    while not any(e.get("code") == "busy" for e in events):
        events.append(await communicator.receive_json_from(timeout=10))
    released.set()
    assert (await until_finished(communicator))[-1]["type"] == "done"
    await communicator.disconnect()


def test_a_member_of_another_organisation_is_refused_before_anything_is_sent(alpha, beta, conversation):
    asyncio.run(
        _a_member_of_another_organisation_is_refused_before_anything_is_sent(alpha, beta, conversation)
    )


async def _a_member_of_another_organisation_is_refused_before_anything_is_sent(alpha, beta, conversation):
    cookie = await sync_to_async(_cookie)(beta, "owner")
    # On alpha's host (beta's member has no role there) and on beta's own host (no such conversation).
    for host in (alpha.host, beta.host):
        communicator = await socket(alpha, conversation, cookie=cookie, host=host)
        ok, code = await communicator.connect(timeout=10)
        assert not ok
        assert code == 4403
        assert await communicator.receive_nothing()


def test_another_member_and_signed_out_visitors_are_refused(alpha, conversation):
    asyncio.run(_another_member_and_signed_out_visitors_are_refused(alpha, conversation))


async def _another_member_and_signed_out_visitors_are_refused(alpha, conversation):
    editor = await socket(alpha, conversation, cookie=await sync_to_async(_cookie)(alpha, "editor"))
    assert (await editor.connect(timeout=10))[0] is False
    assert await editor.receive_nothing()
    anonymous = await socket(alpha, conversation)
    assert (await anonymous.connect(timeout=10))[0] is False


def test_a_reconnect_shows_the_finished_answer(alpha, conversation):
    asyncio.run(_a_reconnect_shows_the_finished_answer(alpha, conversation))


async def _a_reconnect_shows_the_finished_answer(alpha, conversation):
    communicator, _ = await connected(alpha, conversation)
    await communicator.send_json_to({"type": "ask", "content": "total revenue by region"})
    events = await until_finished(communicator)
    await communicator.disconnect()
    again, history = await connected(alpha, conversation)
    messages = history["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[-1]["id"] == events[-1]["message_id"]
    assert messages[-1]["status"] == "done"
    assert messages[-1]["chart"]["option"]["series"]
    assert history["conversation"]["title"] == "Total revenue by region"
    await again.disconnect()


def test_a_suggestion_under_an_older_answer_follows_that_answer(alpha, conversation):
    asyncio.run(_a_suggestion_under_an_older_answer_follows_that_answer(alpha, conversation))


async def _a_suggestion_under_an_older_answer_follows_that_answer(alpha, conversation):
    communicator, _ = await connected(alpha, conversation)
    await communicator.send_json_to({"type": "ask", "content": "total revenue by region"})
    by_region = (await until_finished(communicator))[-1]["message"]
    await communicator.send_json_to({"type": "ask", "content": "total revenue by month"})
    await until_finished(communicator)
    await communicator.send_json_to({"type": "ask", "content": "as a pie chart", "follows": by_region["id"]})
    events = await until_finished(communicator)
    assert [e["type"] for e in events if e["type"] in ("data", "error", "clarification")] == ["data"], events
    data = next(e for e in events if e["type"] == "data")
    # North 1200 + 1250, South 400, East 1300: the region split, not the months.
    assert {row[0]: row[1] for row in data["rows"]} == {"North": 2450, "South": 400, "East": 1300}
    await communicator.send_json_to({"type": "ask", "content": "as a pie chart", "follows": "x"})
    error = await communicator.receive_json_from(timeout=10)
    assert error["type"] == "error"
    assert "follows" in error["message"]
    await communicator.disconnect()
