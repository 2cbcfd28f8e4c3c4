# SPDX-License-Identifier: MIT
"""A month, quarter or day named without its year is the latest such period in the data, not on the calendar:
"why did revenue drop in March" in November 2026 on data that stops in 2025 means March 2025, and says so."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from chat2chart.conversations.planner import Plan, plan_question
from chat2chart.conversations.planner.periods import Period, resolve_undated
from chat2chart.sources.catalogue import ColumnInfo, TableInfo
from tests.conversations.asking import conversation_on

ASKED_AT = datetime(2026, 11, 15, 12, 0)  # a year after the data stops
FIRST_DAY, LAST_DAY = date(2024, 1, 1), date(2025, 12, 31)


def _csv() -> str:
    lines = ["order_date,region,amount"]
    day, n = FIRST_DAY, 0
    while day <= LAST_DAY:
        lines.append(f"{day.isoformat()},{['North', 'South', 'East'][n % 3]},{(n * 37) % 101 + 0.5}")
        day += timedelta(days=1)
        n += 1
    return "\n".join(lines) + "\n"


CSV = _csv()


def _gold(start: str, end: str) -> float:
    frame = pd.read_csv(io.StringIO(CSV), parse_dates=["order_date"])
    mask = (frame.order_date >= pd.Timestamp(start)) & (frame.order_date <= pd.Timestamp(end))
    return round(float(frame.loc[mask, "amount"].sum()), 6)


@pytest.fixture(autouse=True)
def _rule_planner(settings):
    settings.AISER_LLM_MODEL = ""


@pytest.fixture
def ask(alpha):
    return conversation_on(alpha.client(), CSV, file_name="orders.csv", at=ASKED_AT)


@pytest.mark.parametrize(
    ("question", "start", "end", "note"),
    [
        ("total amount in March", "2025-03-01", "2025-03-31", "March 2025, the latest March in the data"),
        ("total amount in Q3", "2025-07-01", "2025-09-30", "Q3 2025, the latest Q3 in the data"),
        ("total amount since May", "2025-05-01", "2025-12-31", "May 2025, the latest May in the data"),
        ("total amount in March 2024", "2024-03-01", "2024-03-31", None),  # a named year stays
    ],
)
def test_a_period_without_its_year_is_the_latest_one_in_the_data(ask, question, start, end, note):
    answer = ask(question)

    total = round(sum(float(row[-1] or 0) for row in answer["data"]["rows"]), 6)
    assert total == pytest.approx(_gold(start, end)), question
    assert total > 0
    explanation = answer["explanation"]
    if note:
        assert note in explanation
    else:
        assert "in the data" not in explanation


def test_why_did_it_drop_in_march_looks_at_the_latest_march_in_the_data(alpha, ask):
    answer = ask("why did amount drop in March")

    assert "March 2025, the latest March in the data" in answer["explanation"]
    with alpha.activate():
        from chat2chart.conversations.models import Message

        plan = Message.objects.get(pk=answer["id"]).plan
    assert plan["analysis"] == "drivers"
    assert plan["analysis_options"]["period"]["value"] == ["2025-03-01", "2025-03-31"]


# --- the planner and the period arithmetic, without the API -----------------------------------------------


def _orders() -> TableInfo:
    return TableInfo(
        name="orders",
        row_count=700,
        columns=[
            ColumnInfo("order_date", "date", samples=["2023-03-01", "2025-02-10"], distinct_count=700),
            ColumnInfo("revenue", "decimal", samples=[19.99, 250.0], distinct_count=600),
        ],
    )


def test_data_that_stops_before_march_reads_march_as_the_year_before():
    plan = plan_question(
        "total revenue in March",
        _orders(),
        source_id=1,
        now=date(2026, 11, 15),
        last_date=lambda column: date(2025, 2, 10),
    )
    assert isinstance(plan, Plan)
    assert plan.query.filters[0].value == ["2024-03-01", "2024-03-31"]
    assert "March 2024, the latest March in the data" in plan.explanation


def test_where_the_data_stops_is_asked_only_for_a_name_without_its_year():
    asked: list[str] = []

    def last_date(column: str) -> date:
        asked.append(column)
        return date(2025, 2, 10)

    for question in ("total revenue in March 2024", "total revenue last month", "revenue by month"):
        plan_question(question, _orders(), source_id=1, now=date(2026, 11, 15), last_date=last_date)
    assert asked == []
    plan_question(
        "total revenue in March", _orders(), source_id=1, now=date(2026, 11, 15), last_date=last_date
    )
    assert asked == ["order_date"]


def test_data_that_runs_to_today_keeps_the_calendar_reading():
    march = Period("calendar", "month", None, 3)
    periods, notes = resolve_undated([march], date(2026, 11, 30), date(2026, 11, 15))
    assert periods == [Period("calendar", "month", 2026, 3)]
    assert notes == ["March 2026, the latest March in the data"]


def test_a_range_without_years_ends_at_the_latest_end_in_the_data():
    between = Period(
        "between", first=Period("calendar", "month", None, 11), last=Period("calendar", "month", None, 2)
    )
    (period,), notes = resolve_undated([between], date(2025, 12, 31), date(2026, 11, 15))
    assert (period.first.year, period.last.year) == (2024, 2025)
    assert notes == ["November 2024 to February 2025, the latest November to February in the data"]


def test_a_follow_up_naming_a_month_takes_the_latest_one_in_the_data():
    from chat2chart.conversations.planner import PlanTurn

    asked_at, data_end = date(2026, 11, 15), date(2025, 12, 31)
    first = plan_question("total revenue by month", _orders(), source_id=1, now=asked_at)
    assert isinstance(first, Plan)
    plan = plan_question(
        "only March",
        _orders(),
        source_id=1,
        now=asked_at,
        history=[PlanTurn(question="total revenue by month", plan=first)],
        last_date=lambda column: data_end,
    )
    assert isinstance(plan, Plan)
    assert [f.value for f in plan.query.filters] == [["2025-03-01", "2025-03-31"]]
    assert "March 2025, the latest March in the data" in plan.explanation
