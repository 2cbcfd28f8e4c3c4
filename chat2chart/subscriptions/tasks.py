# SPDX-License-Identifier: MIT
"""Celery tasks of subscriptions. Thin: enter the named workspace, call the service.

Every task takes the workspace (organisation schema name) first. Sending is safe to repeat: a task
delivered twice (acks late, a worker restart) sends nothing twice (see runs and delivery).
"""

from __future__ import annotations

import functools

from celery import shared_task
from django.db import transaction

from chat2chart.core import hooks
from chat2chart.core.faults import DATABASE_RETRY
from chat2chart.subscriptions import runs


@shared_task(name="subscriptions.send_run", **DATABASE_RETRY)
def send_run(workspace: str, run_id: int) -> str:
    """Send one scheduled run to its recipients; returns the run's status."""
    with hooks.workspace_context(workspace):
        return runs.subscription_run_send(run_id=run_id)


@shared_task(name="subscriptions.run_due", **DATABASE_RETRY)
def run_due(workspace: str) -> list[int]:
    """Make the workspace's due runs and queue each (after the rows are committed)."""
    with hooks.workspace_context(workspace):
        run_ids = runs.subscriptions_schedule_due()
    for run_id in run_ids:
        transaction.on_commit(functools.partial(send_run.delay, workspace, run_id))
    return run_ids


@shared_task(name="subscriptions.run_due_everywhere", **DATABASE_RETRY)
def run_due_everywhere() -> list[str]:
    """Beat entry point: one task per organisation, each naming its workspace (never a default)."""
    workspaces = hooks.list_workspaces()
    for workspace in workspaces:
        run_due.delay(workspace)
    return workspaces
