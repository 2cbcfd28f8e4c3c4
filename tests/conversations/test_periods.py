# SPDX-License-Identifier: MIT
"""Period phrases in questions ("in January 2024", "Q4", "since May", "last 12 months", "week of 3 March")
filter exactly that period. Asked through the conversations API over a file uploaded through the sources
API, with today's date frozen; every total is checked against pandas over the same file."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from chat2chart.conversations.planner import Plan, plan_question
from chat2chart.sources.catalogue import ColumnInfo, TableInfo
from tests.conversations.asking import conversation_on

TODAY = date(2025, 3, 15)
FIRST_DAY, LAST_DAY = date(2023, 10, 1), date(2025, 3, 10)  # the data stops five days before today


def _csv() -> str:
    lines = ["order_date,region,amount"]
    day, n = FIRST_DAY, 0
    while day <= LAST_DAY:
        lines.append(f"{day.isoformat()},{['North', 'South', 'East'][n % 3]},{(n * 37) % 101 + 0.25}")
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
    return conversation_on(alpha.client(), CSV, file_name="orders.csv", at=datetime(2025, 3, 15, 12, 0))


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("total amount in January 2024", "2024-01-01", "2024-01-31"),
        ("total amount in February 2024", "2024-02-01", "2024-02-29"),
        ("total amount in Jan 2025", "2025-01-01", "2025-01-31"),
        ("total amount in January", "2025-01-01", "2025-01-31"),  # the most recent January
        ("total amount in June", "2024-06-01", "2024-06-30"),  # June 2025 has not begun
        ("total amount in Q1 2024", "2024-01-01", "2024-03-31"),
        ("total amount in Q4", "2024-10-01", "2024-12-31"),
        ("total amount in H2 2024", "2024-07-01", "2024-12-31"),
        ("total amount in the first half of 2024", "2024-01-01", "2024-06-30"),
        ("total amount in 2024", "2024-01-01", "2024-12-31"),
        ("total amount this month", "2025-03-01", "2025-03-31"),
        ("total amount last month", "2025-02-01", "2025-02-28"),
        ("total amount last quarter", "2024-10-01", "2024-12-31"),
        ("total amount last year", "2024-01-01", "2024-12-31"),
        ("total amount year to date", "2025-01-01", "2025-03-15"),
        ("total amount since May", "2024-05-01", "2025-03-15"),
        ("total amount since May 2024", "2024-05-01", "2025-03-15"),
        ("total amount between March and June 2024", "2024-03-01", "2024-06-30"),
        ("total amount from November 2023 to February 2024", "2023-11-01", "2024-02-29"),
        ("total amount in the week of 3 March", "2025-03-03", "2025-03-09"),
        ("total amount on March 5, 2025", "2025-03-05", "2025-03-05"),
        ("total amount in the last 12 months", "2024-03-01", "2025-02-28"),  # whole months only
        ("total amount in the last 2 quarters", "2024-07-01", "2024-12-31"),
        ("total amount in the last 7 days", "2025-03-08", "2025-03-15"),  # days roll up to today
    ],
)
def test_a_period_phrase_filters_exactly_that_period(ask, question, start, end):
    answer = ask(question)
    total = round(sum(float(row[-1] or 0) for row in answer["data"]["rows"]), 6)
    assert total == pytest.approx(_gold(start, end)), question


def _sales() -> TableInfo:
    return TableInfo(
        name="sales",
        row_count=1000,
        columns=[
            ColumnInfo("order_date", "date", samples=["2023-01-03", "2025-03-01"], distinct_count=700),
            ColumnInfo("region", "text", samples=["North", "South"], distinct_count=4),
            ColumnInfo("revenue", "decimal", samples=[19.99, 250.0], distinct_count=900),
        ],
    )


def _filters(question: str, now: date = TODAY) -> list[tuple]:
    plan = plan_question(question, _sales(), source_id=1, now=now)
    assert isinstance(plan, Plan), plan
    return [(f.field, f.op, f.value, f.unit) for f in plan.query.filters]


def test_yesterday_and_today_are_single_days():
    assert _filters("revenue yesterday") == [("order_date", "previous_period", None, "day")]
    assert _filters("revenue today") == [("order_date", "this_period", None, "day")]


def test_month_to_date_and_quarter_to_date_are_the_current_periods():
    assert _filters("revenue month to date") == [("order_date", "this_period", None, "month")]
    assert _filters("revenue qtd") == [("order_date", "this_period", None, "quarter")]


def test_next_quarter_is_a_concrete_range():
    assert _filters("revenue next quarter") == [("order_date", "between", ["2025-04-01", "2025-06-30"], None)]


def test_may_as_a_verb_is_not_a_month():
    assert _filters("may I see revenue by region") == []


def test_an_iso_date_is_one_day():
    assert _filters("revenue on 2024-02-29") == [
        ("order_date", "between", ["2024-02-29", "2024-02-29"], None)
    ]


def test_a_fiscal_year_is_named_by_the_year_it_ends_in():
    from chat2chart.conversations.planner.periods import Period, calendar_bounds

    assert calendar_bounds(Period("fiscal_year", year=2024), TODAY, fiscal_start_month=4) == (
        date(2023, 4, 1),
        date(2024, 3, 31),
    )
    assert calendar_bounds(Period("fiscal_year", year=2024), TODAY) == (date(2024, 1, 1), date(2024, 12, 31))
    # On 15 March 2025 with years starting in April, the current fiscal year is FY2025.
    assert calendar_bounds(Period("fiscal_year"), TODAY, fiscal_start_month=4) == (
        date(2024, 4, 1),
        date(2025, 3, 31),
    )


def test_the_explanation_names_the_period_not_raw_dates():
    plan = plan_question("total revenue in Q1 2024", _sales(), source_id=1, now=TODAY)
    assert isinstance(plan, Plan)
    assert "Q1 2024" in plan.explanation
