# SPDX-License-Identifier: MIT
"""Celery tasks of alerts. Thin: enter the named workspace, call the service.

The beat entry point fans out one task per organisation, so no check runs without one.
"""

from __future__ import annotations

from celery import shared_task

from chat2chart.alerts import services
from chat2chart.core import hooks
from chat2chart.core.faults import DATABASE_RETRY


@shared_task(name="alerts.check_due", **DATABASE_RETRY)
def check_due(workspace: str) -> list[int]:
    """Check the alerts of one workspace that are due and send what they queued; returns their ids."""
    with hooks.workspace_context(workspace):
        return services.alerts_check_due()


@shared_task(name="alerts.check_due_everywhere", **DATABASE_RETRY)
def check_due_everywhere() -> list[str]:
    """Beat entry point (every minute): one task per organisation, each naming its workspace."""
    workspaces = hooks.list_workspaces()
    for workspace in workspaces:
        check_due.delay(workspace)
    return workspaces
