# SPDX-License-Identifier: MIT
"""Managing saved charts: a title from the query when none is given, rename, describe, duplicate, and
deleting one says which dashboards use it and leaves a widget that says the chart was removed."""

from __future__ import annotations

import pytest

from tests.charts.test_api import _create, _source
from tests.rbac.helpers import send


def test_a_chart_saved_without_a_title_is_named_from_its_query(alpha):
    response = _create(
        alpha, _source(alpha), title="", spec={"type": "column", "encoding": {"x": "region", "y": ["amount"]}}
    )
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "Total amount by region"


@pytest.mark.enterprise  # roles are an enterprise feature: the core lets every member do this
def test_rename_describe_and_duplicate(alpha):
    chart = _create(alpha, _source(alpha)).json()
    editor = alpha.client("editor")
    changed = send(
        editor,
        "patch",
        f"/api/v1/charts/{chart['id']}/",
        {"title": "  Sales  per region ", "description": "Net of refunds."},
    )
    assert changed.json()["title"] == "Sales per region"
    assert changed.json()["description"] == "Net of refunds."
    copy = send(editor, "post", f"/api/v1/charts/{chart['id']}/duplicate/", {})
    assert copy.status_code == 201
    assert copy.json()["title"] == "Copy of Sales per region"
    assert copy.json()["query"] == chart["query"]
    assert copy.json()["id"] != chart["id"]
    assert (
        send(alpha.client("viewer"), "post", f"/api/v1/charts/{chart['id']}/duplicate/", {}).status_code
        == 403
    )


def test_deleting_a_chart_warns_of_its_dashboards_and_leaves_a_widget_that_says_so(alpha):
    chart = _create(alpha, _source(alpha), title="Revenue by region").json()
    editor = alpha.client("editor")
    boards = []
    for title in ("Board A", "Board B"):
        board = send(editor, "post", "/api/v1/dashboards/", {"title": title}).json()
        for _ in range(2 if title == "Board A" else 1):  # twice on one board still counts it once
            added = send(
                editor,
                "post",
                f"/api/v1/dashboards/{board['id']}/widgets/",
                {"kind": "chart", "chart_id": chart["id"]},
            )
            assert added.status_code == 201, added.content
        boards.append(board)
    used = editor.get(f"/api/v1/charts/{chart['id']}/").json()["dashboards"]
    assert used == [{"id": boards[0]["id"], "title": "Board A"}, {"id": boards[1]["id"], "title": "Board B"}]
    assert editor.delete(f"/api/v1/charts/{chart['id']}/").status_code == 204
    data = editor.get(f"/api/v1/dashboards/{boards[1]['id']}/data/").json()
    widgets = data["widgets"] if isinstance(data, dict) and "widgets" in data else data
    entries = list(widgets.values()) if isinstance(widgets, dict) else widgets
    assert len(entries) == 1
    assert entries[0]["error"]["code"] == "chart_removed"
    assert "“Revenue by region” was removed" in entries[0]["error"]["message"]
    assert entries[0]["title"] == "Revenue by region"
    # The widgets are still on the dashboards.
    board = editor.get(f"/api/v1/dashboards/{boards[0]['id']}/").json()
    assert len(board["widgets"]) == 2
