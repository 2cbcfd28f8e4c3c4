# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Changing who is in an organisation and with which role: change a role, remove a member, transfer
ownership, leave. Each change is one function that also records its audit entry.

An organisation always keeps an owner: the last one can neither leave, be removed nor be demoted (they
transfer ownership first). Only owners touch owners. A member who leaves or is removed loses access at
once: their API keys of the organisation are revoked, they leave its groups, and the cached membership
answers are invalidated (`enterprise.rbac.cached`), so their next request with the old session or key
is refused.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden, NotFound, ValidationFailed
from chat2chart.core.principal import Principal
from enterprise.rbac.models import ApiKey, CustomRole, Group, ObjectGrant
from enterprise.rbac.permissions import preset_below
from enterprise.rbac.policy import has_permission
from enterprise.tenants.models import Membership, Organization, Role

MANAGE_REFUSED = "Only those who manage members can change them."


def _membership(organization: Organization, membership_id: int) -> Membership:
    membership = (
        Membership.objects.select_related("user", "custom_role")
        .filter(organization=organization, pk=membership_id)
        .first()
    )
    if membership is None:
        raise NotFound("There is no such member in this organisation.")
    return membership


def _owner_count(organization: Organization) -> int:
    return Membership.objects.filter(organization=organization, role=Role.OWNER).count()


def _require_manager(principal: Principal) -> None:
    if not has_permission(principal, "members.manage"):
        raise Forbidden(MANAGE_REFUSED)


def _is_owner(principal: Principal) -> bool:
    return principal.kind == "person" and principal.role == Role.OWNER


def _end_access(organization: Organization, membership: Membership) -> int:
    """Revoke the member's API keys of the organisation, take them out of its groups and drop the
    objects shared with them personally; the number of keys revoked."""
    now = timezone.now()
    keys = list(ApiKey.objects.filter(organization=organization, created_by=membership.user, revoked_at=None))
    for key in keys:  # save() per key: its signal invalidates the cached key look-up at once
        key.revoked_at = now
        key.save(update_fields=["revoked_at"])
    for group in Group.objects.filter(organization=organization, members=membership.user):
        group.members.remove(membership.user)
    ObjectGrant.objects.filter(access__organization=organization, user=membership.user).delete()
    return len(keys)


def member_role_change(
    *,
    principal: Principal,
    organization: Organization,
    membership_id: int,
    role: str | None = None,
    custom_role_id: int | None = None,
) -> Membership:
    """Give the member a built-in `role` ("viewer", "editor", "admin", "owner") or the organisation's
    custom role `custom_role_id` (exactly one). Raises Forbidden when the caller may not manage members
    or touches an owner without being one, ValidationFailed for the last owner or a bad role, NotFound for
    a member or role of another organisation."""
    _require_manager(principal)
    if (role is None) == (custom_role_id is None):
        raise ValidationFailed("Give either a built-in role or a custom role.")
    membership = _membership(organization, membership_id)
    custom_role = None
    if custom_role_id is not None:
        custom_role = CustomRole.objects.filter(organization=organization, pk=custom_role_id).first()
        if custom_role is None:
            raise NotFound("There is no such role in this organisation.")
        # A custom role never makes an owner: ownership is given by transfer or the built-in role.
        new_rank = min(preset_below(frozenset(custom_role.permissions)), Role.ADMIN, key=_rank)
    else:
        if role not in Role.values:
            raise ValidationFailed("The role must be viewer, editor, admin or owner.")
        new_rank = role
    if (membership.role == Role.OWNER or new_rank == Role.OWNER) and not _is_owner(principal):
        raise Forbidden("Only an owner can make or change an owner.")
    with transaction.atomic():
        if membership.role == Role.OWNER and new_rank != Role.OWNER and _owner_count(organization) <= 1:
            raise ValidationFailed("The last owner cannot be demoted. Transfer ownership first.")
        before = membership.custom_role.name if membership.custom_role else membership.role
        membership.role = new_rank
        membership.custom_role = custom_role
        membership.save(update_fields=["role", "custom_role"])
        hooks.record_audit(
            action="member.role_change",
            actor=principal,
            target_type="membership",
            target_id=membership.pk,
            data={
                "user_id": membership.user_id,
                "from": before,
                "to": custom_role.name if custom_role else role,
            },
        )
    return membership


def _rank(role: str) -> int:
    from enterprise.tenants.models import ROLE_RANK

    return ROLE_RANK[Role(role)]


def member_remove(*, principal: Principal, organization: Organization, membership_id: int) -> None:
    """Remove the member: their API keys of the organisation are revoked and their next request with
    an old session or key is refused. Removing oneself is leaving (`member_leave`)."""
    _require_manager(principal)
    membership = _membership(organization, membership_id)
    if membership.user_id == principal.user_id:
        raise ValidationFailed("To leave the organisation yourself, use Leave.")
    if membership.role == Role.OWNER and not _is_owner(principal):
        raise Forbidden("Only an owner can remove an owner.")
    with transaction.atomic():
        if membership.role == Role.OWNER and _owner_count(organization) <= 1:
            raise ValidationFailed("The last owner cannot be removed.")
        revoked = _end_access(organization, membership)
        membership.delete()
        hooks.record_audit(
            action="member.remove",
            actor=principal,
            target_type="membership",
            target_id=membership_id,
            data={"user_id": membership.user_id, "api_keys_revoked": revoked},
        )


def member_leave(*, principal: Principal, organization: Organization) -> None:
    """The caller leaves the organisation (their API keys of it are revoked). The last owner cannot."""
    if principal.kind != "person" or principal.user_id is None:
        raise Forbidden("Only a person can leave an organisation, not an API key.")
    membership = Membership.objects.filter(organization=organization, user_id=principal.user_id).first()
    if membership is None:
        raise NotFound("You are not a member of this organisation.")
    with transaction.atomic():
        if membership.role == Role.OWNER and _owner_count(organization) <= 1:
            raise ValidationFailed("The last owner cannot leave. Transfer ownership first.")
        revoked = _end_access(organization, membership)
        hooks.record_audit(
            action="member.leave",
            actor=principal,
            target_type="membership",
            target_id=membership.pk,
            data={"user_id": membership.user_id, "api_keys_revoked": revoked},
        )
        membership.delete()


def ownership_transfer(*, principal: Principal, organization: Organization, membership_id: int) -> Membership:
    """Make member `membership_id` an owner and the caller (an owner, in person) an admin."""
    if not _is_owner(principal) or principal.user_id is None:
        raise Forbidden("Only an owner can transfer ownership.")
    target = _membership(organization, membership_id)
    if target.user_id == principal.user_id:
        raise ValidationFailed("You already own this organisation.")
    with transaction.atomic():
        target.role, target.custom_role = Role.OWNER, None
        target.save(update_fields=["role", "custom_role"])
        me = Membership.objects.get(organization=organization, user_id=principal.user_id)
        me.role, me.custom_role = Role.ADMIN, None
        me.save(update_fields=["role", "custom_role"])
        hooks.record_audit(
            action="organization.transfer_ownership",
            actor=principal,
            target_type="membership",
            target_id=target.pk,
            data={"from_user_id": principal.user_id, "to_user_id": target.user_id},
        )
    return target
