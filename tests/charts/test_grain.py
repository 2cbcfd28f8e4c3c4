# SPDX-License-Identifier: MIT
"""Issue 19: the default time grain from a date range, shared by the planner and the chart page."""

import datetime as dt

import pytest

from chat2chart.charts.grain import default_grain, default_grain_between
from chat2chart.conversations.planner import plan_question
from chat2chart.sources.catalogue import ColumnInfo, TableInfo


@pytest.mark.parametrize(
    ("days", "grain"),
    [
        (0, "day"),
        (30, "day"),
        (90, "day"),
        (91, "week"),
        (365, "week"),
        (730, "week"),
        (731, "month"),
        (3650, "month"),
        (-200, "week"),
    ],
)
def test_the_default_grain_follows_the_range(days, grain):
    assert default_grain(days) == grain


def test_the_range_is_read_from_its_two_dates():
    assert default_grain_between(dt.date(2024, 1, 1), dt.date(2024, 3, 31)) == "day"  # 90 days
    assert default_grain_between(dt.date(2024, 1, 1), dt.date(2024, 4, 1)) == "week"
    assert default_grain_between(dt.date(2022, 1, 1), dt.date(2025, 1, 1)) == "month"


def _orders(first: str, last: str, days: int) -> TableInfo:
    return TableInfo(
        name="orders",
        row_count=days,
        columns=[
            ColumnInfo("order_date", "date", samples=[first, last], distinct_count=days),
            ColumnInfo("revenue", "decimal", samples=[1.5, 20.0], distinct_count=days),
        ],
    )


@pytest.mark.parametrize(
    ("first", "last", "days", "grain"),
    [
        ("2025-01-01", "2025-03-01", 60, "day"),
        ("2024-01-01", "2025-06-30", 500, "week"),
        ("2020-01-01", "2025-06-30", 1800, "month"),
    ],
)
def test_the_planner_groups_a_date_by_the_default_grain(first, last, days, grain):
    plan = plan_question(
        "revenue over time", _orders(first, last, days), source_id=1, now=dt.date(2025, 7, 1)
    )
    assert [(d.field, d.granularity) for d in plan.query.dimensions] == [("order_date", grain)]


def test_a_window_in_the_question_sets_the_grain():
    table = _orders("2020-01-01", "2025-06-30", 1800)
    plan = plan_question(
        "revenue over time in the last 6 months", table, source_id=1, now=dt.date(2025, 7, 1)
    )
    assert plan.query.dimensions[0].granularity == "week"
    plan = plan_question("revenue over time in the last 30 days", table, source_id=1, now=dt.date(2025, 7, 1))
    assert plan.query.dimensions[0].granularity == "day"
