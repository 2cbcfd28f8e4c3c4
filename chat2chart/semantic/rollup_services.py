# SPDX-License-Identifier: MIT
"""Rollups of a workspace's models: keep their rows in step with the declarations, build them to
Parquet under the workspace's data folder, invalidate them when the model or the source changes,
and say which may answer a query.

File sources are built by DuckDB over the source's Parquet tables; database sources by running the
build query through the bounded, read-only query path (chat2chart.sources.executor) and writing its
rows. Partitions whose range was still open when built, or every partition when the model, the
source or the refresh key changed, are rebuilt; the others are kept. A failed build keeps the last
good file. Queued builds run after the transaction commits (see `rollup_schedule`).
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chat2chart.core import hooks
from chat2chart.core.errors import AiserError, NotFound, QueryError
from chat2chart.semantic.materialise import build_from_files, merge_partitions, write_rows
from chat2chart.semantic.model import Dimension, Measure, Model
from chat2chart.semantic.models import Rollup, SemanticModel
from chat2chart.semantic.query import ModelQuery, find_typed
from chat2chart.semantic.rollups import (
    UNBOUNDED_ROWS,
    Partition,
    RollupPlan,
    compile_build,
    compile_sketch_values,
    definition_hash,
    partitions_between,
    rollup_plans,
)
from chat2chart.semantic.routing import Candidate
from chat2chart.semantic.sketches import attach_sketches
from chat2chart.sources import executor
from chat2chart.sources import selectors as source_selectors
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.compiler import CompiledQuery, Dialect
from chat2chart.sources.connections import source_connector
from chat2chart.sources.models import Source
from chat2chart.sources.objectstore import S3Place
from chat2chart.sources.querying import sql_run

logger = logging.getLogger(__name__)
WHOLE = "all"  # the one partition of an unpartitioned rollup


# --- where a rollup's data comes from ------------------------------------------------------------


def rollup_source(model: Model, plan: RollupPlan) -> Source:
    """The source the rollup's cube reads (its own `source:` or the model's); NotFound otherwise."""
    cube = model.cube(plan.cube)
    value = cube.source if cube is not None and cube.source is not None else model.source
    sources = source_selectors.source_list()
    found = None
    if isinstance(value, int):
        found = sources.filter(pk=value).first()
    elif isinstance(value, str):
        found = sources.filter(name=value).first()
    if found is None:
        raise NotFound(
            f"the rollup '{plan.key}' reads no source of this workspace; add `source:` to the model"
        )
    return found


def source_dialect(source: Source) -> Dialect:
    """The SQL dialect of a source: DuckDB over stored files, else its database's."""
    if source.is_stored:
        return "duckdb"
    if source.kind == Source.Kind.SPARK:
        return "spark"
    return "postgres" if source.kind == Source.Kind.POSTGRES else "mysql"


def source_schema(source: Source) -> str | None:
    """The schema a PostgreSQL source's tables live in, the database of a Spark source's (None for others)."""
    if source.kind == Source.Kind.SPARK:
        return source.config.get("database") or "default"
    return (source.config.get("schema") or "public") if source.kind == Source.Kind.POSTGRES else None


def _tables(source: Source) -> dict[str, TableInfo]:
    return {t.name: TableInfo.from_dict(t.catalogue) for t in source_selectors.source_tables(source)}


def _hash(plan: RollupPlan, source: Source) -> str:
    return definition_hash(plan, source_dialect(source), tables=_tables(source), schema=source_schema(source))


def rollup_folder(model: SemanticModel) -> Path:
    """The folder of a model's rollup files, inside the workspace's own data folder."""
    return source_selectors.workspace_data_dir() / "rollups" / f"model-{model.pk}"


# --- keeping rows in step with the model ---------------------------------------------------------


def rollup_sync(*, model: SemanticModel, parsed: Model) -> list[str]:
    """Match the model's Rollup rows to its declarations after a save: new rollups are added, removed
    ones deleted with their files, and those whose build SQL changed are marked stale. Rollups the
    change did not affect stay valid for the new model version. Returns the names to build."""
    plans = {plan.key: plan for plan in rollup_plans(parsed)}
    due: list[str] = []
    for row in Rollup.objects.filter(model=model).exclude(name__in=plans):
        _delete_files(row, keep=set())
        row.delete()
    for key, plan in plans.items():
        row, created = Rollup.objects.get_or_create(model=model, name=key)
        if created:
            due.append(key)
            continue
        try:
            current = _hash(plan, rollup_source(parsed, plan))
        except AiserError as error:
            current = f"unusable: {error}"
        if row.path and row.definition_hash == current and not row.stale:
            Rollup.objects.filter(pk=row.pk).update(model_version=model.version)
        else:
            mark_stale(row, f"the model changed in version {model.version}")
            due.append(key)
    return due


def rollup_files_forget(*, model: SemanticModel) -> None:
    """Delete the model's rollup files once the transaction deleting the model commits."""
    store = source_selectors.workspace_store()  # bound to the workspace now, used after the commit
    prefix = f"rollups/model-{model.pk}"
    transaction.on_commit(lambda: store.delete_prefix(prefix))


def rollup_schedule(*, model: SemanticModel, names: list[str]) -> None:
    """Queue a build of each named rollup once the current transaction commits."""
    from chat2chart.semantic.tasks import build_rollup

    workspace = hooks.current_workspace()
    for name in names:
        transaction.on_commit(functools.partial(build_rollup.delay, workspace, model.pk, name))


def mark_stale(row: Rollup, reason: str) -> None:
    """Stop `row` answering queries until it is rebuilt, saying why (shown by the rollups API)."""
    Rollup.objects.filter(pk=row.pk).update(stale=True, stale_reason=reason[:300])
    row.stale, row.stale_reason = True, reason[:300]


# --- which rollups may answer ---------------------------------------------------------------------


def rollup_candidates(
    *, model: SemanticModel, parsed: Model, source: Source
) -> tuple[list[Candidate], dict[str, Rollup]]:
    """The model's rollups that read `source`, each with why it cannot answer now (or None), and
    their rows. A rollup built from an older source version is marked stale and a rebuild queued."""
    rows = {row.name: row for row in Rollup.objects.filter(model=model)}
    candidates: list[Candidate] = []
    stale_now: list[str] = []
    for plan in rollup_plans(parsed):
        try:
            if rollup_source(parsed, plan).pk != source.pk:
                continue
        except NotFound:
            continue
        row = rows.get(plan.key)
        reason = rollup_unavailable(model, source, row)
        if row is not None and reason and reason.startswith("the source was refreshed") and not row.stale:
            mark_stale(row, reason)
            stale_now.append(plan.key)
        candidates.append(Candidate(plan, row.row_count if row else 0, reason))
    if stale_now:
        rollup_schedule(model=model, names=stale_now)
    return candidates, rows


def rollup_unavailable(model: SemanticModel, source: Source, row: Rollup | None) -> str | None:
    """Why rollup `row` of `model` over `source` cannot answer queries now, or None when it can."""
    if row is None or not row.path:
        if row is not None and row.status == Rollup.Status.FAILED:
            return f"its build failed: {row.last_error}"
        return "it has not been built yet"
    if row.stale:
        return f"it is stale ({row.stale_reason}) until it is rebuilt"
    if row.source_id != source.pk or row.source_version != source.version:
        return (
            f"the source was refreshed (version {source.version}) after it was built "
            f"(version {row.source_version})"
        )
    if row.model_version != model.version:
        return f"it was built for model version {row.model_version}, not {model.version}"
    if not source_selectors.workspace_store().exists(row.path):
        return "its file is missing"
    return None


def rollup_location(row: Rollup) -> tuple[str, S3Place | None]:
    """What the query worker reads for a rollup's current file: a local path inside the workspace's
    data folder, or an `s3://` URI under the workspace's prefix with the bucket it is in."""
    store = source_selectors.workspace_store()
    return store.location(row.path), store.place()


# --- building ---------------------------------------------------------------------------------------


def rollup_build(*, model: SemanticModel, name: str, parsed: Model, force: bool = False) -> Rollup:
    """Build (or refresh) rollup `name` of `model`; returns its row with the outcome.

    Rebuilds every partition when forced or when the model, source or refresh key changed since the
    last build, else only partitions never built or built while their range was still open. On
    failure the previous file stays and `last_error` says why."""
    plan = next((p for p in rollup_plans(parsed) if p.key == name), None)
    if plan is None:
        raise NotFound(f"the model has no rollup '{name}'")
    row, _ = Rollup.objects.get_or_create(model=model, name=name)
    started = time.perf_counter()
    Rollup.objects.filter(pk=row.pk).update(status=Rollup.Status.BUILDING, last_attempt_at=timezone.now())
    made: list[Path] = []
    try:
        source = rollup_source(parsed, plan)
        digest = _hash(plan, source)
        key_value = refresh_key_value(plan, source)
        full = force or row.stale or row.definition_hash != digest or row.source_version != source.version
        full = (
            full
            or row.source_id != source.pk
            or (key_value is not None and key_value != row.refresh_key_value)
        )
        partitions = _partitions(parsed, plan, source)
        built: dict[str, Any] = {}
        build_id = uuid.uuid4().hex[:12]
        folder = rollup_folder(model) / f"rollup-{row.pk}"
        folder.mkdir(parents=True, exist_ok=True)
        now = timezone.now()
        for part in partitions:
            old = row.partitions.get(part.key)
            if not full and old and _still_good(old, part):
                built[part.key] = old
                continue
            out = folder / f"{build_id}-{part.key}.parquet"
            made.append(out)
            rows = _build_partition(plan, source, None if part.key == WHOLE else part, out)
            built[part.key] = {
                "start": part.start.isoformat(),
                "end": part.end.isoformat(),
                "file": _relative(out),
                "rows": rows,
                "built_at": now.isoformat(),
            }
        merged = folder / f"{build_id}.parquet"
        made.append(merged)
        files = [_local_partition(p["file"]) for _, p in sorted(built.items())]
        total = merge_partitions(files, merged)
        size_bytes = merged.stat().st_size
        _store_made(made, folder)
    except (AiserError, OSError) as error:
        for path in made:
            path.unlink(missing_ok=True)
        if source_selectors.object_storage_is_s3():
            shutil.rmtree(folder, ignore_errors=True)
        logger.warning("rollup %s of model %s failed: %s", name, model.pk, error)
        Rollup.objects.filter(pk=row.pk).update(
            status=Rollup.Status.FAILED, last_error=str(error)[:2000], build_ms=_since(started)
        )
        row.refresh_from_db()
        return row
    keep = {_relative(merged)} | {p["file"] for p in built.values()}
    row.refresh_from_db()  # another build may have finished meanwhile: delete what it left current
    _delete_files(row, keep=keep)
    with transaction.atomic():
        Rollup.objects.filter(pk=row.pk).update(
            status=Rollup.Status.READY,
            stale=False,
            stale_reason="",
            definition_hash=digest,
            model_version=model.version,  # the text it was built from; a newer save queues its own build
            source_id=source.pk,
            source_version=source.version,
            path=_relative(merged),
            partitions=built,
            row_count=total,
            size_bytes=size_bytes,
            refresh_key_value=key_value or "",
            refresh_key_checked_at=timezone.now(),
            last_refresh_at=timezone.now(),
            last_error="",
            build_ms=_since(started),
        )
    row.refresh_from_db()
    return row


def _still_good(old: dict[str, Any], part: Partition) -> bool:
    """A partition built after its range closed holds all its rows for good."""
    built_at = datetime.fromisoformat(old["built_at"]).replace(tzinfo=None)
    exists = source_selectors.workspace_store().exists(old["file"])
    return exists and built_at >= part.end


def _build_partition(plan: RollupPlan, source: Source, part: Partition | None, out: Path) -> int:
    """Build the rollup's rows (or one partition's) into `out`; an approximate count distinct gets its
    HLL sketches from a second query of the distinct values per row (see `sketches`)."""
    built = [c.column for c in plan.built_columns]
    count = _build_rows(
        lambda dialect, tables, schema, cap: compile_build(
            plan, dialect, tables=tables, schema=schema, partition=part, max_rows=cap
        ),
        source,
        built,
        out,
    )
    if not plan.sketch_queries:
        return count
    values: dict[str, Path] = {}
    try:
        for column, _ in plan.sketch_queries:
            path = out.with_name(f"{out.stem}.{column}.values.parquet")
            _build_rows(
                functools.partial(_sketch_values, plan, column, part),
                source,
                [*plan.key_columns, "v"],
                path,
            )
            values[column] = path
        return attach_sketches(out, plan.key_columns, values, [c.column for c in plan.columns])
    finally:
        for path in values.values():
            path.unlink(missing_ok=True)


def _sketch_values(
    plan: RollupPlan,
    column: str,
    part: Partition | None,
    dialect: Dialect,
    tables: dict[str, TableInfo],
    schema: str | None,
    cap: int,
) -> CompiledQuery:
    return compile_sketch_values(
        plan, column, dialect, tables=tables, schema=schema, partition=part, max_rows=cap
    )


def _build_rows(
    compile_for: Callable[[Dialect, dict[str, TableInfo], str | None, int], CompiledQuery],
    source: Source,
    columns: list[str],
    out: Path,
) -> int:
    dialect = source_dialect(source)
    tables = _tables(source)
    if source.is_stored:
        compiled = compile_for(dialect, tables, None, UNBOUNDED_ROWS)
        store = source_selectors.workspace_store()
        files = {
            t.name: source_selectors.table_location(t, store) for t in source_selectors.source_tables(source)
        }
        return build_from_files(
            compiled.sql,
            compiled.params,
            files,
            columns,
            out,
            timeout_s=settings.AISER_QUERY_TIMEOUT_S,
            memory_limit=f"{settings.AISER_QUERY_MEMORY_MB}MB",
            place=store.place(),
        )
    cap = settings.AISER_QUERY_MAX_ROWS
    compiled = compile_for(dialect, tables, source_schema(source), cap)
    result = executor.run_on_database(source_connector(source), compiled.sql, compiled.params)
    if result.truncated:
        raise QueryError(
            f"the rollup has more than {cap} rows per partition, more than a database query may return; "
            "choose a coarser granularity, fewer dimensions or a finer partition_granularity"
        )
    return write_rows(result.rows, [c["type"] for c in result.columns], columns, out)


def _partitions(model: Model, plan: RollupPlan, source: Source) -> list[Partition]:
    grain = plan.declaration.partition_granularity
    if grain is None or plan.time_dimension is None:
        return [Partition(WHOLE, datetime.min, datetime.max)]
    first = (
        _boundary(plan.declaration.build_range_start, source) if plan.declaration.build_range_start else None
    )
    last = _boundary(plan.declaration.build_range_end, source) if plan.declaration.build_range_end else None
    if first is None or last is None:
        low, high = _time_range(model, plan, source)
        first, last = first or low, last or high
    if first is None or last is None:  # no rows yet: one empty file
        return [Partition(WHOLE, datetime.min, datetime.max)]
    return partitions_between(first, last, grain)


def _boundary(build_range: Any, source: Source) -> datetime | None:
    result = sql_run(source_id=source.pk, sql=build_range.sql, principal=None)
    value = result.rows[0][0] if result.rows and result.rows[0] else None
    return _as_datetime(value)


def _time_range(model: Model, plan: RollupPlan, source: Source) -> tuple[datetime | None, datetime | None]:
    """The earliest and latest value of the rollup's time dimension, through the query path."""
    assert plan.time_dimension is not None
    cube_name, _, member = plan.time_dimension.partition(".")
    _, dim = find_typed(model, plan.time_dimension, Dimension, "dimension")
    sql = dim.sql or member
    extra = [
        Measure(name="_rollup_first", type="min", sql=sql),
        Measure(name="_rollup_last", type="max", sql=sql),
    ]
    cubes = [
        c.model_copy(update={"measures": [*c.measures, *extra]}) if c.name == cube_name else c
        for c in model.cubes
    ]
    from chat2chart.semantic.compile import compile_model_query
    from chat2chart.sources.querying import compiled_sql_run

    query = ModelQuery(measures=[f"{cube_name}._rollup_first", f"{cube_name}._rollup_last"])
    ranged = model.model_copy(update={"cubes": cubes})
    _, result = compiled_sql_run(
        source_id=source.pk,
        build=lambda dialect, schema, tables, max_rows, restrict: compile_model_query(
            ranged, query, dialect, tables=tables, schema=schema, max_rows=max_rows
        ),
        principal=None,  # a rollup's range covers every row; what it serves is limited when read
    )
    row = result.rows[0] if result.rows else [None, None]
    return _as_datetime(row[0]), _as_datetime(row[1])


def _as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(str(value)).replace(tzinfo=None)


def refresh_key_value(plan: RollupPlan, source: Source) -> str | None:
    """The current value of the rollup's refresh-key SQL (its first row, as text), run through the
    bounded query path; None when the rollup has no refresh-key SQL."""
    key = plan.declaration.refresh_key
    if key is None or key.sql is None:
        return None
    result = sql_run(source_id=source.pk, sql=key.sql, principal=None)
    return json.dumps([list(row) for row in result.rows[:1]], default=str)[:500]


def _relative(path: Path) -> str:
    return str(path.resolve().relative_to(source_selectors.workspace_data_dir().resolve()))


def _local_partition(key: str) -> Path:
    """A local file for partition `key` to merge: built just now in the build folder, or (object
    storage, a partition kept from an earlier build) downloaded to the same place in scratch."""
    path = source_selectors.data_file(key)
    if not path.is_file() and source_selectors.object_storage_is_s3():
        source_selectors.workspace_store().fetch(key, source_selectors.workspace_data_dir())
    return path


def _store_made(made: list[Path], folder: Path) -> None:
    """Put the files this build made in the workspace's store; on object storage the local build
    folder (with any downloaded partitions) is removed afterwards."""
    store = source_selectors.workspace_store()
    for path in made:
        store.put_file(path, _relative(path))
    if source_selectors.object_storage_is_s3():
        shutil.rmtree(folder, ignore_errors=True)


def _delete_files(row: Rollup, *, keep: set[str]) -> None:
    keys = [row.path] if row.path else []
    keys += [p["file"] for p in (row.partitions or {}).values() if p.get("file")]
    store = source_selectors.workspace_store()
    for key in keys:
        if key not in keep:
            store.delete(key)


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
