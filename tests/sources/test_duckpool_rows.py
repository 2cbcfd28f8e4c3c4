# SPDX-License-Identifier: MIT
"""Rows converted column by column (rowcap) come out exactly as the plain value-by-value conversion
makes them, caps included, and read back unchanged after the worker packs them for the pipe."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest

from chat2chart.sources.drivervalues import json_value
from chat2chart.sources.query_worker import Reply
from chat2chart.sources.results import QueryResult
from chat2chart.sources.rowcap import ResultLimits, fetch_capped


def _reference(rows: list[tuple[Any, ...]], limits: ResultLimits) -> tuple[list[list[Any]], bool, str]:
    """Value by value, in plain Python: what each cell becomes and where the caps cut."""
    kept: list[list[Any]] = []
    used = 0
    cut_cells = False
    for raw in rows:
        if len(kept) >= limits.max_rows:
            return kept, True, "rows"
        row, size = [], 0
        for value in raw:
            value = json_value(value)
            if isinstance(value, str):
                if len(value) > limits.max_cell_bytes:
                    value, cut_cells = value[: limits.max_cell_bytes] + "…", True
                size += len(value) + 2
            elif isinstance(value, list | dict):
                text = str(value)
                if len(text) > limits.max_cell_bytes:
                    value, cut_cells = text[: limits.max_cell_bytes] + "…", True
                size += len(text[: limits.max_cell_bytes + 1])
            else:
                size += 8
            row.append(value)
        if used + size > limits.max_bytes:
            return kept, True, "bytes"
        used += size
        kept.append(row)
    return kept, cut_cells, "cells" if cut_cells else ""


def _rows(count: int, seed: int) -> list[tuple[Any, ...]]:
    pick = random.Random(seed)
    makers = [
        lambda: pick.choice([None, pick.randint(-(10**12), 10**12), True]),
        lambda: pick.choice([None, pick.random() * 1e7, float("nan"), float("inf"), 11362085.839999894]),
        lambda: pick.choice([None, "x" * pick.randint(0, 40), "héllo"]),
        lambda: pick.choice([None, dt.date(2024, 1, pick.randint(1, 28)), dt.datetime(2024, 2, 1, 8, 30)]),
        lambda: pick.choice([None, Decimal("1.50"), Decimal("NaN"), b"\x00\x01", [1, 2], {"a": 1}]),
        lambda: pick.choice(["short", 7, 2.5, None]),  # one column of mixed kinds
    ]
    return [tuple(make() for make in makers) for _ in range(count)]


def _fetcher(rows: list[tuple[Any, ...]]) -> Any:
    position = 0

    def fetch(n: int) -> list[tuple[Any, ...]]:
        nonlocal position
        batch = rows[position : position + n]
        position += len(batch)
        return batch

    return fetch


@pytest.mark.parametrize(
    "limits",
    [
        ResultLimits(max_rows=10_000),
        ResultLimits(max_rows=37),
        ResultLimits(max_rows=10_000, max_bytes=5_000),
        ResultLimits(max_rows=10_000, max_cell_bytes=12),
    ],
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_column_wise_conversion_equals_value_by_value(limits, seed):
    rows = _rows(2_000, seed)
    expected_rows, expected_truncated, why = _reference(rows, limits)

    capped = fetch_capped(_fetcher(rows), limits)

    assert capped.rows == expected_rows
    assert capped.truncated is expected_truncated
    reasons = {
        "rows": "only the first 37 rows",
        "bytes": f"cut after {len(expected_rows):,} rows",
        "cells": "were shortened",
        "": "",
    }
    assert reasons[why] in capped.reason
    assert bool(capped.reason) is bool(why)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_reply_packed_for_the_pipe_reads_back_the_same_rows(seed):
    rows = fetch_capped(_fetcher(_rows(500, seed)), ResultLimits(max_rows=1000)).rows
    reply = Reply(result=QueryResult(columns=[{"name": c, "type": "text"} for c in "abcdef"], rows=rows))

    sent = reply.packed()

    assert sent.result.rows == []
    back = sent.unpacked().result.rows
    assert back == rows
    assert [[type(value) for value in row] for row in back] == [
        [type(value) for value in row] for row in rows
    ]


def test_rows_orjson_cannot_encode_travel_as_they_are():
    rows = [[2**70, "big"]]  # a HUGEINT sum
    reply = Reply(result=QueryResult(columns=[{"name": "n", "type": "integer"}], rows=rows))

    assert reply.packed().unpacked().result.rows == rows
    assert Reply(error="QueryError", message="x").packed().unpacked().message == "x"
