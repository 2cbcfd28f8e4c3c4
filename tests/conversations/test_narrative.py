# SPDX-License-Identifier: MIT
"""The offline narrative under a chart, and the suggested questions the rule planner can answer."""

from __future__ import annotations

from datetime import date

from chat2chart.conversations.narrative import (
    first_questions,
    format_number,
    suggest_followups,
    write_narrative,
)
from chat2chart.conversations.planner import Plan, PlanTurn, plan_question
from chat2chart.sources.catalogue import ColumnInfo, TableInfo
from chat2chart.sources.results import ResultSet

NOW = date(2025, 3, 15)


def sales_table() -> TableInfo:
    return TableInfo(
        name="sales",
        row_count=5000,
        columns=[
            ColumnInfo("order_date", "date", samples=["2023-01-03", "2024-11-30"], distinct_count=700),
            ColumnInfo("region", "text", samples=["Europe", "North America", "Asia"], distinct_count=3),
            ColumnInfo("channel", "text", samples=["Online", "Retail"], distinct_count=2),
            ColumnInfo("quantity", "integer", samples=[1, 2, 3, 5, 10], distinct_count=20),
            ColumnInfo("revenue", "decimal", samples=[19.99, 250.0, 1299.0], distinct_count=3000),
            ColumnInfo("cost", "decimal", samples=[9.5, 120.0], distinct_count=2800),
        ],
    )


def plan(question: str) -> Plan:
    result = plan_question(question, sales_table(), source_id=1, now=NOW)
    assert isinstance(result, Plan)
    return result


def test_numbers_are_formatted_for_reading():
    assert format_number(1_234_567) == "1.23M"
    assert format_number(12345) == "12,345"
    assert format_number(3.14159) == "3.14"
    assert format_number(0.0421) == "0.042"


def test_a_comparison_names_leader_bottom_total_and_share():
    text = write_narrative(
        plan("total revenue by region"),
        ResultSet.from_rows(
            [{"name": "region"}, {"name": "revenue"}],
            [["Europe", 600000.0], ["North America", 300000.0], ["Asia", 100000.0]],
        ),
    )
    assert "Europe leads with 600,000" in text
    assert "Asia is lowest with 100,000" in text
    assert "Total: 1M" in text
    assert "60%" in text


def test_a_top_n_answer_gives_the_share_of_the_groups_shown_not_of_everything():
    top = plan("top 2 regions by revenue")
    assert top.query.limit == 2
    text = write_narrative(
        top,
        ResultSet.from_rows(
            [{"name": "region"}, {"name": "revenue"}], [["Europe", 600000.0], ["North America", 300000.0]]
        ),
    )
    assert "2 groups shown" in text
    assert "These 2 together: 900,000" in text
    assert "Europe is 67% of these 2" in text  # 600,000 / 900,000
    assert "Total:" not in text
    assert "accounts for" not in text


def test_one_group_is_one_group():
    text = write_narrative(
        plan("total revenue by region"),
        ResultSet.from_rows([{"name": "region"}, {"name": "revenue"}], [["Europe", 600000.0]]),
    )
    assert "1 group)" in text
    assert "1 groups" not in text


def test_a_time_series_gives_the_change_from_first_to_last():
    text = write_narrative(
        plan("revenue by month"),
        ResultSet.from_rows(
            ["order_date_month", "revenue"],
            [["2024-01-01", 100.0], ["2024-02-01", 150.0], ["2024-03-01", 125.0]],
        ),
    )
    assert "from 100 (January 2024) to 125 (March 2024), +25%" in text  # periods named as people say them
    assert "Highest in February 2024 (150)" in text


def test_a_scatter_reports_the_direction_of_the_relationship():
    text = write_narrative(
        plan("revenue vs cost"),
        ResultSet.from_rows(["cost", "revenue"], [[1, 2], [2, 4.1], [3, 5.9], [4, 8.2]]),
    )
    assert "strong positive" in text


def test_a_kpi_and_an_empty_result_read_plainly():
    kpi = ResultSet.from_rows(["revenue"], [[1234.5]])
    assert write_narrative(plan("total revenue"), kpi) == "Total revenue: 1,234."
    assert "No rows" in write_narrative(plan("total revenue"), ResultSet.from_rows(["revenue"], []))


def test_suggested_followups_are_answerable_follow_ups():
    first = plan("total revenue by region")
    suggestions = suggest_followups(first, sales_table())
    assert len(suggestions) == 3
    history = [PlanTurn(question="total revenue by region", plan=first)]
    for suggestion in suggestions:
        assert isinstance(
            plan_question(suggestion, sales_table(), source_id=1, history=history, now=NOW), Plan
        )


def test_first_questions_come_from_the_columns_and_are_answerable():
    questions = first_questions(sales_table())
    assert len(questions) >= 3
    for question in questions:
        assert isinstance(plan(question), Plan), question


def test_first_questions_never_add_up_an_identifier_column():
    from chat2chart.conversations.narrative import first_questions
    from chat2chart.sources.catalogue import ColumnInfo, TableInfo

    table = TableInfo(
        "orders",
        [
            ColumnInfo("order_id", "integer", distinct_count=20_000),
            ColumnInfo("order_date", "date"),
            ColumnInfo("region", "text", samples=["Europe"], distinct_count=4),
            ColumnInfo("revenue", "decimal", distinct_count=19_000),
        ],
        row_count=20_000,
    )
    questions = first_questions(table)
    assert questions[0] == "Total revenue over time"
    assert not [q for q in questions if "order id" in q.lower()]


def test_weekday_numbers_are_told_as_day_names():
    from chat2chart.conversations.narrative import write_narrative
    from chat2chart.conversations.planner import plan_question
    from chat2chart.sources.catalogue import ColumnInfo, TableInfo

    columns = [ColumnInfo("date", "date"), ColumnInfo("bounce_rate", "decimal")]
    table = TableInfo("web", columns, row_count=730)
    plan = plan_question("average bounce rate by weekday", table, source_id=1)
    result_columns = [{"name": "date_weekday"}, {"name": "avg_bounce_rate"}]
    text = write_narrative(plan, ResultSet.from_rows(result_columns, [[1, 0.42], [6, 0.47]]))
    assert text.startswith("Sat leads")
    assert "Mon is lowest" in text


# --- right or refused ------------------------------------------------------------------------------------


def _trend_plan(field: str = "revenue") -> object:
    from chat2chart.conversations.planner import Plan
    from chat2chart.sources.semantic import SemanticQuery

    query = SemanticQuery.parse(
        {
            "source": 1,
            "table": "sales",
            "measures": [{"field": field, "agg": "sum"}],
            "dimensions": [{"field": "order_date", "granularity": "month"}],
        }
    )
    return Plan(intent="trend", query=query, chart_type="line", explanation="")


def test_incomplete_first_and_last_months_are_named_and_left_out_of_the_change():
    from datetime import date

    from chat2chart.conversations.narrative import Coverage, write_narrative
    from chat2chart.sources.results import ResultSet

    rows = [
        ["2024-11-01", 4319.0],
        ["2024-12-01", 1_500_000.0],
        ["2025-01-01", 1_650_000.0],
        ["2025-02-01", 20.0],
    ]
    result = ResultSet.from_rows(
        [{"name": "order_date_month", "type": "date"}, {"name": "revenue", "type": "decimal"}], rows
    )
    text = write_narrative(_trend_plan(), result, coverage=Coverage(date(2024, 11, 30), date(2025, 2, 1)))
    assert "November 2024 holds only 1 day of data (30 Nov 2024)" in text
    assert "February 2025 holds only 1 day of data (1 Feb 2025)" in text
    # The change is measured between the complete months only: 1.5M to 1.65M is +10 %.
    assert "from 1.5M (December 2024) to 1.65M (January 2025), +10%" in text
    assert "42132" not in text


def test_a_share_of_the_total_is_never_claimed_when_a_group_is_negative():
    from chat2chart.conversations.narrative import write_narrative
    from chat2chart.conversations.planner import Plan
    from chat2chart.sources.results import ResultSet
    from chat2chart.sources.semantic import SemanticQuery

    query = SemanticQuery.parse(
        {
            "source": 1,
            "table": "t",
            "measures": [{"field": "profit", "agg": "sum"}],
            "dimensions": [{"field": "unit"}],
        }
    )
    plan = Plan(intent="comparison", query=query, chart_type="column", explanation="")
    result = ResultSet.from_rows(
        [{"name": "unit", "type": "text"}, {"name": "profit", "type": "decimal"}],
        [["Sales", 200.0], ["Support", -100.0]],
    )
    text = write_narrative(plan, result)
    assert "accounts for" not in text
    assert "1 of the 2 groups are below zero" in text


def test_an_all_empty_column_says_it_has_no_values_and_empty_groups_are_named():
    from chat2chart.conversations.narrative import write_narrative
    from chat2chart.conversations.planner import Plan
    from chat2chart.sources.results import ResultSet
    from chat2chart.sources.semantic import SemanticQuery

    query = SemanticQuery.parse(
        {
            "source": 1,
            "table": "t",
            "measures": [{"field": "score", "agg": "avg"}],
            "dimensions": [{"field": "category"}],
        }
    )
    plan = Plan(intent="comparison", query=query, chart_type="column", explanation="")
    empty = ResultSet.from_rows(
        [{"name": "category", "type": "text"}, {"name": "avg_score", "type": "decimal"}],
        [["A", None], ["B", None]],
    )
    assert "has no values" in write_narrative(plan, empty)
    assert "None leads" not in write_narrative(plan, empty)
    with_empty_group = ResultSet.from_rows(
        [{"name": "category", "type": "text"}, {"name": "avg_score", "type": "decimal"}],
        [[None, 4.0], ["B", 2.0]],
    )
    assert "(empty) leads with 4" in write_narrative(plan, with_empty_group)


def test_year_over_year_compares_the_same_months_and_never_adds_the_years_up():
    from chat2chart.conversations.narrative import write_narrative
    from chat2chart.conversations.planner import Plan
    from chat2chart.sources.results import ResultSet
    from chat2chart.sources.semantic import SemanticQuery

    query = SemanticQuery.parse(
        {
            "source": 1,
            "table": "t",
            "measures": [{"field": "revenue", "agg": "sum"}],
            "dimensions": [
                {"field": "order_date", "granularity": "month_of_year"},
                {"field": "order_date", "granularity": "year", "alias": "order_date_year"},
            ],
        }
    )
    plan = Plan(intent="trend", query=query, chart_type="multi_line", explanation="")
    rows = [
        [1, "2024-01-01", 100.0],
        [2, "2024-01-01", 100.0],
        [3, "2024-01-01", 100.0],
        [1, "2025-01-01", 150.0],
    ]
    result = ResultSet.from_rows(
        [
            {"name": "order_date_month_of_year", "type": "integer"},
            {"name": "order_date_year", "type": "date"},
            {"name": "revenue", "type": "decimal"},
        ],
        rows,
    )
    text = write_narrative(plan, result)
    assert "was 150 in 2025 against 100 in 2024 (+50%)" in text  # January only, the month both years hold
