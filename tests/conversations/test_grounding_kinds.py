# SPDX-License-Identifier: MIT
"""Kinds of wording the planner grounds generally: a bare row noun before a grouping counts rows, a verb
after its subject is not a column, "profitable" asks for the margin, and "count" or "total" alone never
name a column that merely contains the word."""

from __future__ import annotations

import datetime as dt
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


TEAMS_CSV = "order_date,team,region,revenue\n" + "".join(
    f"2025-0{1 + i % 3}-1{i % 9},{team},{region},{100 + 7 * i}\n"
    for i, (team, region) in enumerate(
        [("Alpha", "North"), ("Beta", "South"), ("Gamma", "North"), ("Alpha", "South"), ("Beta", "North")] * 4
    )
)


@pytest.mark.parametrize(
    ("question", "left_out"),
    [
        ("total revenue by team excluding Alpha", ["Alpha"]),
        ("total revenue by team except Alpha", ["Alpha"]),
        ("total revenue by team without Alpha", ["Alpha"]),
        ("total revenue by team where team is not Alpha", ["Alpha"]),
        ("total revenue by team, excluding team Alpha", ["Alpha"]),
        ("total revenue by team other than Alpha and Beta", ["Alpha", "Beta"]),
    ],
)
def test_values_left_out_are_left_out(alpha, settings, question, left_out):
    settings.AISER_LLM_MODEL = ""
    ask = conversation_on(alpha.client(), TEAMS_CSV, file_name="teams.csv")
    answer = ask(question)
    frame = pd.read_csv(io.StringIO(TEAMS_CSV))
    gold = frame[~frame.team.isin(left_out)].groupby("team").revenue.sum().to_dict()
    got = {row[0]: row[1] for row in answer["data"]["rows"]}
    assert got == pytest.approx(gold)
    assert "not" in answer["explanation"]


def test_arithmetic_the_rules_cannot_build_is_refused_not_drawn_as_another_chart():
    answer = plan_question("revenue minus cost by month", sales_table(), source_id=1, history=[], now=NOW)
    assert not isinstance(answer, Plan)
    assert "arithmetic" in answer.message


@pytest.mark.parametrize("written", ["2025-03", "03/2025"])
def test_a_month_written_with_digits_is_that_month(written):
    plan = _plan(f"average revenue by product in {written}")
    assert "March 2025" in plan.explanation
    (period,) = [f for f in plan.query.filters if f.field == "order_date"]
    assert period.op == "between"
    assert period.value == ["2025-03-01", "2025-04-01"] or str(period.value[0]).startswith("2025-03-01")


def test_of_a_word_nothing_explains_is_asked_about(ask):
    answer = ask("total amount of premium customers")
    assert answer["clarification"] is not None
    assert "\u201cpremium\u201d" in answer["clarification"]["message"]


PAID_CSV = "order_date,region,revenue,paid\n" + "".join(
    f"2025-0{1 + i % 3}-1{i % 9},{['North', 'South'][i % 2]},{50 + 3 * i},{'true' if i % 3 else 'false'}\n"
    for i in range(30)
)


@pytest.mark.parametrize(
    ("question", "keep"),
    [
        ("total revenue by region for paid orders", True),
        ("total revenue by region excluding paid orders", False),
    ],
)
def test_a_true_false_column_before_the_rows_filters_them(alpha, settings, question, keep):
    settings.AISER_LLM_MODEL = ""
    ask = conversation_on(alpha.client(), PAID_CSV, file_name="sales.csv")
    answer = ask(question)
    frame = pd.read_csv(io.StringIO(PAID_CSV))
    gold = frame[frame.paid == keep].groupby("region").revenue.sum().to_dict()
    assert {row[0]: row[1] for row in answer["data"]["rows"]} == pytest.approx(gold)


COVERAGE_CSV = "order_date,team,revenue\n" + "".join(
    f"{day},{team},{amount}\n"
    for day, team, amount in [
        ("2025-01-05", "Alpha", 10),
        ("2025-02-10", "Beta", 20),
        ("2025-03-03", "Alpha", 30),
        ("2025-03-27", "Beta", 40),
        ("2025-04-18", "Alpha", 50),
    ]
)


def test_the_data_stops_only_where_the_data_stops(alpha, settings):
    settings.AISER_LLM_MODEL = ""
    ask = conversation_on(
        alpha.client(), COVERAGE_CSV, file_name="coverage.csv", at=dt.datetime(2025, 12, 1, 12, 0)
    )
    march = ask("total revenue by team in March 2025")
    assert {row[0]: row[1] for row in march["data"]["rows"]} == {"Alpha": 30, "Beta": 40}
    assert "stops" not in march["content"]  # the data runs on into April
    year = ask("total revenue by month in 2025")
    assert "The data stops on 18 Apr 2025" in year["content"]
