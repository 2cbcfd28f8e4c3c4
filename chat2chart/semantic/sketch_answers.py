# SPDX-License-Identifier: MIT
"""Answer a routed model query from a rollup whose approximate count distincts are HLL sketches: the
sketches cannot be merged in SQL, so the rollup file is read in-process (DuckDB) and merged with
DataSketches (see `sketches.py`). No Django: the caller gives the limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chat2chart.semantic.compile import compile_model_query
from chat2chart.semantic.materialise import read_rollup
from chat2chart.semantic.query import DimensionRef, ModelQuery
from chat2chart.semantic.routing import ROLLUP_CUBE, Route
from chat2chart.semantic.sketches import merged_estimate
from chat2chart.sources.drivervalues import json_value

UNBOUNDED_SKETCH_ROWS = 10**9  # sketch rows are merged here, never returned as they are


def answer_from_sketches(
    query: ModelQuery,
    route: Route,
    columns: list[dict[str, Any]],
    path: Path,
    *,
    max_rows: int,
    timeout_s: float,
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
    timeout = timeout_s
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
