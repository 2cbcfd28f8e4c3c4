# SPDX-License-Identifier: MIT
"""Follow-up questions change the previous plan instead of starting a new one."""

from __future__ import annotations

from datetime import date

from chat2chart.conversations.planner import Plan, PlanTurn, plan_question
from chat2chart.sources.catalogue import ColumnInfo, TableInfo

NOW = date(2025, 3, 15)


def sales_table() -> TableInfo:
    return TableInfo(
        name="sales",
        row_count=5000,
        columns=[
            ColumnInfo("order_date", "date", samples=["2023-01-03", "2024-11-30"], distinct_count=700),
            ColumnInfo(
                "region", "text", samples=["Europe", "North America", "Asia Pacific"], distinct_count=4
            ),
            ColumnInfo("country", "text", samples=["France", "Germany", "Japan"], distinct_count=24),
            ColumnInfo("product", "text", samples=["Laptop Pro", "Desk Chair"], distinct_count=60),
            ColumnInfo("category", "text", samples=["Laptops", "Furniture", "Monitors"], distinct_count=6),
            ColumnInfo("channel", "text", samples=["Online", "Retail", "Partner"], distinct_count=3),
            ColumnInfo("quantity", "integer", samples=[1, 2, 3, 5, 10], distinct_count=20),
            ColumnInfo("revenue", "decimal", samples=[19.99, 250.0, 1299.0], distinct_count=3000),
            ColumnInfo("cost", "decimal", samples=[9.5, 120.0, 900.0], distinct_count=2800),
        ],
    )


def conversation(*questions: str) -> Plan:
    table = sales_table()
    history: list[PlanTurn] = []
    result = None
    for question in questions:
        result = plan_question(question, table, source_id=1, history=history, now=NOW)
        assert isinstance(result, Plan), result
        history.append(PlanTurn(question=question, plan=result))
    assert isinstance(result, Plan)
    return result


def dims(plan: Plan) -> list[tuple[str, str | None]]:
    return [(d.field, d.granularity) for d in plan.query.dimensions]


def measures(plan: Plan) -> list[tuple[str, str | None]]:
    return [(m.agg, m.field) for m in plan.query.measures]


def filters(plan: Plan) -> list[tuple]:
    return [(f.field, f.op, f.value) for f in plan.query.filters]


def test_now_by_region_replaces_the_grouping():
    plan = conversation("total revenue by channel", "now by region")
    assert measures(plan) == [("sum", "revenue")]
    assert dims(plan) == [("region", None)]


def test_only_2024_adds_a_period_filter_and_keeps_the_rest():
    plan = conversation("revenue by month", "only 2024")
    assert dims(plan) == [("order_date", "month")]
    assert filters(plan) == [("order_date", "between", ["2024-01-01", "2024-12-31"])]


def test_as_a_pie_changes_only_the_chart():
    plan = conversation("total revenue by channel", "as a pie")
    assert plan.chart_type == "pie"
    assert dims(plan) == [("channel", None)]


def test_top_10_instead_ranks_the_previous_plan():
    plan = conversation("revenue by product", "top 10 instead")
    assert plan.query.limit == 10
    assert [(o.field, o.dir) for o in plan.query.order] == [("revenue", "desc")]
    assert dims(plan) == [("product", None)]


def test_compare_with_last_year_adds_a_year_over_year_comparison():
    plan = conversation("revenue by month", "compare with last year")
    assert dims(plan) == [("order_date", "month_of_year"), ("order_date", "year")]
    assert ("order_date", "gte", "2024-01-01") in filters(plan)


def test_what_about_revenue_swaps_the_measure():
    plan = conversation("total quantity by region", "what about revenue?")
    assert measures(plan) == [("sum", "revenue")]
    assert dims(plan) == [("region", None)]


def test_and_for_europe_replaces_the_region_filter():
    plan = conversation("revenue by category in North America", "and for Europe?")
    assert filters(plan) == [("region", "eq", "Europe")]
    assert dims(plan) == [("category", None)]


def test_colour_by_adds_a_series_and_keeps_the_chart_kind():
    plan = conversation("revenue by month as a line chart", "color by channel")
    assert dims(plan) == [("order_date", "month"), ("channel", None)]
    assert plan.chart_type == "multi_line"


def test_a_complete_new_question_starts_fresh():
    plan = conversation("total revenue by channel", "average cost by country")
    assert measures(plan) == [("avg", "cost")]
    assert dims(plan) == [("country", None)]
    assert filters(plan) == []


def test_a_complete_new_question_does_not_inherit_the_previous_filters():
    plan = conversation("top 5 products by revenue in 2024", "how many orders per weekday")
    assert measures(plan) == [("count", None)]
    assert dims(plan) == [("order_date", "weekday")]
    assert filters(plan) == []
    assert plan.query.limit is None or plan.query.limit > 5


def test_a_new_question_naming_its_own_measure_and_grouping_starts_fresh():
    plan = conversation("top 5 products by revenue in 2024", "show average order value per channel")
    assert measures(plan) == [("avg", "revenue")]
    assert dims(plan) == [("channel", None)]
    assert filters(plan) == []


def test_what_about_still_edits_the_previous_answer():
    plan = conversation("total revenue by region in 2024", "what about cost?")
    assert measures(plan) == [("sum", "cost")]
    assert dims(plan) == [("region", None)]
    assert {f[0] for f in filters(plan)} == {"order_date"}  # "in 2024" is kept


def test_a_measure_by_a_time_part_is_a_new_question():
    plan = conversation("weekly revenue in 2024", "average cost by weekday")
    assert measures(plan) == [("avg", "cost")]
    assert dims(plan) == [("order_date", "weekday")]
    assert filters(plan) == []
    assert plan.chart_type in {"column", "bar"}  # buckets to compare, not a line through time
