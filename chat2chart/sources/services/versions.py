# SPDX-License-Identifier: MIT
"""How a source moves between versions: publish a new one, fail keeping the old, queue the work.

Shared by every kind of source. A new version replaces the current one only once it is complete,
so a failed ingest or refresh leaves the previous data queryable.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from celery import Task
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden
from chat2chart.core.logs import get_logger
from chat2chart.core.principal import Principal
from chat2chart.sources import selectors
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.ingest import IngestedTable
from chat2chart.sources.models import Source, SourceTable
from chat2chart.sources.overrides import applying as overrides_applying

log = get_logger(__name__)


QUEUE_UNAVAILABLE = (
    "Aiser could not start this work: its task queue is unavailable right now. Nothing was lost; "
    "try again in a minute (upload the file again, or press Refresh)."
)


def enqueue(task: Task, source_id: int, *args: Any, **kwargs: Any) -> None:
    """Queue `task` for the workspace in scope, which it receives as its first argument.

    Eager mode (tests, development) runs it at once, as the rows are visible on this connection;
    otherwise it is sent after the transaction commits, so a worker never looks for rows too early.
    When the broker (Redis) cannot be reached the request still answers: the source is marked failed
    with a message saying to try again (its current version stays in use), never a 500.
    """
    workspace = hooks.current_workspace()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        task.delay(workspace, source_id, *args, **kwargs)
    else:
        transaction.on_commit(lambda: _send(task, workspace, source_id, *args, **kwargs))


def _send(task: Task, workspace: str, source_id: int, *args: Any, **kwargs: Any) -> None:
    try:
        task.delay(workspace, source_id, *args, **kwargs)
    except (KombuOperationalError, RedisError, OSError) as error:
        log.error("task_queue_unavailable", task=task.name, error=type(error).__name__)
        hooks.observe("task_queue_unavailable", task=task.name)
        source = Source.objects.filter(pk=source_id).first()
        if source is not None:
            fail(source, QUEUE_UNAVAILABLE, discard=None)


def mark_pending(source: Source) -> None:
    """Until a worker picks the job up, pollers see "pending" rather than the last outcome."""
    Source.objects.filter(pk=source.pk).update(
        status=Source.Status.PENDING, error="", progress_rows=0, progress_fraction=0.0
    )


def mark_ingesting(source: Source) -> None:
    Source.objects.filter(pk=source.pk).update(
        status=Source.Status.INGESTING, error="", progress_rows=0, progress_fraction=0.0
    )


def new_upload_path(source: Source, prefix: str) -> str:
    """A fresh random path (relative to the workspace's data folder) in the source's uploads folder."""
    return f"sources/{source.folder}/uploads/{prefix}-{secrets.token_urlsafe(16)}"


def publish(
    source: Source,
    tables: list[IngestedTable],
    upload_path: str,
    config: dict[str, Any],
    overrides: dict[str, dict[str, Any]],
    warnings: list[str],
) -> Source:
    """Make ingested tables the source's current version and remove the superseded one."""
    root = selectors.workspace_data_dir().resolve()
    with transaction.atomic():
        locked = Source.objects.select_for_update().get(pk=source.pk)
        previous = list(locked.tables.filter(is_current=True))
        if len(previous) == 1 and len(tables) == 1:
            tables[0].name = previous[0].name  # a new version of one table keeps the name queries use
        version = locked.version + 1
        locked.tables.filter(is_current=True).update(is_current=False)
        for table in tables:
            info = table.table_info
            info.name = table.name
            SourceTable.objects.create(
                source=locked,
                name=table.name,
                version=version,
                parquet_path=str(table.parquet_path.resolve().relative_to(root)),
                catalogue=info.to_dict(),
                row_count=table.rows,
                overrides=overrides_applying(overrides, {column.name for column in info.columns}),
            )
        old_upload = locked.upload_path
        rows = sum(table.rows for table in tables)
        locked.version = version
        locked.status = Source.Status.READY
        locked.error = ""
        locked.progress_rows = rows
        locked.progress_fraction = 1.0
        locked.refreshed_at = timezone.now()
        locked.upload_path = upload_path
        locked.config = {
            **config,
            "warnings": [*warnings, *(w for t in tables for w in t.warnings)][:20],
            "skipped_rows": sum(t.skipped_rows for t in tables),
        }
        locked.save()
        audit("source.ingest", None, locked, version=version, rows=rows, tables=[t.name for t in tables])
    hooks.record_usage("rows_ingested", rows)
    _prune(locked, old_upload if old_upload != upload_path else "")
    return locked


def replace_database_tables(source: Source, tables: list[TableInfo]) -> None:
    """A new version of a database source's catalogue (call inside a transaction)."""
    locked = Source.objects.select_for_update().get(pk=source.pk)
    version = locked.version + 1
    locked.tables.all().delete()
    SourceTable.objects.bulk_create(
        SourceTable(source=locked, name=t.name, version=version, catalogue=t.to_dict(), row_count=t.row_count)
        for t in tables
    )
    Source.objects.filter(pk=source.pk).update(
        version=version,
        status=Source.Status.READY,
        error="",
        refreshed_at=timezone.now(),
        progress_rows=sum(t.row_count or 0 for t in tables),
        progress_fraction=1.0,
    )
    selectors.source_headers_forget()  # update() sends no post_save
    source.version = version
    source.status = Source.Status.READY
    source.error = ""


def fail(source: Source, message: str, *, discard: str | None) -> Source:
    """Mark the source failed with a message for people; the current tables stay in use.

    `discard` names a stored upload that will never be used (unless it is the current one).
    """
    if discard and discard != source.upload_path:
        selectors.workspace_store().delete(discard)
    if source.tables.filter(is_current=True).exists():
        message = f"{message} The previous version (v{source.version}) is still in use."
    Source.objects.filter(pk=source.pk).update(
        status=Source.Status.FAILED, error=message, progress_fraction=0.0
    )
    audit("source.ingest_failed", None, source, error=message[:500])
    source.refresh_from_db()
    return source


def audit(action: str, principal: Principal | None, source: Source | None, **data: Any) -> None:
    """Record a change to a source through the core's audit hook; `principal` is None for the system's
    own work (ingestion, scheduled refreshes, secret rotation)."""
    hooks.record_audit(
        action=action,
        actor=principal,
        target_type="source",
        target_id=source.pk if source is not None else "",
        data=data or None,
    )


def files_lock_key(workspace: str) -> int:
    """The PostgreSQL advisory lock key guarding `workspace`'s data files (a signed 64-bit integer).

    A backup holds it exclusively from its database dump until its files are copied, so the archive's
    rows and files are of one moment; pruning superseded versions takes it shared and, while a backup
    holds it, leaves the files for the next prune."""
    digest = hashlib.sha256(f"aiser-data-files:{workspace}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _prune(source: Source, old_upload: str) -> None:
    """Remove superseded versions (rows and Parquet files) and a replaced original upload, unless a
    backup is copying the workspace's files (then the next publish prunes them; see `files_lock_key`)."""
    key = files_lock_key(hooks.current_workspace())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock_shared(%s)", [key])
        if not cursor.fetchone()[0]:
            log.info("prune_deferred_during_backup", source=source.pk)
            return
    try:
        _remove_superseded(source, old_upload)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_shared(%s)", [key])


def _remove_superseded(source: Source, old_upload: str) -> None:
    store = selectors.workspace_store()
    for table in source.tables.filter(is_current=False):
        key = table.parquet_path
        table.delete()
        if key:
            store.delete(key)  # on local storage, also the version's folder once empty
    if old_upload:
        store.delete(old_upload)


def require(allowed: bool, message: str = "You do not have permission to do this.") -> None:
    """Raise Forbidden unless a `policy` rule allowed the change."""
    if not allowed:
        raise Forbidden(message)
