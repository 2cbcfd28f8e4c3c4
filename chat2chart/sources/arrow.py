# SPDX-License-Identifier: MIT
"""A `ResultSet` as an Arrow IPC stream (`application/vnd.apache.arrow.stream`), for clients that read
large results into pandas, Polars or DuckDB without parsing JSON.

The stream carries exactly the rows of the JSON answer (the same query run, so the same row and byte
caps). Each column's Arrow type follows its catalogue type: integer → int64, decimal → float64 (as
in the JSON answer), boolean → bool, date → date32, datetime → timestamp[us] (UTC when the values
carry an offset), text → string. Each field's metadata holds the column's `aiser` JSON (type, role,
format, member); the schema's metadata holds `truncated`, `truncated_reason`, `cached` and `sql`.
Format: https://arrow.apache.org/docs/format/Columnar.html#ipc-streaming-format (written by pyarrow).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
import pyarrow as pa

from chat2chart.sources.results import ResultColumn, ResultSet

MEDIA_TYPE = "application/vnd.apache.arrow.stream"
BATCH_ROWS = 65_536


def _parse_temporal(values: Sequence[Any], parse: Any) -> list[Any]:
    return [parse(value) if isinstance(value, str) else value for value in values]


def _array(column: ResultColumn, values: Sequence[Any]) -> pa.Array:
    kind = column.type
    if kind == "integer":
        try:
            return pa.array(values, type=pa.int64())
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            return pa.array(values, type=pa.float64())
    if kind == "decimal":
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    if kind == "boolean":
        return pa.array(values, type=pa.bool_())
    if kind == "date":
        return pa.array(_parse_temporal(values, dt.date.fromisoformat), type=pa.date32())
    if kind == "datetime":
        parsed = _parse_temporal(values, dt.datetime.fromisoformat)
        aware = any(isinstance(v, dt.datetime) and v.tzinfo is not None for v in parsed)
        return pa.array(parsed, type=pa.timestamp("us", tz="UTC" if aware else None))
    return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def result_schema(result: ResultSet) -> pa.Schema:
    """The Arrow schema of `result` (see the module docstring for types and metadata)."""
    fields = []
    for index, column in enumerate(result.columns):
        sample = _array(column, [row[index] for row in result.rows[:1]])
        fields.append(pa.field(column.name, sample.type, metadata={"aiser": orjson.dumps(column.to_json())}))
    metadata = {
        "truncated": "true" if result.truncated else "false",
        "truncated_reason": result.truncated_reason,
        "cached": "true" if result.cached else "false",
        "sql": result.sql,
    }
    return pa.schema(fields, metadata=metadata)


def result_batches(result: ResultSet, *, batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """`result`'s rows as record batches of at most `batch_rows` rows, each typed as `result_schema`."""
    schema = result_schema(result)
    for start in range(0, len(result.rows), batch_rows):
        rows = result.rows[start : start + batch_rows]
        arrays = [
            _array(column, [row[i] for row in rows]).cast(schema.field(i).type)
            for i, column in enumerate(result.columns)
        ]
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def arrow_stream(result: ResultSet, *, batch_rows: int | None = None) -> Iterator[bytes]:
    """The IPC stream of `result` in chunks: the schema, then one message per batch, then the end
    marker; an empty result is a valid stream with the schema only. For a StreamingHttpResponse:
    only one batch is held in memory beside the result."""
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, result_schema(result)) as writer:
        yield _drain(sink)
        for batch in result_batches(result, batch_rows=batch_rows or BATCH_ROWS):
            writer.write_batch(batch)
            yield _drain(sink)
    yield _drain(sink)


def _drain(sink: io.BytesIO) -> bytes:
    data = sink.getvalue()
    sink.seek(0)
    sink.truncate()
    return data
