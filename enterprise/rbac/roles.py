# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""An organisation's own roles and its groups (teams): create, change, delete, add and remove members.

Nobody gives what they do not hold: a custom role or a group's role may include only permissions the
caller holds. Roles, groups and members are always looked up within the organisation in scope, so one
of another organisation is "not found". The built-in roles are not rows and cannot be deleted.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden, NotFound, ValidationFailed
from chat2chart.core.principal import Principal
from enterprise.rbac.access import forget_reach, permissions_of, role_permissions
from enterprise.rbac.models import CustomRole, Group
from enterprise.rbac.permissions import PRESETS, clean_permissions, preset_below
from enterprise.tenants.models import ROLE_RANK, Membership, Organization, Role


def _require_manager(principal: Principal) -> frozenset[str]:
    held = permissions_of(principal)
    if "members.manage" not in held:
        raise Forbidden("Only those who manage members can change roles and groups.")
    return held


def _clean_name(name: str, what: str) -> str:
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > 60:
        raise ValidationFailed(f"Give the {what} a name of at most 60 characters.")
    return name


def _not_above(held: frozenset[str], wanted: frozenset[str]) -> None:
    missing = sorted(wanted - held)
    if missing:
        raise Forbidden(f"You cannot give permissions you do not hold: {', '.join(missing)}.")


def custom_role_get(*, organization: Organization, role_id: int) -> CustomRole:
    role = CustomRole.objects.filter(organization=organization, pk=role_id).first()
    if role is None:
        raise NotFound("There is no such role in this organisation.")
    return role


def custom_role_create(
    *, principal: Principal, organization: Organization, name: str, permissions: list[str]
) -> CustomRole:
    """A new role of the organisation made of `permissions` (names from `permissions.PERMISSIONS`).
    Raises ValidationFailed for a bad or taken name (the built-in names are taken) or unknown permission."""
    held = _require_manager(principal)
    name = _clean_name(name, "role")
    wanted = clean_permissions(permissions)
    _not_above(held, wanted)
    if name.lower() in PRESETS:
        raise ValidationFailed(f"“{name}” is a built-in role.")
    try:
        with transaction.atomic():
            role = CustomRole.objects.create(organization=organization, name=name, permissions=sorted(wanted))
    except IntegrityError:
        raise ValidationFailed(f"There is already a role named “{name}”.") from None
    hooks.record_audit(
        action="role.create",
        actor=principal,
        target_type="role",
        target_id=role.pk,
        data={"name": name, "permissions": sorted(wanted)},
    )
    return role


def custom_role_update(
    *,
    principal: Principal,
    organization: Organization,
    role_id: int,
    name: str | None = None,
    permissions: list[str] | None = None,
) -> CustomRole:
    """Rename the role or change its permissions; its members' rank follows (`preset_below`)."""
    held = _require_manager(principal)
    role = custom_role_get(organization=organization, role_id=role_id)
    if name is not None:
        role.name = _clean_name(name, "role")
    if permissions is not None:
        wanted = clean_permissions(permissions)
        _not_above(held, wanted | frozenset(role.permissions))
        role.permissions = sorted(wanted)
    rank = min(preset_below(frozenset(role.permissions)), Role.ADMIN, key=lambda r: ROLE_RANK[Role(r)])
    try:
        with transaction.atomic():
            role.save()
            for membership in Membership.objects.filter(custom_role=role).exclude(role=rank):
                membership.role = rank
                membership.save(update_fields=["role"])
    except IntegrityError:
        raise ValidationFailed(f"There is already a role named “{role.name}”.") from None
    hooks.record_audit(
        action="role.update",
        actor=principal,
        target_type="role",
        target_id=role.pk,
        data={"name": role.name, "permissions": role.permissions},
    )
    return role


def custom_role_delete(*, principal: Principal, organization: Organization, role_id: int) -> None:
    """Delete a custom role nobody holds any more (ValidationFailed while a member has it)."""
    _require_manager(principal)
    role = custom_role_get(organization=organization, role_id=role_id)
    holders = Membership.objects.filter(custom_role=role).count()
    if holders:
        raise ValidationFailed(
            f"{holders} member(s) have the role “{role.name}”: give them another role first."
        )
    role.delete()
    hooks.record_audit(action="role.delete", actor=principal, target_type="role", target_id=role_id)


# --- groups ----------------------------------------------------------------------------------------


def group_get(*, organization: Organization, group_id: int) -> Group:
    group = Group.objects.filter(organization=organization, pk=group_id).first()
    if group is None:
        raise NotFound("There is no such group in this organisation.")
    return group


def _group_role(
    held: frozenset[str], organization: Organization, role: str, custom_role_id: int | None
) -> tuple[str, CustomRole | None]:
    if role and custom_role_id is not None:
        raise ValidationFailed("Give a group either a built-in role or a custom role, not both.")
    if role and role not in (Role.VIEWER, Role.EDITOR, Role.ADMIN):
        raise ValidationFailed("A group's role must be viewer, editor or admin (owners are people).")
    custom = custom_role_get(organization=organization, role_id=custom_role_id) if custom_role_id else None
    _not_above(held, role_permissions(role=role, custom_role=custom))
    return role, custom


def group_create(
    *,
    principal: Principal,
    organization: Organization,
    name: str,
    role: str = "",
    custom_role_id: int | None = None,
) -> Group:
    """A new group, with a role its members get on top of their own (or none: a group for sharing)."""
    held = _require_manager(principal)
    name = _clean_name(name, "group")
    role, custom = _group_role(held, organization, role or "", custom_role_id)
    try:
        with transaction.atomic():
            group = Group.objects.create(organization=organization, name=name, role=role, custom_role=custom)
    except IntegrityError:
        raise ValidationFailed(f"There is already a group named “{name}”.") from None
    hooks.record_audit(
        action="group.create",
        actor=principal,
        target_type="group",
        target_id=group.pk,
        data={"name": name, "role": role or (custom.name if custom else "")},
    )
    return group


def group_update(
    *,
    principal: Principal,
    organization: Organization,
    group_id: int,
    name: str | None = None,
    role: str | None = None,
    custom_role_id: int | None = None,
) -> Group:
    """Rename the group or change its role (`role=""` and no custom role: none)."""
    held = _require_manager(principal)
    group = group_get(organization=organization, group_id=group_id)
    if name is not None:
        group.name = _clean_name(name, "group")
    if role is not None or custom_role_id is not None:
        group.role, group.custom_role = _group_role(held, organization, role or "", custom_role_id)
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError:
        raise ValidationFailed(f"There is already a group named “{group.name}”.") from None
    hooks.record_audit(
        action="group.update",
        actor=principal,
        target_type="group",
        target_id=group.pk,
        data={
            "name": group.name,
            "role": group.role or (group.custom_role.name if group.custom_role else ""),
        },
    )
    return group


def group_delete(*, principal: Principal, organization: Organization, group_id: int) -> None:
    _require_manager(principal)
    group = group_get(organization=organization, group_id=group_id)
    group.delete()
    hooks.record_audit(action="group.delete", actor=principal, target_type="group", target_id=group_id)


def group_member_add(
    *, principal: Principal, organization: Organization, group_id: int, user_id: int
) -> Group:
    """Add a member of the organisation to the group (NotFound for anyone else)."""
    _require_manager(principal)
    group = group_get(organization=organization, group_id=group_id)
    if not Membership.objects.filter(organization=organization, user_id=user_id).exists():
        raise NotFound("There is no such member in this organisation.")
    group.members.add(user_id)
    forget_reach()
    hooks.record_audit(
        action="group.member_add",
        actor=principal,
        target_type="group",
        target_id=group.pk,
        data={"user_id": user_id},
    )
    return group


def group_member_remove(
    *, principal: Principal, organization: Organization, group_id: int, user_id: int
) -> Group:
    _require_manager(principal)
    group = group_get(organization=organization, group_id=group_id)
    group.members.remove(user_id)
    forget_reach()
    hooks.record_audit(
        action="group.member_remove",
        actor=principal,
        target_type="group",
        target_id=group.pk,
        data={"user_id": user_id},
    )
    return group
