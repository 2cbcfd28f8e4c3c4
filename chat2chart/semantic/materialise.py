# SPDX-License-Identifier: MIT
"""Write rollup rows to Parquet: straight from DuckDB over a file source's Parquet tables, or from the
rows a database returned; and merge a rollup's partitions into the one file queries read. No Django.

The DuckDB build runs in a fresh in-memory database that can read exactly the source's files and
write exactly the output file (DuckDB's `allowed_paths`, external access off, configuration locked),
under a memory limit and a wall-clock timeout, like the query path (chat2chart.sources.duck).
Sums that DuckDB widens to HUGEINT are stored as BIGINT when they fit (Parquet has no 128-bit
integer and would store a DOUBLE), so re-aggregated sums stay exact integers.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from chat2chart.core.errors import QueryError
from chat2chart.sources.duckpool import object_dataset
from chat2chart.sources.objectstore import S3_SCHEME, S3Place

_ARROW_TYPES: dict[str, pa.DataType] = {
    "integer": pa.int64(),
    "decimal": pa.float64(),
    "boolean": pa.bool_(),
    "text": pa.string(),
}


def build_from_files(
    sql: str,
    params: list[Any],
    tables: dict[str, str],
    columns: list[str],
    out: Path,
    *,
    timeout_s: float,
    memory_limit: str = "1GB",
    threads: int = 2,
    place: S3Place | None = None,
) -> int:
    """Run `sql` over `tables` (name → Parquet path, or `s3://` URI in `place`'s bucket, read as a
    pyarrow dataset of exactly that object) and write its rows to the local file `out` with the
    result's columns renamed to `columns`, in order. Returns the number of rows. Raises QueryError."""
    conn = duckdb.connect(":memory:")
    timer = threading.Timer(timeout_s, conn.interrupt)
    try:
        local = []
        for name, path in tables.items():
            if str(path).startswith(S3_SCHEME):
                conn.register(name, object_dataset(name, str(path), place))
                continue
            local.append(str(path))
            literal = "'" + str(path).replace("'", "''") + "'"
            conn.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet({literal})')
        conn.execute("SET allowed_paths = ?", [[*local, str(out)]])
        for statement in (
            "SET TimeZone = 'UTC'",
            f"SET memory_limit = '{memory_limit}'",
            f"SET threads = {int(threads)}",
            "SET temp_directory = ''",
            "SET autoinstall_known_extensions = false",
            "SET autoload_known_extensions = false",
            "SET enable_external_access = false",
            "SET lock_configuration = true",
        ):
            conn.execute(statement)
        timer.start()
        conn.execute(f"CREATE TEMP TABLE built AS {sql}", params or None)
        described = conn.execute("SELECT * FROM built LIMIT 0").description or []
        if len(described) != len(columns):
            raise QueryError("the rollup's build query returned an unexpected set of columns")
        selected = [
            _stored_column(conn, str(d[0]), str(d[1]), name)
            for d, name in zip(described, columns, strict=True)
        ]
        target = "'" + str(out).replace("'", "''") + "'"
        conn.execute(
            f"COPY (SELECT {', '.join(selected)} FROM built) TO {target} (FORMAT parquet, USE_TMP_FILE false)"
        )
        row = conn.execute("SELECT count(*) FROM built").fetchone()
        return int(row[0]) if row else 0
    except duckdb.InterruptException:
        raise QueryError(f"building the rollup took longer than {timeout_s:g} seconds") from None
    except duckdb.Error as exc:
        message = str(exc)
        for path in tables.values():
            message = message.replace(str(path), "<table>")
        raise QueryError(f"building the rollup failed: {message.replace(str(out), '<rollup>')}") from None
    finally:
        timer.cancel()
        conn.close()


def _stored_column(conn: duckdb.DuckDBPyConnection, source: str, kind: str, name: str) -> str:
    quoted = '"' + source.replace('"', '""') + '"'
    if kind.upper() in ("HUGEINT", "UHUGEINT"):
        row = conn.execute(f"SELECT min({quoted}), max({quoted}) FROM built").fetchone()
        low, high = (row or (None, None))[:2]
        fits = all(v is None or -(2**63) <= v < 2**63 for v in (low, high))
        kind = "BIGINT" if fits else "DECIMAL(38, 0)"
        return f'CAST({quoted} AS {kind}) AS "{name}"'
    return f'{quoted} AS "{name}"'


def write_rows(rows: list[list[Any]], types: list[str], columns: list[str], out: Path) -> int:
    """Write JSON-valued `rows` (from the database query path) to `out`, one column per name in
    `columns`, typed by the catalogue `types` (integer, decimal, date, datetime, boolean, text)."""
    arrays = []
    for position, kind in enumerate(types):
        values = [row[position] for row in rows]
        if kind == "date":
            arrays.append(pa.array([dt.date.fromisoformat(v) if v else None for v in values], pa.date32()))
        elif kind == "datetime":
            parsed = [dt.datetime.fromisoformat(v) if v else None for v in values]
            zone = "UTC" if any(p is not None and p.tzinfo is not None for p in parsed) else None
            shifted = next(
                (p for p in parsed if p is not None and p.utcoffset() not in (None, dt.timedelta(0))), None
            )
            if shifted is not None:
                # Buckets made in another zone would be re-bucketed in UTC (a day of February
                # starting at 23:00 UTC on January 31st): refuse rather than answer wrongly.
                raise QueryError(
                    f"the database returns times in a zone other than UTC ({shifted.isoformat()}); rollups "
                    "of such columns need the database user's time zone set to UTC"
                )
            if zone:
                parsed = [p.astimezone(dt.UTC) if p is not None else None for p in parsed]
            arrays.append(pa.array(parsed, pa.timestamp("us", tz=zone)))
        else:
            arrays.append(pa.array(values, _ARROW_TYPES.get(kind, pa.string())))
    pq.write_table(pa.Table.from_arrays(arrays, names=columns), out)
    return len(rows)


def merge_partitions(parts: list[Path], out: Path) -> int:
    """Concatenate partition files (same columns) into `out`; returns the number of rows."""
    if len(parts) == 1:
        table = pq.read_table(parts[0])
    else:
        table = pa.concat_tables([pq.read_table(p) for p in parts], promote_options="permissive")
    pq.write_table(table, out)
    return table.num_rows


def read_rollup(
    sql: str, params: list[Any], name: str, path: Path, *, timeout_s: float
) -> list[tuple[Any, ...]]:
    """Run one SELECT over the rollup file `path` (as table `name`) in a fresh, locked-down in-process
    DuckDB and return its rows as DuckDB gives them (bytes stay bytes: the HLL sketches are read here,
    not through the query workers, whose rows are JSON). Raises QueryError."""
    conn = duckdb.connect(":memory:")
    timer = threading.Timer(timeout_s, conn.interrupt)
    try:
        literal = "'" + str(path).replace("'", "''") + "'"
        conn.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet({literal})')
        conn.execute("SET allowed_paths = ?", [[str(path)]])
        for statement in (
            "SET TimeZone = 'UTC'",
            "SET threads = 1",
            "SET temp_directory = ''",
            "SET autoinstall_known_extensions = false",
            "SET autoload_known_extensions = false",
            "SET enable_external_access = false",
            "SET lock_configuration = true",
        ):
            conn.execute(statement)
        timer.start()
        return conn.execute(sql, params or None).fetchall()
    except duckdb.InterruptException:
        raise QueryError(f"reading the rollup took longer than {timeout_s:g} seconds") from None
    except duckdb.Error as exc:
        raise QueryError(f"reading the rollup failed: {str(exc).replace(str(path), '<rollup>')}") from None
    finally:
        timer.cancel()
        conn.close()
