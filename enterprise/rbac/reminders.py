# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Email a key's creator before the key expires, once per key (a daily beat task calls this)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from enterprise.rbac.models import ApiKey


def api_key_expiry_reminders_send(*, now: datetime | None = None) -> int:
    """Send one reminder for every active key expiring within `AISER_API_KEY_EXPIRY_REMINDER_DAYS`
    that has not had one; returns how many were sent. A key is marked only after its mail went out, so
    an SMTP failure is retried by the next run (and raised to the task)."""
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.AISER_API_KEY_EXPIRY_REMINDER_DAYS)
    due = ApiKey.objects.filter(
        revoked_at__isnull=True,
        expiry_reminder_sent_at__isnull=True,
        expires_at__gt=now,
        expires_at__lte=horizon,
        created_by__is_active=True,
    ).select_related("organization", "created_by")
    sent = 0
    for api_key in due:
        send_mail(
            subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}API key “{api_key.name}” expires soon",
            message=_body(api_key),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[api_key.created_by.email],
        )
        ApiKey.objects.filter(pk=api_key.pk).update(expiry_reminder_sent_at=now)
        sent += 1
    return sent


def _body(api_key: ApiKey) -> str:
    expires = api_key.expires_at.strftime("%Y-%m-%d %H:%M UTC") if api_key.expires_at else "soon"
    return (
        f"Your API key “{api_key.name}” (ak_{api_key.prefix}_…) in {api_key.organization.name} "
        f"expires on {expires}.\n\n"
        "Programs using it will be refused after that. Make a new key and replace it here:\n"
        f"{api_key.organization.url}/settings/api-keys/\n"
    )
