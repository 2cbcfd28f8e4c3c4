# SPDX-License-Identifier: MIT
"""Chart titles come from what the query computes, with the columns' display titles; never the question."""

from __future__ import annotations

import pytest

from chat2chart.charts.titles import MAX_TITLE_CHARS, clean_title, column_title, query_title, result_title
from chat2chart.conversations.planner import Plan, plan_question
from chat2chart.sources.catalogue import ColumnInfo, TableInfo
from chat2chart.sources.semantic import SemanticQuery


def _query(**parts: object) -> SemanticQuery:
    return SemanticQuery.parse({"source": 1, "table": "orders", **parts})


def orders_table() -> TableInfo:
    return TableInfo(
        name="orders",
        row_count=100,
        columns=[
            ColumnInfo("region", "text", samples=["North", "South"], distinct_count=4),
            ColumnInfo("amount", "decimal", samples=[10.5, 99.0], distinct_count=90),
            ColumnInfo("order_date", "date", samples=["2024-01-03"], distinct_count=80),
        ],
    )


def test_a_misspelt_question_gets_the_title_of_what_was_computed():
    plan = plan_question("Totl amout by regoin", orders_table(), source_id=1)
    assert isinstance(plan, Plan)
    assert query_title(plan.query) == "Total amount by region"
    assert "regoin" not in (plan.title or query_title(plan.query))


@pytest.mark.parametrize(
    ("parts", "labels", "title"),
    [
        (
            {"measures": [{"field": "amount"}], "dimensions": [{"field": "region"}]},
            {},
            "Total amount by region",
        ),
        (
            {"measures": [{"field": "amt_eur", "agg": "avg"}], "dimensions": [{"field": "rgn"}]},
            {"amt_eur": "Amount (EUR)", "rgn": "Sales region"},
            "Average Amount (EUR) by Sales region",
        ),
        ({"measures": [{"agg": "count"}]}, {}, "Number of rows"),
        (
            {
                "measures": [{"field": "customer_id", "agg": "count_distinct"}],
                "dimensions": [{"field": "order_date", "granularity": "month"}],
            },
            {},
            "Number of distinct customer id by order date (month)",
        ),
        ({"measures": [{"field": "total_amount"}]}, {}, "Total amount"),
        (
            {
                "measures": [{"field": "amount"}, {"field": "quantity", "agg": "max"}],
                "dimensions": [{"field": "region"}, {"field": "channel"}],
            },
            {},
            "Total amount and Maximum quantity by region, split by channel",
        ),
    ],
)
def test_query_titles_name_measures_and_groupings_with_display_titles(parts, labels, title):
    assert query_title(_query(**parts), labels) == title


def test_column_titles_read_as_words():
    assert column_title("order_date") == "order date"
    assert column_title("orderDate") == "order date"
    assert column_title("region", {"region": "  Sales   region "}) == "Sales region"


def test_a_result_without_a_query_is_named_by_its_columns():
    columns = [{"name": "region", "role": "dimension"}, {"name": "sum_amount", "role": "measure"}]
    assert result_title(columns) == "Sum amount by region"
    assert result_title([]) == "Untitled chart"


def test_titles_are_one_capitalised_line_cut_at_a_word():
    assert clean_title("  total\n amount  ") == "Total amount"
    long = clean_title("word " * 100)
    assert len(long) <= MAX_TITLE_CHARS
    assert long.endswith("word…")
    assert clean_title("") == ""
