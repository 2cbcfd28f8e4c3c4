# SPDX-License-Identifier: MIT
"""Members: change a role, remove a member (their session and API keys stop working at once), transfer
ownership, leave; the last owner can neither leave nor be demoted; nothing crosses organisations."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.rbac.helpers import add_member, create_role, membership_id, send

pytestmark = pytest.mark.enterprise


@pytest.fixture
def audit_events(settings: Any) -> list[Any]:
    from tests.platform import hook_listeners

    hook_listeners.received.clear()
    settings.AISER_HOOK_PLUGINS = {"audit": ["tests.platform.hook_listeners.metrics_exporter"]}
    return hook_listeners.received


def _key(client: Client, role: str = "viewer") -> str:
    response = send(client, "post", "/api/v1/api-keys/", {"name": "mine", "role": role})
    assert response.status_code == 201, response.content
    return response.json()["key"]


def test_an_admin_changes_a_members_role_and_it_applies_on_their_next_request(alpha, audit_events):
    user, client = add_member(alpha, "riley@alpha.test", "viewer")
    assert send(client, "post", "/api/v1/dashboards/", {"title": "Before"}).status_code == 403
    response = send(
        alpha.client("admin"), "patch", f"/api/v1/members/{membership_id(alpha, user)}/", {"role": "editor"}
    )
    assert response.status_code == 200
    assert response.json()["role"] == "editor"
    assert send(client, "post", "/api/v1/dashboards/", {"title": "After"}).status_code == 201
    assert [e.action for _, e in audit_events if e.action.startswith("member.")] == ["member.role_change"]


def test_removing_a_member_ends_their_session_and_api_keys_at_once(alpha, audit_events):
    from enterprise.rbac.models import ApiKey
    from enterprise.tenants.models import Membership

    user, client = add_member(alpha, "sam@alpha.test", "admin")
    key = _key(client)
    bearer = Client(HTTP_HOST=alpha.host, HTTP_AUTHORIZATION=f"Bearer {key}")
    # Both work, and their answers are now cached.
    assert client.get("/api/v1/dashboards/").status_code == 200
    assert bearer.get("/api/v1/dashboards/").status_code == 200

    removed = alpha.client("owner").delete(f"/api/v1/members/{membership_id(alpha, user)}/")
    assert removed.status_code == 204

    assert client.get("/api/v1/dashboards/").status_code == 404
    assert client.get("/dashboards/").status_code == 404
    refused = bearer.get("/api/v1/dashboards/")
    assert refused.status_code == 401
    assert not Membership.objects.filter(user=user, organization=alpha.organization).exists()
    assert ApiKey.objects.get(created_by=user).status == "revoked"
    entry = next(e for _, e in audit_events if e.action == "member.remove")
    assert entry.data == {"user_id": user.pk, "api_keys_revoked": 1}


def test_a_removed_member_leaves_the_organisations_groups(alpha):
    from enterprise.rbac.models import Group

    user, _ = add_member(alpha, "gale@alpha.test")
    group = send(alpha.client("owner"), "post", "/api/v1/groups/", {"name": "Ops"}).json()
    send(alpha.client("owner"), "post", f"/api/v1/groups/{group['id']}/members/", {"user_id": user.pk})
    alpha.client("owner").delete(f"/api/v1/members/{membership_id(alpha, user)}/")
    assert not Group.objects.get(pk=group["id"]).members.filter(pk=user.pk).exists()


def test_the_last_owner_can_neither_leave_nor_be_demoted_nor_removed(alpha):
    owner = alpha.client("owner")
    mine = membership_id(alpha, alpha.users["owner"])
    demoted = send(owner, "patch", f"/api/v1/members/{mine}/", {"role": "admin"})
    assert demoted.status_code == 400
    assert "last owner" in demoted.json()["error"]["message"]
    left = owner.post("/api/v1/members/leave/")
    assert left.status_code == 400
    assert "Transfer ownership" in left.json()["error"]["message"]
    assert owner.get("/api/v1/members/").status_code == 200


def test_only_an_owner_touches_owners(alpha):
    admin = alpha.client("admin")
    owner_id = membership_id(alpha, alpha.users["owner"])
    editor_id = membership_id(alpha, alpha.users["editor"])
    assert send(admin, "patch", f"/api/v1/members/{owner_id}/", {"role": "viewer"}).status_code == 403
    assert admin.delete(f"/api/v1/members/{owner_id}/").status_code == 403
    assert send(admin, "patch", f"/api/v1/members/{editor_id}/", {"role": "owner"}).status_code == 403


def test_an_owner_transfers_ownership_and_becomes_an_admin(alpha, audit_events):
    from enterprise.tenants.models import Membership

    response = send(
        alpha.client("owner"),
        "post",
        "/api/v1/members/transfer-ownership/",
        {"member": membership_id(alpha, alpha.users["admin"])},
    )
    assert response.status_code == 200
    roles = dict(
        Membership.objects.filter(organization=alpha.organization).values_list("user__email", "role")
    )
    assert roles["admin@alpha.test"] == "owner"
    assert roles["owner@alpha.test"] == "admin"
    # The former owner may now leave; the new one may not (they are the last owner).
    assert alpha.client("owner").post("/api/v1/members/leave/").status_code == 204
    assert alpha.client("admin").post("/api/v1/members/leave/").status_code == 400
    assert "organization.transfer_ownership" in [e.action for _, e in audit_events]


def test_an_admin_cannot_transfer_ownership(alpha):
    response = send(
        alpha.client("admin"),
        "post",
        "/api/v1/members/transfer-ownership/",
        {"member": membership_id(alpha, alpha.users["editor"])},
    )
    assert response.status_code == 403


def test_a_member_leaves_and_their_keys_stop_working(alpha):
    _user, client = add_member(alpha, "lee@alpha.test", "admin")
    bearer = Client(HTTP_HOST=alpha.host, HTTP_AUTHORIZATION=f"Bearer {_key(client)}")
    assert client.post("/api/v1/members/leave/").status_code == 204
    assert client.get("/api/v1/members/").status_code == 404
    assert bearer.get("/api/v1/members/").status_code == 401


def test_an_api_key_cannot_leave_for_its_creator(alpha):
    key = _key(alpha.client("owner"), role="admin")
    bearer = Client(HTTP_HOST=alpha.host, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bearer.post("/api/v1/members/leave/").status_code == 403


def test_a_member_of_another_organisation_cannot_be_changed_or_removed(alpha, beta):
    beta_editor = membership_id(beta, beta.users["editor"])
    assert (
        send(
            alpha.client("owner"), "patch", f"/api/v1/members/{beta_editor}/", {"role": "viewer"}
        ).status_code
        == 404
    )
    assert alpha.client("owner").delete(f"/api/v1/members/{beta_editor}/").status_code == 404
    emails = [m["email"] for m in alpha.client("viewer").get("/api/v1/members/").json()["members"]]
    assert "editor@beta.test" not in emails
    assert "editor@alpha.test" in emails


def test_a_role_of_another_organisation_cannot_be_given(alpha, beta):
    beta_role = create_role(beta, "Beta readers", ["sources.view"]).json()
    target = membership_id(alpha, alpha.users["viewer"])
    response = send(
        alpha.client("owner"), "patch", f"/api/v1/members/{target}/", {"custom_role": beta_role["id"]}
    )
    assert response.status_code == 404
    assert "no such role" in response.json()["error"]["message"]


def test_bad_input_gets_a_clear_error(alpha):
    target = membership_id(alpha, alpha.users["viewer"])
    owner = alpha.client("owner")
    assert send(owner, "patch", f"/api/v1/members/{target}/", {"role": "emperor"}).status_code == 400
    both = send(owner, "patch", f"/api/v1/members/{target}/", {"role": "editor", "custom_role": 1})
    assert both.status_code == 400
    assert "either" in both.json()["error"]["message"]
    assert send(owner, "patch", f"/api/v1/members/{target}/", "not an object").status_code == 400


def test_a_principal_made_before_removal_is_refused_after_it(alpha):
    """What an open websocket holds: the principal made when it connected, role and all."""
    from chat2chart.core import hooks
    from chat2chart.core.principal import Principal
    from enterprise.tenants import membership as members

    user, _ = add_member(alpha, "wes@alpha.test", "editor")
    with alpha.activate():
        held_by_socket = Principal.for_user(user)
        assert hooks.can(held_by_socket, hooks.VIEW)
        assert hooks.can(held_by_socket, hooks.ASK)
        members.member_remove(
            principal=Principal.for_user(alpha.users["owner"]),
            organization=alpha.organization,
            membership_id=membership_id(alpha, user),
        )
        assert not hooks.can(held_by_socket, hooks.VIEW)
        assert not hooks.can(held_by_socket, hooks.ASK)
