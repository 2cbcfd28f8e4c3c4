# SPDX-License-Identifier: MIT
"""The answer pipeline through its service functions: events handed to `on_event` in order, cancellation
between steps, audit and usage, plan limits, and the row cap of the stored result."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from chat2chart.core.errors import Forbidden, LimitExceeded, ValidationFailed
from chat2chart.core.principal import Principal

REGIONS = ("North", "South", "East", "West")

SALES_CSV = "order_date,region,revenue\n" + "".join(
    f"{date.fromordinal(date(2024, 1, 1).toordinal() + i)},{REGIONS[i % 4]},{100 + i}\n" for i in range(260)
)


@pytest.fixture(autouse=True)
def _rule_planner(settings: Any) -> None:
    settings.AISER_LLM_MODEL = ""


@pytest.fixture
def conversation(alpha: Any, tmp_path: Path) -> Any:
    from chat2chart.conversations import services
    from chat2chart.sources import services as source_services

    upload = tmp_path / "sales.csv"
    upload.write_text(SALES_CSV)
    with alpha.activate():
        source = source_services.source_create_file(
            name="Regions",
            upload=upload,
            original_name="sales.csv",
            on_bad_rows="error",
            principal=Principal.for_user(alpha.users["owner"]),
        )
        table = source.tables.get(is_current=True).name
        return services.conversation_start(
            principal=Principal.for_user(alpha.users["viewer"]), source_id=source.pk, table=table
        )


def ask(
    alpha: Any, conversation: Any, content: str, events: list[dict[str, Any]] | None = None, **kwargs: Any
) -> tuple[Any, list[dict[str, Any]]]:
    from chat2chart.conversations import services

    events = [] if events is None else events
    with alpha.activate():
        message = services.message_ask(
            conversation=conversation,
            principal=Principal.for_user(alpha.users["viewer"]),
            content=content,
            on_event=events.append,
            **kwargs,
        )
    return message, events


def test_events_come_in_order_and_the_message_keeps_the_answer(alpha, conversation):
    message, events = ask(alpha, conversation, "total revenue by region")
    kinds = [e["type"] for e in events]
    assert kinds[:7] == ["status", "plan", "status", "sql", "data", "status", "chart"]
    assert kinds[-2:] == ["suggestions", "done"]
    assert set(kinds[7:-2]) == {"token"}
    assert message.status == "done"
    assert message.planner == "rules"
    assert message.chart_option
    assert message.chart_spec["type"]
    assert message.latency_ms >= 0
    assert message.narrative == "".join(e["text"] for e in events if e["type"] == "token")


def test_the_stored_result_is_capped_but_the_chart_uses_every_row(alpha, conversation):
    message, events = ask(alpha, conversation, "daily revenue")
    assert message.status == "done", message.error
    assert message.result["row_count"] == 260
    assert len(message.result["rows"]) == 200
    assert message.result["complete"] is False
    data = next(e for e in events if e["type"] == "data")
    assert data["row_count"] == 260
    assert data["truncated"] is True
    points = (
        message.chart_option.get("dataset", {}).get("source") or message.chart_option["series"][0]["data"]
    )
    assert len(points) == 260


def test_cancel_between_steps_stops_before_the_query(alpha, conversation, monkeypatch):
    from chat2chart.conversations import pipeline

    monkeypatch.setattr(
        pipeline, "query_run", lambda **kwargs: pytest.fail("a cancelled answer must not query")
    )
    events: list[dict[str, Any]] = []
    cancel_after_plan = lambda: any(e["type"] == "plan" for e in events)  # noqa: E731
    message, _ = ask(alpha, conversation, "total revenue by region", events, cancel=cancel_after_plan)
    kinds = [e["type"] for e in events]
    assert kinds == ["status", "plan", "cancelled"]
    assert message.status == "cancelled"


@pytest.mark.enterprise
def test_every_question_is_audited_and_counted(alpha, conversation):
    from enterprise.audit.models import AuditEntry
    from enterprise.billing.models import UsageCounter
    from enterprise.billing.services import usage_drain

    def counted() -> int:
        usage_drain()  # counts wait in Redis until the drain moves them into the database
        row = UsageCounter.objects.filter(organization=alpha.organization, event="question_asked").first()
        return row.quantity if row else 0

    with alpha.activate():
        before = counted()
    ask(alpha, conversation, "total revenue by region")
    with alpha.activate():
        assert counted() == before + 1
        entry = AuditEntry.objects.filter(action="conversation.ask").first()
        assert entry is not None
        assert entry.actor_id == alpha.users["viewer"].pk
        assert entry.target_id == str(conversation.pk)


@pytest.mark.enterprise
def test_the_plan_limit_refuses_before_anything_is_saved(alpha, conversation):
    from enterprise.billing.models import PlanLimit

    PlanLimit.objects.create(organization=alpha.organization, event="question_asked", monthly_quantity=0)
    with pytest.raises(LimitExceeded):
        ask(alpha, conversation, "total revenue by region")
    with alpha.activate():
        assert not conversation.messages.exists()


def test_an_empty_question_is_refused(alpha, conversation):
    with pytest.raises(ValidationFailed):
        ask(alpha, conversation, "   ")


def test_starting_needs_permission_to_ask(alpha, conversation):
    from django.contrib.auth.models import AnonymousUser

    from chat2chart.conversations import services

    with alpha.activate(), pytest.raises(Forbidden):
        services.conversation_start(
            principal=Principal.for_user(AnonymousUser()), source_id=conversation.source_id, table="x"
        )


def test_follow_ups_build_on_the_last_finished_answer(alpha, conversation):
    ask(alpha, conversation, "total revenue by region")
    message, _ = ask(alpha, conversation, "top 2 instead")
    assert message.status == "done"
    assert message.query["limit"] == 2
    assert [row[0] for row in message.result["rows"]] == ["West", "East"]
