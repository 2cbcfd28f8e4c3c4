# SPDX-License-Identifier: MIT
"""Dashboard widgets of model members, through the dashboards API and signed embeds: a widget is a
semantic query of members, dashboard filters apply to member dimensions, and an embed's locked
`customers.region` restricts a measure on orders through the model's join. Two organisations with
their own rows and models; every number is checked against pandas over the uploaded workbook."""

from __future__ import annotations

import io
import json
import random
from typing import Any

import openpyxl
import pandas as pd
import pytest

from tests.dashboards.conftest import set_up_embedding, sign, widgets_by_title
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
      - name: margin
        type: sum
        sql: "{{CUBE}}.amount - {{CUBE}}.cost"
        title: Margin
        format: currency
        currency: EUR
    dimensions:
      - name: id
        type: number
        primary_key: true
      - name: status
        type: string
        title: Status
"""


def shop_frames(seed: int) -> dict[str, pd.DataFrame]:
    rng = random.Random(seed)
    customers = [(i, rng.choice(["West", "East", "North"])) for i in range(1, 21)]
    orders = []
    for order in range(1, 81):
        amount = round(rng.uniform(20, 400), 2)
        cost = round(amount * rng.uniform(0.4, 0.9), 2)
        orders.append((order, rng.randint(1, 20), rng.choice(["paid", "open"]), amount, cost))
    return {
        "customers": pd.DataFrame(customers, columns=["id", "region"]),
        "orders": pd.DataFrame(orders, columns=["id", "customer_id", "status", "amount", "cost"]),
    }


def workbook(frames: dict[str, pd.DataFrame]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, frame in frames.items():
        sheet = book.create_sheet(name)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def margin(frames: dict[str, pd.DataFrame], by: str, region: str | None = None) -> dict[str, float]:
    joined = frames["orders"].merge(frames["customers"], left_on="customer_id", right_on="id", how="left")
    if region is not None:
        joined = joined[joined["region"] == region]
    joined = joined.assign(margin=joined["amount"] - joined["cost"])
    return {k: round(float(v), 2) for k, v in joined.groupby(by)["margin"].sum().items()}


def rows_of(widget: dict[str, Any]) -> dict[str, float]:
    assert "error" not in widget, widget
    return {row[0]: round(float(row[1]), 2) for row in widget["data"]["rows"]}


class Shop:
    """One organisation's workbook, model and dashboard of member widgets, made through the API."""

    def __init__(self, workspace: Any, seed: int) -> None:
        self.workspace = workspace
        self.frames = shop_frames(seed)
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
        filters = [{"field": "customers.region", "kind": "values"}, {"field": "status", "kind": "values"}]
        created = post_json(self.client, "/api/v1/dashboards/", {"title": "Margins"})
        assert created.status_code == 201, created.content
        self.dashboard = created.json()["id"]
        self.add("Margin by region", ["customers.region"])
        self.add("Margin by status", ["orders.status"])
        # Filters name the model's dimensions, so they are set once the widgets are there.
        changed = self.client.patch(
            f"/api/v1/dashboards/{self.dashboard}/",
            json.dumps({"filters": filters}),
            content_type="application/json",
        )
        assert changed.status_code == 200, changed.content

    def add(self, title: str, dimensions: list[str], kind: str = "chart") -> Any:
        query = {"model": self.model, "measures": ["orders.margin"], "dimensions": dimensions}
        response = post_json(
            self.client,
            f"/api/v1/dashboards/{self.dashboard}/widgets/",
            {"kind": kind, "title": title, "query": query},
        )
        assert response.status_code == 201, response.content
        return response

    def data(self, params: str = "") -> dict[str, dict[str, Any]]:
        return widgets_by_title(self.client.get(f"/api/v1/dashboards/{self.dashboard}/data/{params}"))


@pytest.fixture
def alpha_shop(alpha) -> Shop:
    return Shop(alpha, seed=11)


def test_a_member_widget_shows_the_models_numbers_and_titles(alpha_shop):
    widgets = alpha_shop.data()

    assert rows_of(widgets["Margin by region"]) == margin(alpha_shop.frames, "region")
    assert rows_of(widgets["Margin by status"]) == margin(alpha_shop.frames, "status")
    columns = widgets["Margin by region"]["data"]["columns"]
    assert [(c["name"], c["member"], c["format"]) for c in columns] == [
        ("Region", "customers.region", None),
        ("Margin", "orders.margin", "currency:EUR"),
    ]
    assert widgets["Margin by region"]["option"]["series"]


def test_a_dashboard_filter_on_a_member_dimension_filters_through_the_join(alpha_shop):
    widgets = alpha_shop.data("?filter.customers.region=West")

    assert rows_of(widgets["Margin by status"]) == margin(alpha_shop.frames, "status", region="West")
    assert set(rows_of(widgets["Margin by region"])) == {"West"}

    options = alpha_shop.client.get(
        f"/api/v1/dashboards/{alpha_shop.dashboard}/filter-options/?field=customers.region"
    )
    assert options.status_code == 200, options.content
    assert sorted(options.json()["values"]) == sorted(alpha_shop.frames["customers"]["region"].unique())


def test_a_bare_dimension_name_filters_the_one_cube_that_has_it(alpha_shop):
    widgets = alpha_shop.data("?filter.status=paid")

    paid = alpha_shop.frames["orders"][alpha_shop.frames["orders"]["status"] == "paid"]
    frames = {**alpha_shop.frames, "orders": paid}
    assert rows_of(widgets["Margin by region"]) == margin(frames, "region")


def test_a_locked_region_restricts_a_measure_on_orders_in_an_embed(alpha_shop):
    with alpha_shop.workspace.activate():
        secret = set_up_embedding(alpha_shop.workspace)
    token = sign(alpha_shop.workspace, secret, alpha_shop.dashboard, params={"customers.region": "West"})

    response = alpha_shop.workspace.anonymous_client().get(f"/embed/dashboard/{token}/data/")
    widgets = widgets_by_title(response)

    assert rows_of(widgets["Margin by status"]) == margin(alpha_shop.frames, "status", region="West")
    assert set(rows_of(widgets["Margin by region"])) == {"West"}
    # A viewer's own pick cannot widen the lock.
    widened = alpha_shop.workspace.anonymous_client().get(
        f"/embed/dashboard/{token}/data/?filter.customers.region=East"
    )
    assert rows_of(widgets_by_title(widened)["Margin by status"]) == rows_of(widgets["Margin by status"])


def test_a_locked_field_the_model_lacks_refuses_the_widget(alpha_shop):
    with alpha_shop.workspace.activate():
        secret = set_up_embedding(alpha_shop.workspace)
    token = sign(alpha_shop.workspace, secret, alpha_shop.dashboard, params={"customers.country": "FR"})

    widgets = widgets_by_title(alpha_shop.workspace.anonymous_client().get(f"/embed/dashboard/{token}/data/"))

    for widget in widgets.values():
        assert widget["error"]["code"] == "locked_field_missing"
        assert "data" not in widget


def test_a_widget_naming_an_unknown_member_is_refused(alpha_shop):
    response = post_json(
        alpha_shop.client,
        f"/api/v1/dashboards/{alpha_shop.dashboard}/widgets/",
        {"kind": "table", "query": {"model": alpha_shop.model, "measures": ["orders.profit"]}},
    )

    assert response.status_code == 400
    assert "orders" in response.json()["error"]["message"]


def test_two_organisations_each_see_their_own_models_numbers(alpha_shop, beta):
    beta_shop = Shop(beta, seed=99)
    assert margin(beta_shop.frames, "status", "West") != margin(alpha_shop.frames, "status", "West")
    with alpha_shop.workspace.activate():
        alpha_secret = set_up_embedding(alpha_shop.workspace)
    with beta.activate():
        beta_secret = set_up_embedding(beta)
    locked = {"customers.region": "West"}

    for shop, secret in ((alpha_shop, alpha_secret), (beta_shop, beta_secret)):
        token = sign(shop.workspace, secret, shop.dashboard, params=locked)
        widgets = widgets_by_title(shop.workspace.anonymous_client().get(f"/embed/dashboard/{token}/data/"))
        assert rows_of(widgets["Margin by status"]) == margin(shop.frames, "status", region="West")

    alpha_token = sign(alpha_shop.workspace, alpha_secret, alpha_shop.dashboard, params=locked)
    assert beta.anonymous_client().get(f"/embed/dashboard/{alpha_token}/data/").status_code in (403, 404)
