# SPDX-License-Identifier: MIT
"""Calculated measures (ratios, formulas, share of total, running totals, period-over-period change) give
the same numbers on DuckDB, PostgreSQL and MariaDB as pandas over the same rows; a division by zero is
empty, a missing previous period is empty, never a comparison with the wrong period."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from chat2chart.core.errors import QueryError
from chat2chart.sources.catalogue import ColumnInfo, TableInfo
from chat2chart.sources.compiler import compile_query
from chat2chart.sources.semantic import SemanticQuery
from tests.sources.engines import Runner, duck_engine, mysql_engine, pg_engine, run_on

NOW = datetime(2025, 3, 15, 12, 0)
TEST_DB = "aiser_src_test_calculations"
TABLE = TableInfo(
    name="orders",
    columns=[
        ColumnInfo("order_id", "integer"),
        ColumnInfo("customer", "text"),
        ColumnInfo("channel", "text"),
        ColumnInfo("revenue", "decimal"),
        ColumnInfo("cost", "decimal"),
        ColumnInfo("ordered_on", "date"),
    ],
)


def _rows() -> list[tuple[Any, ...]]:
    rows, order_id = [], 0
    # Two years of months, March 2024 missing entirely (a gap), some months with a loss.
    months = [date(2023, m, 1) for m in range(1, 13)] + [date(2024, m, 1) for m in range(1, 13) if m != 3]
    for index, month in enumerate(months):
        for n in range(1 + index % 4):
            order_id += 1
            channel = ["Online", "Retail", "Partner"][(index + n) % 3]
            revenue = Decimal(100 + (index * 37 + n * 11) % 250)
            cost = revenue * Decimal("0.6") if index % 5 else revenue * Decimal("1.2")
            day = month.replace(day=1 + (n * 7) % 27)
            rows.append(
                (order_id, f"c{(index + n) % 7}", channel, revenue, cost.quantize(Decimal("0.01")), day)
            )
    return rows


ROWS = _rows()
DDL = {
    "duckdb": "order_id INTEGER, customer VARCHAR, channel VARCHAR, revenue DECIMAL(10,2), "
    "cost DECIMAL(10,2), ordered_on DATE",
    "postgres": "order_id integer, customer text, channel text, revenue numeric(10,2), cost numeric(10,2), "
    "ordered_on date",
    "mysql": "order_id INT, customer VARCHAR(20), channel VARCHAR(20), revenue DECIMAL(10,2), "
    "cost DECIMAL(10,2), ordered_on DATE",
}
TABLES = {"orders": (DDL, ROWS)}
FRAME = pd.DataFrame(ROWS, columns=[c.name for c in TABLE.columns]).astype({"revenue": float, "cost": float})
FRAME["month"] = pd.to_datetime(FRAME.ordered_on).dt.to_period("M").dt.to_timestamp().dt.date


@pytest.fixture(scope="module")
def engines() -> Iterator[dict[str, Runner]]:
    with duck_engine(TABLES) as duck, pg_engine(TEST_DB, TABLES) as pg, mysql_engine(TEST_DB, TABLES) as my:
        yield {"duckdb": duck, "postgres": pg, "mysql": my}


def query(**fields: Any) -> SemanticQuery:
    return SemanticQuery.parse({"source": 1, "table": "orders", **fields})


def run(engines: dict[str, Runner], q: SemanticQuery) -> list[list[Any]]:
    return run_on(engines, q, TABLE, now=NOW)


def rounded(value: float | None) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 4)


def test_revenue_per_order_by_channel_divides_totals(engines):
    q = query(
        dimensions=[{"field": "channel"}],
        measures=[{"field": "revenue", "agg": "sum"}, {"agg": "count", "alias": "orders", "hidden": True}],
        calculations=[{"alias": "revenue_per_order", "formula": "revenue / orders"}],
        order=[{"field": "channel"}],
    )
    gold = FRAME.groupby("channel").revenue.agg(lambda s: s.sum() / len(s))
    assert run(engines, q) == [
        [c, rounded(FRAME[FRAME.channel == c].revenue.sum()), rounded(v)] for c, v in gold.items()
    ]


def test_margin_is_an_expression_over_totals(engines):
    q = query(
        dimensions=[{"field": "channel"}],
        measures=[{"field": "revenue", "agg": "sum"}, {"field": "cost", "agg": "sum"}],
        calculations=[
            {"alias": "margin", "formula": "(revenue - cost) / revenue"},
            {"alias": "profit", "formula": "revenue - cost"},
        ],
        order=[{"field": "channel"}],
    )
    totals = FRAME.groupby("channel")[["revenue", "cost"]].sum()
    gold = [
        [
            c,
            rounded(r.revenue),
            rounded(r.cost),
            rounded((r.revenue - r.cost) / r.revenue),
            rounded(r.revenue - r.cost),
        ]
        for c, r in totals.iterrows()
    ]
    assert run(engines, q) == gold


def test_division_by_zero_is_empty(engines):
    q = query(
        dimensions=[{"field": "channel"}],
        measures=[{"field": "revenue", "agg": "sum"}],
        calculations=[{"alias": "nonsense", "formula": "revenue / (revenue - revenue)"}],
        order=[{"field": "channel"}],
    )
    assert [row[-1] for row in run(engines, q)] == [None, None, None]


def test_share_of_total_divides_by_the_answer_total(engines):
    q = query(
        dimensions=[{"field": "channel"}],
        measures=[{"field": "revenue", "agg": "sum"}],
        calculations=[{"alias": "share", "kind": "share_of_total", "of": "revenue"}],
        order=[{"field": "channel"}],
    )
    totals = FRAME.groupby("channel").revenue.sum()
    assert run(engines, q) == [[c, rounded(v), rounded(v / totals.sum())] for c, v in totals.items()]


def test_running_total_of_orders_in_2024_starts_in_2024(engines):
    q = query(
        dimensions=[{"field": "ordered_on", "granularity": "month"}],
        measures=[{"agg": "count", "alias": "orders"}],
        calculations=[{"alias": "cumulative_orders", "kind": "running_total", "of": "orders"}],
        filters=[{"field": "ordered_on", "op": "between", "value": ["2024-01-01", "2024-12-31"]}],
    )
    in_2024 = FRAME[FRAME.ordered_on >= date(2024, 1, 1)]
    counts = in_2024.groupby("month").size()
    gold = [[m, int(n), int(c)] for (m, n), c in zip(counts.items(), counts.cumsum(), strict=True)]
    assert run(engines, q) == gold


def test_month_over_month_change_is_empty_after_a_missing_month(engines):
    q = query(
        dimensions=[{"field": "ordered_on", "granularity": "month"}],
        measures=[{"field": "revenue", "agg": "sum"}],
        calculations=[
            {"alias": "change", "kind": "difference", "of": "revenue"},
            {"alias": "growth", "kind": "percent_change", "of": "revenue"},
        ],
    )
    monthly = FRAME.groupby("month").revenue.sum()
    by_month = dict(monthly.items())
    gold = []
    for month, value in monthly.items():
        before = by_month.get((pd.Timestamp(month) - pd.DateOffset(months=1)).date())
        change = None if before is None else value - before
        gold.append(
            [month, rounded(value), rounded(change), rounded(None if before is None else change / before)]
        )
    rows = run(engines, q)
    assert rows == gold
    april = next(row for row in rows if row[0] == date(2024, 4, 1))
    assert april[2] is None  # March 2024 has no orders: April is not compared with February


def test_year_over_year_growth_by_channel_compares_the_same_month(engines):
    q = query(
        dimensions=[{"field": "ordered_on", "granularity": "month"}, {"field": "channel"}],
        measures=[{"field": "revenue", "agg": "sum"}],
        calculations=[
            {"alias": "yoy", "kind": "percent_change", "of": "revenue", "compare_to": "previous_year"}
        ],
        order=[{"field": "ordered_on_month"}, {"field": "channel"}],
    )
    grouped = FRAME.groupby(["month", "channel"]).revenue.sum()
    lookup = dict(grouped.items())
    gold = []
    for (month, channel), value in grouped.items():
        before = lookup.get(((pd.Timestamp(month) - pd.DateOffset(years=1)).date(), channel))
        gold.append(
            [month, channel, rounded(value), rounded(None if before is None else (value - before) / before)]
        )
    assert run(engines, q) == gold
    assert any(row[-1] is not None for row in gold)  # the data does hold comparable months


def test_calculations_are_refused_with_messages_naming_what_is_wrong():
    with pytest.raises(QueryError, match="not a measure"):
        compile_query(
            query(
                measures=[{"field": "revenue"}], calculations=[{"alias": "x", "formula": "revenue / cost"}]
            ),
            TABLE,
            "duckdb",
            max_rows=10,
        )
    with pytest.raises(QueryError, match="numbers, \\+ - \\* / and parentheses only"):
        compile_query(
            query(
                measures=[{"field": "revenue"}],
                calculations=[{"alias": "x", "formula": "revenue; drop table orders"}],
            ),
            TABLE,
            "duckdb",
            max_rows=10,
        )
    with pytest.raises(QueryError, match="needs a date dimension"):
        compile_query(
            query(
                dimensions=[{"field": "channel"}],
                measures=[{"field": "revenue"}],
                calculations=[{"alias": "x", "kind": "running_total", "of": "revenue"}],
            ),
            TABLE,
            "duckdb",
            max_rows=10,
        )
    with pytest.raises(QueryError, match="only makes sense as part of a calculation"):
        compile_query(query(measures=[{"field": "revenue", "hidden": True}]), TABLE, "duckdb", max_rows=10)
