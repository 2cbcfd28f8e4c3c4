# SPDX-License-Identifier: MIT
"""Answer a model query: from the model's cache policy, else from a rollup that answers it exactly,
else from the source's tables; `explain` says which rollup answered and why each other did not."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings

from chat2chart.core import hooks
from chat2chart.core.errors import QueryError
from chat2chart.core.principal import Principal
from chat2chart.semantic.caching import cached_answer
from chat2chart.semantic.compile import compile_model_query
from chat2chart.semantic.materialise import read_rollup
from chat2chart.semantic.model import Model
from chat2chart.semantic.models import SemanticModel
from chat2chart.semantic.query import DimensionRef, ModelQuery
from chat2chart.semantic.rollup_services import rollup_candidates, rollup_file, source_dialect, source_schema
from chat2chart.semantic.routing import ROLLUP_CUBE, Route, route_query
from chat2chart.semantic.sketches import merged_estimate
from chat2chart.sources import executor
from chat2chart.sources import selectors as source_selectors
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.compiler import explain_sql
from chat2chart.sources.drivervalues import json_value
from chat2chart.sources.models import Source
from chat2chart.sources.querying import compiled_sql_run
from chat2chart.sources.rowaccess import is_restricted


def semantic_answer(
    *,
    record: SemanticModel,
    model: Model,
    query: ModelQuery,
    source: Source,
    principal: Principal,
    use_rollups: bool = True,
) -> dict[str, Any]:
    """{columns, rows, sql, truncated, elapsed_ms, explain, cache} of `query` over `model` (cubes'
    sources resolved to ids) on `source` for `principal`. `use_rollups=False` forces the raw tables
    (and skips the cache). A principal limited to some rows (row-level access) is always answered from
    the raw tables with its filters: the model's cache and rollups hold every row."""
    if is_restricted(principal, source):
        explain = {"rollup": None, "reason": "your access is limited to some rows: read from the tables"}
        return {
            **_raw(model, query, source, explain, principal),
            "cache": {"hit": False, "policy": "bypassed"},
        }
    if not use_rollups:
        return {**_raw(model, query, source, None, principal), "cache": {"hit": False, "policy": "bypassed"}}
    return cached_answer(
        record=record,
        model=model,
        query=query,
        source=source,
        compute=lambda: _routed(record, model, query, source, principal),
    )


def _routed(
    record: SemanticModel, model: Model, query: ModelQuery, source: Source, principal: Principal
) -> dict[str, Any]:
    candidates, rows = rollup_candidates(model=record, parsed=model, source=source)
    route = route_query(model, query, candidates)
    explain = route.explain()
    if route.rollup is None or route.model is None or route.query is None:
        return _raw(model, query, source, explain, principal)
    started = time.perf_counter()
    row = rows[route.rollup.key]
    tables = {t.name: TableInfo.from_dict(t.catalogue) for t in source_selectors.source_tables(source)}
    max_rows = settings.AISER_QUERY_MAX_ROWS
    raw = compile_model_query(
        model, query, source_dialect(source), tables=tables, schema=source_schema(source), max_rows=max_rows
    )
    if route.sketches:
        try:
            merged = _from_sketches(query, route, raw.columns, rollup_file(row), max_rows=max_rows)
        except QueryError as error:  # an unreadable rollup file must not cost the answer
            explain = {
                **explain,
                "rollup": None,
                "reason": f"answered from the raw tables: the rollup failed ({error})",
            }
            return _raw(model, query, source, explain, principal)
        hooks.record_usage("query_run", kind="model_rollup")
        explain["built_at"] = row.last_refresh_at.isoformat() if row.last_refresh_at else None
        return {
            "columns": raw.columns,
            "rows": merged[0],
            "sql": "-- merged from HyperLogLog sketches in the rollup file, outside SQL",
            "truncated": merged[1],
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 2),
            "total_ms": round((time.perf_counter() - started) * 1000, 2),
            "explain": explain,
        }
    compiled = compile_model_query(route.model, route.query, "duckdb", max_rows=max_rows)
    try:
        result = executor.run_on_files(compiled.sql, compiled.params, {ROLLUP_CUBE: str(rollup_file(row))})
    except QueryError as error:  # an unreadable rollup file must not cost the answer
        explain = {
            **explain,
            "rollup": None,
            "reason": f"answered from the raw tables: the rollup failed ({error})",
        }
        return _raw(model, query, source, explain, principal)
    hooks.record_usage("query_run", kind="model_rollup")
    hooks.observe(
        "query_seconds", time.perf_counter() - started, source_kind=source.kind, cache="miss", rollup="yes"
    )
    explain["built_at"] = row.last_refresh_at.isoformat() if row.last_refresh_at else None
    return {
        "columns": raw.columns,  # the raw query's names, titles and formats; values come in the same order
        "rows": result.rows,
        "sql": explain_sql(compiled),
        "truncated": result.truncated,
        "elapsed_ms": result.elapsed_ms,
        "total_ms": round((time.perf_counter() - started) * 1000, 2),
        "explain": explain,
    }


def _from_sketches(
    query: ModelQuery, route: Route, columns: list[dict[str, Any]], path: Path, *, max_rows: int
) -> tuple[list[list[Any]], bool]:
    """The rows of `query` from a rollup whose approximate count distincts are HLL sketches: the other
    measures re-aggregated in DuckDB, each sketch column grouped by the query's dimensions and merged
    with DataSketches, joined on the dimensions' values; then the query's order, offset and limit.
    `columns` are the raw query's output columns (their order is the answer's). Returns (rows, truncated)."""
    assert route.model is not None
    assert route.query is not None
    routed = route.query.model_copy(update={"order": [], "limit": None, "offset": 0})
    width = len(routed.dimensions)
    dims = [ref.output_name for ref in query.dimensions]
    values: dict[tuple[Any, ...], dict[str, Any]] = {}
    timeout = float(settings.AISER_QUERY_TIMEOUT_S)
    plain = [m for m in query.measures if m not in route.sketches]
    if routed.measures:
        compiled = compile_model_query(route.model, routed, "duckdb", max_rows=max_rows + 1)
        for found in read_rollup(compiled.sql, compiled.params, ROLLUP_CUBE, path, timeout_s=timeout):
            # Dimensions first, then measures, in the routed query's order (as `compile` writes them).
            key, found_measures = tuple(found[:width]), found[width:]
            values.setdefault(key, {}).update(zip(plain, found_measures, strict=True))
    for member, column in route.sketches.items():
        grouped = routed.model_copy(
            update={
                "measures": [],
                "dimensions": [*routed.dimensions, DimensionRef(member=f"{ROLLUP_CUBE}.{column}")],
            }
        )
        compiled = compile_model_query(route.model, grouped, "duckdb", max_rows=UNBOUNDED_SKETCH_ROWS)
        blobs: dict[tuple[Any, ...], list[bytes]] = {}
        for found in read_rollup(compiled.sql, compiled.params, ROLLUP_CUBE, path, timeout_s=timeout):
            blobs.setdefault(tuple(found[:width]), []).append(found[width])
        for key, sketches in blobs.items():
            values.setdefault(key, {})[member] = round(merged_estimate(sketches))
    rows = []
    for key, measures in values.items():
        cells = dict(zip(dims, key, strict=True)) | measures
        rows.append([json_value(cells.get(str(c["name"]))) for c in columns])
    rows = _ordered(rows, [str(c["name"]) for c in columns], query)
    rows = rows[query.offset :]
    limit = min(query.limit or max_rows, max_rows)
    return rows[:limit], len(rows) > max_rows and limit == max_rows


UNBOUNDED_SKETCH_ROWS = 10**9  # sketch rows are merged here, never returned as they are


def _ordered(rows: list[list[Any]], names: list[str], query: ModelQuery) -> list[list[Any]]:
    """`rows` sorted as the query's `order` says (empty values last, as DuckDB sorts them)."""
    for item in reversed(query.order):
        if item.field not in names:
            continue
        at = names.index(item.field)
        present = [r for r in rows if r[at] is not None]
        empty = [r for r in rows if r[at] is None]
        rows = sorted(present, key=lambda r: r[at], reverse=item.dir == "desc") + empty
    return rows


def _raw(
    model: Model, query: ModelQuery, source: Source, explain: dict[str, Any] | None, principal: Principal
) -> dict[str, Any]:
    compiled, result = compiled_sql_run(
        source_id=source.pk,
        build=lambda dialect, schema, tables, max_rows, restrict: compile_model_query(
            model, query, dialect, tables=tables, schema=schema, max_rows=max_rows, restrict=restrict
        ),
        principal=principal,
    )
    return {
        "columns": compiled.columns,
        "rows": result.rows,
        "sql": explain_sql(compiled),
        "truncated": result.truncated,
        "elapsed_ms": result.elapsed_ms,
        "explain": explain or {"rollup": None, "reason": "rollups were not considered", "rejected": {}},
    }
