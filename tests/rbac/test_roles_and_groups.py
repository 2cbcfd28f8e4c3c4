# SPDX-License-Identifier: MIT
"""Custom roles and groups: made from the permission list, never above what the maker holds, the
built-in presets fixed, a group's role reaching its members at once, and nothing usable across
organisations."""

from __future__ import annotations

import pytest

from tests.rbac.helpers import add_member, create_group, create_role, membership_id, send

pytestmark = pytest.mark.enterprise


def test_the_role_list_has_the_four_presets_and_the_organisations_own_roles(alpha, beta):
    create_role(alpha, "Analyst", ["sources.view", "sources.query"])
    create_role(beta, "Beta only", ["sources.view"])
    body = alpha.client("viewer").get("/api/v1/roles/").json()
    names = [r["name"] for r in body["roles"]]
    assert names == ["Viewer", "Editor", "Admin", "Owner", "Analyst"]
    assert "audit.view" in body["permissions"]
    assert "billing.manage" in body["permissions"]
    admin = next(r for r in body["roles"] if r["name"] == "Admin")
    assert "billing.manage" not in admin["permissions"]
    assert "members.manage" in admin["permissions"]


def test_a_custom_role_is_refused_with_an_unknown_permission_or_a_preset_name(alpha):
    unknown = create_role(alpha, "Odd", ["sources.view", "rockets.launch"])
    assert unknown.status_code == 400
    assert "rockets.launch" in unknown.json()["error"]["message"]
    assert create_role(alpha, "viewer", ["sources.view"]).status_code == 400
    assert create_role(alpha, "Analyst", ["sources.view"]).status_code == 201
    assert create_role(alpha, "Analyst", ["sources.view"]).status_code == 400


def test_an_admin_cannot_make_a_role_with_permissions_they_do_not_hold(alpha):
    response = create_role(alpha, "Treasurer", ["billing.manage"], role="admin")
    assert response.status_code == 403
    assert "billing.manage" in response.json()["error"]["message"]
    assert create_role(alpha, "Treasurer", ["billing.manage"], role="owner").status_code == 201


def test_a_role_in_use_cannot_be_deleted_and_presets_are_not_rows(alpha):
    role = create_role(alpha, "Analyst", ["sources.view", "sources.query"]).json()
    target = membership_id(alpha, alpha.users["viewer"])
    send(alpha.client("owner"), "patch", f"/api/v1/members/{target}/", {"custom_role": role["id"]})
    refused = alpha.client("owner").delete(f"/api/v1/roles/{role['id']}/")
    assert refused.status_code == 400
    assert "give them another role first" in refused.json()["error"]["message"]
    send(alpha.client("owner"), "patch", f"/api/v1/members/{target}/", {"role": "viewer"})
    assert alpha.client("owner").delete(f"/api/v1/roles/{role['id']}/").status_code == 204
    assert alpha.client("owner").delete("/api/v1/roles/viewer/").status_code == 404


def test_changing_a_custom_roles_permissions_applies_to_its_members_at_once(alpha):
    role = create_role(alpha, "Analyst", ["sources.view", "sources.query", "conversations.create"]).json()
    user, client = add_member(alpha, "ana@alpha.test")
    send(
        alpha.client("owner"),
        "patch",
        f"/api/v1/members/{membership_id(alpha, user)}/",
        {"custom_role": role["id"]},
    )
    assert send(client, "post", "/api/v1/dashboards/", {"title": "x"}).status_code == 403
    grown = send(
        alpha.client("owner"),
        "patch",
        f"/api/v1/roles/{role['id']}/",
        {"permissions": ["sources.view", "sources.query", "dashboards.create"]},
    )
    assert grown.status_code == 200
    assert send(client, "post", "/api/v1/dashboards/", {"title": "x"}).status_code == 201


def test_a_groups_role_reaches_its_members_and_leaves_with_them(alpha):
    group = create_group(alpha, "Builders", role="editor").json()
    viewer = alpha.client("viewer")
    assert send(viewer, "post", "/api/v1/dashboards/", {"title": "x"}).status_code == 403
    added = send(
        alpha.client("owner"),
        "post",
        f"/api/v1/groups/{group['id']}/members/",
        {"user_id": alpha.users["viewer"].pk},
    )
    assert added.status_code == 200
    assert added.json()["members"] == [alpha.users["viewer"].pk]
    assert send(viewer, "post", "/api/v1/dashboards/", {"title": "x"}).status_code == 201
    send(
        alpha.client("owner"),
        "delete",
        f"/api/v1/groups/{group['id']}/members/",
        {"user_id": alpha.users["viewer"].pk},
    )
    assert send(viewer, "post", "/api/v1/dashboards/", {"title": "y"}).status_code == 403


def test_a_group_can_have_a_custom_role(alpha):
    role = create_role(alpha, "SQL writers", ["sql.use", "sources.view", "sources.query"]).json()
    group = create_group(alpha, "Analysts", custom_role=role["id"])
    assert group.status_code == 201
    assert group.json()["custom_role"] == role["id"]


def test_groups_cannot_be_owners_nor_made_by_those_who_do_not_manage_members(alpha):
    assert create_group(alpha, "Owners", role="owner").status_code == 400
    assert create_group(alpha, "Mine", by="editor").status_code == 403


def test_a_group_or_role_of_another_organisation_is_never_usable(alpha, beta):
    beta_group = create_group(beta, "Beta team").json()
    beta_role = create_role(beta, "Beta role", ["sources.view"]).json()
    owner = alpha.client("owner")
    add = send(
        owner, "post", f"/api/v1/groups/{beta_group['id']}/members/", {"user_id": alpha.users["viewer"].pk}
    )
    assert add.status_code == 404
    assert create_group(alpha, "Borrowing", custom_role=beta_role["id"]).status_code == 404
    assert send(owner, "patch", f"/api/v1/roles/{beta_role['id']}/", {"name": "Taken"}).status_code == 404
    assert owner.delete(f"/api/v1/groups/{beta_group['id']}/").status_code == 404
    assert [g["name"] for g in owner.get("/api/v1/groups/").json()["groups"]] == []


def test_a_member_of_another_organisation_cannot_join_a_group(alpha, beta):
    group = create_group(alpha, "Alpha team").json()
    response = send(
        alpha.client("owner"),
        "post",
        f"/api/v1/groups/{group['id']}/members/",
        {"user_id": beta.users["viewer"].pk},
    )
    assert response.status_code == 404
    assert "no such member" in response.json()["error"]["message"]
