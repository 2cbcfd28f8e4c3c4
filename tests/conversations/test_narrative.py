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


def test_a_time_series_gives_the_change_from_first_to_last():
    text = write_narrative(
        plan("revenue by month"),
        ResultSet.from_rows(
            ["order_date_month", "revenue"],
            [["2024-01-01", 100.0], ["2024-02-01", 150.0], ["2024-03-01", 125.0]],
        ),
    )
    assert "from 100 (2024-01-01) to 125 (2024-03-01), +25%" in text
    assert "Highest in 2024-02-01 (150)" in text


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
