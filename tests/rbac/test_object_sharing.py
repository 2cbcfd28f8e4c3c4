# SPDX-License-Identifier: MIT
"""Object permissions: a source, chart or dashboard kept private to its owner or shared with members
and groups (view or edit). Lists show only what the caller may see; a widget whose source the viewer
may not query says so; nothing of one organisation can be granted in another."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rbac.helpers import add_member, create_group, send
from tests.sources.fixtures_api import REVENUE_BY_REGION, upload_source

pytestmark = pytest.mark.enterprise


def _access(client: Any, kind: str, pk: int, visibility: str = "restricted", grants: Any = ()) -> Any:
    return send(
        client, "put", f"/api/v1/access/{kind}/{pk}/", {"visibility": visibility, "grants": list(grants)}
    )


def _dashboard_ids(client: Any) -> set[int]:
    return {d["id"] for d in client.get("/api/v1/dashboards/").json()["dashboards"]}


@pytest.fixture
def private_dashboard(alpha: Any) -> dict[str, Any]:
    """A dashboard of the editor's, kept private to them."""
    editor = alpha.client("editor")
    dashboard = send(editor, "post", "/api/v1/dashboards/", {"title": "Salaries"}).json()
    assert _access(editor, "dashboard", dashboard["id"]).status_code == 200
    return dashboard


def test_a_private_dashboard_is_seen_only_by_its_owner_and_the_organisations_admins(alpha, private_dashboard):
    pk = private_dashboard["id"]
    viewer = alpha.client("viewer")
    assert pk not in _dashboard_ids(viewer)
    assert viewer.get(f"/api/v1/dashboards/{pk}/").status_code in (403, 404)
    assert pk in _dashboard_ids(alpha.client("editor"))
    assert pk in _dashboard_ids(alpha.client("admin"))
    assert pk in _dashboard_ids(alpha.client("owner"))


def test_sharing_with_a_member_lets_them_view_but_not_edit(alpha, private_dashboard):
    pk = private_dashboard["id"]
    viewer_id = alpha.users["viewer"].pk
    assert (
        _access(
            alpha.client("editor"), "dashboard", pk, grants=[{"user_id": viewer_id, "level": "view"}]
        ).status_code
        == 200
    )
    viewer = alpha.client("viewer")
    assert pk in _dashboard_ids(viewer)
    assert viewer.get(f"/api/v1/dashboards/{pk}/").status_code == 200
    assert send(viewer, "patch", f"/api/v1/dashboards/{pk}/", {"title": "Mine now"}).status_code == 403


def test_an_edit_grant_lets_a_viewer_change_that_dashboard_only(alpha, private_dashboard):
    pk = private_dashboard["id"]
    other = send(alpha.client("editor"), "post", "/api/v1/dashboards/", {"title": "Other"}).json()
    grants = [{"user_id": alpha.users["viewer"].pk, "level": "edit"}]
    _access(alpha.client("editor"), "dashboard", pk, grants=grants)
    viewer = alpha.client("viewer")
    assert send(viewer, "patch", f"/api/v1/dashboards/{pk}/", {"title": "Salaries 2026"}).status_code == 200
    assert send(viewer, "patch", f"/api/v1/dashboards/{other['id']}/", {"title": "No"}).status_code == 403


def test_sharing_with_a_group_reaches_its_members_and_stops_when_they_leave_it(alpha, private_dashboard):
    pk = private_dashboard["id"]
    group = create_group(alpha, "Finance").json()
    owner = alpha.client("owner")
    viewer_id = alpha.users["viewer"].pk
    send(owner, "post", f"/api/v1/groups/{group['id']}/members/", {"user_id": viewer_id})
    _access(alpha.client("editor"), "dashboard", pk, grants=[{"group_id": group["id"], "level": "view"}])
    assert pk in _dashboard_ids(alpha.client("viewer"))
    send(owner, "delete", f"/api/v1/groups/{group['id']}/members/", {"user_id": viewer_id})
    assert pk not in _dashboard_ids(alpha.client("viewer"))


def test_only_the_owner_or_an_admin_changes_who_sees_an_object(alpha, private_dashboard):
    pk = private_dashboard["id"]
    shared = send(alpha.client("editor"), "post", "/api/v1/dashboards/", {"title": "Open"}).json()
    _, other_editor = add_member(alpha, "casey@alpha.test", "editor")
    assert _access(other_editor, "dashboard", shared["id"]).status_code == 403
    assert _access(other_editor, "dashboard", pk).status_code == 404  # cannot see it at all
    assert _access(alpha.client("admin"), "dashboard", pk, visibility="organisation").status_code == 200
    assert pk in _dashboard_ids(alpha.client("viewer"))


def test_a_private_source_is_hidden_from_lists_and_cannot_be_queried(alpha):
    editor = alpha.client("editor")
    source = upload_source(editor).json()
    assert _access(editor, "source", source["id"]).status_code == 200
    viewer = alpha.client("viewer")
    assert source["id"] not in [s["id"] for s in viewer.get("/api/v1/sources/").json()]
    assert viewer.get(f"/api/v1/sources/{source['id']}/").status_code in (403, 404)
    refused = send(viewer, "post", "/api/v1/query/", {"source": source["id"], **REVENUE_BY_REGION})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "source_not_shared"
    assert (
        send(editor, "post", "/api/v1/query/", {"source": source["id"], **REVENUE_BY_REGION}).status_code
        == 200
    )


def test_a_widget_whose_source_the_viewer_may_not_query_says_so(alpha):
    editor = alpha.client("editor")
    source = upload_source(editor).json()
    chart = send(
        editor,
        "post",
        "/api/v1/charts/",
        {
            "title": "Revenue by region",
            "spec": {"type": "column", "encoding": {"x": "region", "y": ["revenue"]}},
            "query": {"source": source["id"], **REVENUE_BY_REGION},
            "source": source["id"],
        },
    ).json()
    dashboard = send(editor, "post", "/api/v1/dashboards/", {"title": "Sales"}).json()
    widget = send(
        editor,
        "post",
        f"/api/v1/dashboards/{dashboard['id']}/widgets/",
        {"kind": "chart", "chart_id": chart["id"]},
    )
    assert widget.status_code == 201, widget.content
    _access(editor, "source", source["id"])  # the dashboard stays open to everyone; its source does not

    seen_by_editor = editor.get(f"/api/v1/dashboards/{dashboard['id']}/data/").json()["widgets"][0]
    assert "error" not in seen_by_editor
    assert seen_by_editor["data"]["rows"]
    seen_by_viewer = (
        alpha.client("viewer").get(f"/api/v1/dashboards/{dashboard['id']}/data/").json()["widgets"][0]
    )
    assert seen_by_viewer["error"]["code"] == "source_not_shared"
    assert "do not have access" in seen_by_viewer["error"]["message"]
    assert "data" not in seen_by_viewer


def test_a_private_chart_is_hidden_from_the_chart_list(alpha):
    editor = alpha.client("editor")
    source = upload_source(editor).json()
    body = {
        "title": "Secret",
        "spec": {"type": "column", "encoding": {"x": "region", "y": ["revenue"]}},
        "query": {"source": source["id"], **REVENUE_BY_REGION},
        "source": source["id"],
    }
    chart = send(editor, "post", "/api/v1/charts/", body).json()
    _access(editor, "chart", chart["id"])
    assert chart["id"] not in [c["id"] for c in alpha.client("viewer").get("/api/v1/charts/").json()]
    assert chart["id"] in [c["id"] for c in editor.get("/api/v1/charts/").json()]
    assert alpha.client("viewer").get(f"/api/v1/charts/{chart['id']}/").status_code in (403, 404)


def test_a_group_or_member_of_another_organisation_cannot_be_granted(alpha, beta, private_dashboard):
    beta_group = create_group(beta, "Beta finance").json()
    pk = private_dashboard["id"]
    editor = alpha.client("editor")
    by_group = _access(editor, "dashboard", pk, grants=[{"group_id": beta_group["id"], "level": "view"}])
    assert by_group.status_code == 404
    assert "no such group" in by_group.json()["error"]["message"]
    by_member = _access(
        editor, "dashboard", pk, grants=[{"user_id": beta.users["viewer"].pk, "level": "view"}]
    )
    assert by_member.status_code == 404


def test_an_object_of_another_organisation_cannot_be_shared(alpha, beta):
    beta_dashboard = send(beta.client("owner"), "post", "/api/v1/dashboards/", {"title": "Beta's"}).json()
    assert _access(alpha.client("owner"), "dashboard", beta_dashboard["id"]).status_code == 404
    assert beta_dashboard["id"] in _dashboard_ids(beta.client("viewer"))


def test_bad_sharing_input_gets_a_clear_error(alpha, private_dashboard):
    editor = alpha.client("editor")
    pk = private_dashboard["id"]
    assert _access(editor, "dashboard", pk, visibility="everyone-ish").status_code == 400
    both = _access(editor, "dashboard", pk, grants=[{"level": "view"}])
    assert both.status_code == 400
    assert "member (user) or a group" in both.json()["error"]["message"]
    assert _access(editor, "conversation", 1).status_code == 404


def test_a_conversation_cannot_be_started_on_a_source_kept_from_the_caller(alpha):
    editor = alpha.client("editor")
    source = upload_source(editor).json()
    _access(editor, "source", source["id"])
    body = {"source": source["id"], "table": "sales"}
    refused = send(alpha.client("viewer"), "post", "/api/v1/conversations/", body)
    assert refused.status_code == 404
    grants = [{"user_id": alpha.users["viewer"].pk, "level": "view"}]
    _access(editor, "source", source["id"], grants=grants)
    assert send(alpha.client("viewer"), "post", "/api/v1/conversations/", body).status_code == 201
