# SPDX-License-Identifier: MIT
"""Questions are answered, or honestly refused: words the table has no column for get a clarifying
question that names them, analytics questions get a plainly labelled closest chart, questions that name
their own calculation start fresh after another question, and chart-building steps build one chart."""

from __future__ import annotations

from datetime import date

import pytest

from chat2chart.conversations.planner import Clarification, Plan, PlanTurn, plan_question
from chat2chart.sources.catalogue import ColumnInfo, TableInfo

TODAY = date(2025, 3, 15)


def sales() -> TableInfo:
    return TableInfo(
        name="sales",
        row_count=5000,
        columns=[
            ColumnInfo("order_date", "date", samples=["2023-01-03", "2025-03-01"], distinct_count=700),
            ColumnInfo("region", "text", samples=["Europe", "Asia"], distinct_count=4),
            ColumnInfo("product", "text", samples=["Laptop Pro", "Desk Chair"], distinct_count=60),
            ColumnInfo("category", "text", samples=["Laptops", "Furniture"], distinct_count=6),
            ColumnInfo("channel", "text", samples=["Online", "Retail"], distinct_count=3),
            ColumnInfo("revenue", "decimal", samples=[19.99, 250.0, 1299.0], distinct_count=3000),
            ColumnInfo("cost", "decimal", samples=[9.5, 120.0, 900.0], distinct_count=2800),
        ],
    )


def conversation(*questions: str) -> Plan | Clarification:
    history: list[PlanTurn] = []
    result: Plan | Clarification | None = None
    for question in questions:
        result = plan_question(question, sales(), source_id=1, history=history, now=TODAY)
        if isinstance(result, Plan):
            history.append(PlanTurn(question=question, plan=result))
    assert result is not None
    return result


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("Which supplier has the best delivery times?", ["supplier", "delivery"]),
        ("what is the average rating by store", ["store"]),
        ("average delivery time by region", ["delivery"]),
    ],
)
def test_words_the_table_has_no_column_for_are_named_instead_of_drawing_another_chart(question, missing):
    answer = plan_question(question, sales(), source_id=1, now=TODAY)
    assert isinstance(answer, Clarification)
    for word in missing:
        assert f"\u201c{word}\u201d" in answer.message
    assert answer.suggestions


def test_money_words_mean_the_revenue_column():
    plan = plan_question("how much money did we make by region", sales(), source_id=1, now=TODAY)
    assert isinstance(plan, Plan)
    assert [(m.agg, m.field) for m in plan.query.measures] == [("sum", "revenue")]
    assert "region" in [d.field for d in plan.query.dimensions]


@pytest.mark.parametrize(
    ("question", "analysis"),
    [
        ("why did revenue drop in March", "drivers"),
        ("what is interesting in this table", "insights"),
    ],
)
def test_why_and_interesting_questions_go_to_the_analytics_engine(question, analysis):
    plan = plan_question(question, sales(), source_id=1, now=TODAY)
    assert isinstance(plan, Plan)
    assert plan.analysis == analysis
    assert plan.query.dimensions[0].field == "order_date"  # the measure over time
    assert not plan.query.filters  # the whole history, so the change can be seen


@pytest.mark.parametrize(
    ("question", "analysis", "horizon"),
    [
        ("forecast revenue for next quarter", "forecast", (1, "quarter")),
        ("forecast revenue for the next 6 months", "forecast", (6, "month")),
        ("anything unusual in revenue?", "anomalies", (None, None)),
    ],
)
def test_forecast_and_anomaly_questions_go_to_the_analytics_engine(question, analysis, horizon):
    plan = plan_question(question, sales(), source_id=1, now=TODAY)
    assert isinstance(plan, Plan)
    assert plan.analysis == analysis
    assert (plan.horizon, plan.horizon_unit) == horizon
    assert [(m.agg, m.field) for m in plan.query.measures] == [("sum", "revenue")]
    assert plan.query.dimensions[0].field == "order_date"
    assert not plan.explanation.startswith("Not yet")


def test_a_question_naming_its_own_calculation_starts_fresh():
    plan = conversation("revenue by month", "what is the margin by category")
    assert isinstance(plan, Plan)
    assert [d.field for d in plan.query.dimensions] == ["category"]
    assert [c.alias for c in plan.query.calculations] == ["margin"]


def test_a_why_question_after_a_chart_does_not_replay_it():
    plan = conversation("revenue by region", "why did revenue drop in March")
    assert isinstance(plan, Plan)
    assert plan.analysis == "drivers"
    assert [d.field for d in plan.query.dimensions] == ["order_date"]


def test_chart_building_steps_build_one_chart():
    plan = conversation("make a line chart", "put the date on x", "and revenue on y")
    assert isinstance(plan, Plan)
    assert plan.chart_type == "line"
    assert [d.field for d in plan.query.dimensions] == ["order_date"]
    assert [(m.agg, m.field) for m in plan.query.measures] == [("sum", "revenue")]


def test_the_three_fewest_are_the_three_lowest():
    plan = plan_question("the 3 fewest categories by revenue", sales(), source_id=1, now=TODAY)
    assert isinstance(plan, Plan)
    assert plan.query.limit == 3
    assert [(o.field, o.dir) for o in plan.query.order] == [("revenue", "asc")]


def test_over_time_means_the_date_column_not_a_column_named_time():
    calls = TableInfo(
        name="calls",
        row_count=5000,
        columns=[
            ColumnInfo("Call Date", "date", samples=["2024-01-01", "2024-06-30"], distinct_count=180),
            ColumnInfo("Wait Time", "decimal", samples=[1.5, 3.2, 8.0], distinct_count=500),
            ColumnInfo("Calls", "integer", samples=[3, 5, 9], distinct_count=40),
        ],
    )
    for question in ("calls over time", "number of records over time"):
        plan = plan_question(question, calls, source_id=1, now=TODAY)
        assert isinstance(plan, Plan)
        assert [d.field for d in plan.query.dimensions] == ["Call Date"], question
    plan = plan_question("average wait time over time", calls, source_id=1, now=TODAY)
    assert isinstance(plan, Plan)
    assert [(m.agg, m.field) for m in plan.query.measures] == [("avg", "Wait Time")]


def test_a_unit_in_a_list_of_groupings_is_the_dates_grain_and_samples_from_one_week_do_not_make_it_daily():
    orders = TableInfo(
        name="orders",
        row_count=20_000,
        columns=[
            # The ten samples come from the first rows of a sorted file: one week, of 730 distinct days.
            ColumnInfo(
                "order_date", "date", samples=[f"2023-01-0{d}" for d in range(1, 8)], distinct_count=730
            ),
            ColumnInfo("region", "text", samples=["North", "South"], distinct_count=4),
            ColumnInfo("revenue", "decimal", samples=[10.5, 99.0], distinct_count=9000),
        ],
    )
    plan = plan_question("total revenue by region and month", orders, source_id=1, now=TODAY)
    assert isinstance(plan, Plan)
    assert [(d.field, d.granularity) for d in plan.query.dimensions] == [
        ("order_date", "month"),
        ("region", None),
    ]
    plan = plan_question("revenue over time", orders, source_id=1, now=TODAY)
    assert isinstance(plan, Plan)
    # 730 distinct days: two years, read by week (issue 19's default grain), not by day.
    assert [(d.field, d.granularity) for d in plan.query.dimensions] == [("order_date", "week")]
