# SPDX-License-Identifier: MIT
"""Celery tasks of the semantic layer. Thin: enter the named workspace, call the service.

Every task takes the workspace (organisation schema name) first, like the sources' tasks; the beat
entry point fans out one task per organisation, so no task ever runs without one.
"""

from __future__ import annotations

from celery import shared_task

from chat2chart.core import hooks
from chat2chart.core.faults import DATABASE_RETRY
from chat2chart.semantic import rollup_schedule


@shared_task(name="semantic.build_rollup", **DATABASE_RETRY)
def build_rollup(workspace: str, model_id: int, name: str, force: bool = False) -> str:
    """Build rollup `name` (`cube.rollup`) of model `model_id`; returns its status."""
    with hooks.workspace_context(workspace):
        return rollup_schedule.rollup_build_now(model_id=model_id, name=name, force=force).status


@shared_task(name="semantic.refresh_due_rollups", **DATABASE_RETRY)
def refresh_due_rollups(workspace: str) -> list[str]:
    """Build the rollups of one workspace that are due; returns their `model:cube.rollup` names."""
    with hooks.workspace_context(workspace):
        return rollup_schedule.rollups_refresh_due()


@shared_task(name="semantic.refresh_due_rollups_everywhere", **DATABASE_RETRY)
def refresh_due_rollups_everywhere() -> list[str]:
    """Beat entry point: one task per organisation, each naming its workspace (never a default)."""
    workspaces = hooks.list_workspaces()
    for workspace in workspaces:
        refresh_due_rollups.delay(workspace)
    return workspaces
