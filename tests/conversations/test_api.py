# SPDX-License-Identifier: MIT
"""The conversations API over a small sales file: questions become charts, follow-ups use the context,
ungroundable questions get a clarifying question, the LLM path (mocked LiteLLM) and its fallback, answers
streamed as Server-Sent Events, re-runs, and who may see which conversation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chat2chart.core.principal import Principal

SALES_CSV = (
    "order_date,region,product,revenue,quantity\n"
    "2024-01-15,North,Laptop,1200,2\n"
    "2024-01-20,South,Chair,150,3\n"
    "2024-02-03,North,Desk,400,1\n"
    "2024-02-17,East,Laptop,1300,2\n"
    "2024-03-05,South,Laptop,1250,1\n"
    "2024-03-22,West,Chair,90,2\n"
    "2024-04-09,North,Chair,100,4\n"
    "2024-04-28,East,Desk,450,1\n"
    "2023-11-11,North,Laptop,1000,1\n"
    "2023-12-01,West,Desk,380,2\n"
)
REVENUE_BY_REGION = {"North": 2700.0, "South": 1400.0, "East": 1750.0, "West": 470.0}
MODEL = "gpt-4o-mini"


@pytest.fixture(autouse=True)
def _rule_planner(settings: Any) -> None:
    settings.AISER_LLM_MODEL = ""


@pytest.fixture
def sales(alpha: Any, tmp_path: Path) -> Any:
    from chat2chart.sources import services as source_services

    upload = tmp_path / "sales.csv"
    upload.write_text(SALES_CSV)
    with alpha.activate():
        source = source_services.source_create_file(
            name="Sales",
            upload=upload,
            original_name="sales.csv",
            on_bad_rows="error",
            principal=Principal.for_user(alpha.users["owner"]),
        )
        source.refresh_from_db()
        assert source.status == "ready", source.error
        source.table = source.tables.get(is_current=True).name
    return source


def start(workspace: Any, source: Any, role: str = "viewer") -> dict[str, Any]:
    response = workspace.client(role).post(
        "/api/v1/conversations/",
        {"source": source.pk, "table": source.table},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def ask(workspace: Any, conversation: dict[str, Any], content: str, role: str = "viewer") -> dict[str, Any]:
    response = workspace.client(role).post(
        f"/api/v1/conversations/{conversation['id']}/messages/",
        {"content": content},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def table(answer: dict[str, Any]) -> dict[Any, Any]:
    """The answer's rows as {first column: last column}."""
    return {row[0]: row[-1] for row in answer["data"]["rows"]}


def test_starting_a_conversation_offers_first_questions_from_the_table(alpha, sales):
    conversation = start(alpha, sales)
    assert conversation["table"] == sales.table
    assert conversation["source"] == sales.pk
    assert len(conversation["first_questions"]) >= 2
    with alpha.activate():
        from chat2chart.conversations.models import Conversation

        assert Conversation.objects.get(pk=conversation["id"]).owner_id == alpha.users["viewer"].pk


def test_starting_on_an_unknown_table_says_which_tables_exist(alpha, sales):
    response = alpha.client("viewer").post(
        "/api/v1/conversations/", {"source": sales.pk, "table": "nope"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert sales.table in response.json()["error"]["message"]


def test_total_revenue_by_region_is_a_bar_chart_with_the_right_totals(alpha, sales):
    conversation = start(alpha, sales)
    answer = ask(alpha, conversation, "total revenue by region")
    assert answer["status"] == "done", answer["error"]
    assert answer["chart"]["type"] in ("bar", "column")
    assert answer["chart"]["option"]["series"]
    assert {k: float(v) for k, v in table(answer).items()} == REVENUE_BY_REGION
    assert "revenue" in answer["sql"].lower()
    assert answer["query"]["dimensions"] == [{"field": "region"}]
    assert answer["explanation"]
    assert answer["planner"] == "rules"
    assert "North" in answer["content"]
    assert answer["suggestions"]
    assert answer["usage"]["latency_ms"] >= 0
    listed = alpha.client("viewer").get(f"/api/v1/conversations/{conversation['id']}/messages/").json()
    assert [m["role"] for m in listed["messages"]] == ["user", "assistant"]
    assert listed["messages"][0]["content"] == "total revenue by region"
    detail = alpha.client("viewer").get(f"/api/v1/conversations/{conversation['id']}/").json()
    assert detail["title"] == "Total revenue by region"


def test_revenue_by_month_is_a_line_chart_in_date_order(alpha, sales):
    answer = ask(alpha, start(alpha, sales), "revenue by month")
    assert answer["status"] == "done", answer["error"]
    assert answer["chart"]["type"] in ("line", "area", "multi_line")
    months = [row[0] for row in answer["data"]["rows"]]
    assert months == sorted(months)
    assert len(months) == 6


def test_an_answers_data_keeps_the_typed_columns_of_its_query(alpha, sales):
    answer = ask(alpha, start(alpha, sales), "revenue by month")
    assert answer["status"] == "done", answer["error"]
    month, revenue = answer["data"]["columns"]
    assert (month["type"], month["role"], month["member"]) == ("date", "time", "order_date")
    assert (revenue["role"], revenue["member"], revenue["agg"]) == ("measure", "sum(revenue)", "sum")
    expected: dict[str, float] = {}
    for line in SALES_CSV.splitlines()[1:]:
        day, _, _, amount, _ = line.split(",")
        expected[day[:7] + "-01"] = expected.get(day[:7] + "-01", 0.0) + float(amount)
    assert {row[0]: row[1] for row in answer["data"]["rows"]} == expected


def test_follow_ups_change_the_previous_answer(alpha, sales):
    conversation = start(alpha, sales)
    ask(alpha, conversation, "total revenue by region")
    pie = ask(alpha, conversation, "now as a pie")
    assert pie["status"] == "done", pie["error"]
    assert pie["chart"]["type"] == "pie"
    assert {k: float(v) for k, v in table(pie).items()} == REVENUE_BY_REGION
    north = ask(alpha, conversation, "only North")
    assert north["status"] == "done", north["error"]
    assert {k: float(v) for k, v in table(north).items()} == {"North": 2700.0}
    assert north["query"]["filters"][0]["field"] == "region"


def test_an_ungroundable_question_gets_a_clarifying_question(alpha, sales):
    answer = ask(alpha, start(alpha, sales), "how happy are our employees")
    assert answer["status"] == "done"
    assert answer["kind"] == "clarification"
    assert answer["chart"] is None
    assert answer["clarification"]["message"]
    assert answer["clarification"]["suggestions"]


def test_a_failed_query_is_an_error_message_in_the_conversation(alpha, sales, monkeypatch):
    from chat2chart.conversations import pipeline
    from chat2chart.core.errors import QueryError

    def broken(**kwargs: Any) -> Any:
        raise QueryError("The database refused the query: relation is locked.")

    monkeypatch.setattr(pipeline, "query_run", broken)
    answer = ask(alpha, start(alpha, sales), "total revenue by region")
    assert answer["status"] == "error"
    assert answer["error"] == "The database refused the query: relation is locked."
    assert "Traceback" not in json.dumps(answer)


def test_the_llm_plans_when_a_model_is_configured(alpha, sales, settings, monkeypatch):
    plan = {
        "intent": "comparison",
        "measures": [{"field": "quantity", "agg": "sum"}],
        "dimensions": [{"field": "product"}],
        "chart_type": "bar",
        "explanation": "Total quantity by product",
    }
    _mock_litellm(monkeypatch, json.dumps(plan))
    settings.AISER_LLM_MODEL = MODEL
    answer = ask(alpha, start(alpha, sales), "how many units of each product did we sell?")
    assert answer["status"] == "done", answer["error"]
    assert answer["planner"] == f"llm:{MODEL}"
    assert answer["explanation"] == "Total quantity by product"
    assert table(answer) == {"Chair": 9, "Desk": 4, "Laptop": 6}
    assert answer["usage"]["prompt_tokens"] > 0
    assert answer["usage"]["completion_tokens"] > 0
    assert not answer["fallback_reason"]


def test_an_invalid_llm_answer_falls_back_to_the_rules_and_says_so(alpha, sales, settings, monkeypatch):
    _mock_litellm(monkeypatch, "Sure! Here is your chart: a bar chart of revenue.")
    settings.AISER_LLM_MODEL = MODEL
    answer = ask(alpha, start(alpha, sales), "total revenue by region")
    assert answer["status"] == "done", answer["error"]
    assert answer["planner"] == "rules"
    assert "not valid" in answer["fallback_reason"]
    assert "rule planner answered" in answer["fallback_reason"]
    assert {k: float(v) for k, v in table(answer).items()} == REVENUE_BY_REGION


def _mock_litellm(monkeypatch: pytest.MonkeyPatch, reply: str) -> None:
    """Every LiteLLM call answers `reply` through LiteLLM's own `mock_response` (no provider is called)."""
    import litellm

    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    real = litellm.completion
    monkeypatch.setattr(litellm, "completion", lambda **kwargs: real(**kwargs, mock_response=reply))


def _events(response: Any) -> list[dict[str, Any]]:
    body = b"".join(response.streaming_content).decode()
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        event = json.loads(lines["data"])
        assert event["type"] == lines["event"]
        events.append(event)
    return events


def test_answers_stream_as_server_sent_events_in_order(alpha, sales):
    conversation = start(alpha, sales)
    response = alpha.client("viewer").post(
        f"/api/v1/conversations/{conversation['id']}/messages/",
        {"content": "total revenue by region"},
        content_type="application/json",
        HTTP_ACCEPT="text/event-stream",
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    events = _events(response)
    kinds = [e["type"] for e in events]
    tokens = [i for i, kind in enumerate(kinds) if kind == "token"]
    assert len(tokens) > 3
    compact = [k for i, k in enumerate(kinds) if k != "token" or i == tokens[0]]
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
    assert [e["stage"] for e in events if e["type"] == "status"] == ["planning", "querying", "rendering"]
    assert tokens == list(range(tokens[0], tokens[-1] + 1))
    narrative = "".join(e["text"] for e in events if e["type"] == "token")
    done = events[-1]
    assert done["message"]["content"] == narrative
    assert done["message"]["status"] == "done"
    chart = next(e for e in events if e["type"] == "chart")
    assert chart["chart_type"] in ("bar", "column")
    assert chart["option"]["series"]


def test_a_refused_stream_is_a_json_error_before_anything_streams(alpha, sales):
    conversation = start(alpha, sales)
    response = alpha.client("viewer").post(
        f"/api/v1/conversations/{conversation['id']}/messages/",
        {"content": "   "},
        content_type="application/json",
        HTTP_ACCEPT="text/event-stream",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_switching_the_chart_type_redraws_without_querying(alpha, sales, monkeypatch):
    conversation = start(alpha, sales)
    answer = ask(alpha, conversation, "total revenue by region")
    assert "pie" in answer["chart"]["alternatives"]
    from chat2chart.conversations import pipeline

    monkeypatch.setattr(pipeline, "query_run", lambda **kwargs: pytest.fail("switching must not query"))
    response = alpha.client("viewer").post(
        f"/api/v1/conversations/{conversation['id']}/messages/{answer['id']}/rerun/",
        {"chart_type": "pie"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    switched = response.json()
    assert switched["chart"]["type"] == "pie"
    assert switched["rerun_of"] == answer["id"]
    assert switched["data"] == answer["data"]


def test_switching_to_a_type_that_does_not_fit_says_what_it_needs(alpha, sales):
    conversation = start(alpha, sales)
    answer = ask(alpha, conversation, "total revenue by region")
    response = alpha.client("viewer").post(
        f"/api/v1/conversations/{conversation['id']}/messages/{answer['id']}/rerun/",
        {"chart_type": "candlestick"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "needs" in response.json()["error"]["message"]


def test_editing_the_query_runs_the_changed_query(alpha, sales):
    conversation = start(alpha, sales)
    answer = ask(alpha, conversation, "total revenue by region")
    query = {**answer["query"], "filters": [{"field": "region", "op": "in", "value": ["North", "South"]}]}
    response = alpha.client("viewer").post(
        f"/api/v1/conversations/{conversation['id']}/messages/{answer['id']}/rerun/",
        {"query": query, "chart_type": "pie"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    edited = response.json()
    assert edited["chart"]["type"] == "pie"
    assert {k: float(v) for k, v in table(edited).items()} == {"North": 2700.0, "South": 1400.0}
    assert edited["planner"] == "edited"
    # The next follow-up builds on the edited answer.
    follow_up = ask(alpha, conversation, "now as a bar chart")
    assert set(table(follow_up)) == {"North", "South"}


def test_only_editors_may_rerun_an_answer_with_their_own_sql(alpha, sales):
    conversation = start(alpha, sales, role="editor")
    answer = ask(alpha, conversation, "total revenue by region", role="editor")
    url = f"/api/v1/conversations/{conversation['id']}/messages/{answer['id']}/rerun/"
    sql = f'SELECT product, SUM(quantity) AS units FROM "{sales.table}" GROUP BY product ORDER BY product'
    response = alpha.client("editor").post(url, {"sql": sql}, content_type="application/json")
    assert response.status_code == 201, response.content
    rerun = response.json()
    assert rerun["status"] == "done", rerun["error"]
    assert rerun["data"]["rows"] == [["Chair", 9], ["Desk", 4], ["Laptop", 6]]
    assert rerun["chart"]["option"]


@pytest.mark.enterprise
def test_viewers_cannot_run_sql(alpha, sales):
    conversation = start(alpha, sales)
    answer = ask(alpha, conversation, "total revenue by region")
    response = alpha.client("viewer").post(
        f"/api/v1/conversations/{conversation['id']}/messages/{answer['id']}/rerun/",
        {"sql": f'SELECT * FROM "{sales.table}"'},
        content_type="application/json",
    )
    assert response.status_code == 403


@pytest.mark.enterprise
def test_conversations_are_private_to_their_owner_and_admins(alpha, sales):
    conversation = start(alpha, sales, role="viewer")
    url = f"/api/v1/conversations/{conversation['id']}/"
    assert alpha.client("editor").get(url).status_code == 404
    assert alpha.client("editor").get("/api/v1/conversations/").json()["conversations"] == []
    assert alpha.client("admin").get(url).status_code == 200
    assert (
        alpha.client("viewer").get("/api/v1/conversations/").json()["conversations"][0]["id"]
        == conversation["id"]
    )
    response = alpha.client("editor").post(
        f"{url}messages/", {"content": "total revenue by region"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_the_owner_deletes_a_conversation(alpha, sales):
    conversation = start(alpha, sales, role="viewer")
    ask(alpha, conversation, "total revenue by region")
    url = f"/api/v1/conversations/{conversation['id']}/"
    assert alpha.client("viewer").delete(url).status_code == 204
    assert alpha.client("viewer").get(url).status_code == 404
    with alpha.activate():
        from chat2chart.conversations.models import Message

        assert not Message.objects.filter(conversation_id=conversation["id"]).exists()


def test_another_organisation_cannot_see_the_conversation(alpha, beta, sales):
    conversation = start(alpha, sales)
    url = f"/api/v1/conversations/{conversation['id']}/"
    assert beta.client("owner").get(url).status_code == 404
    assert beta.client("owner").get("/api/v1/conversations/").json()["conversations"] == []


def test_signed_out_visitors_get_401(alpha, sales):
    assert alpha.anonymous_client().get("/api/v1/conversations/").status_code in (401, 403)


def test_a_question_that_changes_nothing_after_an_answer_gets_a_clarifying_question(alpha, sales):
    conversation = start(alpha, sales)
    ask(alpha, conversation, "total revenue by region")
    answer = ask(alpha, conversation, "how happy are our employees")
    assert answer["kind"] == "clarification"
    assert answer["chart"] is None
