# SPDX-License-Identifier: MIT
"""Switching an answer's chart type redraws that answer in place (no new answer at the bottom), and an
answer's title is what it computed, never the question as typed."""

from __future__ import annotations

from typing import Any

import pytest
from model_bakery import baker

from tests.rbac.helpers import send

RESULT = {
    "columns": [
        {"name": "region", "type": "text", "role": "dimension"},
        {"name": "amount", "type": "decimal", "role": "measure"},
    ],
    "rows": [["North", 120.5], ["South", 80.0], ["East", 42.25]],
    "row_count": 3,
    "complete": True,
}


def _answer(workspace: Any, role: str = "editor") -> Any:
    with workspace.activate():
        source = baker.make("sources.Source", name="Shop", kind="file", status="ready")
        conversation = baker.make(
            "conversations.Conversation",
            source=source,
            table_name="orders",
            title="Totl amout by regoin",
            owner=workspace.users[role],
        )
        question = baker.make(
            "conversations.Message",
            conversation=conversation,
            role="user",
            kind="question",
            content="Totl amout by regoin",
        )
        return baker.make(
            "conversations.Message",
            conversation=conversation,
            role="assistant",
            kind="answer",
            status="done",
            reply_to=question,
            plan=None,
            query={
                "source": source.pk,
                "table": "orders",
                "measures": [{"field": "amount"}],
                "dimensions": [{"field": "region"}],
            },
            result=RESULT,
            chart_spec={"type": "column", "encoding": {"x": "region", "y": ["amount"]}},
            chart_option={"series": []},
            alternatives=["pie", "bar"],
        )


def _messages(client: Any, conversation_id: int) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/conversations/{conversation_id}/messages/").json()["messages"]


def test_switching_the_chart_type_changes_the_answer_in_place_and_can_be_undone(alpha):
    answer = _answer(alpha)
    editor = alpha.client("editor")
    url = f"/api/v1/conversations/{answer.conversation_id}/messages/{answer.pk}/chart/"
    switched = send(editor, "post", url, {"chart_type": "pie"})
    assert switched.status_code == 200, switched.content
    body = switched.json()
    assert body["id"] == answer.pk
    assert body["chart"]["type"] == "pie"
    assert "column" in body["chart"]["alternatives"]
    pie = body["chart"]["option"]["series"][0]
    assert sorted((d["name"], d["value"]) for d in pie["data"]) == sorted(
        (r[0], r[1]) for r in RESULT["rows"]
    )
    messages = _messages(editor, answer.conversation_id)
    assert [m["id"] for m in messages if m["role"] == "assistant"] == [answer.pk]
    undone = send(editor, "post", url, {"chart_type": "column"}).json()
    assert undone["chart"]["type"] == "column"
    assert len(_messages(editor, answer.conversation_id)) == 2


def test_a_type_that_cannot_draw_the_data_is_refused_and_the_answer_stays(alpha):
    answer = _answer(alpha)
    url = f"/api/v1/conversations/{answer.conversation_id}/messages/{answer.pk}/chart/"
    response = send(alpha.client("editor"), "post", url, {"chart_type": "sankey"})
    assert response.status_code == 400
    assert response.json()["error"]["message"]
    answer.refresh_from_db()
    assert answer.chart_spec["type"] == "column"


@pytest.mark.enterprise  # roles are an enterprise feature: the core lets every member do this
def test_someone_else_cannot_switch_an_answer_they_cannot_see(alpha):
    answer = _answer(alpha)
    url = f"/api/v1/conversations/{answer.conversation_id}/messages/{answer.pk}/chart/"
    assert send(alpha.client("viewer"), "post", url, {"chart_type": "pie"}).status_code == 404


def test_an_answer_is_titled_by_what_it_computed_not_by_the_question(alpha):
    answer = _answer(alpha)
    body = next(
        m for m in _messages(alpha.client("editor"), answer.conversation_id) if m["role"] == "assistant"
    )
    assert body["title"] == "Total amount by region"
