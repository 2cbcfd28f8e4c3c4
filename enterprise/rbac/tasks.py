# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Celery tasks of roles and API keys. Thin: call the service."""

from __future__ import annotations

from celery import shared_task

from enterprise.rbac.reminders import api_key_expiry_reminders_send


@shared_task(name="rbac.api_key_expiry_reminders")
def api_key_expiry_reminders() -> int:
    """Beat entry point (daily): remind creators of keys about to expire; returns how many mails went out.
    Keys live in the public schema, so one task covers every organisation."""
    return api_key_expiry_reminders_send()
