# SPDX-License-Identifier: MIT
"""Measures across joins equal an independent pandas computation on DuckDB, PostgreSQL and MariaDB:
a one-to-many join never multiplies the "one" side's sums and counts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from chat2chart.semantic.compile import compile_model_query
from chat2chart.semantic.query import ModelQuery
from tests.semantic.shop import shop_frames, shop_model, shop_rows, shop_tables
from tests.sources.engines import Runner, duck_engine, mysql_engine, normal, pg_engine

TEST_DB = "aiser_semantic_test_fanout"
ROWS = shop_rows()
F = shop_frames(ROWS)
MODEL = shop_model()


@pytest.fixture(scope="module")
def engines() -> Iterator[dict[str, Runner]]:
    tables = shop_tables(ROWS)
    with duck_engine(tables) as duck, pg_engine(TEST_DB, tables) as pg, mysql_engine(TEST_DB, tables) as my:
        yield {"duckdb": duck, "postgres": pg, "mysql": my}


def answer(engines: dict[str, Runner], query: dict[str, Any]) -> dict[Any, tuple[Any, ...]]:
    """{dimension values: measure values} from every engine, checked to agree."""
    results = {}
    parsed = ModelQuery.model_validate(query)
    width = len(parsed.dimensions)
    for dialect, run in engines.items():
        compiled = compile_model_query(MODEL, parsed, dialect, max_rows=10_000)  # type: ignore[arg-type]
        rows = [[normal(v) for v in row] for row in run(compiled)]
        results[dialect] = {tuple(r[:width]) if width != 1 else r[0]: tuple(r[width:]) for r in rows}
    assert results["postgres"] == results["duckdb"]
    assert results["mysql"] == results["duckdb"]
    return results["duckdb"]


def expected(series: dict[Any, Any] | pd.Series) -> dict[Any, Any]:
    return {(None if pd.isna(k) else k): round(float(v), 4) for k, v in series.items()}


def test_sums_of_both_sides_by_customer_segment_equal_pandas(engines):
    got = answer(
        engines,
        {
            "measures": ["orders.shipping", "order_lines.revenue", "orders.count"],
            "dimensions": ["customers.segment"],
        },
    )
    orders = F["orders"].merge(F["customers"], left_on="customer_id", right_on="id", suffixes=("", "_c"))
    lines = F["order_lines"].merge(orders, left_on="order_id", right_on="id", suffixes=("", "_o"))
    lines["revenue"] = lines.quantity * lines.price.astype(float)
    shipping = expected(orders.groupby("segment").shipping.apply(lambda s: s.astype(float).sum()))
    revenue = expected(lines.groupby("segment").revenue.sum())
    counts = orders.groupby("segment").id.count().to_dict()
    assert {k: v[0] for k, v in got.items()} == shipping
    assert {k: v[1] for k, v in got.items()} == revenue
    assert {k: v[2] for k, v in got.items()} == counts


def test_order_shipping_by_product_counts_each_order_once(engines):
    got = answer(
        engines, {"measures": ["orders.shipping", "orders.count"], "dimensions": ["order_lines.product"]}
    )
    joined = F["orders"].merge(
        F["order_lines"], left_on="id", right_on="order_id", how="left", suffixes=("", "_l")
    )
    distinct = joined[["id", "product", "shipping"]].drop_duplicates(["id", "product"])
    distinct = distinct.assign(
        product=distinct["product"].astype(object).where(distinct["product"].notna(), None)
    )
    by_product = {
        product: (round(float(group.shipping.astype(float).sum()), 4), len(group))
        for product, group in distinct.groupby("product", dropna=False)
    }
    assert got == {(None if pd.isna(k) else k): v for k, v in by_product.items()}
    naive_total = float(joined.shipping.astype(float).sum())
    assert sum(v[0] for v in got.values()) < naive_total  # a plain join would have counted orders per line


def test_customers_by_order_status_counts_each_customer_once_per_status(engines):
    got = answer(
        engines, {"measures": ["customers.count", "customers.credit"], "dimensions": ["orders.status"]}
    )
    joined = F["customers"].merge(
        F["orders"], left_on="id", right_on="customer_id", how="left", suffixes=("", "_o")
    )
    distinct = joined[["id", "status", "credit"]].drop_duplicates(["id", "status"])
    want = {
        (None if pd.isna(status) else status): (len(group), round(float(group.credit.astype(float).sum()), 4))
        for status, group in distinct.groupby("status", dropna=False)
    }
    assert got == want
    never_ordered = set(F["customers"].id) - set(F["orders"].customer_id)
    assert got[None][0] == len(never_ordered) >= 4  # customers 27..30 never order


def test_totals_without_dimensions_equal_plain_sums(engines):
    got = answer(
        engines,
        {"measures": ["customers.count", "orders.shipping", "order_lines.quantity", "order_lines.count"]},
    )
    assert list(got.values()) == [
        (
            len(F["customers"]),
            round(float(F["orders"].shipping.astype(float).sum()), 4),
            int(F["order_lines"].quantity.sum()),
            len(F["order_lines"]),
        )
    ]


def test_filtered_measure_segment_and_month_granularity_equal_pandas(engines):
    got = answer(
        engines,
        {
            "measures": ["orders.paid_shipping", "orders.count", "orders.customers_with_orders"],
            "dimensions": [{"member": "orders.created_at", "granularity": "month"}],
            "filters": [{"field": "customers.segment", "op": "in", "value": ["retail", "online"]}],
        },
    )
    orders = F["orders"].merge(F["customers"], left_on="customer_id", right_on="id", suffixes=("", "_c"))
    orders = orders[orders.segment.isin(["retail", "online"])]
    orders = orders.assign(
        month=pd.to_datetime(orders.created_at).dt.to_period("M").dt.to_timestamp().dt.date
    )
    want = {}
    for month, group in orders.groupby("month"):
        paid = group[group.status == "paid"].shipping.astype(float).sum()
        want[month] = (
            round(float(paid), 4) if (group.status == "paid").any() else None,
            len(group),
            group.customer_id.nunique(),
        )
    assert got == want


def test_number_measure_divides_totals_and_a_segment_filters_rows(engines):
    got = answer(
        engines,
        {
            "measures": ["orders.revenue_per_order"],
            "dimensions": ["customers.segment"],
            "segments": ["orders.paid"],
        },
    )
    orders = F["orders"][F["orders"].status == "paid"].merge(
        F["customers"], left_on="customer_id", right_on="id"
    )
    lines = F["order_lines"].merge(orders, left_on="order_id", right_on="id_x")
    lines["revenue"] = lines.quantity * lines.price.astype(float)
    revenue = lines.groupby("segment").revenue.sum()
    counts = orders.groupby("segment").id_x.count()
    assert {k: v[0] for k, v in got.items()} == expected(revenue / counts)


def test_filter_on_a_measure_keeps_groups_above_the_threshold(engines):
    got = answer(
        engines,
        {
            "measures": ["orders.count"],
            "dimensions": ["customers.segment"],
            "filters": [{"field": "orders.count", "op": "gte", "value": 40}],
        },
    )
    orders = F["orders"].merge(F["customers"], left_on="customer_id", right_on="id")
    counts = orders.groupby("segment").id_x.count()
    assert got == {segment: (n,) for segment, n in counts.items() if n >= 40}


def test_rolling_windows_sum_each_buckets_window_like_pandas(engines):
    got = answer(
        engines,
        {
            "measures": ["orders.shipping_last_7_days", "orders.shipping_month_to_date", "orders.count"],
            "dimensions": [{"member": "orders.created_at", "granularity": "day"}],
        },
    )
    orders = F["orders"].assign(
        day=pd.to_datetime(F["orders"].created_at), shipping=F["orders"].shipping.astype(float)
    )
    want = {}
    for day in sorted(orders.day.unique()):
        day = pd.Timestamp(day)
        week = orders[(orders.day > day - pd.Timedelta(days=7)) & (orders.day <= day)].shipping.sum()
        month = orders[(orders.day >= day.replace(day=1)) & (orders.day <= day)].shipping.sum()
        want[day.date()] = (round(float(week), 4), round(float(month), 4), int((orders.day == day).sum()))
    assert got == want


def test_a_trailing_window_in_months_counts_rows_of_the_last_three_months(engines):
    got = answer(
        engines,
        {
            "measures": ["orders.orders_last_3_months"],
            "dimensions": [{"member": "orders.created_at", "granularity": "month"}, "orders.status"],
            "filters": [{"field": "orders.status", "op": "in", "value": ["paid", "open"]}],
        },
    )
    orders = F["orders"][F["orders"].status.isin(["paid", "open"])]
    orders = orders.assign(month=pd.to_datetime(orders.created_at).dt.to_period("M"))
    want = {}
    for month in sorted(orders.month.unique()):
        window = orders[(orders.month > month - 3) & (orders.month <= month)]
        for status, group in window.groupby("status"):
            want[(month.to_timestamp().date(), status)] = (len(group),)
    assert got == want


def test_a_rolling_measure_needs_a_time_dimension():
    from chat2chart.core.errors import QueryError

    with pytest.raises(QueryError, match="add a time dimension of 'orders'"):
        compile_model_query(
            MODEL, ModelQuery(measures=["orders.shipping_last_7_days"]), "duckdb", max_rows=10
        )


def test_dimensions_alone_list_the_combinations_that_exist(engines):
    got = answer(engines, {"dimensions": ["customers.segment", "orders.status"]})
    joined = F["customers"].merge(F["orders"], left_on="id", right_on="customer_id", how="left")
    pairs = {(s, None if pd.isna(t) else t) for s, t in zip(joined.segment, joined.status, strict=True)}
    assert set(got) == pairs


def test_order_and_limit_apply_to_the_answer(engines):
    parsed = ModelQuery.model_validate(
        {
            "measures": ["order_lines.revenue"],
            "dimensions": ["order_lines.product"],
            "order": [{"field": "order_lines.revenue", "dir": "desc"}],
            "limit": 2,
        }
    )
    lines = F["order_lines"].assign(revenue=F["order_lines"].quantity * F["order_lines"].price.astype(float))
    top = lines.groupby("product").revenue.sum().sort_values(ascending=False).head(2)
    for dialect, run in engines.items():
        rows = run(compile_model_query(MODEL, parsed, dialect, max_rows=100))  # type: ignore[arg-type]
        assert [(r[0], normal(r[1])) for r in rows] == [(p, round(float(v), 4)) for p, v in top.items()]
