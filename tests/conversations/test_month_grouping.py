# SPDX-License-Identifier: MIT
"""Issue 13's planner bug: "total revenue by region and month for paid orders" on the demo orders grouped
by day (thousands of rows); a granularity word separated from the date column by other words ("region and
month", "for paid orders" after it) is the date's grain. Checked through the conversations API against
pandas over the same CSV."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from chat2chart.sources.demo import sales_orders
from tests.conversations.asking import conversation_on

TODAY = dt.date(2025, 6, 30)


def _demo_orders() -> pd.DataFrame:
    # The demo's sales orders, with a payment status so "paid orders" names something.
    orders = sales_orders(TODAY)
    orders["status"] = np.random.default_rng(13).choice(["paid", "refunded", "pending"], len(orders))
    return orders


def _by_region_and_month(orders: pd.DataFrame) -> dict[tuple[str, str], float]:
    paid = orders[orders["status"] == "paid"]
    month = pd.to_datetime(paid["order_date"]).dt.to_period("M").astype(str)
    totals = paid.groupby([month, paid["region"]])["revenue"].sum()
    return {(m, region): round(float(total), 2) for (m, region), total in totals.items()}


@pytest.mark.parametrize(
    "question",
    [
        "total revenue by region and month for paid orders",
        "total revenue for paid orders by region and month",
        "total revenue per region and month where status is paid",
    ],
)
def test_revenue_by_region_and_month_groups_by_month_with_the_right_totals(alpha, question):
    orders = _demo_orders()
    ask = conversation_on(
        alpha.client("editor"),
        orders.to_csv(index=False),
        file_name="orders.csv",
        at=dt.datetime(2025, 7, 1, 9),
    )
    answer = ask(question)
    assert [(d["field"], d.get("granularity")) for d in answer["query"]["dimensions"]] == [
        ("order_date", "month"),
        ("region", None),
    ]
    assert answer["query"]["filters"] == [{"field": "status", "op": "eq", "value": "paid"}]

    columns = answer["data"]["columns"]
    date_at = next(i for i, c in enumerate(columns) if c.get("granularity") == "month")
    region_at = next(i for i, c in enumerate(columns) if c["name"] == "region")
    revenue_at = next(i for i, c in enumerate(columns) if c["role"] == "measure")
    rows = answer["data"]["rows"]
    got = {
        (pd.Timestamp(row[date_at]).strftime("%Y-%m"), row[region_at]): round(float(row[revenue_at]), 2)
        for row in rows
    }
    expected = _by_region_and_month(orders)
    assert len(rows) == len(expected) <= 25 * 4  # months times regions, not days
    assert got == pytest.approx(expected)
