# SPDX-License-Identifier: MIT
"""Temporal idioms are read before any word is grounded in a column: "over time" means the table's date or
year axis, never a column whose name merely contains "time" ("Wait Time", "Zero To Sixty Time"); "of all
time" and "at the time" ask for no time at all. Tables named as in `bench/nl2chart_eval.py --rename`."""

from __future__ import annotations

from datetime import date

import pytest

from chat2chart.conversations.planner import Plan, plan_question
from chat2chart.conversations.planner.idioms import idiom_positions, read_idioms
from chat2chart.sources.catalogue import ColumnInfo, TableInfo

TODAY = date(2025, 3, 15)

CALLS = TableInfo(
    name="calls",
    row_count=5000,
    columns=[
        ColumnInfo("Call Date", "date", samples=["2024-01-01", "2024-06-30"], distinct_count=180),
        ColumnInfo("Wait Time", "decimal", samples=[1.5, 3.2, 8.0], distinct_count=500),
        ColumnInfo("Handle Time", "decimal", samples=[4.5, 6.2, 9.0], distinct_count=500),
        ColumnInfo("Update Count", "integer", samples=[1, 2, 3], distinct_count=20),
        ColumnInfo("Agent", "text", samples=["Ann", "Bob"], distinct_count=12),
    ],
)
# The NLV cars table with descriptive names (the --rename check), its acceleration a "time".
CARS = TableInfo(
    name="cars",
    row_count=400,
    columns=[
        ColumnInfo("Car Name", "text", samples=["chevrolet chevelle", "buick skylark"], distinct_count=300),
        ColumnInfo("Power", "integer", samples=[130, 165, 150], distinct_count=90),
        ColumnInfo("Zero To Sixty Time", "decimal", samples=[12.0, 11.5, 10.5], distinct_count=90),
        ColumnInfo("Model Year", "integer", samples=[70, 71, 72, 73, 80, 82], distinct_count=13),
        ColumnInfo("Region", "text", samples=["USA", "Europe", "Japan"], distinct_count=3),
    ],
)


def _plan(question: str, table: TableInfo) -> tuple[list[tuple], list[str]]:
    plan = plan_question(question, table, source_id=1, now=TODAY)
    assert isinstance(plan, Plan), plan
    return [(m.agg, m.field) for m in plan.query.measures], [d.field for d in plan.query.dimensions]


@pytest.mark.parametrize(
    ("question", "measures", "dims"),
    [
        ("average wait time over time", [("avg", "Wait Time")], ["Call Date"]),
        ("total handle time over the years", [("sum", "Handle Time")], ["Call Date"]),
        ("how has wait time changed through time", [("sum", "Wait Time")], ["Call Date"]),
        ("records across time", [("count", None)], ["Call Date"]),
        ("records over time by agent", [("count", None)], ["Call Date", "Agent"]),
    ],
)
def test_over_time_is_the_date_axis_not_a_time_column(question, measures, dims):
    assert _plan(question, CALLS) == (measures, dims)


@pytest.mark.parametrize(
    ("question", "measures", "dims"),
    [
        ("average power over time", [("avg", "Power")], ["Model Year"]),
        ("cars over time", [("count", None)], ["Model Year"]),
        ("number of cars over time by region", [("count", None)], ["Model Year", "Region"]),
        ("power over the years", [("avg", "Power")], ["Model Year"]),
    ],
)
def test_over_time_on_a_renamed_table_is_its_year_column_not_the_zero_to_sixty_time(question, measures, dims):
    assert _plan(question, CARS) == (measures, dims)


def test_all_time_and_at_the_time_ask_for_no_time_axis():
    measures, dims = _plan("agents with the most records of all time", CALLS)
    assert (measures, dims) == ([("count", None)], ["Agent"])
    measures, dims = _plan("wait time by agent at the time", CALLS)
    assert dims == ["Agent"]
    assert measures[0][1] == "Wait Time"


def test_a_column_named_in_full_is_not_an_aggregation_word():
    # "count" inside "Update Count" names the column; the question asks for its total over time.
    assert _plan("update count over time", CALLS) == ([("sum", "Update Count")], ["Call Date"])


def test_a_column_called_just_time_is_still_named_by_the_idiom():
    idioms = read_idioms(["average", "speed", "over", "time"])
    assert idioms == [(2, 4, "over time")]
    assert idiom_positions(idioms, ["Time", "Speed"]) == set()
    assert idiom_positions(idioms, ["Wait Time", "Speed"]) == {2, 3}
