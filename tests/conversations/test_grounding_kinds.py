# SPDX-License-Identifier: MIT
"""Kinds of wording the planner grounds generally: a bare row noun before a grouping counts rows, a verb
after its subject is not a column, "profitable" asks for the margin, and "count" or "total" alone never
name a column that merely contains the word."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest

from chat2chart.conversations.planner import Plan, plan_question
from chat2chart.sources.catalogue import ColumnInfo, TableInfo
from tests.conversations.asking import conversation_on
from tests.conversations.test_followups import sales_table

NOW = date(2025, 3, 15)


def _plan(question: str, table: TableInfo | None = None) -> Plan:
    plan = plan_question(question, table or sales_table(), source_id=1, history=[], now=NOW)
    assert isinstance(plan, Plan), plan
    return plan


@pytest.mark.parametrize(
    ("question", "dimension"),
    [("orders per month", "order_date"), ("entries by region", "region"), ("records per channel", "channel")],
)
def test_a_bare_row_noun_before_a_grouping_counts_rows(question, dimension):
    query = _plan(question).query
    assert [(m.field, m.agg) for m in query.measures] == [(None, "count")]
    assert [d.field for d in query.dimensions] == [dimension]


def test_a_verb_after_its_subject_is_not_a_column():
    query = _plan("how much money did we make by region").query
    assert [d.field for d in query.dimensions] == ["region"]
    assert [(m.field, m.agg) for m in query.measures] == [("revenue", "sum")]


def test_profitable_asks_for_the_margin():
    plan = _plan("how profitable is each category")
    assert "Margin" in plan.explanation
    assert [d.field for d in plan.query.dimensions] == ["category"]


def test_count_alone_does_not_name_a_column_containing_it():
    table = TableInfo(
        name="cars",
        row_count=400,
        columns=[
            ColumnInfo("origin", "text", samples=["USA", "Japan"], distinct_count=3),
            ColumnInfo("cylinder_count", "integer", samples=[4, 6, 8], distinct_count=5),
        ],
    )
    query = _plan("count by origin", table).query
    assert [(m.field, m.agg) for m in query.measures] == [(None, "count")]
    assert [d.field for d in query.dimensions] == ["origin"]


ORDERS_CSV = "order_id,country,amount\n" + "".join(
    f"{i},{country},{10 + i}\n"
    for i, country in enumerate(["FR"] * 5 + ["DE"] * 4 + ["ES"] * 3 + ["IT"] * 2 + ["PT"] * 1)
)


@pytest.fixture
def ask(alpha, settings):
    settings.AISER_LLM_MODEL = ""
    return conversation_on(alpha.client(), ORDERS_CSV, file_name="orders.csv")


def test_the_n_fewest_limits_to_n_groups(ask):
    answer = ask("the 3 countries with the fewest orders")
    gold = pd.read_csv(io.StringIO(ORDERS_CSV)).country.value_counts().nsmallest(3)
    got = {row[0]: row[1] for row in answer["data"]["rows"]}
    assert got == gold.to_dict()


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("total amount for refunded orders", "refunded"),
        ("amount from premium customers by country", "premium"),
        ("total amount by country for paid orders", "paid"),
    ],
)
def test_a_word_narrowing_the_rows_that_nothing_explains_is_asked_about_not_dropped(ask, question, word):
    # Dropping it would total every order under a title that claims a subset.
    answer = ask(question)
    assert answer["clarification"] is not None, answer["explanation"]
    assert f"\u201c{word}\u201d" in answer["clarification"]["message"]
    assert not answer["data"]
