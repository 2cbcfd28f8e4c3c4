# SPDX-License-Identifier: MIT
"""Business questions that need more than one aggregate ("revenue per order by channel", "margin by
category", "month over month growth of revenue", "cumulative orders in 2024", "share of revenue by
region", "compare revenue and cost by region") answered through the conversations API over a file
uploaded through the sources API; every number is checked against pandas over the same file."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pandas as pd
import pytest

from tests.conversations.asking import conversation_on
from tests.sources.fixtures_api import upload_source

REGIONS = ["North", "South", "East", "West"]
CATEGORIES = ["Laptops", "Chairs", "Desks"]
CHANNELS = ["Online", "Retail"]


def _csv() -> str:
    lines = ["order_id,order_date,region,category,channel,revenue,cost"]
    day = date(2023, 11, 1)
    for n in range(1, 301):
        revenue = 50 + (n * 37) % 400
        cost = round(revenue * (0.55 + (n % 7) / 20), 2)
        lines.append(
            f"{n},{day.isoformat()},{REGIONS[n % 4]},{CATEGORIES[n % 3]},{CHANNELS[n % 2]},{revenue},{cost}"
        )
        day += timedelta(days=2 if n % 5 else 3)
    return "\n".join(lines) + "\n"


CSV = _csv()
FRAME = pd.read_csv(io.StringIO(CSV), parse_dates=["order_date"])


@pytest.fixture(autouse=True)
def _rule_planner(settings):
    settings.AISER_LLM_MODEL = ""


@pytest.fixture
def ask(alpha):
    return conversation_on(alpha.client(), CSV, file_name="orders.csv")


def _column(answer: dict, name: str) -> dict:
    names = [c["name"] for c in answer["data"]["columns"]]
    index = names.index(name)
    return {row[0]: row[index] for row in answer["data"]["rows"]}


def _close(got: dict, want: pd.Series) -> None:
    expected = {k.date() if isinstance(k, pd.Timestamp) else k: v for k, v in want.items()}
    got = {date.fromisoformat(k) if isinstance(k, str) and k[:4].isdigit() else k: v for k, v in got.items()}
    assert set(got) == set(expected)
    for key, value in expected.items():
        if pd.isna(value):
            assert got[key] is None, key
        else:
            assert got[key] == pytest.approx(float(value), rel=1e-9), key


def test_revenue_per_order_by_channel_divides_total_revenue_by_orders(ask):
    answer = ask("revenue per order by channel")
    gold = FRAME.groupby("channel").revenue.sum() / FRAME.groupby("channel").size()
    _close(_column(answer, "revenue_per_order"), gold)
    assert "per order" in answer["explanation"].lower()


def test_margin_by_category_is_revenue_less_cost_over_revenue(ask):
    answer = ask("margin by category")
    totals = FRAME.groupby("category")[["revenue", "cost"]].sum()
    _close(_column(answer, "margin"), (totals.revenue - totals.cost) / totals.revenue)


def test_profit_by_region(ask):
    answer = ask("profit by region")
    totals = FRAME.groupby("region")[["revenue", "cost"]].sum()
    _close(_column(answer, "profit"), totals.revenue - totals.cost)


def test_month_over_month_growth_of_revenue(ask):
    answer = ask("month over month growth of revenue")
    monthly = FRAME.set_index("order_date").revenue.resample("MS").sum()
    _close(_column(answer, "revenue_growth"), monthly.pct_change())


def test_cumulative_orders_in_2024_start_in_january(ask):
    answer = ask("cumulative count of orders in 2024")
    in_2024 = FRAME[FRAME.order_date.dt.year == 2024]
    monthly = in_2024.set_index("order_date").order_id.resample("MS").count()
    got = _column(answer, answer["data"]["columns"][-1]["name"])
    _close(got, monthly.cumsum())


def test_share_of_revenue_by_region_adds_up_to_one(ask):
    answer = ask("share of revenue by region")
    totals = FRAME.groupby("region").revenue.sum()
    got = _column(answer, "share_of_revenue")
    _close(got, totals / totals.sum())
    assert sum(got.values()) == pytest.approx(1.0)


def test_compare_revenue_and_cost_by_region_is_two_series(ask):
    answer = ask("compare revenue and cost by region")
    totals = FRAME.groupby("region")[["revenue", "cost"]].sum()
    _close(_column(answer, "revenue"), totals.revenue)
    _close(_column(answer, "cost"), totals.cost)
    assert answer["chart"]["type"] in ("grouped_column", "grouped_bar", "column", "bar")


def test_distinct_regions_ordering_each_month(ask):
    answer = ask("how many distinct regions ordered each month")
    gold = FRAME.set_index("order_date").region.resample("MS").nunique()
    _close(_column(answer, answer["data"]["columns"][-1]["name"]), gold)


def test_margin_on_a_table_without_cost_is_refused_naming_what_is_missing(alpha):
    client = alpha.client()
    uploaded = upload_source(client, "region,revenue\nNorth,10\nSouth,20\n", file_name="plain.csv")
    created = client.post(
        "/api/v1/conversations/",
        {"source": uploaded.json()["id"], "table": "plain"},
        content_type="application/json",
    )
    response = client.post(
        f"/api/v1/conversations/{created.json()['id']}/messages/",
        {"content": "margin by region"},
        content_type="application/json",
    )
    answer = response.json()
    assert answer["chart"] is None
    assert "cost" in answer["content"]


def test_a_pie_is_never_drawn_for_values_below_zero(alpha):
    client = alpha.client()
    csv = "region,revenue,cost\nNorth,100,40\nSouth,50,80\nEast,70,20\n"
    uploaded = upload_source(client, csv, file_name="units.csv")
    created = client.post(
        "/api/v1/conversations/",
        {"source": uploaded.json()["id"], "table": "units"},
        content_type="application/json",
    )
    response = client.post(
        f"/api/v1/conversations/{created.json()['id']}/messages/",
        {"content": "profit by region as a pie chart"},
        content_type="application/json",
    )
    answer = response.json()
    assert answer["status"] == "done", answer
    frame = pd.read_csv(io.StringIO(csv))
    _close(_column(answer, "profit"), frame.set_index("region").revenue - frame.set_index("region").cost)
    assert answer["chart"]["type"] not in ("pie", "donut", "treemap", "sunburst", "funnel")
    assert "accounts for" not in answer["content"]
