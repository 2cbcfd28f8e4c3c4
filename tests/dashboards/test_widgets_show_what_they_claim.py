# SPDX-License-Identifier: MIT
"""Dashboards show what they claim: a KPI widget shows one total (never one group's value compared with
another group's), and a filter applies to a column whatever the case of its name, while a widget it
cannot filter says so. Numbers are checked against pandas over the same CSV."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from tests.dashboards.conftest import SALES_CSV, TARGETS_CSV, make_dashboard, widgets_by_title

API = "/api/v1/dashboards/"
SALES = pd.read_csv(io.StringIO(SALES_CSV))


def _add_kpi(client, dashboard, query: dict) -> int:
    response = client.post(
        f"{API}{dashboard.pk}/widgets/",
        json.dumps({"kind": "kpi", "query": query, "title": "KPI"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _kpi_value(client, dashboard, widget_id: int, params: str = "") -> dict:
    response = client.get(f"{API}{dashboard.pk}/data/?widget={widget_id}{params}")
    widget = response.json()["widgets"][0]
    assert "error" not in widget, widget
    return widget


def test_a_kpi_built_from_a_grouped_query_shows_the_total(alpha, sales):
    with alpha.activate():
        dashboard = make_dashboard(sales, widgets=(), filters=[{"field": "region", "kind": "values"}])
    editor = alpha.client("editor")
    grouped = {
        "source": sales.sales.pk,
        "table": sales.sales_table,
        "dimensions": [{"field": "region"}],
        "measures": [{"field": "revenue", "agg": "sum"}],
        "order": [{"field": "region"}],
    }
    widget_id = _add_kpi(editor, dashboard, grouped)
    widget = _kpi_value(editor, dashboard, widget_id)
    assert widget["data"]["rows"] == [[float(SALES.revenue.sum())]] or widget["data"]["rows"] == [
        [int(SALES.revenue.sum())]
    ]
    texts = [e["style"]["text"] for e in widget["option"]["graphic"]["elements"]]
    assert "vs previous" not in " ".join(texts)  # no group is compared with another group
    north = _kpi_value(editor, dashboard, widget_id, "&filter.region=North")
    assert north["data"]["rows"][0][0] == SALES[SALES.region == "North"].revenue.sum()


def test_a_kpi_of_an_average_is_the_average_of_all_rows_not_of_the_groups(alpha, sales):
    with alpha.activate():
        dashboard = make_dashboard(sales, widgets=())
    editor = alpha.client("editor")
    query = {
        "source": sales.sales.pk,
        "table": sales.sales_table,
        "dimensions": [{"field": "region"}],
        "measures": [{"field": "revenue", "agg": "avg"}],
    }
    widget = _kpi_value(editor, dashboard, _add_kpi(editor, dashboard, query))
    assert widget["data"]["rows"][0][0] == pytest.approx(SALES.revenue.mean(), rel=1e-9)
    assert widget["data"]["rows"][0][0] != SALES.groupby("region").revenue.mean().mean()


def test_a_filter_named_in_another_case_filters_the_column_and_other_widgets_say_they_are_not_filtered(
    alpha, sales
):
    with alpha.activate():
        dashboard = make_dashboard(
            sales, widgets=("revenue", "targets"), filters=[{"field": "Region", "kind": "values"}]
        )
    widgets = widgets_by_title(alpha.client("viewer").get(f"{API}{dashboard.pk}/data/?filter.Region=North"))
    north = SALES[SALES.region == "North"].groupby("month").revenue.sum()
    assert [row[1] for row in widgets["Revenue by month"]["data"]["rows"]] == list(north.values)
    assert "not_filtered_by" not in widgets["Revenue by month"]
    targets = pd.read_csv(io.StringIO(TARGETS_CSV))
    assert [row[1] for row in widgets["Targets"]["data"]["rows"]] == list(targets.target.values)
    assert widgets["Targets"]["not_filtered_by"] == ["Region"]
