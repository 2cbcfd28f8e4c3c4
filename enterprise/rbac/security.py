# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""An organisation's account security: requiring MFA, signing a member out, its members' sign-in history."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import QuerySet

from chat2chart.accounts.models import LoginEvent
from chat2chart.accounts.sessions import usersession_end_all
from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden, NotFound
from chat2chart.core.principal import Principal
from enterprise.rbac.models import OrganizationSecurity
from enterprise.tenants.models import Membership, Organization


def current_organization() -> Organization:
    """The organisation whose host the request came to (its schema is in scope); raises `NotFound`
    anywhere else, so a caller outside an organisation fails closed."""
    tenant = getattr(connection, "tenant", None)
    if not isinstance(tenant, Organization) or tenant.schema_name == "public":
        raise NotFound("Not found.")
    return tenant


def _require_manage(actor: Principal) -> None:
    if not hooks.can(actor, hooks.MANAGE):
        raise Forbidden("Only owners and admins can change the organisation's security.")


@transaction.atomic
def organization_security_update(
    *, organization: Organization, actor: Principal, require_mfa: bool
) -> OrganizationSecurity:
    """Require (or stop requiring) MFA of every member; members without it are sent to enrolment on
    their next page. Raises `Forbidden` for non-admins."""
    _require_manage(actor)
    security, _ = OrganizationSecurity.objects.select_for_update().get_or_create(organization=organization)
    before = security.require_mfa
    security.require_mfa = bool(require_mfa)
    security.save()
    hooks.record_audit(
        action="organization.security_update",
        actor=actor,
        target_type="organization",
        target_id=organization.pk,
        data={"changes": {"require_mfa": [before, security.require_mfa]}},
    )
    transaction.on_commit(lambda: cache.delete(f"rbac:require-mfa:{organization.pk}"))
    cache.delete(f"rbac:require-mfa:{organization.pk}")
    return security


def member_sign_out(*, organization: Organization, actor: Principal, user_id: int) -> int:
    """End every session of member `user_id` on the organisation's host; returns how many. Raises
    `Forbidden` for non-admins and `NotFound` for someone who is not a member."""
    _require_manage(actor)
    membership = (
        Membership.objects.select_related("user").filter(organization=organization, user_id=user_id).first()
    )
    if membership is None:
        raise NotFound("No such member.")
    with transaction.atomic():
        ended = usersession_end_all(user=membership.user, host=organization.host)
        hooks.record_audit(
            action="member.sign_out",
            actor=actor,
            target_type="user",
            target_id=user_id,
            data={"sessions_ended": ended},
        )
    return ended


def login_history(*, organization: Organization, user_id: int | None = None) -> QuerySet[LoginEvent]:
    """Sign-in attempts on the organisation's host by its members (and failures for unknown addresses),
    newest first; only one member's when `user_id` is given."""
    events = LoginEvent.objects.filter(workspace=organization.schema_name)
    if user_id is not None:
        events = events.filter(user_id=user_id)
    return events.select_related("user")
