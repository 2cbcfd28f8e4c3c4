# SPDX-License-Identifier: MIT
"""Fetch a query's rows in batches and stop at a cap on rows, on bytes, and on the size of one value.

Used inside the query worker by the DuckDB executor and the database connectors, so a result
that would not fit in memory (or in a response) is cut while it is fetched, not after. No Django.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chat2chart.sources.drivervalues import json_value

FIRST_BATCH_ROWS = 4  # small, so one batch of huge values cannot blow past the byte cap (or memory)
MAX_BATCH_ROWS = 10_000
_SCALAR_BYTES = 8  # what a number, boolean or null costs, roughly, in JSON


@dataclass(frozen=True)
class ResultLimits:
    """Caps on one result: `max_rows` rows, `max_bytes` bytes of values in all, and
    `max_cell_bytes` bytes per text value (longer values are shortened, not dropped)."""

    max_rows: int
    max_bytes: int = 32 * 1024 * 1024
    max_cell_bytes: int = 1024 * 1024


@dataclass
class CappedRows:
    rows: list[list[Any]]
    truncated: bool = False
    reason: str = ""  # what cut the result, in words a user can act on; empty when nothing did


def fetch_capped(fetch: Callable[[int], Sequence[Sequence[Any]]], limits: ResultLimits) -> CappedRows:
    """Call `fetch(n)` (at most n driver rows, none when done) until the rows end or a cap is hit.

    Values come back JSON-friendly (see `json_value`). Batches start small and grow while rows
    are small, so a fast query does few round trips and a result of huge values stops early.
    Each batch is converted column by column (one type check per column when its values are all
    text, integers or floats), which is several times faster than value by value on big results.
    """
    rows: list[list[Any]] = []
    used = 0
    cut_cells = False
    batch = FIRST_BATCH_ROWS
    while True:
        wanted = min(batch, limits.max_rows + 1 - len(rows))
        raw = fetch(wanted)
        if not raw:
            break
        converted, sizes, shortened = _convert_batch(raw, limits.max_cell_bytes)
        cut_cells = cut_cells or shortened
        for row, size in zip(converted, sizes, strict=True):
            if len(rows) >= limits.max_rows:
                return CappedRows(rows, True, _rows_reason(limits))
            if used + size > limits.max_bytes:
                return CappedRows(rows, True, _bytes_reason(limits, len(rows)))
            used += size
            rows.append(row)
        if len(raw) < wanted:
            break
        average = max(used // max(len(rows), 1), 1)
        batch = max(1, min(MAX_BATCH_ROWS, batch * 4, (limits.max_bytes - used) // average))
    if cut_cells:
        return CappedRows(rows, True, _cell_reason(limits))
    return CappedRows(rows)


def _convert_batch(
    raw: Sequence[Sequence[Any]], max_cell_bytes: int
) -> tuple[list[list[Any]], list[int], bool]:
    """The rows of `raw` made JSON-friendly, each row's size in bytes, and whether a value was cut."""
    width = len(raw[0])
    if any(len(row) != width for row in raw):  # a driver never does this; keep the slow, exact path
        converted = [_convert(row, max_cell_bytes) for row in raw]
        return [c[0] for c in converted], [c[1] for c in converted], any(c[2] for c in converted)
    sizes = [0] * len(raw)
    columns: list[list[Any] | tuple[Any, ...]] = []
    shortened = False
    for column in zip(*raw, strict=True):
        values, column_sizes, cut = _convert_column(column, max_cell_bytes)
        shortened = shortened or cut
        columns.append(values)
        if isinstance(column_sizes, int):
            sizes = [size + column_sizes for size in sizes]
        else:
            sizes = [size + extra for size, extra in zip(sizes, column_sizes, strict=True)]
    return list(map(list, zip(*columns, strict=True))), sizes, shortened


def _convert_column(
    column: tuple[Any, ...], max_cell_bytes: int
) -> tuple[list[Any] | tuple[Any, ...], int | list[int], bool]:
    """One column's values as `_convert` would make them, with the bytes each takes (one int when
    every value costs the same)."""
    kinds: set[type] | frozenset[type] = set(map(type, column))
    if kinds <= _PLAIN_SCALARS:
        return column, _SCALAR_BYTES, False
    if kinds <= _FLOATS:
        # json_value's rule, inlined: NaN and infinities are null, twelve significant digits.
        return (
            [None if v is None or v != v or v in _INFINITIES else float(f"{v:.12g}") for v in column],
            8,
            False,
        )
    if kinds <= _DECIMALS:
        return [None if v is None or not v.is_finite() else float(v) for v in column], _SCALAR_BYTES, False
    if kinds <= _TEMPORAL and max_cell_bytes >= _LONGEST_ISO:
        column = tuple(None if v is None else v.isoformat() for v in column)
        kinds = _TEXT
    if kinds <= _TEXT and not any(v is not None and len(v) > max_cell_bytes for v in column):
        return column, [_SCALAR_BYTES if v is None else len(v) + 2 for v in column], False
    cells = [_convert((value,), max_cell_bytes) for value in column]
    return [cell[0][0] for cell in cells], [cell[1] for cell in cells], any(cell[2] for cell in cells)


def _convert(raw_row: Sequence[Any], max_cell_bytes: int) -> tuple[list[Any], int, bool]:
    row: list[Any] = []
    size = 0
    shortened = False
    for value in raw_row:
        value = json_value(value)
        if isinstance(value, str):
            if len(value) > max_cell_bytes:
                value = value[:max_cell_bytes] + "…"
                shortened = True
            size += len(value) + 2
        elif isinstance(value, list | dict):
            text = str(value)
            if len(text) > max_cell_bytes:
                value = text[:max_cell_bytes] + "…"
                shortened = True
            size += len(text[: max_cell_bytes + 1])
        else:
            size += _SCALAR_BYTES
        row.append(value)
    return row, size, shortened


_PLAIN_SCALARS: frozenset[type] = frozenset({type(None), bool, int})
_TEXT: frozenset[type] = frozenset({type(None), str})
_FLOATS: frozenset[type] = frozenset({type(None), float})
_DECIMALS: frozenset[type] = frozenset({type(None), Decimal})
# Exact types only: a subclass (pandas' Timestamp) takes the value-by-value path.
_TEMPORAL: frozenset[type] = frozenset({type(None), dt.date, dt.datetime, dt.time})
_LONGEST_ISO = 64  # "2024-01-31T08:00:00.123456+05:30" and the like are far shorter
_INFINITIES = (math.inf, -math.inf)


def _rows_reason(limits: ResultLimits) -> str:
    return f"only the first {limits.max_rows:,} rows are shown; filter or aggregate to see the rest"


def _bytes_reason(limits: ResultLimits, kept: int) -> str:
    megabytes = limits.max_bytes / 1024**2
    return (
        f"the result was cut after {kept:,} rows at {megabytes:,.0f} MB; "
        "select fewer or shorter columns, or aggregate"
    )


def _cell_reason(limits: ResultLimits) -> str:
    kilobytes = limits.max_cell_bytes / 1024
    return f"values longer than {kilobytes:,.0f} KB were shortened"


def memory_message(megabytes: float) -> str:
    """What a user reads when a query ran out of its memory budget."""
    return (
        f"This query needed more than {megabytes:,.0f} MB of memory and was stopped; "
        "filter, aggregate or select fewer columns so it works on less data at once."
    )


def timeout_message(seconds: float) -> str:
    """What a user reads when a query ran past its wall-clock limit."""
    return (
        f"The query took longer than {seconds:g} s and was stopped; "
        "add filters or aggregate to ask for less data."
    )
