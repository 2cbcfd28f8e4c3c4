# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Roles → actions: the enterprise answer to the core's permission hook."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django_tenants.utils import get_public_schema_name

from chat2chart.core import hooks
from enterprise.tenants.models import Membership, Role, role_at_least

MINIMUM_ROLE = {
    hooks.VIEW: Role.VIEWER,
    hooks.ASK: Role.VIEWER,
    hooks.EDIT: Role.EDITOR,
    hooks.DELETE: Role.ADMIN,
    hooks.MANAGE: Role.ADMIN,
}


def role_of(user: Any) -> str | None:
    """The role of this principal in the organisation in scope. A request sets `aiser_role`
    (from the membership, or lowered to an API key's role); tasks and sockets look it up."""
    role = getattr(user, "aiser_role", None)
    if role:
        return role
    if connection.schema_name == get_public_schema_name():
        return None
    # schema_context() leaves a stand-in tenant without a primary key: match on the schema instead.
    membership = (
        Membership.objects.filter(user_id=user.pk, organization__schema_name=connection.schema_name)
        .only("role")
        .first()
    )
    return membership.role if membership else None


def role_policy(user: Any, action: str, obj: Any = None) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    role = role_of(user)
    if role is None:
        return False
    if action == hooks.DELETE and obj is not None and getattr(obj, "owner_id", None) == user.pk:
        # Editors may delete what they made themselves.
        return role_at_least(role, Role.EDITOR)
    return role_at_least(role, MINIMUM_ROLE[action])
