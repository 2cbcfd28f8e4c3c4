# SPDX-License-Identifier: MIT
"""File sources: create from an upload, upload a new version, and ingest a stored file (the task's body).

Files live under the workspace's data folder in a folder named by a random token; ingestion
writes a new version next to the current one and swaps only when it succeeded.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from django.db import transaction

from chat2chart.core import hooks
from chat2chart.core.errors import IngestError, LimitExceeded, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.sources import policy, selectors, tasks
from chat2chart.sources.ingest import MAX_BLANKED_SHARE, IngestResult
from chat2chart.sources.ingest.detect import FORMAT_BY_EXTENSION
from chat2chart.sources.ingest_worker import ingest_in_worker
from chat2chart.sources.models import Source
from chat2chart.sources.overrides import applying as overrides_applying
from chat2chart.sources.services.columns import current_overrides, refuse_blanking_types
from chat2chart.sources.services.versions import (
    audit,
    enqueue,
    fail,
    mark_ingesting,
    mark_pending,
    new_upload_path,
    publish,
    require,
)

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.25  # at most ~4 progress writes a second


def source_create_file(
    *, name: str, upload: Path, original_name: str, on_bad_rows: str, principal: Principal
) -> Source:
    """A new file source from an upload on disk (moved into the source's folder), then ingested."""
    require(policy.can_create_source(principal), "You do not have permission to add data sources.")
    try:
        hooks.check_limit("data_sources")
    except LimitExceeded:
        upload.unlink(missing_ok=True)
        raise
    with transaction.atomic():
        source = Source.objects.create(
            name=name,
            kind=Source.Kind.FILE,
            config={"file_name": original_name, "on_bad_rows": on_bad_rows},
            folder=secrets.token_urlsafe(24),
            owner=principal.user,
        )
        stored = _store_upload(source, upload, original_name)
        audit("source.create", principal, source, kind=source.kind)
    enqueue(tasks.ingest_source, source.pk, stored, original_name=original_name, on_bad_rows=on_bad_rows)
    source.refresh_from_db()
    return source


def source_upload(
    *, source: Source, upload: Path, original_name: str, on_bad_rows: str, principal: Principal
) -> Source:
    """A new version of a file source; the current version stays in use until this one is ready."""
    require(policy.can_change_source(principal, source), "You do not have permission to change this source.")
    if source.kind != Source.Kind.FILE:
        upload.unlink(missing_ok=True)
        raise ValidationFailed(
            "file: only file sources take uploads; refresh a database or REST source instead."
        )
    stored = _store_upload(source, upload, original_name)
    # The person's renames and type choices carry over to the new version of the file; a type the new file's
    # values do not fit is refused now (400, count and examples), the current version staying ready.
    kept = current_overrides(source)
    try:
        refuse_blanking_types(stored, original_name, kept)
    except IngestError:
        selectors.data_file(stored).unlink(missing_ok=True)
        raise
    mark_pending(source)
    audit("source.upload", principal, source, file_name=original_name)
    enqueue(
        tasks.ingest_source,
        source.pk,
        stored,
        original_name=original_name,
        on_bad_rows=on_bad_rows,
        overrides=kept or None,
        missing_overrides="ignore",
    )
    source.refresh_from_db()
    return source


def source_ingest(
    *,
    source_id: int,
    upload_path: str,
    original_name: str,
    on_bad_rows: str = "error",
    overrides: dict[str, dict[str, Any]] | None = None,
    missing_overrides: str = "error",
) -> Source:
    """Read the stored upload into a new version of the source's tables (the Celery task's body).

    On failure the source says why (status `failed`, `error`) and its previous tables stay current.
    """
    source = selectors.source_get(source_id)
    folder = selectors.source_folder(source)
    if folder is None or not upload_path.startswith(f"sources/{source.folder}/"):
        return fail(source, "The uploaded file is missing; upload it again.", discard=None)
    try:
        with selectors.stored_file_copy(upload_path) as upload:
            return _ingest_stored(
                source,
                upload,
                upload_path,
                folder,
                original_name=original_name,
                on_bad_rows=on_bad_rows,
                overrides=overrides,
                missing_overrides=missing_overrides,
            )
    except FileNotFoundError:
        return fail(source, "The uploaded file is missing; upload it again.", discard=None)


def _ingest_stored(
    source: Source,
    upload: Path,
    upload_path: str,
    folder: Path,
    *,
    original_name: str,
    on_bad_rows: str,
    overrides: dict[str, dict[str, Any]] | None,
    missing_overrides: str,
) -> Source:
    """Ingest the local copy `upload` of stored `upload_path` into a new version in `folder` (on
    object storage a scratch folder: the tables are stored and the folder removed before publishing)."""
    mark_ingesting(source)
    out_dir = folder / f"v-{secrets.token_urlsafe(12)}"
    try:
        # In a bounded worker process: this process only waits for the reply and the progress.
        result: IngestResult = ingest_in_worker(
            upload,
            original_name,
            out_dir,
            on_progress=_ProgressWriter(source.pk),
            on_bad_rows=on_bad_rows,  # type: ignore[arg-type]
            overrides=overrides or None,
            missing_overrides=missing_overrides,  # type: ignore[arg-type]
            max_blanked_share=MAX_BLANKED_SHARE,
        )
    except IngestError as error:
        shutil.rmtree(out_dir, ignore_errors=True)
        return fail(source, error.message, discard=upload_path)
    except Exception:
        logger.exception("ingesting source %s failed", source.pk)
        shutil.rmtree(out_dir, ignore_errors=True)
        return fail(source, "Aiser could not read this file; the error has been logged.", discard=upload_path)
    for table in result.tables:
        # Ingestion names files after the table; stored names carry nothing of the user's input.
        table.parquet_path = table.parquet_path.rename(out_dir / f"table-{secrets.token_urlsafe(12)}.parquet")
    config = {**source.config, "on_bad_rows": on_bad_rows}
    if source.kind == Source.Kind.FILE:
        config["file_name"] = original_name
    config["read_as"] = result.read_as
    # Keep only the choices that applied: a re-upload may have dropped some columns.
    final_names = {column.name for table in result.tables for column in table.table_info.columns}
    applied = overrides_applying(overrides or {}, final_names)
    # The plan's rows-stored limit, checked before the new version replaces the current one.
    current_rows = sum(table.row_count or 0 for table in source.tables.filter(is_current=True))
    try:
        hooks.check_limit("rows_stored", max(sum(table.rows for table in result.tables) - current_rows, 0))
    except LimitExceeded as error:
        shutil.rmtree(out_dir, ignore_errors=True)
        return fail(source, error.message, discard=upload_path)
    _store_tables(result.tables, out_dir)
    return publish(source, result.tables, upload_path, config, applied, result.warnings)


def _store_tables(tables: list[Any], out_dir: Path) -> None:
    """Put each new table file in the workspace's store under its key (its path relative to the
    workspace's data folder); on object storage the local scratch folder is then removed."""
    store = selectors.workspace_store()
    root = selectors.workspace_data_dir().resolve()
    for table in tables:
        store.put_file(table.parquet_path, str(table.parquet_path.resolve().relative_to(root)))
    if selectors.object_storage_is_s3():
        shutil.rmtree(out_dir, ignore_errors=True)


class _ProgressWriter:
    """Saves ingestion progress on the source, at most every PROGRESS_INTERVAL_S."""

    def __init__(self, source_id: int) -> None:
        self.source_id = source_id
        self.last = 0.0

    def __call__(self, rows_done: int, fraction: float) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL_S:
            return
        self.last = now
        Source.objects.filter(pk=self.source_id).update(
            progress_rows=rows_done, progress_fraction=min(max(float(fraction), 0.0), 1.0)
        )


def _store_upload(source: Source, upload: Path, original_name: str) -> str:
    """Move the upload into the source's folder under a random name that keeps a known extension
    (readers such as openpyxl go by it); returns the stored path."""
    extension = Path(original_name).suffix.lower()
    relative = new_upload_path(source, "original") + (extension if extension in FORMAT_BY_EXTENSION else "")
    selectors.workspace_store().put_file(upload, relative)
    return relative
