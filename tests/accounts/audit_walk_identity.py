# SPDX-License-Identifier: MIT
"""The identity part of the audit walk (tests/accounts/test_audit_completeness.py): roles, groups,
object sharing, members and SSO settings.

Members who change role, leave, are removed or receive ownership are people made for the walk
(`identity_people`), never the shared `alpha` users, so later tests find the organisation as it was.
Leaving and transferring ownership need a person (an API key cannot leave or own), so those two calls
use the person's own session client rather than the walking key. Database rows roll back with the
test; the cache is cleared after every test by tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from tests.rbac.helpers import add_member, membership_id, send

Call = Callable[[Client, dict[str, Any]], Any]

# A SAML IdP given field by field (no metadata to fetch); the walk never signs anyone in with it.
IDP = {
    "name": "Walk IdP",
    "protocol": "saml",
    "idp_entity_id": "https://idp.walk.example/",
    "idp_sso_url": "https://idp.walk.example/sso",
    "idp_x509_cert": "MIIBwalkcertificate",
}


def identity_people(alpha: Any, ctx: dict[str, Any]) -> None:
    """Add the walk's own people to `alpha` (made directly, so they write no entry before the walk):
    `member` (changed, grouped, removed), `leaver` (leaves with its own session), `owner2` (an extra
    owner who hands ownership to `heir`)."""
    with alpha.activate():
        for name, role in (
            ("member", "viewer"),
            ("leaver", "viewer"),
            ("owner2", "owner"),
            ("heir", "viewer"),
        ):
            user, client = add_member(alpha, f"walk-{name}@alpha.example", role=role)
            ctx[f"{name}_user"] = user.pk
            ctx[f"{name}_membership"] = membership_id(alpha, user)
            ctx[f"{name}_client"] = client


def _remember(key: str, call: Call) -> Call:
    def run(c: Client, ctx: dict[str, Any]) -> Any:
        response = call(c, ctx)
        if response.status_code < 300:
            ctx[key] = response.json()["id"]
        return response

    return run


def identity_calls() -> list[tuple[str, Call]]:
    """(operation id, call) for the identity endpoints; needs `chart` in ctx (object sharing) and the
    people of `identity_people`."""
    return [
        (
            "roles_create",
            _remember(
                "role",
                lambda c, x: send(
                    c, "post", "/api/v1/roles/", {"name": "Analyst", "permissions": ["sources.view"]}
                ),
            ),
        ),
        ("roles_update", lambda c, x: send(c, "patch", f"/api/v1/roles/{x['role']}/", {"name": "Analyst 2"})),
        (
            "groups_create",
            _remember(
                "group", lambda c, x: send(c, "post", "/api/v1/groups/", {"name": "BI", "role": "viewer"})
            ),
        ),
        (
            "groups_update",
            lambda c, x: send(c, "patch", f"/api/v1/groups/{x['group']}/", {"custom_role": x["role"]}),
        ),
        (
            "groups_member_add",
            lambda c, x: send(
                c, "post", f"/api/v1/groups/{x['group']}/members/", {"user_id": x["member_user"]}
            ),
        ),
        (
            "object_access_set",
            lambda c, x: send(
                c,
                "put",
                f"/api/v1/access/chart/{x['chart']}/",
                {"visibility": "restricted", "grants": [{"level": "view", "group_id": x["group"]}]},
            ),
        ),
        (
            "groups_member_remove",
            lambda c, x: send(
                c, "delete", f"/api/v1/groups/{x['group']}/members/", {"user_id": x["member_user"]}
            ),
        ),
        (
            "members_change_role",
            lambda c, x: send(c, "patch", f"/api/v1/members/{x['member_membership']}/", {"role": "editor"}),
        ),
        (
            "members_transfer_ownership",
            lambda c, x: send(
                x["owner2_client"],
                "post",
                "/api/v1/members/transfer-ownership/",
                {"member": x["heir_membership"]},
            ),
        ),
        (
            "members_attributes_set",
            lambda c, x: send(
                c,
                "put",
                f"/api/v1/members/{x['member_membership']}/attributes/",
                {"attributes": {"region": "North"}},
            ),
        ),
        ("members_leave", lambda c, x: send(x["leaver_client"], "post", "/api/v1/members/leave/")),
        ("members_remove", lambda c, x: send(c, "delete", f"/api/v1/members/{x['member_membership']}/")),
        ("sso_settings_update", lambda c, x: send(c, "patch", "/api/v1/sso/", {"require_sso": False})),
        ("sso_domain_add", lambda c, x: send(c, "post", "/api/v1/sso/domains/", {"domain": "walk.example"})),
        ("sso_domain_remove", lambda c, x: send(c, "delete", "/api/v1/sso/domains/walk.example/")),
        ("sso_provider_put", lambda c, x: send(c, "put", "/api/v1/sso/providers/walk/", IDP)),
        ("sso_provider_delete", lambda c, x: send(c, "delete", "/api/v1/sso/providers/walk/")),
        ("groups_delete", lambda c, x: send(c, "delete", f"/api/v1/groups/{x['group']}/")),
        ("roles_delete", lambda c, x: send(c, "delete", f"/api/v1/roles/{x['role']}/")),
    ]
