# SPDX-License-Identifier: MIT
"""What the executors need to hand back raw rows: a driver's value as JSON, a DuckDB type name as a
catalogue `ColumnType`. The typed result those rows become is in `results.py`."""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
import uuid
from decimal import Decimal
from typing import Any

from chat2chart.sources.catalogue import ColumnType


def json_value(value: Any) -> Any:
    """Turn one driver value into something `json.dumps` accepts without loss a user would notice."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        # NaN and infinities are not JSON; a chart treats them like a missing value.
        if math.isnan(value) or math.isinf(value):
            return None
        # Sums of many doubles carry accumulated binary noise (11362085.839999894 for 11362085.84);
        # twelve significant digits keep every digit a chart or table shows and drop the noise.
        return float(f"{value:.12g}")
    if isinstance(value, Decimal):
        return None if not value.is_finite() else float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_value(v) for v in value]
    return str(value)


_DUCKDB_INTEGER = re.compile(r"^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$")
_DUCKDB_DECIMAL = re.compile(r"^(DECIMAL\(\d+,\s*\d+\)|DECIMAL|FLOAT|DOUBLE|REAL)$")


def duckdb_column_type(type_name: str) -> ColumnType:
    """Map a DuckDB type name (as `str(DuckDBPyType)` prints it) to a catalogue column type.

    Anything without a natural place (intervals, times, blobs, lists, structs) is shown as text.
    """
    name = type_name.strip().upper()
    if _DUCKDB_INTEGER.match(name):
        return "integer"
    if _DUCKDB_DECIMAL.match(name):
        return "decimal"
    if name == "BOOLEAN":
        return "boolean"
    if name == "DATE":
        return "date"
    if name.startswith("TIMESTAMP"):
        return "datetime"
    return "text"
