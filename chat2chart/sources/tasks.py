# SPDX-License-Identifier: MIT
"""Celery tasks of sources. Thin: enter the named workspace, call the service.

Every task takes the workspace (organisation schema name) first and fails closed without one.
Services queue them through `services.versions.enqueue`, which supplies the workspace in scope.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from chat2chart.core import hooks
from chat2chart.core.faults import DATABASE_RETRY
from chat2chart.sources import selectors, services


@shared_task(name="sources.ingest_source", **DATABASE_RETRY)
def ingest_source(
    workspace: str,
    source_id: int,
    upload_path: str,
    *,
    original_name: str,
    on_bad_rows: str = "error",
    overrides: dict[str, dict[str, Any]] | None = None,
    missing_overrides: str = "error",
) -> str:
    """Ingest a stored upload into a new version of the source; returns the source's status."""
    with hooks.workspace_context(workspace):
        source = services.source_ingest(
            source_id=source_id,
            upload_path=upload_path,
            original_name=original_name,
            on_bad_rows=on_bad_rows,
            overrides=overrides,
            missing_overrides=missing_overrides,
        )
        return source.status


@shared_task(name="sources.refresh_source", **DATABASE_RETRY)
def refresh_source(workspace: str, source_id: int) -> str:
    """Re-fetch a REST source or re-introspect a database; returns the source's status."""
    with hooks.workspace_context(workspace):
        return services.source_refresh(source=selectors.source_get(source_id)).status


@shared_task(name="sources.refresh_due_sources", **DATABASE_RETRY)
def refresh_due_sources(workspace: str) -> list[int]:
    """Beat entry point, once per workspace: the scheduler names each organisation explicitly."""
    with hooks.workspace_context(workspace):
        return services.refresh_due_sources_in_workspace()


@shared_task(name="sources.refresh_due_sources_everywhere", **DATABASE_RETRY)
def refresh_due_sources_everywhere() -> list[str]:
    """Beat entry point: one task per organisation, each naming its workspace (never a default)."""
    workspaces = hooks.list_workspaces()
    for workspace in workspaces:
        refresh_due_sources.delay(workspace)
    return workspaces
