# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Celery tasks of the audit trail. Thin: enter the named workspace, call the service."""

from __future__ import annotations

import logging

from celery import shared_task

from chat2chart.core import hooks
from enterprise.audit.models import AuditEntry
from enterprise.audit.services import audit_retention_apply, audit_settings
from enterprise.audit.webhook import DeliveryFailed, deliver

logger = logging.getLogger(__name__)


@shared_task(
    name="audit.deliver_entry",
    autoretry_for=(DeliveryFailed,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def deliver_entry(workspace: str, entry_id: int) -> int | None:
    """Send entry `entry_id` to the workspace's webhook (retried with back-off on failure); returns the
    webhook's HTTP status, or None when the webhook was removed or the entry is gone."""
    with hooks.workspace_context(workspace):
        stored = audit_settings()
        entry = AuditEntry.objects.filter(pk=entry_id).first()
        if entry is None or not stored.webhook_url:
            return None
        return deliver(entry, stored, workspace)


@shared_task(name="audit.retention")
def retention(workspace: str) -> int:
    """Delete the workspace's entries older than its retention; returns how many."""
    with hooks.workspace_context(workspace):
        return audit_retention_apply()


@shared_task(name="audit.retention_everywhere")
def retention_everywhere() -> list[str]:
    """Beat entry point: one retention task per organisation."""
    workspaces = hooks.list_workspaces()
    for workspace in workspaces:
        retention.delay(workspace)
    return workspaces
