# SPDX-License-Identifier: MIT
"""Answer a model query: from the model's cache policy, else from a rollup that answers it exactly,
else from the source's tables; `explain` says which rollup answered and why each other did not."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from chat2chart.core import hooks
from chat2chart.core.errors import QueryError
from chat2chart.core.principal import Principal
from chat2chart.semantic.caching import cached_answer
from chat2chart.semantic.compile import compile_model_query
from chat2chart.semantic.model import Model
from chat2chart.semantic.models import SemanticModel
from chat2chart.semantic.query import ModelQuery
from chat2chart.semantic.rollup_services import (
    rollup_candidates,
    rollup_location,
    source_dialect,
    source_schema,
)
from chat2chart.semantic.routing import ROLLUP_CUBE, route_query
from chat2chart.semantic.sketch_answers import answer_from_sketches
from chat2chart.sources import executor
from chat2chart.sources import selectors as source_selectors
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.compiler import explain_sql
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
            # Sketches are merged in this process: read from a local copy when the rollup is in the bucket.
            with source_selectors.stored_file_copy(row.path) as rollup_path:
                merged = answer_from_sketches(
                    query,
                    route,
                    raw.columns,
                    rollup_path,
                    max_rows=max_rows,
                    timeout_s=float(settings.AISER_QUERY_TIMEOUT_S),
                )
        except FileNotFoundError:
            explain = {
                **explain,
                "rollup": None,
                "reason": "answered from the raw tables: the rollup file is missing",
            }
            return _raw(model, query, source, explain, principal)
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
        location, place = rollup_location(row)
        result = executor.run_on_files(compiled.sql, compiled.params, {ROLLUP_CUBE: location}, place=place)
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
