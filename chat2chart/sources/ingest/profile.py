# SPDX-License-Identifier: MIT
"""Describe a Parquet table for the catalogue: row count and, per column, type, samples, null share
and an estimate of distinct values.

Counts run on a private DuckDB connection (the path is a bound parameter); samples come from the
first rows through pyarrow, which stays quick however wide the table is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chat2chart.sources.catalogue import ColumnInfo, TableInfo
from chat2chart.sources.drivervalues import duckdb_column_type, json_value

SAMPLE_COUNT = 10
SAMPLE_SCAN_ROWS = 50_000  # samples come from the first rows; scanning everything is not worth it
_COLUMNS_PER_QUERY = 200  # keeps the generated SQL of very wide tables a sensible size


def profile_parquet(path: Path | str, name: str) -> TableInfo:
    """The catalogue entry for the table stored at `path`, to be called `name`."""
    conn = duckdb.connect(":memory:")
    try:
        conn.execute("SET threads = 2")
        conn.execute("SET TimeZone = 'UTC'")  # samples of instants read as UTC, whatever the server
        described = conn.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        columns = [(str(row[0]), str(row[1])) for row in described]
        row_count = conn.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()[0]
        stats: list[tuple[int, int | None]] = []
        for start in range(0, len(columns), _COLUMNS_PER_QUERY):
            stats.extend(_column_stats(conn, str(path), columns[start : start + _COLUMNS_PER_QUERY]))
    finally:
        conn.close()
    samples = _samples(Path(path))
    infos = [
        ColumnInfo(
            name=name,
            type=duckdb_column_type(duck_type),
            samples=samples.get(name, []),
            null_share=round((row_count - present) / row_count, 4) if row_count else 0.0,
            distinct_count=min(int(distinct), present) if distinct is not None else None,
        )
        for (name, duck_type), (present, distinct) in zip(columns, stats, strict=True)
    ]
    return TableInfo(name=name, columns=infos, row_count=row_count, row_count_is_estimate=False)


def _column_stats(
    conn: duckdb.DuckDBPyConnection, path: str, columns: list[tuple[str, str]]
) -> list[tuple[int, int | None]]:
    """(non-null count, approximate distinct count) per column."""
    quoted = [_quote_identifier(name) for name, _ in columns]
    sql = ", ".join(f"count({q}), approx_count_distinct({q})" for q in quoted)
    row = conn.execute(f"SELECT {sql} FROM read_parquet(?)", [path]).fetchone()
    return [(row[2 * i], row[2 * i + 1]) for i in range(len(columns))]


def _samples(path: Path) -> dict[str, list[Any]]:
    """Up to ten distinct non-null values per column from the first rows, smallest first."""
    parquet = pq.ParquetFile(path)
    first = next(parquet.iter_batches(batch_size=SAMPLE_SCAN_ROWS), None)
    if first is None:
        return {}
    samples = {}
    for name, column in zip(first.schema.names, first.columns, strict=True):
        values = pc.unique(column.drop_null())
        if values.type != pa.null() and len(values):
            values = values.take(pc.array_sort_indices(values)[:SAMPLE_COUNT])
        samples[name] = [json_value(value) for value in values.to_pylist()]
    return samples


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
