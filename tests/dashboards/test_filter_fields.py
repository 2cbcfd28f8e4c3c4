# SPDX-License-Identifier: MIT
"""Dashboard filters pick a column of the dashboard's tables: a misspelled field is refused with the
column it was probably meant to be, the editor's field list is the tables' columns, and the value
picker lists each value with its number of rows (checked against pandas), per organisation."""

from __future__ import annotations

import io
import json

import pandas as pd

from tests.dashboards.conftest import SALES_CSV, create_file_source

API = "/api/v1/dashboards/"
SALES = pd.read_csv(io.StringIO(SALES_CSV))


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def test_a_misspelled_filter_field_is_refused_with_a_clear_message(alpha, dashboard):
    response = patch(
        alpha.client("editor"), f"{API}{dashboard.pk}/", {"filters": [{"field": "regoin", "kind": "values"}]}
    )
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "'regoin'" in message
    assert "Did you mean 'region'?" in message
    with alpha.activate():
        dashboard.refresh_from_db()
        assert [f["field"] for f in dashboard.filters] == ["region", "month"]  # unchanged


def test_a_filter_on_a_column_of_the_tables_is_saved_whatever_its_case(alpha, dashboard):
    response = patch(
        alpha.client("editor"),
        f"{API}{dashboard.pk}/",
        {"filters": [{"field": "Customer_ID", "kind": "values"}]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["filters"][0]["field"] == "Customer_ID"


def test_a_filter_before_any_widget_is_refused(alpha):
    created = alpha.client("editor").post(
        API,
        json.dumps({"title": "Empty", "filters": [{"field": "region", "kind": "values"}]}),
        content_type="application/json",
    )
    assert created.status_code == 400
    assert "Add a widget" in created.json()["error"]["message"]


def test_the_field_list_is_the_columns_of_the_dashboards_tables(alpha, dashboard):
    fields = alpha.client("viewer").get(f"{API}{dashboard.pk}/fields/").json()["fields"]
    assert [f["name"] for f in fields] == sorted(SALES.columns)
    types = {f["name"]: f["type"] for f in fields}
    assert types["month"] in ("date", "datetime")
    assert types["revenue"] in ("integer", "number", "float")


def test_value_options_carry_their_row_counts(alpha, dashboard):
    body = alpha.client("viewer").get(f"{API}{dashboard.pk}/filter-options/?field=region").json()
    expected = SALES.region.value_counts().sort_index()
    assert body["values"] == list(expected.index)
    assert body["options"] == [{"value": k, "count": int(v)} for k, v in expected.items()]


def test_each_organisation_sees_only_its_own_fields_and_values(alpha, beta, dashboard, tmp_path):
    with beta.activate():
        from chat2chart.core.principal import Principal
        from chat2chart.dashboards import services

        other = create_file_source(
            name="Other",
            file_name="other.csv",
            content="customer_id,country\n7,Chile\n8,Chile\n9,Peru\n",
            owner=beta.users["owner"],
            folder=tmp_path,
        )
        owner = Principal.for_user(beta.users["owner"])
        beta_dashboard = services.dashboard_create(principal=owner, title="Countries")
        query = {
            "source": other.pk,
            "table": other.tables.get(is_current=True).name,
            "dimensions": [{"field": "country"}],
            "measures": [{"agg": "count"}],
        }
        services.widget_create(dashboard=beta_dashboard, principal=owner, kind="table", query=query)
        services.dashboard_update(
            dashboard=beta_dashboard, principal=owner, filters=[{"field": "country", "kind": "values"}]
        )
    beta_viewer = beta.client("viewer")
    beta_fields = [f["name"] for f in beta_viewer.get(f"{API}{beta_dashboard.pk}/fields/").json()["fields"]]
    assert beta_fields == ["country", "customer_id"]
    options = beta_viewer.get(f"{API}{beta_dashboard.pk}/filter-options/?field=country").json()["options"]
    assert options == [{"value": "Chile", "count": 2}, {"value": "Peru", "count": 1}]
    alpha_fields = [
        f["name"] for f in alpha.client("viewer").get(f"{API}{dashboard.pk}/fields/").json()["fields"]
    ]
    assert "country" not in alpha_fields
    # beta's column is not one of alpha's: a filter on it is refused on alpha's dashboard.
    refused = patch(
        alpha.client("editor"), f"{API}{dashboard.pk}/", {"filters": [{"field": "country", "kind": "values"}]}
    )
    assert refused.status_code == 400
