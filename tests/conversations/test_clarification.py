# SPDX-License-Identifier: MIT
"""Questions that cannot be grounded in the table get a short clarifying question, not a wrong chart."""

from __future__ import annotations

from datetime import date

from chat2chart.conversations.planner import Clarification, Plan, plan_question
from chat2chart.sources.catalogue import ColumnInfo, TableInfo


def sales_table() -> TableInfo:
    return TableInfo(
        name="sales",
        row_count=5000,
        columns=[
            ColumnInfo("order_date", "date", samples=["2023-01-03", "2024-11-30"], distinct_count=700),
            ColumnInfo("region", "text", samples=["Europe", "North America"], distinct_count=4),
            ColumnInfo("channel", "text", samples=["Online", "Retail"], distinct_count=3),
            ColumnInfo("quantity", "integer", samples=[1, 2, 3, 5, 10], distinct_count=20),
            ColumnInfo("revenue", "decimal", samples=[19.99, 250.0, 1299.0], distinct_count=3000),
        ],
    )


def ask(question: str) -> Plan | Clarification:
    return plan_question(question, sales_table(), source_id=1, now=date(2025, 3, 15))


def test_a_question_about_nothing_in_the_table_asks_which_column():
    result = ask("what will the weather be in Paris tomorrow")
    assert isinstance(result, Clarification)
    assert "sales" in result.message
    assert "revenue" in result.message


def test_an_unknown_measure_is_named_in_the_question_back():
    result = ask("total profit by region")
    assert isinstance(result, Clarification)
    assert "profit" in result.message


def test_suggested_rewrites_are_questions_the_planner_can_answer():
    result = ask("show me the moon phases")
    assert isinstance(result, Clarification)
    assert 2 <= len(result.suggestions) <= 4
    for suggestion in result.suggestions:
        assert isinstance(ask(suggestion), Plan), suggestion


def test_a_grounded_question_is_not_sent_back():
    assert isinstance(ask("revenue by region"), Plan)
    assert isinstance(ask("how many rows in Europe"), Plan)
