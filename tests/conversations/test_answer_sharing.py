# SPDX-License-Identifier: MIT
"""Answers shared between connections (and so between web nodes): every socket on a conversation receives
an answer asked on another, the asker receives each event once, and an answer left running by a process
that died is answered again, once, by the next connection (chat2chart/conversations/broadcast.py).

The channel layer is the one the settings choose (Redis when REDIS_URL is set, as in CI). Two nodes
behind nginx are tested in tests/serving/test_cluster.py.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conversations.test_consumer import committed, connected, until_finished

pytestmark = pytest.mark.enterprise


@pytest.fixture(autouse=True)
def _rule_planner(settings: Any) -> None:
    settings.AISER_LLM_MODEL = ""


@pytest.fixture
def conversation(alpha: Any, tmp_path: Any) -> Any:
    from tests.conversations.test_consumer import _create_conversation, _delete_source

    source_id, conversation_id = committed(_create_conversation, alpha, tmp_path, "viewer")
    try:
        yield conversation_id
    finally:
        committed(_delete_source, alpha, source_id)


def _orphan(workspace: Any, conversation_id: int, leased: bool) -> int:
    """A question and its answer left `running` by a dead process (older than the lease), or by a live
    one (`leased`: its lease is held); the answer's id."""
    from django.core.cache import cache

    from chat2chart.conversations import broadcast
    from chat2chart.conversations.models import Message

    with workspace.activate():
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
        old = timezone.now() - timedelta(seconds=broadcast.LEASE_S + 5)
        Message.objects.filter(pk=answer.pk).update(created_at=old)
        if leased:
            cache.set(broadcast._lease_key(answer.pk), 1, broadcast.LEASE_S)
        return answer.pk


def _status(workspace: Any, message_id: int) -> str:
    from chat2chart.conversations.models import Message

    with workspace.activate():
        return Message.objects.get(pk=message_id).status


def test_a_second_socket_receives_the_answer_asked_on_the_first_and_the_asker_gets_it_once(
    alpha, conversation
):
    asyncio.run(_shared(alpha, conversation))


async def _shared(alpha, conversation):
    asker, _ = await connected(alpha, conversation)
    watcher, _ = await connected(alpha, conversation)
    await asker.send_json_to({"type": "ask", "content": "total revenue by region"})
    asked = await until_finished(asker)
    watched = await until_finished(watcher)
    assert asked[-1]["type"] == "done"
    # The watcher is told of the question first (the asker shows it already), then the same events.
    question, *answer = watched
    assert question["type"] == "question"
    assert question["message"]["content"] == "total revenue by region"
    assert question["message"]["role"] == "user"
    assert question["message_id"] == asked[-1]["message_id"]
    assert answer == asked
    assert await asker.receive_nothing(timeout=1)  # no second copy of its own events
    await asker.disconnect()
    await watcher.disconnect()


def _ask_over_http(workspace: Any, conversation_id: int) -> int:
    """Ask as the HTTP API does (no websocket asked: no origin); the answer's id."""
    from chat2chart.conversations import selectors, services
    from chat2chart.core.principal import Principal

    with workspace.activate():
        principal = Principal.for_user(workspace.users["viewer"])
        conversation = selectors.conversation_get(conversation_id=conversation_id, principal=principal)
        return services.message_ask(
            conversation=conversation, principal=principal, content="revenue by region"
        ).pk


def test_a_question_asked_over_http_reaches_the_socket_as_a_question_then_its_answer(alpha, conversation):
    asyncio.run(_asked_elsewhere(alpha, conversation))


async def _asked_elsewhere(alpha, conversation):
    watcher, _ = await connected(alpha, conversation)
    answer_id = await asyncio.to_thread(committed, _ask_over_http, alpha, conversation)
    events = await until_finished(watcher)
    assert [e["type"] for e in events[:2]] == ["question", "status"]
    assert events[0]["message"]["content"] == "revenue by region"
    assert events[0]["message_id"] == events[-1]["message_id"] == answer_id
    assert events[-1]["type"] == "done"
    await watcher.disconnect()


def test_an_orphaned_answer_is_answered_again_once_on_the_next_connection(alpha, conversation):
    answer_id = committed(_orphan, alpha, conversation, False)
    asyncio.run(_orphaned(alpha, conversation, answer_id))
    assert committed(_status, alpha, answer_id) == "done"


async def _orphaned(alpha, conversation, answer_id):
    first, history = await connected(alpha, conversation)
    assert {m["role"]: m["status"] for m in history["messages"]} == {"user": "done", "assistant": "running"}
    events = await until_finished(first)
    assert events[-1]["type"] == "done"
    assert events[-1]["message_id"] == answer_id
    assert {row[0]: row[1] for row in events[-1]["message"]["data"]["rows"]} == {
        "East": 1300,
        "North": 2450,
        "South": 400,
    }
    await first.disconnect()
    again, history = await connected(alpha, conversation)
    assert {m["role"]: m["status"] for m in history["messages"]} == {"user": "done", "assistant": "done"}
    assert await again.receive_nothing(timeout=1)
    await again.disconnect()


def test_an_answer_whose_process_still_holds_its_lease_is_left_running(alpha, conversation):
    answer_id = committed(_orphan, alpha, conversation, True)
    asyncio.run(_leased(alpha, conversation))
    assert committed(_status, alpha, answer_id) == "running"


async def _leased(alpha, conversation):
    communicator, _ = await connected(alpha, conversation)
    assert await communicator.receive_nothing(timeout=1)
    await communicator.disconnect()
