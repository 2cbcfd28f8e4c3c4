# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Write audit events from the core into the organisation's own schema; the organisation's audit
settings (retention, webhook); and the retention job, the one writer allowed to delete entries."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden, ValidationFailed
from chat2chart.core.hooks import AuditEvent
from chat2chart.core.principal import Principal
from chat2chart.core.secrets import encrypt_secret
from enterprise.audit.context import current_origin
from enterprise.audit.models import AuditEntry, AuditSettings

# The setting the trigger of migration 0003 reads: "on" only inside the retention job's transaction.
RETENTION_GUC = "aiser.audit_retention"


def audit_entry_record(event: AuditEvent) -> None:
    """Write the event as an `AuditEntry` (an audit hook listener) in the caller's transaction, with the
    request's origin; queue its delivery to the organisation's webhook after commit. Returns None, so
    the event goes on unchanged to the next listener in `AISER_HOOK_PLUGINS["audit"]`."""
    # The event's workspace is the schema in scope (the core asked the workspace hook), so the row
    # lands in that organisation's schema.
    data = dict(event.data or {})
    changes = data.pop("changes", None)
    api_key_id = data.get("api_key_id")  # kept in data too: readers of older entries look there
    origin = current_origin()
    entry = AuditEntry.objects.create(
        actor_id=event.actor_id,
        actor_label=_actor_label(event.actor_id, api_key_id, data.get("embed_user")),
        api_key_id=api_key_id,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id[:64],
        changes=changes,
        data=data or None,
        ip=origin.ip if origin else None,
        user_agent=origin.user_agent if origin else "",
        request_id=origin.request_id if origin else "",
    )
    if audit_settings().webhook_url:
        from enterprise.audit.tasks import deliver_entry

        workspace = event.workspace
        transaction.on_commit(lambda: deliver_entry.delay(workspace, entry.pk), robust=True)


# The core re-raises a required listener's error instead of logging it: a change whose audit entry
# cannot be written fails with it (and rolls back when the service runs in a transaction).
audit_entry_record.aiser_required = True  # type: ignore[attr-defined]


def _actor_label(actor_id: int | None, api_key_id: int | None, embed_user: Any = None) -> str:
    if actor_id is None and embed_user is not None:
        return f"embed_user:{embed_user}"
    if actor_id is None:
        return "system"
    email = get_user_model().objects.filter(pk=actor_id).values_list("email", flat=True).first() or ""
    if api_key_id is None:
        return email
    from enterprise.rbac.models import ApiKey

    name = ApiKey.objects.filter(pk=api_key_id).values_list("name", flat=True).first() or ""
    return f"{email} (API key {name})"


def audit_settings() -> AuditSettings:
    """The organisation's audit settings (defaults when it never saved any; not written here)."""
    return AuditSettings.objects.order_by("pk").first() or AuditSettings()


def retention_days() -> int:
    """Days entries are kept in the organisation in scope."""
    return audit_settings().retention_days or settings.AISER_AUDIT_RETENTION_DAYS


@transaction.atomic
def audit_settings_update(
    *, actor: Principal, retention_days: int | None, webhook_url: str, new_webhook_secret: bool = False
) -> tuple[AuditSettings, str | None]:
    """Save the retention (days, 30 to 3650; None for the default) and the webhook URL ("" for none).

    Returns the settings and, when a secret was made (a new URL without one, or `new_webhook_secret`),
    the secret, shown once. Raises `Forbidden` for non-admins and `ValidationFailed` for bad values."""
    if not hooks.can(actor, hooks.MANAGE):
        raise Forbidden("Only admins can change the audit settings.")
    if retention_days is not None and not 30 <= retention_days <= 3650:
        raise ValidationFailed("Keep entries between 30 and 3650 days.")
    webhook_url = (webhook_url or "").strip()
    if webhook_url and not webhook_url.startswith(("https://", "http://")):
        raise ValidationFailed("The webhook must be an http(s) URL.")
    stored = AuditSettings.objects.select_for_update().order_by("pk").first() or AuditSettings()
    before = {"retention_days": stored.retention_days, "webhook_url": stored.webhook_url}
    secret = None
    if webhook_url and (new_webhook_secret or not stored.webhook_secret):
        secret = secrets.token_urlsafe(32)
        stored.webhook_secret = encrypt_secret({"secret": secret})
    if not webhook_url:
        stored.webhook_secret = None
    stored.retention_days = retention_days
    stored.webhook_url = webhook_url
    stored.save()
    after = {"retention_days": retention_days, "webhook_url": webhook_url}
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if secret:
        changes["webhook_secret"] = ["…", "(new)"]
    hooks.record_audit(
        action="audit.settings_update",
        actor=actor,
        target_type="audit_settings",
        target_id=stored.pk,
        data={"changes": changes},
    )
    return stored, secret


def audit_retention_apply(*, now: datetime | None = None) -> int:
    """Delete the entries of the organisation in scope older than its retention; returns how many.

    The only deletion the trigger allows: it runs in its own transaction with `aiser.audit_retention`
    set locally (it ends with the transaction, so no other statement is ever let through)."""
    cutoff = (now or timezone.now()) - timedelta(days=retention_days())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [RETENTION_GUC])
        try:
            deleted, _ = AuditEntry.objects.filter(created_at__lt=cutoff).delete()
        finally:
            # Inside an outer transaction "local" lasts until it ends: switch it off at once instead.
            cursor.execute("SELECT set_config(%s, '', true)", [RETENTION_GUC])
    return deleted


def audit_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value differs, for services' `changes` data."""
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}
