# SPDX-License-Identifier: MIT
"""The dashboards API: dashboards and widgets, the data endpoint with filters, and who may do what."""

from __future__ import annotations

import json

import pytest

from chat2chart.dashboards.models import Dashboard, Widget
from tests.dashboards.conftest import make_dashboard, widgets_by_title

API = "/api/v1/dashboards/"


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def put(client, url, body):
    return client.put(url, json.dumps(body), content_type="application/json")


def test_editor_creates_a_dashboard_and_every_member_can_read_it(alpha):
    response = post(
        alpha.client("editor"),
        API,
        {
            "title": "  Weekly   numbers ",
            "refresh_seconds": 300,
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["title"] == "Weekly numbers"
    assert created["refresh_seconds"] == 300

    listed = alpha.client("viewer").get(API).json()["dashboards"]
    assert [d["title"] for d in listed] == ["Weekly numbers"]
    with alpha.activate():
        assert Dashboard.objects.get(pk=created["id"]).owner == alpha.users["editor"]


@pytest.mark.enterprise  # roles: in the core edition every member may do everything
def test_viewer_cannot_create_or_change_a_dashboard(alpha, dashboard):
    viewer = alpha.client("viewer")
    assert post(viewer, API, {"title": "Mine"}).status_code == 403
    assert patch(viewer, f"{API}{dashboard.pk}/", {"title": "Renamed"}).status_code == 403
    assert post(viewer, f"{API}{dashboard.pk}/widgets/", {"kind": "text", "text": "hi"}).status_code == 403
    with alpha.activate():
        assert Dashboard.objects.get(pk=dashboard.pk).title == "Sales overview"


@pytest.mark.enterprise  # roles: in the core edition every member may do everything
def test_editor_changes_a_dashboard_but_cannot_delete_someone_elses(alpha, dashboard):
    editor = alpha.client("editor")
    assert patch(editor, f"{API}{dashboard.pk}/", {"title": "Renamed"}).status_code == 200
    assert editor.delete(f"{API}{dashboard.pk}/").status_code == 403
    with alpha.activate():
        assert Dashboard.objects.filter(pk=dashboard.pk, title="Renamed").exists()


def test_admin_deletes_a_dashboard_with_its_widgets(alpha, dashboard):
    assert alpha.client("admin").delete(f"{API}{dashboard.pk}/").status_code == 204
    with alpha.activate():
        assert not Dashboard.objects.filter(pk=dashboard.pk).exists()
        assert not Widget.objects.filter(dashboard_id=dashboard.pk).exists()


def test_invalid_filters_and_refresh_are_refused(alpha):
    editor = alpha.client("editor")
    bad_filter = post(editor, API, {"title": "x", "filters": [{"field": "region", "kind": "between"}]})
    assert bad_filter.status_code == 400
    bad_refresh = post(editor, API, {"title": "x", "refresh_seconds": 7})
    assert bad_refresh.status_code == 400
    assert "Auto-refresh" in bad_refresh.json()["error"]["message"]


def test_widgets_are_added_changed_and_removed(alpha, sales, dashboard):
    editor = alpha.client("editor")
    url = f"{API}{dashboard.pk}/widgets/"
    kpi = post(
        editor, url, {"kind": "kpi", "chart_id": sales.charts["revenue"].pk, "x": 6, "y": 8, "w": 3, "h": 2}
    )
    assert kpi.status_code == 201, kpi.content
    text = post(editor, url, {"kind": "text", "text": "## Notes"})
    assert text.status_code == 201
    # Placed in the first free space: under the first chart, not below the lowest widget.
    assert (text.json()["x"], text.json()["y"]) == (0, 4)

    moved = patch(editor, f"{url}{kpi.json()['id']}/", {"x": 9, "title": "Total revenue"})
    assert moved.status_code == 200
    assert (moved.json()["x"], moved.json()["title"]) == (9, "Total revenue")
    assert editor.delete(f"{url}{text.json()['id']}/").status_code == 204

    kinds = sorted(w["kind"] for w in editor.get(url).json()["widgets"])
    assert kinds == ["chart", "kpi", "table"]


def test_a_widget_must_fit_the_grid_and_have_something_to_show(alpha, sales, dashboard):
    editor = alpha.client("editor")
    url = f"{API}{dashboard.pk}/widgets/"
    too_wide = post(editor, url, {"kind": "chart", "chart_id": sales.charts["revenue"].pk, "x": 8, "w": 6})
    assert too_wide.status_code == 400
    assert "12-column" in too_wide.json()["error"]["message"]
    assert post(editor, url, {"kind": "chart"}).status_code == 400
    assert post(editor, url, {"kind": "text", "text": "   "}).status_code == 400
    assert post(editor, url, {"kind": "chart", "chart_id": 999_999}).status_code == 400


def test_layout_is_saved_for_every_widget_at_once(alpha, dashboard):
    with alpha.activate():
        ids = list(dashboard.widgets.values_list("pk", flat=True))
    body = {
        "widgets": [
            {"id": ids[0], "x": 0, "y": 0, "w": 12, "h": 5},
            {"id": ids[1], "x": 0, "y": 5, "w": 4, "h": 3},
        ]
    }
    assert put(alpha.client("editor"), f"{API}{dashboard.pk}/layout/", body).status_code == 200
    with alpha.activate():
        assert Widget.objects.get(pk=ids[1]).w == 4
        assert Widget.objects.get(pk=ids[0]).w == 12


def test_duplicate_copies_the_widgets_for_the_person_who_asked(alpha, dashboard):
    response = post(alpha.client("editor"), f"{API}{dashboard.pk}/duplicate/", {})
    assert response.status_code == 201
    copy = response.json()
    assert copy["title"] == "Copy of Sales overview"
    assert len(copy["widgets"]) == 2
    with alpha.activate():
        assert Dashboard.objects.get(pk=copy["id"]).owner == alpha.users["editor"]


def test_data_returns_every_widgets_option_and_rows(alpha, dashboard):
    widgets = widgets_by_title(alpha.client("viewer").get(f"{API}{dashboard.pk}/data/"))
    assert set(widgets) == {"Revenue by month", "Revenue rows"}
    revenue = widgets["Revenue by month"]
    assert revenue["option"]["series"]
    assert [row[1] for row in revenue["data"]["rows"]] == [1000, 1100, 1165]
    assert len(widgets["Revenue rows"]["data"]["rows"]) == 6


def test_widget_data_columns_come_typed_from_the_query(alpha, dashboard):
    widgets = widgets_by_title(alpha.client("viewer").get(f"{API}{dashboard.pk}/data/"))
    columns = {c["name"]: c for c in widgets["Revenue rows"]["data"]["columns"]}
    assert columns["customer_id"]["member"] == "customer_id"
    assert columns["customer_id"]["role"] == "dimension"  # grouped by, so never added up
    assert columns["revenue"]["role"] == "measure"
    assert columns["revenue"]["member"] == "sum(revenue)"
    assert columns["revenue"]["agg"] == "sum"


def test_a_values_filter_applies_to_widgets_whose_table_has_the_field(alpha, sales):
    with alpha.activate():
        dashboard = make_dashboard(
            sales, widgets=("revenue", "targets"), filters=[{"field": "region", "kind": "values"}]
        )
    response = alpha.client("viewer").get(f"{API}{dashboard.pk}/data/?filter.region=North")
    widgets = widgets_by_title(response)
    assert response.json()["filters"] == {"region": ["North"]}
    assert [row[1] for row in widgets["Revenue by month"]["data"]["rows"]] == [100, 150]
    # The targets table has no region: the filter does not apply, and it still shows all its rows.
    assert [row[1] for row in widgets["Targets"]["data"]["rows"]] == [500, 600, 700]


def test_a_date_range_filter_given_as_json_applies_to_every_widget(alpha, sales):
    with alpha.activate():
        dashboard = make_dashboard(
            sales, widgets=("revenue", "targets"), filters=[{"field": "month", "kind": "date_range"}]
        )
    filters = json.dumps({"month": {"from": "2024-02-01", "to": "2024-03-31"}})
    widgets = widgets_by_title(alpha.client().get(f"{API}{dashboard.pk}/data/", {"filters": filters}))
    assert [row[1] for row in widgets["Revenue by month"]["data"]["rows"]] == [1100, 1165]
    assert [row[1] for row in widgets["Targets"]["data"]["rows"]] == [600, 700]


def test_a_date_range_that_is_not_a_date_is_refused_with_a_clear_message(alpha, sales):
    with alpha.activate():
        dashboard = make_dashboard(
            sales, widgets=("revenue",), filters=[{"field": "month", "kind": "date_range"}]
        )
    for bad in ("garbage..2024-03-31", "2024-02-30", "x" * 5000):
        response = alpha.client().get(f"{API}{dashboard.pk}/data/?filter.month={bad}")
        assert response.status_code == 400, (bad, response.content)
        message = response.json()["error"]["message"]
        assert "is not a date; write dates as 2024-01-31." in message
        assert len(message) < 120  # a huge value is not echoed back whole
    ok = alpha.client().get(f"{API}{dashboard.pk}/data/?filter.month=2024-02-01..2024-03-31T23:59:59")
    assert ok.status_code == 200, ok.content


def test_a_filter_the_dashboard_does_not_offer_is_refused(alpha, dashboard):
    response = alpha.client().get(f"{API}{dashboard.pk}/data/?filter.customer_id=1")
    assert response.status_code == 400
    assert "no filter on 'customer_id'" in response.json()["error"]["message"]


def test_one_broken_widget_shows_its_error_and_the_others_still_load(alpha, sales, dashboard):
    with alpha.activate():
        Widget.objects.create(
            dashboard=dashboard,
            kind="table",
            title="Broken",
            query=sales.revenue_query(measures=[{"field": "no_such_column", "agg": "sum"}]),
            y=20,
        )
    widgets = widgets_by_title(alpha.client().get(f"{API}{dashboard.pk}/data/"))
    assert widgets["Broken"]["error"]["message"]
    assert "option" not in widgets["Broken"]
    assert widgets["Revenue by month"]["option"]
    assert widgets["Revenue rows"]["data"]["rows"]


def test_a_text_widget_is_markdown_cleaned_of_scripts(alpha, dashboard):
    editor = alpha.client("editor")
    text = (
        "# Notes\n\n<script>alert(1)</script>[link](javascript:alert(2)) **bold** "
        "<img src=x onerror=alert(3)>"
    )
    created = post(editor, f"{API}{dashboard.pk}/widgets/", {"kind": "text", "text": text}).json()
    html = editor.get(f"{API}{dashboard.pk}/data/?widget={created['id']}").json()["widgets"][0]["html"]
    assert "<h1>Notes</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html


def test_one_widget_can_be_loaded_on_its_own(alpha, sales, dashboard):
    with alpha.activate():
        widget = dashboard.widgets.get(chart=sales.charts["rows"])
    body = alpha.client().get(f"{API}{dashboard.pk}/data/?widget={widget.pk}").json()
    assert [w["id"] for w in body["widgets"]] == [widget.pk]


def test_filter_options_list_the_values_of_a_dimension(alpha, dashboard):
    response = alpha.client("viewer").get(f"{API}{dashboard.pk}/filter-options/?field=region")
    assert response.json()["values"] == ["North", "South"]


@pytest.mark.enterprise
def test_a_non_member_gets_not_found(alpha, beta, dashboard):
    assert beta.client().get(f"{API}{dashboard.pk}/").status_code in (403, 404)
    response = beta.client().get(f"{API}{dashboard.pk}/", HTTP_HOST=alpha.host)
    assert response.status_code == 404
