# SPDX-License-Identifier: MIT
"""Drill-through on widgets of a data model: the rows behind a clicked segment are the rows of the cube
owning the widget's measure, joined as the model joins, with the dashboard's filters and an embed's
locked values kept. Two organisations with their own workbooks; counts and sums are checked against
pandas over the uploaded frames."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import pytest

from tests.dashboards.conftest import set_up_embedding, sign
from tests.dashboards.test_member_widgets import shop_frames, workbook
from tests.sources.fixtures_api import post_json, upload_source

# `cost` is no dimension of orders: the rows behind a widget list only the columns the model exposes.
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
      - name: count
        type: count
      - name: margin_per_order
        type: number
        sql: "{{margin}} / {{count}}"
    dimensions:
      - name: id
        type: number
        primary_key: true
      - name: customer_id
        type: number
      - name: status
        type: string
      - name: amount
        type: number
"""

ORDER_COLUMNS = ["Id", "Customer id", "Status", "Amount"]


class DrillShop:
    """One organisation's workbook, model and dashboard of two member widgets, made through the API."""

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
        created = post_json(self.client, "/api/v1/dashboards/", {"title": "Margins"})
        assert created.status_code == 201, created.content
        self.dashboard = created.json()["id"]
        self.by_region = self.add("orders.margin", "customers.region")
        self.per_order = self.add("orders.margin_per_order", "orders.status")
        filters = [{"field": "customers.region", "kind": "values"}, {"field": "status", "kind": "values"}]
        changed = self.client.patch(
            f"/api/v1/dashboards/{self.dashboard}/",
            json.dumps({"filters": filters}),
            content_type="application/json",
        )
        assert changed.status_code == 200, changed.content

    def add(self, measure: str, dimension: str) -> int:
        query = {"model": self.model, "measures": [measure], "dimensions": [dimension]}
        response = post_json(
            self.client,
            f"/api/v1/dashboards/{self.dashboard}/widgets/",
            {"kind": "chart", "title": f"{measure} by {dimension}", "query": query},
        )
        assert response.status_code == 201, response.content
        return int(response.json()["id"])

    def drill(self, widget: int, client: Any = None, **params: Any) -> Any:
        url = f"/api/v1/dashboards/{self.dashboard}/widgets/{widget}/drill/?{urlencode(params)}"
        return (client or self.client).get(url)

    def joined(self) -> pd.DataFrame:
        orders, customers = self.frames["orders"], self.frames["customers"]
        return orders.merge(customers.rename(columns={"id": "cid"}), left_on="customer_id", right_on="cid")


def frame(response: Any) -> pd.DataFrame:
    assert response.status_code == 200, response.content
    body = response.json()
    return pd.DataFrame(body["rows"], columns=[c["name"] for c in body["columns"]])


def assert_same_orders(rows: pd.DataFrame, expected: pd.DataFrame) -> None:
    """The listed rows are exactly `expected`'s orders: their number, ids and summed amount."""
    assert int(rows["rows"].sum()) == len(expected) > 0
    assert sorted(int(i) for i in rows["Id"]) == sorted(int(i) for i in expected["id"])
    listed = float((rows["Amount"].astype(float) * rows["rows"]).sum())
    assert round(listed, 2) == round(float(expected["amount"].sum()), 2)


@pytest.fixture
def shop(alpha) -> DrillShop:
    return DrillShop(alpha, seed=11)


def test_the_rows_behind_a_region_are_that_regions_orders(shop):
    rows = frame(shop.drill(shop.by_region, field="customers.region", value="West"))

    joined = shop.joined()
    assert list(rows.columns) == [*ORDER_COLUMNS, "Region", "rows"]
    assert set(rows["Region"]) == {"West"}
    assert_same_orders(rows, joined[joined["region"] == "West"])


def test_a_bare_dimension_name_and_a_number_measure_drill_to_the_cube_of_its_measures(shop):
    by_name = frame(shop.drill(shop.by_region, field="region", value="North"))
    joined = shop.joined()
    assert_same_orders(by_name, joined[joined["region"] == "North"])

    rows = frame(shop.drill(shop.per_order, field="orders.status", value="open"))
    assert list(rows.columns) == [*ORDER_COLUMNS, "rows"]
    orders = shop.frames["orders"]
    assert_same_orders(rows, orders[orders["status"] == "open"])


def test_a_dashboard_filter_is_kept(shop):
    rows = frame(
        shop.drill(shop.by_region, field="customers.region", value="East", **{"filter.status": "paid"})
    )

    joined = shop.joined()
    assert set(rows["Status"]) == {"paid"}
    assert_same_orders(rows, joined[(joined["region"] == "East") & (joined["status"] == "paid")])


def test_a_field_the_widget_does_not_group_by_is_refused(shop):
    response = shop.drill(shop.by_region, field="orders.status", value="paid")

    assert response.status_code == 400
    assert "customers.region" in response.json()["error"]["message"]


def test_an_embed_with_drill_stays_inside_its_locked_region(shop):
    with shop.workspace.activate():
        secret = set_up_embedding(shop.workspace)
    locked = {"customers.region": "West"}
    token = sign(shop.workspace, secret, shop.dashboard, params=locked, drill=True)
    anonymous = shop.workspace.anonymous_client()

    def drill(widget: int, **params: Any) -> Any:
        return anonymous.get(f"/embed/dashboard/{token}/widgets/{widget}/drill/?{urlencode(params)}")

    rows = frame(drill(shop.per_order, field="orders.status", value="paid"))
    joined = shop.joined()
    assert_same_orders(rows, joined[(joined["region"] == "West") & (joined["status"] == "paid")])
    # Neither a click on another region nor a picked one widens the lock.
    assert frame(drill(shop.by_region, field="customers.region", value="East")).empty
    widened = frame(
        drill(shop.per_order, field="orders.status", value="paid", **{"filter.customers.region": "East"})
    )
    assert widened.equals(rows)

    without = sign(shop.workspace, secret, shop.dashboard, params=locked)
    refused = anonymous.get(
        f"/embed/dashboard/{without}/widgets/{shop.per_order}/drill/?field=orders.status&value=paid"
    )
    assert refused.status_code == 403


def test_two_organisations_each_drill_into_their_own_rows(shop, beta):
    other = DrillShop(beta, seed=99)

    for each in (shop, other):
        rows = frame(each.drill(each.by_region, field="customers.region", value="West"))
        joined = each.joined()
        assert_same_orders(rows, joined[joined["region"] == "West"])
    assert shop.drill(other.by_region, field="customers.region", value="West").status_code == 404
    outsider = beta.client("editor").get(
        f"/api/v1/dashboards/{shop.dashboard}/widgets/{shop.by_region}/drill/?field=region&value=West"
    )
    assert outsider.status_code == 404


@pytest.mark.enterprise
def test_row_level_access_limits_the_rows_behind_a_widget(shop):
    """A rule "orders.status must equal the member's `status`" limits the rows a viewer drills into."""
    from tests.rbac.helpers import membership_id, send

    admin = shop.workspace.client("admin")
    source = shop.client.get(f"/api/v1/semantic/models/{shop.model}/").json()["yaml"].split()[1]
    rule = {"source": int(source), "table": "orders", "column": "status", "attribute": "status"}
    assert send(admin, "post", "/api/v1/row-rules/", rule).status_code == 201
    viewer = shop.workspace.users["viewer"]
    url = f"/api/v1/members/{membership_id(shop.workspace, viewer)}/attributes/"
    assert send(admin, "put", url, {"attributes": {"status": "paid"}}).status_code == 200
    paid_only = shop.workspace.client("viewer")

    rows = frame(shop.drill(shop.by_region, client=paid_only, field="customers.region", value="West"))
    joined = shop.joined()
    assert_same_orders(rows, joined[(joined["region"] == "West") & (joined["status"] == "paid")])
    assert frame(shop.drill(shop.per_order, client=paid_only, field="orders.status", value="open")).empty


def test_the_page_offers_drill_through_on_a_member_widget(shop):
    """The dashboard page gets the widget's dimension with the column its data carries, so a click
    finds the clicked value (static/js/dashboard.js `clickedValue`) and offers "See the rows"."""
    page = shop.client.get(f"/dashboards/{shop.dashboard}/")
    assert page.status_code == 200
    config = json.loads(
        page.content.decode().split('id="dashboard-config" type="application/json">')[1].split("</script>")[0]
    )
    widget = next(w for w in config["widgets"] if w["id"] == shop.by_region)
    assert widget["dimensions"] == [{"field": "customers.region", "granularity": None, "column": "Region"}]
    assert "customers.region" in widget["filters"]
    assert config["drillUrl"]
    data = shop.client.get(f"/api/v1/dashboards/{shop.dashboard}/data/?widget={shop.by_region}").json()
    (drawn,) = [w for w in data["widgets"] if w["id"] == shop.by_region]
    assert "Region" in [c["name"] for c in drawn["data"]["columns"]]
