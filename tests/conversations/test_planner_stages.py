# SPDX-License-Identifier: MIT
"""The rule planner's four stages, each on its own: read the words, ground them in the table, decide the
shape, build the plan (`chat2chart/conversations/planner/stages.py`, docs/planner.md)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from chat2chart.conversations.planner import Clarification, Plan, PlanTurn, plan_question
from chat2chart.conversations.planner.stages import Decision, decide, finish, ground
from chat2chart.conversations.planner.words import read_words
from chat2chart.sources.catalogue import ColumnInfo, TableInfo

TODAY = date(2025, 3, 15)

SALES = TableInfo(
    name="sales",
    row_count=1000,
    columns=[
        ColumnInfo("order_date", "date", samples=["2023-01-03", "2025-03-01"], distinct_count=700),
        ColumnInfo("region", "text", samples=["North", "South", "East"], distinct_count=3),
        ColumnInfo("revenue", "decimal", samples=[19.99, 250.0], distinct_count=900),
        ColumnInfo("cost", "decimal", samples=[9.5, 120.0], distinct_count=900),
    ],
)
CALLS = TableInfo(
    name="calls",
    row_count=5000,
    columns=[
        ColumnInfo("Call Date", "date", samples=["2024-01-01", "2024-06-30"], distinct_count=180),
        ColumnInfo("Wait Time", "decimal", samples=[1.5, 3.2, 8.0], distinct_count=500),
        ColumnInfo("Team", "text", samples=["Alpha", "Beta"], distinct_count=2),
    ],
)


# --- stage 1: the words, without a table ---------------------------------------------------------------


def test_the_words_are_read_without_the_table():
    words = read_words("Average wait time over time in March, as a line chart")

    assert words.tokens[:3] == ("average", "wait", "time")
    assert [p[2] for p in words.idioms] == ["over time"]
    assert [p[2] for p in words.aggs] == ["average"]
    assert [p[2] for p in words.charts] == ["line chart"]
    assert [(p.unit, p.year, p.index) for p in words.time.periods] == [("month", None, 3)]
    assert words.analytics is None


def test_the_words_are_frozen_and_name_an_analytics_question():
    words = read_words("forecast revenue for next quarter")
    assert words.analytics is not None
    assert words.analytics.kind == "forecast"
    with pytest.raises(dataclasses.FrozenInstanceError):
        words.tokens = ()  # type: ignore[misc]


# --- stage 2: grounding ----------------------------------------------------------------------------------


def test_the_same_words_ground_differently_in_two_tables_and_stay_unchanged():
    words = read_words("average wait time over time")
    spans_before = set(words.time.spans)

    in_calls = ground(words, CALLS, now=TODAY)
    in_sales = ground(words, SALES, now=TODAY)

    assert [m.column for m in in_calls.reading.mentions] == ["Wait Time"]
    assert in_calls.unresolved == ()
    assert [m.column for m in in_sales.reading.mentions] == ["order_date"]  # "time": the sales date
    assert "wait" in in_sales.unresolved
    assert words.time.spans == spans_before  # grounding works on its own copy


def test_grounding_sets_calculation_words_aside_and_dates_periods_against_the_data():
    grounding = ground(
        read_words("revenue per order by region in March"),
        SALES,
        now=date(2026, 11, 15),
        last_date=lambda column: date(2025, 12, 31),
    )

    assert grounding.calculation is not None
    assert grounding.calculation.kind == "ratio"
    assert "order" not in grounding.unresolved
    assert grounding.period_notes == ("March 2025, the latest March in the data",)


# --- stage 3: deciding the shape ------------------------------------------------------------------------


def _turn(question: str) -> PlanTurn:
    plan = plan_question(question, SALES, source_id=1, now=TODAY)
    assert isinstance(plan, Plan)
    return PlanTurn(question=question, plan=plan)


def _decide(question: str, history: list[PlanTurn]) -> Decision | Clarification:
    return decide(ground(read_words(question), SALES, now=TODAY), SALES, history=history, now=TODAY)


def test_a_question_with_its_own_measure_and_grouping_stands_alone():
    decision = _decide("total cost by region", [_turn("revenue by month")])
    assert isinstance(decision, Decision)
    assert decision.route == "fresh"
    assert [d.field for d in decision.shape.dims] == ["region"]


def test_a_real_follow_up_changes_the_previous_shape():
    decision = _decide("only 2024", [_turn("total revenue by region")])
    assert isinstance(decision, Decision)
    assert decision.route == "follow_up"
    assert [m.field for m in decision.shape.measures] == ["revenue"]
    assert decision.shape.filters[0].value == ["2024-01-01", "2024-12-31"]


def test_another_analysis_of_the_same_measure_keeps_it():
    decision = _decide("anomalies instead", [_turn("forecast revenue for next quarter")])
    assert isinstance(decision, Decision)
    assert decision.route == "reanalysis"
    assert [m.field for m in decision.shape.measures] == ["revenue"]


def test_arithmetic_the_rules_cannot_build_is_a_clarification():
    assert isinstance(_decide("revenue minus cost by month", []), Clarification)


# --- stage 4: building the plan -------------------------------------------------------------------------


def test_building_names_what_was_computed_and_leaves_the_decision_unchanged():
    grounding = ground(read_words("total revenue by region in Q1 2024"), SALES, now=TODAY)
    decision = decide(grounding, SALES, history=[], now=TODAY)
    assert isinstance(decision, Decision)
    before = decision.shape.copy()

    plan = finish(decision, grounding, SALES, source_id=7, now=TODAY)

    assert plan.title == "Total revenue by region, Q1 2024"
    assert plan.query.source == 7
    assert decision.shape == before


def test_a_follow_up_keeps_the_chart_the_user_had():
    previous = _turn("total revenue by month as an area chart")
    grounding = ground(read_words("only 2024"), SALES, now=TODAY)
    decision = decide(grounding, SALES, history=[previous], now=TODAY)
    assert isinstance(decision, Decision)

    plan = finish(decision, grounding, SALES, source_id=1, now=TODAY)

    assert plan.chart_type == previous.plan.chart_type == "area"
    assert plan.query.filters[0].value == ["2024-01-01", "2024-12-31"]
