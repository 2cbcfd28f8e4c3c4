# SPDX-License-Identifier: MIT
"""Saved charts of model members, through the charts API: "margin by customer segment" (margin on
orders, segment on customers, across the join) saved as a chart whose query is a model query, read
back with the model's titles and formats and the numbers pandas computes from the uploaded sheets;
re-drawn as another type, added to a dashboard, refused where only a table works (grain, alerts), and
invisible to another organisation, whose own model id cannot be borrowed either."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chat2chart.alerts.series import chart_measure
from chat2chart.core.errors import ValidationFailed
from tests.conversations.test_model_members import MODEL_YAML, _margin_by_segment
from tests.semantic.test_api import upload_shop
from tests.sources.fixtures_api import post_json


def _shop(workspace: Any) -> dict[str, Any]:
    client = workspace.client("editor")
    source = upload_shop(client)
    created = post_json(
        client, "/api/v1/semantic/models/", {"name": "Shop", "yaml": MODEL_YAML.format(source=source)}
    )
    assert created.status_code == 201, created.content
    return {"client": client, "source": source, "model": created.json()["id"]}


def _query(model: int, **extra: Any) -> dict[str, Any]:
    return {"model": model, "measures": ["orders.margin"], "dimensions": ["customers.segment"], **extra}


def _save(client: Any, query: dict[str, Any], chart_type: str = "bar", title: str = "") -> Any:
    drawn = post_json(client, "/api/v1/charts/render/", {"query": query, "type": chart_type})
    assert drawn.status_code == 200, drawn.content
    return post_json(
        client, "/api/v1/charts/", {"title": title, "spec": drawn.json()["spec"], "query": query}
    )


def _rows(data: dict[str, Any]) -> dict[Any, float]:
    return {row[0]: round(float(row[1]), 4) for row in data["rows"]}


@pytest.fixture
def shop(alpha) -> dict[str, Any]:
    return _shop(alpha)


def test_a_saved_model_chart_reads_margin_by_segment_like_pandas(shop):
    client = shop["client"]
    saved = _save(client, _query(shop["model"]))
    assert saved.status_code == 201, saved.content
    chart = saved.json()
    assert chart["query"] == {**_query(shop["model"]), "dimensions": [{"member": "customers.segment"}]}
    assert chart["title"] == "Margin by Customer segment"  # from the members' titles

    data = client.get(f"/api/v1/charts/{chart['id']}/data/")
    assert data.status_code == 200, data.content
    body = data.json()
    assert _rows(body["data"]) == _margin_by_segment()
    columns = [(c["name"], c["member"], c["format"]) for c in body["data"]["columns"]]
    assert columns == [
        ("Customer segment", "customers.segment", None),
        ("Margin", "orders.margin", "currency:EUR"),
    ]
    assert body["grains"] == []
    assert body["option"]["series"]

    page = client.get(f"/charts/{chart['id']}/")
    assert page.status_code == 200


def test_a_filtered_model_chart_filters_through_the_join(shop):
    query = _query(shop["model"], filters=[{"field": "orders.status", "op": "eq", "value": "paid"}])
    saved = _save(shop["client"], query, title="Paid margin")
    assert saved.status_code == 201, saved.content

    body = shop["client"].get(f"/api/v1/charts/{saved.json()['id']}/data/").json()

    from tests.conversations.test_model_members import ROWS, shop_frames

    frames = shop_frames(ROWS)
    paid = frames["orders"][frames["orders"]["status"] == "paid"]
    joined = paid.merge(frames["customers"], left_on="customer_id", right_on="id", how="left")
    expected = (joined["shipping"].astype(float) * 0.4).groupby(joined["segment"]).sum()
    assert _rows(body["data"]) == {k: round(float(v), 4) for k, v in expected.items()}


def test_a_model_chart_switches_type_and_goes_on_a_dashboard(shop):
    client = shop["client"]
    chart = _save(client, _query(shop["model"])).json()
    data = client.get(f"/api/v1/charts/{chart['id']}/data/").json()["data"]

    pie = post_json(client, "/api/v1/charts/render/", {"type": "pie", "data": data})
    assert pie.status_code == 200, pie.content
    changed = client.patch(
        f"/api/v1/charts/{chart['id']}/",
        json.dumps({"spec": pie.json()["spec"]}),
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["query"] == chart["query"]

    dashboard = post_json(client, "/api/v1/dashboards/", {"title": "Margins"}).json()["id"]
    widget = post_json(
        client, f"/api/v1/dashboards/{dashboard}/widgets/", {"kind": "chart", "chart_id": chart["id"]}
    )
    assert widget.status_code == 201, widget.content
    widgets = client.get(f"/api/v1/dashboards/{dashboard}/data/").json()
    shown = widgets["widgets"] if isinstance(widgets, dict) else widgets
    assert len(shown) == 1
    assert "error" not in shown[0], shown
    assert _rows(shown[0]["data"]) == _margin_by_segment()
    assert shown[0]["option"]["series"][0]["type"] == "pie"  # the chart's saved type


def test_table_only_features_refuse_a_model_chart_and_say_so(shop):
    client = shop["client"]
    query = {"model": shop["model"], "measures": ["orders.margin"], "dimensions": []}
    query["dimensions"] = [{"member": "orders.created_at", "granularity": "month"}]
    chart = _save(client, query, chart_type="line").json()

    grain = client.get(f"/api/v1/charts/{chart['id']}/data/?grain=year")
    assert grain.status_code == 400, grain.content
    assert "table only" in json.dumps(grain.json())
    assert "Shop" in json.dumps(grain.json())

    with pytest.raises(ValidationFailed, match="table only"):
        chart_measure(chart["query"])


def test_unknown_members_are_refused_when_saved(shop):
    query = {"model": shop["model"], "measures": ["orders.profit_margin"], "dimensions": []}
    drawn = post_json(
        shop["client"], "/api/v1/charts/", {"title": "x", "spec": {"type": "table"}, "query": query}
    )
    assert drawn.status_code == 400, drawn.content
    assert "profit_margin" in json.dumps(drawn.json())


def test_another_organisation_cannot_open_the_chart_or_use_the_model(shop, beta):
    chart = _save(shop["client"], _query(shop["model"])).json()
    other = beta.client("editor")

    assert other.get(f"/api/v1/charts/{chart['id']}/").status_code == 404
    assert other.get(f"/api/v1/charts/{chart['id']}/data/").status_code == 404
    assert other.get(f"/charts/{chart['id']}/").status_code == 404
    borrowed = post_json(other, "/api/v1/charts/render/", {"query": _query(shop["model"]), "type": "bar"})
    saved = post_json(
        other, "/api/v1/charts/", {"title": "x", "spec": {"type": "table"}, "query": _query(shop["model"])}
    )
    for response in (borrowed, saved):
        assert response.status_code == 400, response.content
        assert f"no data model {shop['model']} in this workspace" in json.dumps(response.json())
