# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Roles → actions: the enterprise answer to the core's permission hook.

Only the role decides here; rules about ownership live in each app's `policy.py`. A principal's role is
its membership's, or an API key's own role (never its creator's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection
from django_tenants.utils import get_public_schema_name

from chat2chart.core import hooks
from chat2chart.core.principal import OWNERSHIP, Principal
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
    """Whether the principal's role is at least the action's minimum role."""
    if not principal.is_authenticated or principal.role is None:
        return False
    return role_at_least(principal.role, MINIMUM_ROLE[action])


def key_scopes(*, key_role: str, creator_role: str) -> frozenset[str]:
    """What an API key of `key_role` may be used for: the actions its own role allows, and an owner's
    rights over its creator's objects only when the key's role is not lower than the creator's."""
    scopes = {action for action, minimum in MINIMUM_ROLE.items() if role_at_least(key_role, minimum)}
    if ROLE_RANK[key_role] >= ROLE_RANK[creator_role]:
        scopes.add(OWNERSHIP)
    return frozenset(scopes)
