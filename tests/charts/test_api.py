# SPDX-License-Identifier: MIT
"""The chart API: the type catalogue, drawing from data, recommendations and saved charts with roles."""

from __future__ import annotations

from typing import Any

import pytest
from model_bakery import baker

ORDERS_CATALOGUE = {
    "name": "orders",
    "columns": [
        {"name": "region", "type": "text"},
        {"name": "order_date", "type": "date"},
        {"name": "amount", "type": "decimal"},
        {"name": "quantity", "type": "integer"},
    ],
    "row_count": 4,
}
REGION_DATA = {
    "columns": [
        {"name": "region", "type": "text", "role": "dimension"},
        {"name": "sales", "type": "decimal", "role": "measure"},
    ],
    "rows": [["North", 120.5], ["South", 80.0], ["East", 42.25]],
}


def _source(workspace: Any) -> Any:
    """A ready source with one catalogued table, enough for saving charts (no data is queried)."""
    with workspace.activate():
        source = baker.make("sources.Source", name="Sales orders", kind="file", status="ready")
        baker.make(
            "sources.SourceTable", source=source, name="orders", catalogue=ORDERS_CATALOGUE, row_count=4
        )
    return source


def _chart_body(on: Any, **overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Sales by region",
        "description": "Orders summed per region.",
        "spec": {"type": "column", "encoding": {"x": "region", "y": ["amount"]}},
        "query": {
            "source": on.pk,
            "table": "orders",
            "dimensions": [{"field": "region"}],
            "measures": [{"field": "amount", "agg": "sum"}],
        },
        "source": on.pk,
    }
    return {**body, **overrides}


def _create(workspace: Any, on: Any, role: str = "editor", **overrides: Any) -> Any:
    return workspace.client(role).post(
        "/api/v1/charts/", _chart_body(on, **overrides), content_type="application/json"
    )


def test_types_list_every_type_with_family_and_data_needs(alpha):
    response = alpha.client("viewer").get("/api/v1/charts/types/")
    assert response.status_code == 200
    body = response.json()
    assert len(body["types"]) >= 50
    ids = [t["id"] for t in body["types"]]
    assert len(ids) == len(set(ids))
    assert {"column", "line", "pie", "sankey", "treemap", "kpi", "table"} <= set(ids)
    for chart_type in body["types"]:
        assert chart_type["name"]
        assert chart_type["family"] in body["families"]
        assert chart_type["needs"]["summary"]


def test_render_draws_posted_data(alpha):
    response = alpha.client("viewer").post(
        "/api/v1/charts/render/",
        {"spec": {"type": "column", "encoding": {"x": "region", "y": ["sales"]}}, "data": REGION_DATA},
        content_type="application/json",
    )
    assert response.status_code == 200
    option = response.json()["option"]
    assert option["xAxis"]["data"] == ["North", "South", "East"] or option["xAxis"][0]["data"] == [
        "North",
        "South",
        "East",
    ]
    assert option["series"][0]["type"] == "bar"


def test_render_with_only_a_type_fills_the_spec_from_the_columns(alpha):
    data = {"columns": ["region", "sales"], "rows": [["North", 3], ["South", 5]]}
    response = alpha.client("viewer").post(
        "/api/v1/charts/render/", {"type": "pie", "data": data}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["spec"]["type"] == "pie"
    assert body["spec"]["encoding"]["label"] == "region"
    assert body["option"]["series"][0]["type"] == "pie"


def test_render_of_misfit_data_is_a_400_with_the_builders_message(alpha):
    text_only = {"columns": [{"name": "region", "type": "text"}], "rows": [["North"]]}
    response = alpha.client().post(
        "/api/v1/charts/render/",
        {"spec": {"type": "column", "encoding": {"x": "region", "y": ["region"]}}, "data": text_only},
        content_type="application/json",
    )
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "Column chart needs" in message
    assert "not a number" in message


def test_render_of_an_unknown_type_is_a_400_naming_the_known_ones(alpha):
    response = alpha.client().post(
        "/api/v1/charts/render/",
        {"spec": {"type": "sparkles"}, "data": REGION_DATA},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "sparkles" in response.json()["error"]["message"]


def test_recommend_ranks_types_that_fit_the_columns(alpha):
    response = alpha.client("viewer").post(
        "/api/v1/charts/recommend/", {"columns": REGION_DATA["columns"]}, content_type="application/json"
    )
    assert response.status_code == 200
    ranked = response.json()["recommendations"]
    assert ranked[0]["type"] == "column"
    assert {"pie", "bar", "table"} <= {r["type"] for r in ranked}
    assert "sankey" not in {r["type"] for r in ranked}
    assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)


def test_saved_chart_crud(alpha):
    source = _source(alpha)
    created = _create(alpha, source)
    assert created.status_code == 201, created.json()
    chart = created.json()
    assert chart["type"] == "column"
    assert chart["source"] == source.pk
    client = alpha.client("viewer")
    assert [c["id"] for c in client.get("/api/v1/charts/").json()] == [chart["id"]]
    assert client.get(f"/api/v1/charts/{chart['id']}/").json()["title"] == "Sales by region"

    changed = alpha.client("editor").patch(
        f"/api/v1/charts/{chart['id']}/",
        {
            "title": "Revenue by region",
            "spec": {"type": "pie", "encoding": {"label": "region", "value": "amount"}},
        },
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["type"] == "pie"
    with alpha.activate():
        from chat2chart.charts.models import SavedChart

        assert SavedChart.objects.get(pk=chart["id"]).title == "Revenue by region"

    assert alpha.client("editor").delete(f"/api/v1/charts/{chart['id']}/").status_code == 204
    assert client.get(f"/api/v1/charts/{chart['id']}/").status_code == 404
    with alpha.activate():
        assert not SavedChart.objects.filter(pk=chart["id"]).exists()


def test_saving_records_an_audit_entry(alpha, settings):
    from tests.platform import hook_listeners

    hook_listeners.received.clear()
    settings.AISER_HOOK_PLUGINS = {"audit": ["tests.platform.hook_listeners.metrics_exporter"]}
    source = _source(alpha)
    chart_id = _create(alpha, source).json()["id"]
    alpha.client("admin").delete(f"/api/v1/charts/{chart_id}/")
    events = [event for _, event in hook_listeners.received]
    assert [(e.action, e.target_id) for e in events] == [
        ("chart.create", str(chart_id)),
        ("chart.delete", str(chart_id)),
    ]
    assert events[0].actor_id == alpha.users["editor"].pk


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"spec": {"type": "column", "encoding": {"x": "region", "y": ["profit"]}}}, "'profit'"),
        ({"spec": {"type": "line", "encoding": {"x": "region"}}}, "Line chart needs"),
        ({"spec": {"type": "nope"}}, "Unknown chart type"),
        (
            {"query": {"source": 1, "table": "orders", "measures": [{"agg": "explode"}]}},
            "The query is not valid",
        ),
    ],
)
def test_invalid_saved_charts_are_refused_with_a_reason(alpha, overrides, message):
    source = _source(alpha)
    if "query" in overrides:
        overrides = {**overrides, "query": {**overrides["query"], "source": source.pk}}
    response = _create(alpha, source, **overrides)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_a_query_on_an_unknown_field_or_table_is_refused(alpha):
    source = _source(alpha)
    query = {"source": source.pk, "table": "orders", "measures": [{"field": "profit"}]}
    response = _create(alpha, source, query=query, spec={"type": "kpi", "encoding": {"value": "profit"}})
    assert response.status_code == 400
    assert "profit" in response.json()["error"]["message"]
    response = _create(alpha, source, query={**query, "table": "refunds"})
    assert response.status_code == 400
    assert "refunds" in response.json()["error"]["message"]


def test_a_chart_on_a_source_that_does_not_exist_is_refused(alpha):
    source = _source(alpha)
    query = {**_chart_body(source)["query"], "source": source.pk + 1000}
    response = _create(alpha, source, query=query, source=None)
    assert response.status_code == 400
    assert "no source" in response.json()["error"]["message"]


@pytest.mark.enterprise
def test_viewer_can_read_but_cannot_create_update_or_delete(alpha):
    source = _source(alpha)
    chart_id = _create(alpha, source).json()["id"]
    viewer = alpha.client("viewer")
    assert _create(alpha, source, role="viewer").status_code == 403
    assert viewer.get(f"/api/v1/charts/{chart_id}/").status_code == 200
    response = viewer.patch(
        f"/api/v1/charts/{chart_id}/", {"title": "Mine now"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert viewer.delete(f"/api/v1/charts/{chart_id}/").status_code == 403
    with alpha.activate():
        from chat2chart.charts.models import SavedChart

        assert SavedChart.objects.get(pk=chart_id).title == "Sales by region"


@pytest.mark.enterprise
def test_editor_cannot_delete_a_chart_someone_else_made(alpha):
    source = _source(alpha)
    chart_id = _create(alpha, source, role="admin").json()["id"]
    assert alpha.client("editor").delete(f"/api/v1/charts/{chart_id}/").status_code == 403
    assert alpha.client("admin").delete(f"/api/v1/charts/{chart_id}/").status_code == 204


@pytest.mark.enterprise
def test_beta_cannot_see_alphas_charts(alpha, beta):
    source = _source(alpha)
    chart_id = _create(alpha, source).json()["id"]
    client = beta.client("owner")
    assert client.get("/api/v1/charts/").json() == []
    assert client.get(f"/api/v1/charts/{chart_id}/").status_code == 404
    assert client.get(f"/api/v1/charts/{chart_id}/data/").status_code == 404
    assert client.delete(f"/api/v1/charts/{chart_id}/").status_code == 404
    # Nor can beta save a chart on alpha's source.
    response = _create(beta, source, role="owner")
    assert response.status_code == 400


@pytest.mark.enterprise
def test_chart_pages_need_membership(alpha, beta):
    source = _source(alpha)
    chart_id = _create(alpha, source).json()["id"]
    assert alpha.client("viewer").get("/charts/").status_code == 200
    page = alpha.client("viewer").get(f"/charts/{chart_id}/")
    assert page.status_code == 200
    assert b"chart_page.js" in page.content
    assert beta.client("owner").get(f"/charts/{chart_id}/").status_code == 404
    assert alpha.anonymous_client().get("/charts/").status_code == 302


def test_gallery_page_has_a_figure_per_type(alpha):
    from chat2chart.charts.registry import chart_type_ids

    response = alpha.client("viewer").get("/charts/gallery/")
    assert response.status_code == 200
    for type_id in chart_type_ids():
        assert f'data-chart-type="{type_id}"'.encode() in response.content


def test_demo_charts_draw_from_the_sample_sources(alpha):
    from chat2chart.charts.demo import DEMO_CHARTS, seed_demo_content
    from chat2chart.sources.demo import seed_demo_content as seed_sources

    lines: list[str] = []
    with alpha.activate():
        seed_demo_content(owner=alpha.users["owner"], log=lines.append)  # no sample sources yet
        assert all("skipped" in line for line in lines)
        seed_sources(owner=alpha.users["owner"], log=lines.append)
        seed_demo_content(owner=alpha.users["owner"], log=lines.append)
        seed_demo_content(owner=alpha.users["owner"], log=lines.append)  # idempotent

    client = alpha.client("viewer")
    charts = client.get("/api/v1/charts/").json()
    assert sorted(c["title"] for c in charts) == sorted(c.title for c in DEMO_CHARTS), lines
    for chart in charts:
        response = client.get(f"/api/v1/charts/{chart['id']}/data/")
        assert response.status_code == 200, (chart["title"], response.json())
        body = response.json()
        assert body["option"]["series"], chart["title"]
        assert body["data"]["rows"]
        assert body["sql"].lower().startswith("select")
        assert body["cached"] is False
    again = client.get(f"/api/v1/charts/{charts[0]['id']}/data/").json()
    assert again["cached"] is True


def test_render_runs_a_query_as_the_user(alpha):
    from chat2chart.sources.demo import seed_demo_content as seed_sources

    with alpha.activate():
        seed_sources(owner=alpha.users["owner"], log=lambda line: None)
        from chat2chart.sources.models import Source

        source = Source.objects.get(name="Sample: customers")
        table = source.tables.get(is_current=True).name
    query = {
        "source": source.pk,
        "table": table,
        "dimensions": [{"field": "segment"}],
        "measures": [{"agg": "count"}],
    }
    client = alpha.client("viewer")
    response = client.post(
        "/api/v1/charts/render/", {"type": "pie", "query": query}, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["spec"]["encoding"]["label"] == "segment"
    assert sorted(item["name"] for item in body["option"]["series"][0]["data"]) == [
        "Consumer",
        "Enterprise",
        "Small Business",
    ]
    ranked = client.post(
        "/api/v1/charts/recommend/", {"query": query}, content_type="application/json"
    ).json()
    assert ranked["recommendations"][0]["type"] in {"column", "bar", "pie", "donut"}
