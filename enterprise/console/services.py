# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""What staff do to an organisation from the console. Each change is one function that, in one
transaction, makes the change and records the `StaffAction` (platform-wide audit); `actor` is keyword-only
so no caller forgets who acted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from chat2chart.core.errors import Forbidden, ValidationFailed
from enterprise.console.models import StaffAction
from enterprise.tenants.models import Organization

MAX_TRIAL_EXTENSION_DAYS = 365
MAX_REASON_LENGTH = 200


def _require_staff(actor: Any) -> None:
    if not (getattr(actor, "is_authenticated", False) and getattr(actor, "is_staff", False)):
        raise Forbidden("Only platform staff may do this.")


def staff_action_record(
    *, actor: Any, action: str, organization: Organization | None, data: dict[str, Any]
) -> StaffAction:
    """Write one entry of the staff audit trail (who, what, to which organisation, details)."""
    return StaffAction.objects.create(
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        action=action,
        organization=organization,
        organization_name=organization.name if organization is not None else "",
        data=data,
    )


def organization_suspend(*, organization: Organization, actor: Any, reason: str) -> Organization:
    """Suspend the organisation: its pages show that it is suspended, its API, embeds and websocket refuse;
    nothing is deleted. Raises `ValidationFailed` without a reason or when already suspended, `Forbidden`
    for non-staff."""
    _require_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the organisation is suspended (it is kept in the audit).")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationFailed(f"Keep the reason under {MAX_REASON_LENGTH} characters.")
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        if organization.is_suspended:
            raise ValidationFailed(f"{organization.name} is already suspended.")
        organization.status = Organization.Status.SUSPENDED
        organization.suspended_reason = reason
        # save() tells the host cache (enterprise.tenants.hosts), so the next request sees the status.
        organization.save(update_fields=["status", "suspended_reason"])
        staff_action_record(
            actor=actor, action="organization.suspend", organization=organization, data={"reason": reason}
        )
    return organization


def organization_reactivate(*, organization: Organization, actor: Any) -> Organization:
    """Make a suspended organisation active again, as it was. Raises `ValidationFailed` when it is not
    suspended, `Forbidden` for non-staff."""
    _require_staff(actor)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        if not organization.is_suspended:
            raise ValidationFailed(f"{organization.name} is not suspended.")
        organization.status = Organization.Status.ACTIVE
        organization.suspended_reason = ""
        organization.save(update_fields=["status", "suspended_reason"])
        staff_action_record(actor=actor, action="organization.reactivate", organization=organization, data={})
    return organization


def _positive_or_none(name: str, value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{name} must be a whole number, or empty for the platform's value.") from None
    if number < 1:
        raise ValidationFailed(f"{name} must be at least 1, or empty for the platform's value.")
    return number


TERMS = ("plan_override", "api_requests_per_minute", "embed_requests_per_minute", "llm_tokens_per_day")


def terms_update(*, organization: Organization, actor: Any, changes: dict[str, Any]) -> Organization:
    """Set the organisation's plan overrides: `plan_override` (a plan name, "" for the plan it pays for),
    `api_requests_per_minute`, `embed_requests_per_minute`, `llm_tokens_per_day` (numbers, None or "" for
    the platform's value). Unknown keys or bad numbers raise `ValidationFailed`. The audit entry lists the
    old and new value of each change."""
    _require_staff(actor)
    unknown = sorted(set(changes) - set(TERMS))
    if unknown:
        raise ValidationFailed(f"Unknown terms: {', '.join(unknown)}.")
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "plan_override":
            cleaned[name] = str(value or "").strip()[:40]
        else:
            cleaned[name] = _positive_or_none(name.replace("_", " "), value)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        changed = {
            name: [getattr(organization, name), value]
            for name, value in cleaned.items()
            if getattr(organization, name) != value
        }
        if changed:
            for name, (_, value) in changed.items():
                setattr(organization, name, value)
            # save() tells the host cache, so the next request counts against the new budgets.
            organization.save(update_fields=list(changed))
            staff_action_record(actor=actor, action="terms.update", organization=organization, data=changed)
    return organization


def trial_extend(*, organization: Organization, actor: Any, days: Any) -> Organization:
    """Move the trial's end `days` (1..365) later, counted from now when the trial has ended or never
    started. Raises `ValidationFailed` on any other number."""
    _require_staff(actor)
    try:
        count = int(days)
    except (TypeError, ValueError):
        raise ValidationFailed("Days must be a whole number.") from None
    if not 1 <= count <= MAX_TRIAL_EXTENSION_DAYS:
        raise ValidationFailed(f"Extend a trial by 1 to {MAX_TRIAL_EXTENSION_DAYS} days.")
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        before = organization.trial_ends_at
        start = max(before, timezone.now()) if before else timezone.now()
        organization.trial_ends_at = start + timedelta(days=count)
        organization.save(update_fields=["trial_ends_at"])
        staff_action_record(
            actor=actor,
            action="trial.extend",
            organization=organization,
            data={
                "days": count,
                "before": before.isoformat() if before else None,
                "after": organization.trial_ends_at.isoformat(),
            },
        )
    return organization


def backup_start(*, organization: Organization, actor: Any) -> None:
    """Queue a backup of the organisation (enterprise.backups; a Celery task, as it may take minutes) and
    record the staff action. Raises `Forbidden` for non-staff."""
    from enterprise.backups.tasks import backup_one

    _require_staff(actor)
    with transaction.atomic():
        staff_action_record(actor=actor, action="organization.backup", organization=organization, data={})
        transaction.on_commit(lambda: backup_one.delay(organization.slug))


def restore_start(*, organization: Organization, actor: Any, backup_id: Any, as_slug: str) -> str:
    """Queue the restore of one of the organisation's backups into a new organisation `as_slug` (the
    original is not touched) and record the staff action. Raises `ValidationFailed` for an unknown
    backup or a slug that is not valid or taken, `Forbidden` for non-staff."""
    from enterprise.backups.selectors import list_backups
    from enterprise.backups.tasks import restore_as
    from enterprise.tenants.services import validate_slug

    _require_staff(actor)
    backup = list_backups(organization).filter(pk=_positive_or_none("backup", backup_id) or 0).first()
    if backup is None:
        raise ValidationFailed("Pick one of this organisation's backups.")
    as_slug = (as_slug or "").strip().lower()
    validate_slug(as_slug)
    with transaction.atomic():
        staff_action_record(
            actor=actor,
            action="organization.restore",
            organization=organization,
            data={"backup": backup.pk, "as": as_slug},
        )
        transaction.on_commit(lambda: restore_as.delay(backup.location, as_slug, getattr(actor, "pk", None)))
    return as_slug
