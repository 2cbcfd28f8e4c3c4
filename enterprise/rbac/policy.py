# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Roles → actions: the enterprise answer to the core's permission hook.

The principal's permissions (its role's, built-in or custom, and its groups'; an API key's own role's,
capped by its creator's) decide, together with object permissions for sources, charts and dashboards
(`enterprise.rbac.access`). Rules about ownership live in each app's `policy.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import connection
from django_tenants.utils import get_public_schema_name

from chat2chart.core import hooks
from chat2chart.core.principal import OWNERSHIP, Principal
from enterprise.rbac.access import object_reach, permissions_of
from enterprise.rbac.permissions import MEMBER, SHAREABLE_KINDS, kind_of, required
from enterprise.tenants.models import ROLE_RANK, Membership, Role, role_at_least

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

MINIMUM_ROLE = {
    hooks.VIEW: Role.VIEWER,
    hooks.ASK: Role.VIEWER,
    hooks.EDIT: Role.EDITOR,
    hooks.DELETE: Role.ADMIN,
    hooks.MANAGE: Role.ADMIN,
}


def role_of(user: AbstractBaseUser | AnonymousUser | None) -> str | None:
    """The role of this person in the organisation in scope (the core's `member_role` hook). A request
    sets `aiser_role` from the membership; tasks and sockets look it up."""
    role = getattr(user, "aiser_role", None)
    if role:
        return role
    if user is None or connection.schema_name == get_public_schema_name():
        return None
    # schema_context() leaves a stand-in tenant without a primary key: match on the schema instead.
    membership = (
        Membership.objects.filter(user_id=user.pk, organization__schema_name=connection.schema_name)
        .only("role")
        .first()
    )
    return membership.role if membership else None


def role_policy(principal: Principal, action: str, obj: Any = None) -> bool:
    """Whether the principal may do `action` on `obj`: it must see the object (when it is a source, chart
    or dashboard) and hold one of the permissions `required(action, obj)` names; an edit grant on the
    object lets it be changed without the role's edit permission."""
    if not principal.is_authenticated or principal.role is None:
        return False
    held = permissions_of(principal)
    if MEMBER not in held or (action == hooks.ASK and "sources.query" not in held):
        return False
    kind = kind_of(obj)
    if kind in SHAREABLE_KINDS and not isinstance(obj, str) and getattr(obj, "pk", None) is not None:
        sees, edit_grant = object_reach(principal, kind, obj)
        if not sees:
            return False
        if action == hooks.EDIT and edit_grant:
            return True
    needed = required(action, obj)
    return not needed or not held.isdisjoint(needed)


def has_permission(principal: Principal, permission: str) -> bool:
    """Whether `principal` holds `permission` (a name from `enterprise.rbac.permissions.PERMISSIONS`),
    for the enterprise pages the core's five actions do not describe (members, API keys, billing).
    An API key also needs the scope for it: "read" to view, "query" to query, "admin" to manage, "write"
    for the rest (create, edit, delete, publish, use SQL)."""
    if not principal.is_authenticated or permission not in permissions_of(principal):
        return False
    return _scope_action(permission) in principal.scopes


def _scope_action(permission: str) -> str:
    verb = permission.rpartition(".")[2]
    return {"view": hooks.VIEW, "query": hooks.ASK, "manage": hooks.MANAGE}.get(verb, hooks.EDIT)


# A key's scopes → the core's actions they open. Writing includes deleting and an owner's rights over
# its creator's objects; a key without "write" changes nothing, whatever its role.
SCOPE_ACTIONS: dict[str, frozenset[str]] = {
    "read": frozenset({hooks.VIEW}),
    "query": frozenset({hooks.ASK}),
    "write": frozenset({hooks.EDIT, hooks.DELETE, OWNERSHIP}),
    "admin": frozenset({hooks.MANAGE}),
}


def key_scopes(
    *, key_role: str, creator_role: str, scopes: Iterable[str] = tuple(SCOPE_ACTIONS)
) -> frozenset[str]:
    """What an API key of `key_role` with `scopes` (a subset of "read", "query", "write", "admin") may be
    used for: the actions both its own role and its scopes allow, and an owner's rights over its
    creator's objects only when it may write and its role is not lower than the creator's."""
    by_role = {action for action, minimum in MINIMUM_ROLE.items() if role_at_least(key_role, minimum)}
    if ROLE_RANK[key_role] >= ROLE_RANK[creator_role]:
        by_role.add(OWNERSHIP)
    by_scope = set().union(*(SCOPE_ACTIONS.get(scope, frozenset()) for scope in scopes))
    return frozenset(by_role & by_scope)
