# SPDX-License-Identifier: MIT
"""Analysis widgets (forecast, unusual values, what changed, insight) over a data model's members: a
forecast of `orders.revenue` by month reads the model's joins, a dashboard filter or an embed's locked
`customers.region` limits every query the analysis runs, and two organisations each see their own.
Every series is checked against pandas over the uploaded workbook's joined sheets, and the forecast
against the engine run on that pandas series."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from chat2chart.analytics import forecast
from tests.dashboards.conftest import set_up_embedding, sign, widgets_by_title
from tests.dashboards.test_member_widgets import workbook
from tests.sources.fixtures_api import post_json, upload_source

MODEL_YAML = """\
source: {source}
cubes:
  - name: customers
    sql_table: customers
    dimensions:
      - name: id
        type: number
        primary_key: true
      - name: region
        type: string
        title: Region
  - name: orders
    sql_table: orders
    joins:
      - name: customers
        relationship: many_to_one
        sql: "{{CUBE}}.customer_id = {{customers}}.id"
    measures:
      - name: revenue
        type: sum
        sql: amount
        title: Revenue
        format: currency
        currency: EUR
      - name: average_order
        type: avg
        sql: amount
        title: Average order
    dimensions:
      - name: id
        type: number
        primary_key: true
      - name: ordered_on
        type: time
        sql: order_date
        title: Ordered on
"""
KINDS = {"Forecast": "forecast", "Unusual": "anomalies", "What changed": "drivers", "Insight": "insight"}


def shop_frames(scale: float) -> dict[str, pd.DataFrame]:
    """Three customers ordering every other day through 2023 and 2024; the South customer halves in
    December 2024 (the driver of that month's change)."""
    customers = pd.DataFrame([(1, "North"), (2, "South"), (3, "North")], columns=["id", "region"])
    orders, day, n = [], date(2023, 1, 1), 0
    while day <= date(2024, 12, 31):
        for customer, base in ((1, 100.0), (2, 400.0), (3, 50.0)):
            amount = scale * base * (1 + 0.001 * n) + (n * 7) % 11
            if customer == 2 and (day.year, day.month) == (2024, 12):
                amount *= 0.5
            orders.append(
                (len(orders) + 1, customer, datetime(day.year, day.month, day.day), round(amount, 2))
            )
        day += timedelta(days=2)
        n += 1
    frame = pd.DataFrame(orders, columns=["id", "customer_id", "order_date", "amount"])
    return {"customers": customers, "orders": frame}


def monthly(frames: dict[str, pd.DataFrame], region: str | None = None) -> pd.Series:
    joined = frames["orders"].merge(frames["customers"], left_on="customer_id", right_on="id", how="left")
    if region is not None:
        joined = joined[joined["region"] == region]
    return joined.set_index("order_date")["amount"].resample("MS").sum()


def gold(series: pd.Series) -> list[float]:
    found = forecast.forecast(list(series.index), series.to_numpy(), horizon=6, measure="revenue")
    return [max(p.mean, 0.0) for p in found.points]


def forecast_means(widget: dict[str, Any]) -> list[float]:
    series = {s["name"]: s for s in widget["option"]["series"]}
    return [v for v in series["Forecast"]["data"] if v is not None]


def history(widget: dict[str, Any]) -> list[float]:
    return [v for v in widget["option"]["series"][0]["data"] if v is not None]


class Board:
    """One organisation's workbook, model and dashboard of member analysis widgets, via the API."""

    def __init__(self, workspace: Any, scale: float) -> None:
        self.workspace = workspace
        self.frames = shop_frames(scale)
        self.client = workspace.client("editor")
        uploaded = upload_source(self.client, workbook(self.frames), file_name="shop.xlsx", name="Shop")
        assert uploaded.status_code == 201, uploaded.content
        model = post_json(
            self.client,
            "/api/v1/semantic/models/",
            {"name": "Shop", "yaml": MODEL_YAML.format(source=uploaded.json()["id"])},
        )
        assert model.status_code == 201, model.content
        self.model = model.json()["id"]
        created = post_json(self.client, "/api/v1/dashboards/", {"title": "Revenue analysis"})
        assert created.status_code == 201, created.content
        self.dashboard = created.json()["id"]
        for title, kind in KINDS.items():
            dimensions: list[Any] = [{"member": "orders.ordered_on", "granularity": "month"}]
            if kind in ("drivers", "insight"):
                dimensions.append("customers.region")
            self.add(title, kind, "orders.revenue", dimensions)
        changed = self.client.patch(
            f"/api/v1/dashboards/{self.dashboard}/",
            json.dumps({"filters": [{"field": "customers.region", "kind": "values"}]}),
            content_type="application/json",
        )
        assert changed.status_code == 200, changed.content

    def add(self, title: str, kind: str, measure: str, dimensions: list[Any]) -> None:
        query = {"model": self.model, "measures": [measure], "dimensions": dimensions}
        response = post_json(
            self.client,
            f"/api/v1/dashboards/{self.dashboard}/widgets/",
            {"kind": kind, "title": title, "query": query},
        )
        assert response.status_code == 201, response.content

    def data(self, params: str = "") -> dict[str, dict[str, Any]]:
        return widgets_by_title(self.client.get(f"/api/v1/dashboards/{self.dashboard}/data/{params}"))


@pytest.fixture
def alpha_board(alpha) -> Board:
    return Board(alpha, scale=1.0)


def test_each_member_analysis_widget_reads_the_model(alpha_board):
    widgets = alpha_board.data()

    assert all("error" not in w for w in widgets.values()), widgets
    series = monthly(alpha_board.frames)
    assert history(widgets["Forecast"]) == pytest.approx(series.tolist())
    assert forecast_means(widgets["Forecast"]) == pytest.approx(gold(series), rel=1e-6)
    assert widgets["Forecast"]["insight"].startswith("Forecast of Revenue for the next 6 months")
    columns = widgets["Forecast"]["data"]["columns"]
    assert [(c["member"], c["format"]) for c in columns][-1] == ("orders.revenue", "currency:EUR")
    assert "markPoint" in widgets["Unusual"]["option"]["series"][0]
    changed = widgets["What changed"]["insight"]
    assert changed.startswith(
        f"Revenue fell from {series['2024-11-01']:,.0f} in November 2024 to {series['2024-12-01']:,.0f}"
    ), changed
    assert "Region South" in changed
    assert widgets["Insight"]["insight"]
    assert widgets["Insight"]["option"]["series"]


def test_a_dashboard_filter_on_a_member_limits_the_forecast(alpha_board):
    widget = alpha_board.data("?filter.customers.region=North")["Forecast"]

    north = monthly(alpha_board.frames, region="North")
    assert history(widget) == pytest.approx(north.tolist())
    assert forecast_means(widget) == pytest.approx(gold(north), rel=1e-6)


def test_an_embed_locked_to_a_region_analyses_only_that_region(alpha_board):
    with alpha_board.workspace.activate():
        secret = set_up_embedding(alpha_board.workspace)
    token = sign(alpha_board.workspace, secret, alpha_board.dashboard, params={"customers.region": "North"})

    widgets = widgets_by_title(
        alpha_board.workspace.anonymous_client().get(f"/embed/dashboard/{token}/data/")
    )

    north = monthly(alpha_board.frames, region="North")
    assert history(widgets["Forecast"]) == pytest.approx(north.tolist())
    assert forecast_means(widgets["Forecast"]) == pytest.approx(gold(north), rel=1e-6)
    assert "South" not in json.dumps(widgets["What changed"]["option"])
    assert f"from {north['2024-11-01']:,.0f} in November 2024" in widgets["What changed"]["insight"]


def test_an_average_cannot_be_split_into_what_changed(alpha_board):
    alpha_board.add(
        "Average change",
        "drivers",
        "orders.average_order",
        [
            {"member": "orders.ordered_on", "granularity": "month"},
            "customers.region",
        ],
    )

    widget = alpha_board.data()["Average change"]

    assert "data" not in widget
    assert "Average order" in widget["error"]["message"]


def test_two_organisations_each_forecast_their_own_members(alpha_board, beta):
    beta_board = Board(beta, scale=3.0)

    alpha_forecast = alpha_board.data()["Forecast"]
    beta_forecast = beta_board.data()["Forecast"]

    assert forecast_means(alpha_forecast) == pytest.approx(gold(monthly(alpha_board.frames)), rel=1e-6)
    assert forecast_means(beta_forecast) == pytest.approx(gold(monthly(beta_board.frames)), rel=1e-6)
