# SPDX-License-Identifier: MIT
"""The query service other apps call: a semantic query (or an editor's SQL) in, a typed ResultSet out.

File and REST sources run in a locked-down DuckDB over the source's current Parquet tables;
databases run through their read-only connectors. Semantic answers are cached per workspace,
source version and normalised query, so a refresh or re-upload invalidates them by itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from django.conf import settings
from django.core.cache import cache
from sqlglot import exp

from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden, NotFound, QueryError
from chat2chart.core.logs import get_logger
from chat2chart.core.principal import Principal
from chat2chart.sources import executor, selectors
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.compiler import CompiledQuery, Dialect, _render, compile_query, explain_sql
from chat2chart.sources.connections import source_connector
from chat2chart.sources.drivervalues import json_value
from chat2chart.sources.filtersql import condition
from chat2chart.sources.models import Source
from chat2chart.sources.results import (
    CacheInfo,
    QueryResult,
    ResultSet,
    Timings,
    query_columns,
    raw_column,
)
from chat2chart.sources.rowaccess import model_row_filters, require_unrestricted, row_filters
from chat2chart.sources.semantic import Filter, SemanticQuery
from chat2chart.sources.sqlguard import check_select
from chat2chart.sources.sqlparts import Params, table_ref
from chat2chart.workspaces.selectors import workspace_clock

PREVIEW_ROWS = 100
log = get_logger(__name__)
_DIALECTS: dict[str, Dialect] = {
    Source.Kind.FILE: "duckdb",
    Source.Kind.REST: "duckdb",
    Source.Kind.POSTGRES: "postgres",
    Source.Kind.MYSQL: "mysql",
    Source.Kind.SPARK: "spark",
}


def query_run(
    *,
    query: SemanticQuery,
    principal: Principal,
    extra_filters: Sequence[Filter] = (),
    use_cache: bool = True,
) -> ResultSet:
    """Answer `query` with `extra_filters` ANDed in. The caller has checked who may see the result;
    a person or API key must also be allowed to ask questions; an embed viewer (`Principal.for_embed`,
    made only after its token was verified) sees what the token's dashboard shows.

    A cache hit is the stored ResultSet with `cache.hit` set and `timings.execute_ms` 0."""
    if principal.kind != "embed" and not hooks.can(principal, hooks.ASK):
        raise Forbidden("You do not have permission to run queries.")
    started = time.perf_counter()
    if extra_filters:
        query = query.with_filters(list(extra_filters))
    source = selectors.source_get(query.source)
    _require_query_right(principal, source)
    tables = list(selectors.source_tables(source))
    table = _table_info(source, tables, query.table)
    # Row-level access is part of the query, hence of the cache key: each slice is cached apart.
    query = _limited(query, principal, source, table)
    # The key names the source's version, so a hit needs no look at its tables.
    key = _cache_key(source.pk, source.version, query)
    if use_cache:
        hit = cache.get(key)
        if hit is not None:
            hooks.record_usage("query_run", cached=True)
            hooks.observe(
                "query_seconds", _since(started) / 1000, source_kind=source.kind, cache="hit", rollup="no"
            )
            return dataclasses.replace(
                ResultSet.from_json(hit), cache=CacheInfo(hit=True), timings=Timings(total_ms=_since(started))
            )
    compiled = compile_query(
        query,
        table,
        _DIALECTS[source.kind],
        schema=_schema(source),
        # "Last month" is the workspace's last month, in its time zone; nothing else reads the clock.
        now=workspace_clock().now if _is_relative(query) else None,
        max_rows=settings.AISER_QUERY_MAX_ROWS,
    )
    raw = _execute(source, compiled.sql, compiled.params, tables)
    result = ResultSet(
        columns=query_columns(query, compiled.columns),
        rows=tuple(map(tuple, raw.rows)),
        truncated=raw.truncated,
        truncated_reason=raw.truncated_reason,
        sql=explain_sql(compiled),
        timings=Timings(execute_ms=raw.elapsed_ms, total_ms=_since(started)),
    )
    if use_cache:
        # Stored as its JSON, serialised once: a new release reads entries an older one wrote.
        cache.set(key, result.to_json_bytes(), timeout=settings.AISER_QUERY_CACHE_TTL_S)
    hooks.record_usage("query_run", cached=False)
    hooks.observe("query_seconds", _since(started) / 1000, source_kind=source.kind, cache="miss", rollup="no")
    return result


def query_run_json(*, query: SemanticQuery, principal: Principal) -> bytes:
    """`query_run(query=query, principal=principal)` as the API's JSON body (`ResultSet.to_json_bytes`).

    A result-cache hit is answered from the stored bytes: the source's version from the cache
    (`selectors.source_header`, the database only after a change), one cache read, and the stored body
    with its `cached` and `elapsed_ms` rewritten (no ResultSet is rebuilt, nothing re-serialised); the
    body is the one `query_run`'s hit would give. A miss runs `query_run`. Raises what `query_run` raises."""
    if principal.kind != "embed" and not hooks.can(principal, hooks.ASK):
        raise Forbidden("You do not have permission to run queries.")
    started = time.perf_counter()
    # From the cache at the workspace's source generation: a hit needs no database round trip.
    source = selectors.source_header(query.source)
    if source is None:
        raise NotFound(f"There is no data source {query.source}.")
    _require_query_right(principal, source)
    version, kind = source.version, source.kind
    # A principal limited to some rows takes the full path, whose cache key names its slice.
    limited = bool(principal.locked) or bool(hooks.row_rules(principal, source, query.table))
    stored = None if limited else cache.get(_cache_key(query.source, version, query))
    if stored is None:
        return query_run(query=query, principal=principal).to_json_bytes()
    hooks.record_usage("query_run", cached=True)
    hooks.observe("query_seconds", _since(started) / 1000, source_kind=kind, cache="hit", rollup="no")
    return _hit_body(stored, started)


def query_explain(*, query: SemanticQuery, principal: Principal) -> dict[str, Any]:
    """How `query` runs, without running it: the engine, the one SQL statement sent to it (with its
    bound values, and readable with them inlined) and the engine's own plan (PostgreSQL and MySQL
    EXPLAIN, Spark's formatted physical plan; none for files and REST, whose DuckDB takes nothing but
    SELECT). Checks what
    `query_run` checks, row rules included. Aggregation, filters and ordering are all in that one
    statement: a database source sends back only the result rows, never rows to aggregate here.
    Raises what `query_run` raises."""
    if principal.kind != "embed" and not hooks.can(principal, hooks.ASK):
        raise Forbidden("You do not have permission to run queries.")
    source = selectors.source_get(query.source)
    _require_query_right(principal, source)
    tables = list(selectors.source_tables(source))
    table = _table_info(source, tables, query.table)
    query = _limited(query, principal, source, table)
    compiled = compile_query(
        query,
        table,
        _DIALECTS[source.kind],
        schema=_schema(source),
        now=workspace_clock().now if _is_relative(query) else None,
        max_rows=settings.AISER_QUERY_MAX_ROWS,
    )
    # Files and REST run in Aiser's own locked-down DuckDB, which takes SELECT alone (no EXPLAIN).
    plan = [] if source.is_stored else source_connector(source).explain(compiled.sql, compiled.params)
    return {
        "engine": _DIALECTS[source.kind],
        "sql": compiled.sql,
        "params": [json_value(v) for v in compiled.params],
        "readable_sql": explain_sql(compiled),
        "plan": plan,
    }


def _require_query_right(principal: Principal, source: Source) -> None:
    # An edition may keep a source private or share it with some members only: a dashboard widget
    # drawn from it then says so instead of showing data the viewer may not query.
    if principal.kind != "embed" and not hooks.can(principal, hooks.ASK, source):
        raise Forbidden(
            f"You do not have access to the data source “{source.name}”.", code="source_not_shared"
        )


def _limited(query: SemanticQuery, principal: Principal, source: Source, table: TableInfo) -> SemanticQuery:
    # The principal's row rules ANDed in after every other filter: a filter the caller sends on the
    # same column can narrow the slice, never widen it (conditions are ANDed).
    filters = row_filters(principal, source, table)
    return query.with_filters(filters) if filters else query


def _hit_body(stored: bytes, started: float) -> bytes:
    # The stored body ends with the keys `cached`, `elapsed_ms`, `truncated` (and `truncated_reason`),
    # in that order (`ResultSet._wire`). A quote inside a JSON string is always escaped, so the last
    # `,"cached":` is that key: everything before it is kept byte for byte.
    cut = stored.rfind(b',"cached":')
    if cut < 0:
        return dataclasses.replace(
            ResultSet.from_json(stored), cache=CacheInfo(hit=True), timings=Timings(total_ms=_since(started))
        ).to_json_bytes()
    tail = orjson.loads(b"{" + stored[cut + 1 :])
    tail["cached"] = True
    tail["elapsed_ms"] = _since(started)
    return stored[:cut] + b"," + orjson.dumps(tail)[1:]


def sql_run(*, source_id: int, sql: str, principal: Principal | None) -> ResultSet:
    """One read-only SELECT over the source's own tables (the caller has checked EDIT). `principal` is
    who runs it (None only for the system's own work: rollup builds, refresh keys); a principal limited
    to some rows of the source (see rowaccess) is refused with `Forbidden`, since SQL could read around
    any row filter."""
    started = time.perf_counter()
    source = selectors.source_get(source_id)
    require_unrestricted(principal, source)
    dialect = _DIALECTS[source.kind]
    allowed = {table.name for table in selectors.source_tables(source)}
    checked = check_select(
        sql, dialect, allowed_tables=allowed, schema=_schema(source), max_rows=settings.AISER_QUERY_MAX_ROWS
    )
    raw = _execute(source, checked, [])
    hooks.record_usage("query_run", kind="sql")
    hooks.observe("query_seconds", _since(started) / 1000, source_kind=source.kind, cache="miss", rollup="no")
    return _raw_result(raw, checked.replace("%%", "%") if dialect != "duckdb" else checked, started)


ModelBuild = Callable[
    [Dialect, str | None, dict[str, TableInfo], int, dict[str, list[Filter]]], CompiledQuery
]


def compiled_sql_run(
    *, source_id: int, build: ModelBuild, principal: Principal | None
) -> tuple[CompiledQuery, QueryResult]:
    """Run a query another layer compiles (the semantic layer's model queries) on one source.

    `build(dialect, schema, tables, max_rows, restrict)` receives the source's SQL dialect, its
    schema (or None), its catalogue by table name, the row cap and the row filters of `principal`
    ({table name: filters}; see `rowaccess.model_row_filters`) that it must apply to every read of
    those tables, and returns the compiled query; the compiled query and the raw result come back.
    `principal` None is the system's own work (rollup builds: every row). The caller has checked who
    may run it; nothing is cached.
    """
    started = time.perf_counter()
    source = selectors.source_get(source_id)
    stored = list(selectors.source_tables(source))
    if not stored:
        raise QueryError(_not_ready_message(source))
    tables = {table.name: TableInfo.from_dict(table.catalogue) for table in stored}
    restrict = model_row_filters(principal, source, tables.values()) if principal is not None else {}
    compiled = build(_DIALECTS[source.kind], _schema(source), tables, settings.AISER_QUERY_MAX_ROWS, restrict)
    result = _execute(source, compiled.sql, compiled.params, stored)
    hooks.record_usage("query_run", kind="model")
    hooks.observe("query_seconds", _since(started) / 1000, source_kind=source.kind, cache="miss", rollup="no")
    return compiled, result


def table_preview(
    *, source: Source, table_name: str, principal: Principal, limit: int = PREVIEW_ROWS
) -> ResultSet:
    """The first rows of one table of a source, as stored (files, REST) or live (databases), limited
    to the rows `principal` may see (see rowaccess)."""
    started = time.perf_counter()
    table = selectors.source_table_get(source, table_name)
    dialect = _DIALECTS[source.kind]
    info = TableInfo.from_dict(table.catalogue)
    select = exp.select("*").from_(table_ref(table.name, _schema(source))).limit(limit)
    params = Params()
    now = workspace_clock().now
    for flt in row_filters(principal, source, info):
        select = select.where(condition(flt, info, params, now), copy=False)
    sql, values = _render(select, dialect, params)
    shown = explain_sql(CompiledQuery(sql=sql, params=values, columns=[], dialect=dialect))
    return _raw_result(_execute(source, sql, values), shown, started)


def _raw_result(raw: QueryResult, sql: str, started: float) -> ResultSet:
    """A ResultSet of stored columns as they are (no query to say which are measures)."""
    return ResultSet(
        columns=tuple(raw_column(c["name"], c["type"]) for c in raw.columns),  # type: ignore[arg-type]
        rows=tuple(map(tuple, raw.rows)),
        truncated=raw.truncated,
        truncated_reason=raw.truncated_reason,
        sql=sql,
        timings=Timings(execute_ms=raw.elapsed_ms, total_ms=_since(started)),
    )


# --- internals -------------------------------------------------------------------------------------


# Why a query on a customer's database failed, as a metric label (a fixed list; anything else is "error").
_FAILURE_REASONS = frozenset({"connection_lost", "query_timeout", "out_of_memory"})


def _execute(source: Source, sql: str, params: list[Any], tables: list[Any] | None = None) -> QueryResult:
    started = time.perf_counter()
    try:
        return _execute_on(source, sql, params, tables)
    except QueryError as error:
        if source.kind in (Source.Kind.POSTGRES, Source.Kind.MYSQL, Source.Kind.SPARK):
            reason = error.code if error.code in _FAILURE_REASONS else "error"
            hooks.observe("source_query_failed", source_kind=source.kind, reason=reason)
        raise
    finally:
        _log_if_slow(source, sql, (time.perf_counter() - started) * 1000)


def _log_if_slow(source: Source, sql: str, elapsed_ms: float) -> None:
    # A hash, not the SQL: it groups repeats of one query without writing customer values to the logs.
    threshold = settings.AISER_SLOW_QUERY_MS
    if threshold and elapsed_ms >= threshold:
        log.warning(
            "slow_query",
            duration_ms=round(elapsed_ms, 1),
            source_kind=source.kind,
            source=source.pk,
            sql_hash=hashlib.sha256(sql.encode()).hexdigest()[:16],
            organisation=hooks.current_workspace(),
        )


def _execute_on(source: Source, sql: str, params: list[Any], tables: list[Any] | None = None) -> QueryResult:
    if source.is_stored:
        stored = selectors.source_tables(source) if tables is None else tables
        store = selectors.workspace_store()
        files = {table.name: selectors.table_location(table, store) for table in stored}
        if not files:
            raise QueryError(_not_ready_message(source))
        # In a bounded worker process: a runaway query fails alone (see executor).
        return executor.run_on_files(
            sql, params, files, source_id=source.pk, version=source.version, place=store.place()
        )
    return executor.run_on_database(source_connector(source), sql, params)


def _table_info(source: Source, stored: list[Any], name: str) -> TableInfo:
    tables = {table.name: table for table in stored}
    if not tables:
        raise QueryError(_not_ready_message(source))
    if name not in tables:
        choices = ", ".join(sorted(tables)[:20])
        raise QueryError(f"table: '{name}' is not a table of '{source.name}'; choose one of {choices}.")
    return TableInfo.from_dict(tables[name].catalogue)


def _not_ready_message(source: Source) -> str:
    if source.status == Source.Status.FAILED and source.error:
        return f"'{source.name}' has no data to query: {source.error}"
    return f"'{source.name}' has no data to query yet; wait until it is ready."


def _schema(source: Source) -> str | None:
    if source.kind == Source.Kind.POSTGRES:
        return source.config.get("schema") or "public"
    if source.kind == Source.Kind.SPARK:
        return source.config.get("database") or "default"
    return None


_RELATIVE_OPS = frozenset({"last_n", "previous_n", "this_period", "previous_period"})


def _cache_key(source_id: int, version: int, query: SemanticQuery) -> str:
    fingerprint = query.cache_fingerprint()
    if _is_relative(query):
        # "Last month" means another month tomorrow: the answer is cached for today only.
        fingerprint += f"@{workspace_clock().today.isoformat()}"
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()
    return f"sources:query:{hooks.current_workspace()}:{source_id}:v{version}:{digest}"


def _is_relative(query: SemanticQuery) -> bool:
    return any(f.op in _RELATIVE_OPS for f in query.filters)


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
