# SPDX-License-Identifier: MIT
"""Aiser's own metrics appear after the work that produces them, with a few fixed words as labels
and never an organisation: questions, queries, ingests, model calls, limits, embeds, websockets, tasks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.conversations.test_consumer import conversation  # noqa: F401 - a fixture
from tests.dashboards.conftest import dashboard, sales  # noqa: F401 - fixtures
from tests.monitoring.conftest import value
from tests.sources.fixtures_api import REVENUE_BY_REGION, SALES_CSV, upload_source

pytestmark = pytest.mark.enterprise
MODEL = "gpt-4o-mini"


def uploaded(workspace: Any) -> dict[str, Any]:
    response = upload_source(workspace.client("owner"))
    assert response.status_code == 201, response.content
    return response.json()


def conversation_on(workspace: Any, source: dict[str, Any]) -> int:
    response = workspace.client("owner").post(
        "/api/v1/conversations/", {"source": source["id"], "table": "sales"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def ask(workspace: Any, conversation_id: int, question: str) -> Any:
    return workspace.client("owner").post(
        f"/api/v1/conversations/{conversation_id}/messages/",
        {"content": question},
        content_type="application/json",
    )


def test_an_uploaded_file_counts_its_rows_ingest_time_task_and_model_writes(alpha, scrape):
    before = scrape()
    uploaded(alpha)
    after = scrape()
    rows = SALES_CSV.count("\n") - 1
    assert value(after, "aiser_rows_ingested_total") - value(before, "aiser_rows_ingested_total") == rows
    ingests = "aiser_ingest_duration_seconds_count"
    assert value(after, ingests, outcome="ok") - value(before, ingests, outcome="ok") == 1
    tasks = "aiser_celery_tasks_total"
    task = next(
        dict(labels)["task"]
        for (name, labels) in after
        if name == tasks and dict(labels)["task"].startswith("sources.")
    )
    assert value(after, tasks, task=task, outcome="success") > value(
        before, tasks, task=task, outcome="success"
    )
    assert value(after, "aiser_celery_task_duration_seconds_count", task=task) >= 1
    inserts = "django_model_inserts_total"
    assert value(after, inserts, model="sources.source") - value(before, inserts, model="sources.source") == 1


def test_a_question_asked_through_the_api_counts_its_planner_outcome_and_query(alpha, scrape):
    conversation_id = conversation_on(alpha, uploaded(alpha))
    before = scrape()
    response = ask(alpha, conversation_id, "total revenue by region")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "done", response.content
    after = scrape()
    questions = "aiser_questions_total"
    answered = {"planner": "rules", "outcome": "answered"}
    assert value(after, questions, **answered) - value(before, questions, **answered) == 1
    assert value(after, "aiser_question_duration_seconds_count", planner="rules") > value(
        before, "aiser_question_duration_seconds_count", planner="rules"
    )
    query = {"source_kind": "file", "cache": "miss", "rollup": "no"}
    count = "aiser_query_duration_seconds_count"
    assert value(after, count, **query) - value(before, count, **query) == 1


def test_a_question_the_planner_cannot_ground_counts_as_refused(alpha, scrape):
    conversation_id = conversation_on(alpha, uploaded(alpha))
    before = scrape()
    response = ask(alpha, conversation_id, "how happy are our employees")
    assert response.json()["kind"] == "clarification", response.content
    after = scrape()
    refused = {"planner": "rules", "outcome": "refused"}
    assert (
        value(after, "aiser_questions_total", **refused) - value(before, "aiser_questions_total", **refused)
        == 1
    )


def test_a_query_run_twice_is_a_miss_then_a_cache_hit(alpha, scrape):
    source = uploaded(alpha)
    client = alpha.client("owner")
    before = scrape()
    for _ in range(2):
        response = client.post(
            "/api/v1/query/", {**REVENUE_BY_REGION, "source": source["id"]}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
    after = scrape()
    count = "aiser_query_duration_seconds_count"
    for cache in ("miss", "hit"):
        labels = {"source_kind": "file", "cache": cache, "rollup": "no"}
        assert value(after, count, **labels) - value(before, count, **labels) == 1, cache


def _llm(settings: Any, monkeypatch: pytest.MonkeyPatch, reply: Any) -> None:
    """The workspace's model is MODEL, answered through LiteLLM's own `mock_response` (no provider)."""
    import litellm

    settings.AISER_LLM_MODEL = MODEL
    settings.AISER_LLM_ALLOWED_MODELS = [MODEL]
    real = litellm.completion
    monkeypatch.setattr(litellm, "completion", lambda **kwargs: real(**kwargs, mock_response=reply))


def test_a_failing_model_counts_an_llm_error_and_a_fallback_answer(alpha, scrape, settings, monkeypatch):
    conversation_id = conversation_on(alpha, uploaded(alpha))
    _llm(settings, monkeypatch, Exception("the provider is down"))
    before = scrape()
    response = ask(alpha, conversation_id, "total revenue by region")
    answer = response.json()
    assert answer["planner"] == "rules", answer
    assert "failed" in answer["fallback_reason"], answer
    after = scrape()
    failed = {"model": MODEL, "purpose": "plan", "outcome": "error"}
    calls = "aiser_llm_calls_total"
    assert value(after, calls, **failed) - value(before, calls, **failed) == 1
    fell_back = {"planner": "rules", "outcome": "fell_back"}
    questions = "aiser_questions_total"
    assert value(after, questions, **fell_back) - value(before, questions, **fell_back) == 1


def test_a_model_plan_counts_the_call_its_tokens_and_its_cost(alpha, scrape, settings, monkeypatch):
    conversation_id = conversation_on(alpha, uploaded(alpha))
    plan = {
        "intent": "comparison",
        "measures": [{"field": "revenue", "agg": "sum"}],
        "dimensions": [{"field": "region"}],
        "chart_type": "bar",
        "explanation": "Revenue by region",
    }
    _llm(settings, monkeypatch, json.dumps(plan))
    before = scrape()
    answer = ask(alpha, conversation_id, "revenue per region").json()
    assert answer["planner"] == f"llm:{MODEL}", answer
    after = scrape()
    calls = "aiser_llm_calls_total"
    ok = {"model": MODEL, "purpose": "plan", "outcome": "ok"}
    assert value(after, calls, **ok) - value(before, calls, **ok) == 1
    tokens = "aiser_llm_tokens_total"
    for kind in ("prompt", "completion"):
        spent = value(after, tokens, model=MODEL, type=kind) - value(before, tokens, model=MODEL, type=kind)
        assert spent == answer["usage"][f"{kind}_tokens"] > 0
    cost = value(after, "aiser_llm_cost_usd_total", model=MODEL) - value(
        before, "aiser_llm_cost_usd_total", model=MODEL
    )
    assert cost == pytest.approx(float(answer["usage"]["cost_usd"]))
    answered = {"planner": "llm", "outcome": "answered"}
    assert (
        value(after, "aiser_questions_total", **answered) - value(before, "aiser_questions_total", **answered)
        == 1
    )


def test_a_plan_limit_refusal_is_counted_by_limit(alpha, scrape):
    from enterprise.billing.models import PlanLimit

    conversation_id = conversation_on(alpha, uploaded(alpha))
    PlanLimit.objects.create(organization=alpha.organization, event="question_asked", monthly_quantity=0)
    before = scrape()
    response = ask(alpha, conversation_id, "total revenue by region")
    assert response.status_code in (402, 403, 429), response.content
    after = scrape()
    refusals = "aiser_plan_limit_refusals_total"
    assert (
        value(after, refusals, limit="question_asked") - value(before, refusals, limit="question_asked") == 1
    )


def test_a_request_over_the_api_rate_is_counted(alpha, scrape, settings):
    settings.AISER_API_RATE = "2/m"
    client = alpha.client("owner")
    before = scrape()
    statuses = [client.get("/api/v1/me/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    after = scrape()
    limited = "aiser_rate_limited_requests_total"
    assert value(after, limited, scope="api") - value(before, limited, scope="api") == 1


def test_an_embedded_dashboard_view_is_counted(sales, dashboard, scrape):  # noqa: F811 - fixtures
    from tests.dashboards.conftest import set_up_embedding, sign

    workspace = sales.workspace
    with workspace.activate():
        secret = set_up_embedding(workspace)
    token = sign(workspace, secret, dashboard.pk)
    before = scrape()
    assert workspace.anonymous_client().get(f"/embed/dashboard/{token}").status_code == 200
    assert workspace.anonymous_client().get("/embed/dashboard/not-a-token").status_code in (403, 404)
    after = scrape()
    views = "aiser_embed_views_total"
    assert value(after, views, kind="embed") - value(before, views, kind="embed") == 1


def test_open_websockets_are_counted_until_they_close(alpha, conversation, scrape):  # noqa: F811 - fixture
    from tests.conversations.test_consumer import connected

    gauge = "aiser_websocket_connections"
    before = value(scrape(), gauge)

    async def open_then_close() -> float:
        communicator, _ = await connected(alpha, conversation)
        open_count = value(await asyncio.to_thread(scrape), gauge)
        await communicator.disconnect()
        return open_count

    assert asyncio.run(open_then_close()) == before + 1
    assert value(scrape(), gauge) == before


def test_no_label_names_an_organisation(alpha, beta, scrape):
    for workspace in (alpha, beta):
        conversation_id = conversation_on(workspace, uploaded(workspace))
        assert ask(workspace, conversation_id, "total revenue by region").status_code == 201
    label_values = {v for (_, labels) in scrape() for (_, v) in labels}
    for workspace in (alpha, beta):
        for word in (workspace.slug, workspace.host, workspace.organization.schema_name):
            assert not [v for v in label_values if word in v], word


def test_a_model_query_counts_rollup_answers_and_cache_hits_apart(alpha, scrape):
    from tests.semantic.rollup_fixtures import ask as ask_model
    from tests.semantic.rollup_fixtures import build, create_model, sales_rows, upload_sales

    client = alpha.client("editor")
    model = create_model(client, upload_sales(client, sales_rows(60)))
    build(client, model)
    query = {"measures": ["sales.count"], "dimensions": ["sales.region"]}
    before = scrape()
    first = ask_model(client, model, query)
    second = ask_model(client, model, query)
    assert first["explain"]["rollup"] == "sales.by_day"
    assert second["cache"]["hit"] is True
    after = scrape()
    count = "aiser_query_duration_seconds_count"
    for cache in ("miss", "hit"):
        labels = {"source_kind": "file", "cache": cache, "rollup": "yes"}
        assert value(after, count, **labels) - value(before, count, **labels) == 1, cache
