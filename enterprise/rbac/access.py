# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""What a principal may do and see: the permissions its role and groups give, and object permissions
(sources, charts and dashboards kept private to their owner or shared with members and groups).

The organisation's owners and admins see every object (so nothing is orphaned when its owner leaves);
everyone else sees an object that has no `ObjectAccess` row, or is restricted and theirs, or shared with
them or one of their groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Q, QuerySet
from django_tenants.utils import get_public_schema_name

from chat2chart.core.memo import request_memo
from chat2chart.core.principal import OWNERSHIP, Principal
from enterprise.rbac.models import CustomRole, Group, ObjectAccess, ObjectGrant
from enterprise.rbac.permissions import MEMBER, PRESETS, SHAREABLE_KINDS
from enterprise.tenants.models import Membership, Organization, Role

Q_ = TypeVar("Q_", bound=QuerySet[Any])

# Built-in roles that see every object of the organisation, restricted or not.
SEES_EVERYTHING = frozenset({Role.OWNER, Role.ADMIN})


def organization_id_in_scope() -> int | None:
    """The id of the organisation whose schema is in scope, or None on the public schema."""
    schema = getattr(connection, "schema_name", None)
    if not schema or schema == get_public_schema_name():
        return None
    tenant_id = getattr(getattr(connection, "tenant", None), "pk", None)
    if tenant_id is not None:
        return int(tenant_id)
    # schema_context() leaves a stand-in tenant without a primary key: find it by its schema.
    found = Organization.objects.filter(schema_name=schema).values_list("pk", flat=True).first()
    return int(found) if found is not None else None


def role_permissions(*, role: str, custom_role: CustomRole | None) -> frozenset[str]:
    """The permissions of a custom role when given, else of the built-in `role` (empty for "")."""
    if custom_role is not None:
        return frozenset(custom_role.permissions)
    return PRESETS.get(role, frozenset())


def member_permissions_uncached(*, user_id: int, organization_id: int) -> frozenset[str]:
    """The union of the member's own role's permissions and their groups' roles', with MEMBER; empty
    for a non-member (a group of an organisation one has left gives nothing)."""
    membership = (
        Membership.objects.select_related("custom_role")
        .filter(user_id=user_id, organization_id=organization_id)
        .first()
    )
    if membership is None:
        return frozenset()
    permissions = {MEMBER, *role_permissions(role=membership.role, custom_role=membership.custom_role)}
    groups = Group.objects.select_related("custom_role").filter(
        organization_id=organization_id, members=user_id
    )
    for group in groups:
        permissions |= role_permissions(role=group.role, custom_role=group.custom_role)
    return frozenset(permissions)


def permissions_of(principal: Principal) -> frozenset[str]:
    """What `principal` may do in the organisation in scope. An API key: its own role's permissions,
    never more than its creator currently holds; an embed viewer or anonymous caller: nothing."""
    from enterprise.rbac.cached import member_permissions

    organization_id = organization_id_in_scope()
    if organization_id is None or principal.user_id is None or not principal.is_authenticated:
        return frozenset()
    memo = request_memo()
    who = f"{organization_id}:{principal.user_id}:{principal.api_key_id}:{principal.role}"
    key = f"{_MEMO_PREFIX}permissions:{who}"
    if memo is not None and key in memo:
        return memo[key]
    held = member_permissions(user_id=principal.user_id, organization_id=organization_id)
    if principal.kind == "api_key":
        held = held & (PRESETS.get(principal.role or "", frozenset()) | {MEMBER})
    if memo is not None:
        memo[key] = held
    return held


@dataclass(frozen=True)
class Reach:
    """How far a principal reaches into the objects of one kind (ids as strings)."""

    everything: bool
    restricted: frozenset[str]  # objects only their owner and those they are shared with see
    viewable: frozenset[str]  # shared with the principal or a group of theirs (view or edit)
    editable: frozenset[str]  # shared with edit


_MEMO_PREFIX = "rbac.access:"


def reach(principal: Principal, kind: str) -> Reach:
    """Which objects of `kind` are restricted and which of them are shared with `principal`; read once
    per request (a list checks every object it shows), forgotten when sharing changes."""
    if principal.role in SEES_EVERYTHING and principal.kind in ("person", "api_key"):
        return Reach(True, frozenset(), frozenset(), frozenset())
    organization_id = organization_id_in_scope()
    if organization_id is None:  # no organisation in scope: nothing is reachable (fail closed)
        return Reach(False, frozenset(), frozenset(), frozenset())
    memo = request_memo()
    key = f"{_MEMO_PREFIX}reach:{organization_id}:{principal.user_id}:{principal.api_key_id}:{kind}"
    if memo is not None and key in memo:
        return memo[key]
    found = _reach_uncached(principal, kind, organization_id)
    if memo is not None:
        memo[key] = found
    return found


def forget_reach() -> None:
    """Drop what this request remembered of permissions and reach (after roles, groups or sharing
    changed: `enterprise.rbac.cached.invalidate` calls it too)."""
    memo = request_memo()
    if memo is not None:
        for key in [k for k in memo if k.startswith(_MEMO_PREFIX)]:
            del memo[key]


def _reach_uncached(principal: Principal, kind: str, organization_id: int) -> Reach:
    restricted = frozenset(
        ObjectAccess.objects.filter(
            organization_id=organization_id, kind=kind, visibility=ObjectAccess.Visibility.RESTRICTED
        ).values_list("object_id", flat=True)
    )
    grants: list[tuple[str, str]] = []
    if principal.user_id is not None:
        grants = list(
            ObjectGrant.objects.filter(
                Q(user_id=principal.user_id) | Q(group__members=principal.user_id),
                access__organization_id=organization_id,
                access__kind=kind,
            ).values_list("access__object_id", "level")
        )
    viewable: set[str] = set()
    editable: set[str] = set()
    for object_id, level in grants:
        viewable.add(object_id)
        if level == ObjectGrant.Level.EDIT:
            editable.add(object_id)
    return Reach(False, restricted, frozenset(viewable), frozenset(editable))


def visible(principal: Principal, kind: str, queryset: Q_) -> Q_:
    """`queryset` (of sources, charts or dashboards) narrowed to what `principal` may see: the core's
    `visible` hook. Other kinds pass through unchanged."""
    if kind not in SHAREABLE_KINDS:
        return queryset
    if principal.kind == "embed" or principal.role is None:
        return queryset.none()
    seen = reach(principal, kind)
    if seen.everything or not seen.restricted:
        return queryset
    hidden = seen.restricted - seen.viewable
    # Object ids are stored as strings; the models' keys are integers.
    condition = ~Q(pk__in=[int(i) for i in hidden if i.isdigit()])
    if principal.user_id is not None and OWNERSHIP in principal.scopes:
        condition |= Q(owner_id=principal.user_id)
    return queryset.filter(condition)


def object_reach(principal: Principal, kind: str, obj: Any) -> tuple[bool, bool]:
    """(may see `obj`, holds an edit grant on it)."""
    seen = reach(principal, kind)
    object_id = str(obj.pk)
    if seen.everything or principal.owns(obj):
        return True, object_id in seen.editable
    visible_to = object_id not in seen.restricted or object_id in seen.viewable
    return visible_to, object_id in seen.editable
