# SPDX-License-Identifier: MIT
"""State changes of sources: create, update, ingest a file version, refresh, override columns, delete.

Each change records its audit entry. Files live under the workspace's data folder in a folder
named by a random token; ingestion always writes a new version next to the current one and
swaps only when it succeeded, so a failed upload or refresh leaves the previous data queryable.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from chat2chart.core import hooks
from chat2chart.core.api import pydantic_message
from chat2chart.core.errors import AiserError, ConnectionFailed, IngestError, ValidationFailed
from chat2chart.core.secrets import decrypt_secret, encrypt_secret, rotate_secret
from chat2chart.sources import selectors
from chat2chart.sources.catalogue import COLUMN_TYPES, TableInfo
from chat2chart.sources.connectors.rest import RestSpec, fetch_records
from chat2chart.sources.ingest import MAX_BLANKED_SHARE, IngestedTable, ingest_file
from chat2chart.sources.models import Source, SourceTable
from chat2chart.sources.querying import connection_params, connector_for, source_connector

logger = logging.getLogger(__name__)

DATABASE_KINDS = (Source.Kind.POSTGRES, Source.Kind.MYSQL)
PROGRESS_INTERVAL_S = 0.25  # at most ~4 progress writes a second
# Changing where a connection goes must not send the stored secret to the new place.
_DESTINATION_FIELDS = ("host", "port", "user")


# --- files -------------------------------------------------------------------------------------------


def source_create_file(
    *, name: str, upload: Path, original_name: str, on_bad_rows: str, actor: Any
) -> Source:
    """A new file source from an upload on disk (moved into the source's folder), then ingested."""
    with transaction.atomic():
        source = Source.objects.create(
            name=name,
            kind=Source.Kind.FILE,
            config={"file_name": original_name, "on_bad_rows": on_bad_rows},
            folder=secrets.token_urlsafe(24),
            owner=actor,
        )
        stored = _store_upload(source, upload)
        _audit("source.create", actor, source, kind=source.kind)
    _dispatch("ingest_source", source.pk, stored, original_name=original_name, on_bad_rows=on_bad_rows)
    source.refresh_from_db()
    return source


def source_upload(
    *, source: Source, upload: Path, original_name: str, on_bad_rows: str, actor: Any
) -> Source:
    """A new version of a file source; the current version stays in use until this one is ready."""
    if source.kind != Source.Kind.FILE:
        _discard(upload)
        raise ValidationFailed(
            "file: only file sources take uploads; refresh a database or REST source instead."
        )
    stored = _store_upload(source, upload)
    # The person's renames and type choices carry over to the new version of the file.
    kept: dict[str, Any] = {}
    for table in selectors.source_tables(source):
        kept.update(table.overrides)
    _mark_pending(source)
    _audit("source.upload", actor, source, file_name=original_name)
    _dispatch(
        "ingest_source",
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
    upload = selectors.data_file(upload_path)
    folder = selectors.source_folder(source)
    if folder is None or not upload.is_relative_to(folder) or not upload.is_file():
        return _fail(source, "The uploaded file is missing; upload it again.", discard=None)
    Source.objects.filter(pk=source.pk).update(
        status=Source.Status.INGESTING, error="", progress_rows=0, progress_fraction=0.0
    )
    out_dir = folder / f"v-{secrets.token_urlsafe(12)}"
    try:
        result = ingest_file(
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
        return _fail(source, error.message, discard=upload_path)
    except Exception:
        logger.exception("ingesting source %s failed", source.pk)
        shutil.rmtree(out_dir, ignore_errors=True)
        return _fail(
            source, "Aiser could not read this file; the error has been logged.", discard=upload_path
        )
    for table in result.tables:
        # Ingestion names files after the table; stored names carry nothing of the user's input.
        table.parquet_path = table.parquet_path.rename(out_dir / f"table-{secrets.token_urlsafe(12)}.parquet")
    config = {**source.config, "on_bad_rows": on_bad_rows}
    if source.kind == Source.Kind.FILE:
        config["file_name"] = original_name
    config["read_as"] = result.read_as
    # Keep only the choices that applied: a re-upload may have dropped some columns.
    final_names = {column.name for table in result.tables for column in table.table_info.columns}
    applied = {
        original: change
        for original, change in (overrides or {}).items()
        if original == "*" or (change.get("name") or original) in final_names
    }
    return _publish(source, result.tables, upload_path, config, applied, result.warnings)


# --- databases ---------------------------------------------------------------------------------------


def connection_test(*, kind: str, config: dict[str, Any]) -> None:
    """Connect with these settings without saving anything; raises ConnectionFailed saying what failed."""
    _check_database_kind(kind)
    password = config.get("password", "")
    connector_for(kind, connection_params(kind, _without(config, "password"), password)).test()


def source_create_database(
    *, name: str, kind: str, config: dict[str, Any], refresh_interval_minutes: int | None, actor: Any
) -> Source:
    """A PostgreSQL or MySQL source: tested and introspected before it is saved."""
    _check_database_kind(kind)
    password = config.get("password", "")
    params = connection_params(kind, _without(config, "password"), password)
    tables = _introspect(kind, params)
    with transaction.atomic():
        source = Source.objects.create(
            name=name,
            kind=kind,
            config=_public_params(params),
            secret=encrypt_secret({"password": password} if password else {}),
            refresh_interval_minutes=refresh_interval_minutes,
            owner=actor,
        )
        _replace_database_tables(source, tables)
        _audit("source.create", actor, source, kind=kind, host=params.host)
    return source


# --- REST --------------------------------------------------------------------------------------------


def source_create_rest(
    *, name: str, config: dict[str, Any], refresh_interval_minutes: int | None, actor: Any
) -> Source:
    """A REST source: its records are fetched and stored as a table, like an upload."""
    spec = _rest_spec(config)
    with transaction.atomic():
        source = Source.objects.create(
            name=name,
            kind=Source.Kind.REST,
            config=spec.model_dump(exclude={"headers"}),
            secret=encrypt_secret({"headers": spec.headers} if spec.headers else {}),
            folder=secrets.token_urlsafe(24),
            refresh_interval_minutes=refresh_interval_minutes,
            owner=actor,
        )
        _audit("source.create", actor, source, kind=source.kind)
    _dispatch("refresh_source", source.pk)
    source.refresh_from_db()
    return source


# --- every kind --------------------------------------------------------------------------------------


def source_update(
    *,
    source: Source,
    actor: Any,
    name: str | None = None,
    config: dict[str, Any] | None = None,
    refresh_interval_minutes: int | type[Ellipsis] | None = ...,
) -> Source:
    """Rename, change connection or REST settings, or the refresh interval. Settings that change where
    Aiser connects are tested first; without a new password (or REST headers) the stored one is kept."""
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name
    if refresh_interval_minutes is not ...:
        if source.kind == Source.Kind.FILE and refresh_interval_minutes is not None:
            raise ValidationFailed(
                "refresh_interval_minutes: file sources change only when a new file is uploaded."
            )
        changes["refresh_interval_minutes"] = refresh_interval_minutes
    if config is not None:
        if source.kind == Source.Kind.FILE:
            raise ValidationFailed(
                "config: a file source has no settings to change; upload a new file instead."
            )
        changes.update(_config_changes(source, config))
    tables = changes.pop("_tables", None)
    with transaction.atomic():
        for field_name, value in changes.items():
            setattr(source, field_name, value)
        source.save(update_fields=[*changes, "updated_at"])
        if tables is not None:
            _replace_database_tables(source, tables)
        _audit("source.update", actor, source, fields=sorted(k for k in changes if k != "secret"))
    if "config" in changes and source.kind == Source.Kind.REST:
        _dispatch("refresh_source", source.pk)
        source.refresh_from_db()
    return source


def source_request_refresh(*, source: Source, actor: Any) -> Source:
    """A refresh asked for by someone: REST fetches run as a task, database introspection right away."""
    if source.kind != Source.Kind.REST:
        return source_refresh(source=source, actor=actor)
    _mark_pending(source)
    _audit("source.refresh_requested", actor, source)
    _dispatch("refresh_source", source.pk)
    source.refresh_from_db()
    return source


def source_refresh(*, source: Source, actor: Any = None) -> Source:
    """Re-introspect a database or re-fetch a REST API into a new version."""
    if source.kind == Source.Kind.FILE:
        raise ValidationFailed("A file source is refreshed by uploading a new version of the file.")
    if source.kind == Source.Kind.REST:
        return _refresh_rest(source, actor)
    try:
        tables = source_connector(source).list_tables()
    except (ConnectionFailed, AiserError) as error:
        return _fail(source, error.message, discard=None)
    with transaction.atomic():
        _replace_database_tables(source, tables)
        _audit("source.refresh", actor, source, tables=len(tables))
    source.refresh_from_db()
    return source


def source_table_override(*, source: Source, table_name: str, columns: dict[str, Any], actor: Any) -> Source:
    """Rename columns or change their types: the stored original is ingested again into a new version.

    `columns` maps a column's current name to {"name": new name, "type": a column type}; a null
    name or type goes back to what ingestion chose.
    """
    if not source.is_stored:
        raise ValidationFailed("columns: overrides apply to uploaded files and REST sources only.")
    if not source.upload_path:
        raise ValidationFailed("This source has no stored file to read again; upload it again first.")
    table = selectors.source_table_get(source, table_name)
    merged = {}
    for current in selectors.source_tables(source):
        merged.update(current.overrides)
    originals = {(change.get("name") or original): original for original, change in table.overrides.items()}
    known = {column["name"] for column in table.catalogue.get("columns", [])}
    for current_name, change in columns.items():
        if current_name not in known and current_name != "*":
            raise ValidationFailed(f"columns.{current_name}: table '{table.name}' has no such column.")
        original = originals.get(current_name, current_name)
        merged[original] = _merge_override(merged.get(original, {}), change, current_name)
        if not merged[original]:
            del merged[original]
    _check_final_names(table, originals, merged)
    _mark_pending(source)
    _audit("source.override", actor, source, table=table.name, columns=sorted(columns))
    _dispatch(
        "ingest_source",
        source.pk,
        source.upload_path,
        original_name=source.config.get("file_name") or f"{table.name}.ndjson",
        on_bad_rows=source.config.get("on_bad_rows", "error"),
        overrides=merged,
    )
    source.refresh_from_db()
    return source


def source_delete(*, source: Source, actor: Any) -> None:
    """Delete the source, its tables and every file it stored."""
    folder = selectors.source_folder(source)
    source_id = source.pk
    with transaction.atomic():
        _audit("source.delete", actor, source, name=source.name)
        source.delete()
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
    logger.info("deleted source %s", source_id)


def refresh_due_sources_in_workspace() -> list[int]:
    """Refresh every database and REST source of the workspace in scope whose interval has passed.

    The core cannot list organisations: whoever schedules this enters each workspace first
    (the `refresh_due_sources` task takes the workspace; `manage.py refresh_sources --workspace`).
    """
    now = timezone.now()
    refreshed = []
    due = Source.objects.exclude(kind=Source.Kind.FILE).filter(refresh_interval_minutes__isnull=False)
    for source in due.exclude(status=Source.Status.INGESTING):
        last = source.refreshed_at or source.created_at
        if last + timedelta(minutes=source.refresh_interval_minutes or 0) <= now:
            source_refresh(source=source)
            refreshed.append(source.pk)
    return refreshed


def source_rotate_secrets() -> int:
    """Re-encrypt every stored secret of the workspace in scope with the first Fernet key."""
    count = 0
    for source in Source.objects.exclude(secret=None):
        rotated = rotate_secret(source.secret)
        Source.objects.filter(pk=source.pk).update(secret=rotated)
        count += 1
    if count:
        _audit("source.rotate_secrets", None, None, sources=count)
    return count


# --- internals -----------------------------------------------------------------------------------------


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


def _dispatch(task_name: str, source_id: int, *args: Any, **kwargs: Any) -> None:
    from chat2chart.sources import tasks

    task = getattr(tasks, task_name)
    workspace = hooks.current_workspace()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # In-process: the rows are visible on this connection already.
        task.delay(workspace, source_id, *args, **kwargs)
    else:
        # A worker must not look for the rows before they are committed.
        transaction.on_commit(lambda: task.delay(workspace, source_id, *args, **kwargs))


def _mark_pending(source: Source) -> None:
    # Until a worker picks the job up, pollers see "pending" rather than the last outcome.
    Source.objects.filter(pk=source.pk).update(
        status=Source.Status.PENDING, error="", progress_rows=0, progress_fraction=0.0
    )


def _store_upload(source: Source, upload: Path) -> str:
    """Move the upload into the source's folder under a random name; returns the stored path."""
    relative = f"sources/{source.folder}/uploads/original-{secrets.token_urlsafe(16)}"
    target = selectors.data_file(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(upload), target)
    return relative


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)


def _publish(
    source: Source,
    tables: list[IngestedTable],
    upload_path: str,
    config: dict[str, Any],
    overrides: dict[str, dict[str, Any]],
    warnings: list[str],
) -> Source:
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
                overrides=_overrides_for(info, overrides),
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
        _audit("source.ingest", None, locked, version=version, rows=rows, tables=[t.name for t in tables])
    hooks.record_usage("rows_ingested", rows)
    _prune(locked, old_upload if old_upload != upload_path else "")
    return locked


def _prune(source: Source, old_upload: str) -> None:
    """Remove superseded versions (rows and Parquet files) and a replaced original upload."""
    for table in source.tables.filter(is_current=False):
        path = selectors.table_file(table) if table.parquet_path else None
        table.delete()
        if path is not None:
            path.unlink(missing_ok=True)
            if path.parent.is_dir() and not any(path.parent.iterdir()):
                path.parent.rmdir()
    if old_upload:
        selectors.data_file(old_upload).unlink(missing_ok=True)


def _fail(source: Source, message: str, *, discard: str | None) -> Source:
    """Mark the source failed with a message for people; the current tables stay in use."""
    if discard and discard != source.upload_path:
        selectors.data_file(discard).unlink(missing_ok=True)
    if source.tables.filter(is_current=True).exists():
        message = f"{message} The previous version (v{source.version}) is still in use."
    Source.objects.filter(pk=source.pk).update(
        status=Source.Status.FAILED, error=message, progress_fraction=0.0
    )
    _audit("source.ingest_failed", None, source, error=message[:500])
    source.refresh_from_db()
    return source


def _replace_database_tables(source: Source, tables: list[TableInfo]) -> None:
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
    source.version = version
    source.status = Source.Status.READY
    source.error = ""


def _refresh_rest(source: Source, actor: Any) -> Source:
    folder = selectors.source_folder(source)
    if folder is None:
        return _fail(source, "This REST source has no data folder; create it again.", discard=None)
    Source.objects.filter(pk=source.pk).update(
        status=Source.Status.INGESTING, error="", progress_rows=0, progress_fraction=0.0
    )
    try:
        spec = RestSpec.model_validate({**_rest_settings(source.config), **decrypt_secret(source.secret)})
        records = fetch_records(
            spec,
            allow_private=settings.AISER_ALLOW_PRIVATE_SOURCES,
            timeout_s=settings.AISER_QUERY_TIMEOUT_S,
            max_bytes=settings.AISER_REST_MAX_BYTES,
        )
    except (ConnectionFailed, IngestError) as error:
        return _fail(source, error.message, discard=None)
    except ValidationError as error:
        return _fail(source, f"The REST settings are not valid: {pydantic_message(error)}", discard=None)
    if not records:
        return _fail(source, "The API returned no records; check the URL and the records path.", discard=None)
    relative = f"sources/{source.folder}/uploads/records-{secrets.token_urlsafe(16)}"
    target = selectors.data_file(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, default=str) + "\n")
    overrides: dict[str, Any] = {}
    for table in selectors.source_tables(source):
        overrides.update(table.overrides)
    _audit("source.refresh", actor, source, records=len(records))
    return source_ingest(
        source_id=source.pk,
        upload_path=relative,
        original_name=f"{source.name}.ndjson",
        overrides=overrides,
    )


def _config_changes(source: Source, config: dict[str, Any]) -> dict[str, Any]:
    if source.kind == Source.Kind.REST:
        secret = decrypt_secret(source.secret)
        if "headers" not in config and _origin_changed(source.config.get("url", ""), config.get("url")):
            raise ValidationFailed(
                "config.headers: enter the headers again when the URL points at another server."
            )
        spec = _rest_spec({**_rest_settings(source.config), **secret, **config})
        return {
            "config": {**source.config, **spec.model_dump(exclude={"headers"})},
            "secret": encrypt_secret({"headers": spec.headers} if spec.headers else {}),
        }
    merged = {**source.config, **_without(config, "password")}
    if "password" in config:
        password = config["password"]
    else:
        if any(merged.get(name) != source.config.get(name) for name in _DESTINATION_FIELDS):
            raise ValidationFailed(
                "config.password: enter the password again when changing the host, port or user."
            )
        password = decrypt_secret(source.secret).get("password", "")
    params = connection_params(source.kind, merged, password)
    return {
        "config": _public_params(params),
        "secret": encrypt_secret({"password": password} if password else {}),
        "_tables": _introspect(source.kind, params),
    }


def _introspect(kind: str, params: Any) -> list[TableInfo]:
    connector = connector_for(kind, params)
    connector.test()
    return connector.list_tables()


def _rest_spec(config: dict[str, Any]) -> RestSpec:
    try:
        return RestSpec.model_validate(config)
    except ValidationError as error:
        raise ValidationFailed(f"config.{pydantic_message(error)}") from None


def _rest_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The REST settings out of a source's config (which also notes how the last ingest went)."""
    return {k: v for k, v in config.items() if k in RestSpec.model_fields}


def _origin_changed(old: str, new: Any) -> bool:
    from urllib.parse import urlsplit

    if not isinstance(new, str):
        return False
    before, after = urlsplit(old), urlsplit(new)
    return (before.scheme, before.hostname, before.port) != (after.scheme, after.hostname, after.port)


def _public_params(params: Any) -> dict[str, Any]:
    return params.model_dump(by_alias=True, exclude={"password"})


def _check_database_kind(kind: str) -> None:
    if kind not in DATABASE_KINDS:
        raise ValidationFailed("kind: choose postgres or mysql.")


def _without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


def _merge_override(existing: dict[str, Any], change: Any, column: str) -> dict[str, Any]:
    if not isinstance(change, dict):
        raise ValidationFailed(f"columns.{column}: give an object with 'name' and/or 'type'.")
    unknown = set(change) - {"name", "type", "number_format", "date_order"}
    if unknown:
        raise ValidationFailed(
            f"columns.{column}.{sorted(unknown)[0]}: not a column setting; use name or type."
        )
    merged = dict(existing)
    for key in ("name", "type", "number_format", "date_order"):
        if key not in change:
            continue
        value = change[key]
        if value is not None and not isinstance(value, str):
            raise ValidationFailed(f"columns.{column}.{key}: must be a string.")
        if key == "type" and value is not None and value not in COLUMN_TYPES:
            raise ValidationFailed(f"columns.{column}.type: choose one of {', '.join(COLUMN_TYPES)}.")
        if value in (None, ""):
            merged.pop(key, None)
        else:
            merged[key] = value.strip() if key == "name" else value
    return merged


def _check_final_names(
    table: SourceTable, originals: dict[str, str], merged: dict[str, dict[str, Any]]
) -> None:
    seen: dict[str, str] = {}
    for column in table.catalogue.get("columns", []):
        original = originals.get(column["name"], column["name"])
        final = merged.get(original, {}).get("name") or original
        if final.casefold() in seen:
            raise ValidationFailed(
                f"columns.{column['name']}.name: '{final}' is already the name of column "
                f"'{seen[final.casefold()]}'."
            )
        seen[final.casefold()] = column["name"]


def _overrides_for(info: TableInfo, overrides: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    names = {column.name for column in info.columns}
    return {
        original: change
        for original, change in overrides.items()
        if original == "*" or (change.get("name") or original) in names
    }


def _audit(action: str, actor: Any, source: Source | None, **data: Any) -> None:
    hooks.record_audit(
        action=action,
        actor=actor,
        target_type="source",
        target_id=source.pk if source is not None else "",
        data=data or None,
    )
