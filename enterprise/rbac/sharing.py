# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Object permissions: keep a source, chart or dashboard private to its owner, or share it with some
members and groups (view or edit), or open it to the whole organisation again.

Who may change an object's sharing: its owner, and the organisation's owners and admins. The members
and groups named must belong to the organisation in scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden, NotFound, ValidationFailed
from chat2chart.core.principal import Principal
from enterprise.rbac.access import SEES_EVERYTHING, forget_reach
from enterprise.rbac.models import Group, ObjectAccess, ObjectGrant
from enterprise.rbac.permissions import SHAREABLE_KINDS
from enterprise.tenants.models import Membership, Organization


@dataclass(frozen=True)
class Grant:
    """One entry of an object's sharing: a member (`user_id`) or a group, with "view" or "edit"."""

    level: str
    user_id: int | None = None
    group_id: int | None = None


def shared_object(kind: str, object_id: int) -> Any:
    """The source, chart or dashboard `object_id` of the organisation in scope (NotFound otherwise)."""
    if kind == "source":
        from chat2chart.sources.selectors import source_get

        return source_get(object_id)
    if kind == "chart":
        from chat2chart.charts.selectors import chart_get

        return chart_get(chart_id=object_id)
    if kind == "dashboard":
        from chat2chart.dashboards.selectors import dashboard_get

        return dashboard_get(object_id)
    raise NotFound(f"Only {', '.join(SHAREABLE_KINDS)} can be shared.")


def object_access_get(*, organization: Organization, kind: str, obj: Any) -> tuple[str, list[Grant]]:
    """(visibility, grants) of the object: "organisation" with no row."""
    access = ObjectAccess.objects.filter(organization=organization, kind=kind, object_id=str(obj.pk)).first()
    if access is None:
        return ObjectAccess.Visibility.ORGANISATION, []
    grants = [Grant(level=g.level, user_id=g.user_id, group_id=g.group_id) for g in access.grants.all()]
    return access.visibility, grants


def _clean_grants(organization: Organization, grants: list[Grant]) -> list[Grant]:
    members = set(Membership.objects.filter(organization=organization).values_list("user_id", flat=True))
    groups = set(Group.objects.filter(organization=organization).values_list("pk", flat=True))
    for grant in grants:
        if grant.level not in ObjectGrant.Level.values:
            raise ValidationFailed("A grant's level must be view or edit.")
        if (grant.user_id is None) == (grant.group_id is None):
            raise ValidationFailed("A grant names either a member (user) or a group.")
        if grant.user_id is not None and grant.user_id not in members:
            raise NotFound("There is no such member in this organisation.")
        if grant.group_id is not None and grant.group_id not in groups:
            raise NotFound("There is no such group in this organisation.")
    # One grant per member or group: the last one given wins.
    return list({(g.user_id, g.group_id): g for g in grants}.values())


def object_access_set(
    *,
    principal: Principal,
    organization: Organization,
    kind: str,
    obj: Any,
    visibility: str,
    grants: list[Grant],
) -> tuple[str, list[Grant]]:
    """Set who may see and change `obj`: `visibility` "restricted" (its owner and the grants) or
    "organisation" (every member, the grants adding edit rights), replacing its grants."""
    if not (
        principal.owns(obj) or (principal.role in SEES_EVERYTHING and hooks.can(principal, hooks.VIEW, obj))
    ):
        raise Forbidden("Only its owner or an admin can change who sees this.")
    if visibility not in ObjectAccess.Visibility.values:
        raise ValidationFailed("Visibility must be organisation or restricted.")
    grants = _clean_grants(organization, grants)
    with transaction.atomic():
        access, _ = ObjectAccess.objects.update_or_create(
            organization=organization, kind=kind, object_id=str(obj.pk), defaults={"visibility": visibility}
        )
        access.grants.all().delete()
        forget_reach()
        ObjectGrant.objects.bulk_create(
            ObjectGrant(access=access, user_id=g.user_id, group_id=g.group_id, level=g.level) for g in grants
        )
        hooks.record_audit(
            action=f"{kind}.share",
            actor=principal,
            target_type=kind,
            target_id=obj.pk,
            data={
                "visibility": visibility,
                "grants": [{"user_id": g.user_id, "group_id": g.group_id, "level": g.level} for g in grants],
            },
        )
    return visibility, grants
