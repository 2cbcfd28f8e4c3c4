# SPDX-License-Identifier: MIT
"""Automatic models of a source's tables and join suggestions."""

from __future__ import annotations

from chat2chart.semantic.auto import auto_model, suggest_joins
from chat2chart.semantic.compile import compile_model_query
from chat2chart.semantic.query import ModelQuery
from chat2chart.semantic.validation import validate_model
from chat2chart.sources.catalogue import ColumnInfo, TableInfo
from tests.semantic.shop import shop_rows, shop_tables
from tests.sources.engines import duck_engine, normal

CUSTOMERS = TableInfo(
    "customers",
    [
        ColumnInfo("id", "integer", samples=[1, 2, 3], distinct_count=30),
        ColumnInfo("segment", "text", samples=["retail", "online"], distinct_count=3),
        ColumnInfo("credit", "decimal", distinct_count=30),
    ],
    row_count=30,
)
ORDERS = TableInfo(
    "orders",
    [
        ColumnInfo("id", "integer", samples=[1, 2], distinct_count=120),
        ColumnInfo("customer_id", "integer", samples=[1, 3, 9], distinct_count=26),
        ColumnInfo("status", "text", distinct_count=3),
        ColumnInfo("created_at", "date", distinct_count=100),
        ColumnInfo("shipping", "decimal", distinct_count=118),
    ],
    row_count=120,
)
LINES = TableInfo(
    "order_lines",
    [
        ColumnInfo("id", "integer", distinct_count=240),
        ColumnInfo("order_id", "integer", samples=[1, 2], distinct_count=100),
        ColumnInfo("product", "text"),
        ColumnInfo("quantity", "integer"),
        ColumnInfo("price", "decimal"),
        ColumnInfo("Unit Price (€)", "decimal"),
    ],
    row_count=240,
)


def test_each_table_gets_counts_sums_and_averages_of_non_identifier_numbers():
    model = auto_model([CUSTOMERS, ORDERS, LINES])

    orders = model.cube("orders")
    assert [m.name for m in orders.measures] == ["count", "total_shipping", "average_shipping"]
    assert {d.name: d.type for d in orders.dimensions} == {
        "id": "number",
        "customer_id": "number",
        "status": "string",
        "created_at": "time",
        "shipping": "number",
    }
    assert orders.primary_key.name == "id"
    lines = model.cube("order_lines")
    assert "total_quantity" in [m.name for m in lines.measures]
    odd = lines.member("unit_price")
    assert odd.sql == '{CUBE}."Unit Price (€)"'
    assert validate_model(model, tables={t.name: t for t in (CUSTOMERS, ORDERS, LINES)}) == []


def test_joins_are_suggested_from_key_names_and_shared_values():
    suggestions = suggest_joins([CUSTOMERS, ORDERS, LINES])

    pairs = {(s.cube, s.column, s.target, s.target_column, s.confidence) for s in suggestions}
    assert ("orders", "customer_id", "customers", "id", "high") in pairs
    assert ("order_lines", "order_id", "orders", "id", "high") in pairs
    assert all(s.relationship == "many_to_one" for s in suggestions)


def test_same_named_unique_column_with_shared_values_is_a_medium_suggestion():
    stores = TableInfo(
        "stores", [ColumnInfo("store_code", "text", samples=["A1", "B2"], distinct_count=2)], 2
    )
    sales = TableInfo("sales", [ColumnInfo("store_code", "text", samples=["B2", "A1"], distinct_count=2)], 50)
    elsewhere = TableInfo("sales", [ColumnInfo("store_code", "text", samples=["Z9"], distinct_count=1)], 50)

    [found] = suggest_joins([stores, sales])
    assert (found.cube, found.target, found.relationship, found.confidence) == (
        "sales",
        "stores",
        "many_to_one",
        "medium",
    )
    assert suggest_joins([stores, elsewhere]) == []  # same name, no shared values


def test_automatic_model_answers_on_real_rows():
    model = auto_model([CUSTOMERS, ORDERS, LINES])
    rows = shop_rows()
    query = ModelQuery.model_validate(
        {
            "measures": ["orders.total_shipping", "order_lines.total_quantity"],
            "dimensions": ["customers.segment"],
        }
    )
    with duck_engine(shop_tables(rows)) as run:
        got = {
            r[0]: [normal(v) for v in r[1:]]
            for r in run(compile_model_query(model, query, "duckdb", max_rows=50))
        }
    segment = {c[0]: c[1] for c in rows["customers"]}
    order_segment = {o[0]: segment[o[1]] for o in rows["orders"]}
    for name in got:
        shipping = sum(o[4] for o in rows["orders"] if segment[o[1]] == name)
        quantity = sum(line[3] for line in rows["order_lines"] if order_segment[line[1]] == name)
        assert got[name] == [round(shipping, 4), quantity]
