# SPDX-License-Identifier: MIT
"""Collections: a personal collection per person, shared collections, and moving, pinning, archiving
and restoring charts and dashboards; what is filed in a personal collection stays its owner's."""

from __future__ import annotations

from typing import Any

import pytest

from tests.charts.test_api import _create, _source
from tests.rbac.helpers import send


def _chart(workspace: Any, role: str = "editor", **overrides: Any) -> dict[str, Any]:
    response = _create(workspace, _source(workspace), role=role, **overrides)
    assert response.status_code == 201, response.content
    return response.json()


def _ids(items: list[dict[str, Any]], kind: str) -> list[int]:
    return [item["id"] for item in items if item["kind"] == kind]


def _move(client: Any, kind: str, pk: int, **change: Any) -> Any:
    return send(client, "patch", f"/api/v1/collections/items/{kind}/{pk}/", change)


def test_everyone_gets_one_personal_collection(alpha):
    viewer = alpha.client("viewer")
    first = viewer.get("/api/v1/collections/").json()["personal"]
    again = viewer.get("/api/v1/collections/").json()["personal"]
    assert first["id"] == again["id"]
    assert first["personal"] is True
    assert first["mine"] is True
    other = alpha.client("editor").get("/api/v1/collections/").json()
    assert other["personal"]["id"] != first["id"]
    assert first["id"] not in [c["id"] for c in other["collections"]]


def test_a_chart_saved_into_a_shared_collection_is_listed_there_pinned_first(alpha):
    editor = alpha.client("editor")
    finance = send(editor, "post", "/api/v1/collections/", {"name": "Finance"}).json()
    first = _chart(alpha, title="Zeta revenue", collection=finance["id"])
    second = _chart(alpha, title="Alpha revenue", collection=finance["id"])
    assert first["collection"] == finance["id"]
    listed = alpha.client("viewer").get(f"/api/v1/collections/{finance['id']}/").json()["items"]
    assert _ids(listed, "chart") == [second["id"], first["id"]]  # by title
    assert _move(editor, "chart", first["id"], pinned=True).status_code == 200
    listed = alpha.client("viewer").get(f"/api/v1/collections/{finance['id']}/").json()["items"]
    assert _ids(listed, "chart") == [first["id"], second["id"]]
    assert listed[0]["pinned"] is True
    root = editor.get("/api/v1/collections/root/").json()["items"]
    assert first["id"] not in _ids(root, "chart")


def test_moving_a_dashboard_between_collections_and_back_to_the_root(alpha):
    editor = alpha.client("editor")
    ops = send(editor, "post", "/api/v1/collections/", {"name": "Operations"}).json()
    dashboard = send(editor, "post", "/api/v1/dashboards/", {"title": "Weekly ops"}).json()
    assert _move(editor, "dashboard", dashboard["id"], collection=ops["id"]).json()["collection"] == ops["id"]
    assert _ids(editor.get(f"/api/v1/collections/{ops['id']}/").json()["items"], "dashboard") == [
        dashboard["id"]
    ]
    assert _move(editor, "dashboard", dashboard["id"], collection=None).status_code == 200
    assert _ids(editor.get(f"/api/v1/collections/{ops['id']}/").json()["items"], "dashboard") == []
    assert dashboard["id"] in _ids(editor.get("/api/v1/collections/root/").json()["items"], "dashboard")


@pytest.mark.enterprise  # roles are an enterprise feature: the core lets every member do this
def test_what_is_in_a_personal_collection_is_seen_by_its_owner_and_admins_only(alpha):
    editor = alpha.client("editor")
    personal = editor.get("/api/v1/collections/").json()["personal"]
    chart = _chart(alpha, title="My draft", collection=personal["id"])
    # Another member does not see it in lists, search, nor by its id.
    viewer = alpha.client("viewer")
    assert chart["id"] not in [c["id"] for c in viewer.get("/api/v1/charts/").json()]
    assert viewer.get(f"/api/v1/charts/{chart['id']}/").status_code in (403, 404)
    assert viewer.get(f"/api/v1/collections/{personal['id']}/").status_code == 404
    assert not [
        h for h in viewer.get("/api/v1/search/", {"q": "my draft"}).json()["results"] if h["kind"] == "chart"
    ]
    # Nor may another editor file into it.
    other = alpha.client("admin")
    assert chart["id"] in [c["id"] for c in other.get("/api/v1/charts/").json()]
    mine = _chart(alpha, role="admin", title="Admin chart")
    assert _move(other, "chart", mine["id"], collection=personal["id"]).status_code == 403
    # Moved out to the root, everyone sees it again.
    assert _move(editor, "chart", chart["id"], collection=None).status_code == 200
    assert chart["id"] in [c["id"] for c in viewer.get("/api/v1/charts/").json()]


def test_archive_takes_a_chart_out_of_lists_and_search_and_restore_puts_it_back(alpha):
    editor = alpha.client("editor")
    finance = send(editor, "post", "/api/v1/collections/", {"name": "Finance"}).json()
    chart = _chart(alpha, title="Quarterly margin", collection=finance["id"])
    assert _move(editor, "chart", chart["id"], archived=True).json()["archived_at"]
    assert chart["id"] not in [c["id"] for c in editor.get("/api/v1/charts/").json()]
    assert _ids(editor.get(f"/api/v1/collections/{finance['id']}/").json()["items"], "chart") == []
    assert _ids(editor.get("/api/v1/collections/archive/").json()["items"], "chart") == [chart["id"]]
    assert editor.get("/api/v1/search/", {"q": "quarterly margin"}).json()["results"] == []
    # Still opens by its id (a link from a dashboard keeps working).
    assert editor.get(f"/api/v1/charts/{chart['id']}/").status_code == 200
    assert _move(editor, "chart", chart["id"], archived=False).json()["archived_at"] is None
    assert _ids(editor.get(f"/api/v1/collections/{finance['id']}/").json()["items"], "chart") == [chart["id"]]
    assert _ids(editor.get("/api/v1/collections/archive/").json()["items"], "chart") == []


@pytest.mark.enterprise  # roles are an enterprise feature: the core lets every member do this
def test_a_viewer_cannot_move_pin_or_archive(alpha):
    chart = _chart(alpha)
    viewer = alpha.client("viewer")
    for change in ({"pinned": True}, {"archived": True}, {"collection": None}):
        assert _move(viewer, "chart", chart["id"], **change).status_code == 403
    assert send(viewer, "post", "/api/v1/collections/", {"name": "Mine"}).status_code == 403


def test_collections_and_items_stay_inside_their_organisation(alpha, beta):
    finance = send(alpha.client("editor"), "post", "/api/v1/collections/", {"name": "Alpha finance"}).json()
    chart = _chart(alpha, collection=finance["id"])
    beta_editor = beta.client("editor")
    assert "Alpha finance" not in [
        c["name"] for c in beta_editor.get("/api/v1/collections/").json()["collections"]
    ]
    beta_chart = _chart(beta)
    # Alpha's collection id does not exist in beta: filing into it is refused, never crosses over.
    response = _move(beta_editor, "chart", beta_chart["id"], collection=finance["id"])
    if finance["id"] not in [c["id"] for c in beta_editor.get("/api/v1/collections/").json()["collections"]]:
        assert response.status_code == 404
    with alpha.activate():
        from chat2chart.charts.models import SavedChart

        assert SavedChart.objects.get(pk=chart["id"]).collection_id == finance["id"]


def test_deleting_a_shared_collection_moves_its_items_to_the_root(alpha):
    editor = alpha.client("editor")
    temp = send(editor, "post", "/api/v1/collections/", {"name": "Temporary"}).json()
    chart = _chart(alpha, collection=temp["id"])
    assert send(editor, "delete", f"/api/v1/collections/{temp['id']}/").json() == {"moved": 1}
    assert chart["id"] in _ids(editor.get("/api/v1/collections/root/").json()["items"], "chart")
    personal = editor.get("/api/v1/collections/").json()["personal"]
    assert send(editor, "delete", f"/api/v1/collections/{personal['id']}/").status_code == 403


def test_a_collection_needs_a_name(alpha):
    response = send(alpha.client("editor"), "post", "/api/v1/collections/", {"name": "   "})
    assert response.status_code == 400
    assert "name" in response.json()["error"]["message"]
