# SPDX-License-Identifier: MIT
"""A small shop: customers ← orders ← order lines, as a model and as rows for the three engines.

The rows are deterministic but irregular (customers without orders, orders without lines, lines of
several products per order) so that a fan-out would change the sums."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pandas as pd

from chat2chart.semantic.model import Model
from chat2chart.semantic.yaml_io import load_model

SHOP_YAML = """\
cubes:
  - name: customers
    sql_table: customers
    measures:
      - name: count
        type: count
      - name: credit
        type: sum
        sql: credit
    dimensions:
      - name: id
        type: number
        primary_key: true
      - name: segment
        type: string
        synonyms: [tier]
  - name: orders
    sql_table: orders
    joins:
      - name: customers
        relationship: many_to_one
        sql: "{CUBE}.customer_id = {customers.id}"
    measures:
      - name: count
        type: count
      - name: shipping
        type: sum
        sql: shipping
        format: currency
        currency: EUR
      - name: paid_shipping
        type: sum
        sql: shipping
        filters:
          - sql: "{CUBE}.status = 'paid'"
      - name: shipping_last_7_days
        type: sum
        sql: shipping
        rolling_window:
          trailing: 7 day
      - name: shipping_month_to_date
        type: sum
        sql: shipping
        rolling_window:
          type: to_date
          granularity: month
      - name: orders_last_3_months
        type: count
        rolling_window:
          trailing: 3 months
      - name: customers_with_orders
        type: count_distinct
        sql: customer_id
      - name: revenue_per_order
        type: number
        sql: "{order_lines.revenue} / {count}"
    dimensions:
      - name: id
        type: number
        primary_key: true
      - name: status
        type: string
      - name: created_at
        type: time
    segments:
      - name: paid
        sql: "{CUBE}.status = 'paid'"
  - name: order_lines
    sql_table: order_lines
    joins:
      - name: orders
        relationship: many_to_one
        sql: "{CUBE}.order_id = {orders}.id"
    measures:
      - name: count
        type: count
      - name: quantity
        type: sum
        sql: quantity
      - name: revenue
        type: sum
        sql: "{CUBE}.quantity * {CUBE}.price"
      - name: average_price
        type: avg
        sql: price
    dimensions:
      - name: id
        type: number
        primary_key: true
      - name: product
        type: string
"""

_COLUMNS = {
    "customers": "id INTEGER, segment VARCHAR(20), credit {money}",
    "orders": "id INTEGER, customer_id INTEGER, status VARCHAR(20), created_at DATE, shipping {money}",
    "order_lines": "id INTEGER, order_id INTEGER, product VARCHAR(20), quantity INTEGER, price {money}",
}
_MONEY = {"duckdb": "DECIMAL(10,2)", "postgres": "NUMERIC(10,2)", "mysql": "DECIMAL(10,2)"}
DDL = {name: {d: text.format(money=money) for d, money in _MONEY.items()} for name, text in _COLUMNS.items()}


def shop_model() -> Model:
    return load_model(SHOP_YAML)


def shop_rows(seed: int = 7) -> dict[str, list[tuple[Any, ...]]]:
    rng = random.Random(seed)
    customers = [
        (i, rng.choice(["retail", "wholesale", "online"]), round(rng.uniform(0, 500), 2))
        for i in range(1, 31)
    ]
    orders, lines = [], []
    line_id = 1
    for order_id in range(1, 121):
        customer = rng.randint(1, 26)  # customers 27..30 never order
        day = date(2024, 1, 1) + timedelta(days=rng.randint(0, 180))
        status = rng.choice(["paid", "paid", "open", "refunded"])
        orders.append((order_id, customer, status, day, round(rng.uniform(1, 30), 2)))
        for _ in range(rng.choice([0, 1, 2, 3, 4])):  # some orders have no lines
            product = rng.choice(["widget", "gadget", "gizmo"])
            lines.append((line_id, order_id, product, rng.randint(1, 5), round(rng.uniform(2, 50), 2)))
            line_id += 1
    return {"customers": customers, "orders": orders, "order_lines": lines}


def shop_tables(
    rows: dict[str, list[tuple[Any, ...]]],
) -> dict[str, tuple[dict[str, str], list[tuple[Any, ...]]]]:
    return {name: (DDL[name], rows[name]) for name in ("customers", "orders", "order_lines")}


def shop_frames(rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, pd.DataFrame]:
    columns = {
        "customers": ["id", "segment", "credit"],
        "orders": ["id", "customer_id", "status", "created_at", "shipping"],
        "order_lines": ["id", "order_id", "product", "quantity", "price"],
    }
    return {name: pd.DataFrame(rows[name], columns=columns[name]) for name in columns}
