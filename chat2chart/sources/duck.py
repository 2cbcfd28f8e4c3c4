# SPDX-License-Identifier: MIT
"""Run one read-only SQL query over uploaded file tables in a locked-down DuckDB.

The query runs on a database built for exactly its tables (see duckpool): one view per table over
its Parquet file, then locked down, so the user's SQL can read those tables and nothing else: no
other files, no network, no extensions, no configuration changes, and no introspection that would
show where the files live. Databases are kept per source version and reused by later queries of
the same organisation and files. Rows are fetched in batches under a cap on rows and bytes (see
rowcap). Runs inside the query worker (see executor); no Django here.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import duckdb

from chat2chart.core.errors import QueryError
from chat2chart.sources.drivervalues import duckdb_column_type
from chat2chart.sources.duckpool import DatabaseSpec, PoolScope, close_databases, process_pool
from chat2chart.sources.objectstore import S3_SCHEME, S3Place
from chat2chart.sources.results import QueryResult
from chat2chart.sources.rowcap import ResultLimits, fetch_capped, memory_message, timeout_message

DEFAULT_MEMORY_LIMIT = "1GB"
DEFAULT_THREADS = 2
# Functions that show settings, catalogue SQL or the environment: allowed_paths and the views'
# own SQL name the server's files. `query`/`query_table` would run SQL text unseen by this check.
_HIDDEN_FUNCTIONS = frozenset(
    {
        "current_setting",
        "getenv",
        "which_secret",
        "query",
        "query_table",
        "json_execute_serialized_sql",
        "json_serialize_sql",
        "json_serialize_plan",
        "json_deserialize_sql",
        "sql_auto_complete",
    }
)
_HIDDEN_PREFIXES = ("duckdb_", "pragma_", "pg_")
# Functions that leave state in the connection (the random seed, a sequence): allowed, but the
# database is closed after the query instead of being reused.
_STATEFUL_FUNCTIONS = frozenset({"setseed", "nextval", "currval", "setval"})


def run_duckdb(
    sql: str,
    params: list,
    tables: dict[str, str],
    *,
    timeout_s: float,
    max_rows: int,
    max_bytes: int = ResultLimits.max_bytes,
    max_cell_bytes: int = ResultLimits.max_cell_bytes,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int = DEFAULT_THREADS,
    scope: PoolScope | None = None,
    fresh: bool = False,
    place: S3Place | None = None,
) -> QueryResult:
    """Run `sql` (one SELECT, `?` or `$n` placeholders bound from `params`) over `tables`.

    `tables` maps a table name to the Parquet file holding it. At most `max_rows` rows and about
    `max_bytes` bytes of values come back, text values cut at `max_cell_bytes` (`truncated` and
    `truncated_reason` say what was cut); a query running longer than `timeout_s` is stopped.
    `scope` (organisation, source, version) names whose data this is: the database is reused only
    for the same scope and files, and a newer version of the source evicts the older one's.
    `fresh` builds a single-use database and closes it afterwards (the path before pooling).
    A table's file may be an `s3://` URI in `place`'s bucket (object storage; see duckpool).
    Raises QueryError (code "out_of_memory" when DuckDB hit `memory_limit` or the process limit).
    """
    _check_single_select(sql, tables)
    limits = ResultLimits(max_rows=max_rows, max_bytes=max_bytes, max_cell_bytes=max_cell_bytes)
    spec = DatabaseSpec.of(scope, tables, memory_limit=memory_limit, threads=threads, place=place)
    pool = process_pool()
    database, _ = pool.take(spec, fresh=fresh)
    try:
        stateful = _check_reads_only_tables(database.conn, sql, tables)
    except BaseException:
        pool.give_back(database)  # only the parser ran on it
        raise
    try:
        result, interrupted = _execute(
            database.conn, sql, params, tables, timeout_s=timeout_s, limits=limits, memory_limit=memory_limit
        )
    except BaseException:
        # Interrupted, out of memory or failed part-way: never reuse what such a query left behind.
        pool.discard(database)
        raise
    if stateful or interrupted:
        pool.discard(database)
    else:
        pool.give_back(database)
    return result


def close_spare_databases() -> None:
    """Close pooled and spare databases; for a worker about to exit."""
    close_databases()


def _check_single_select(sql: str, tables: dict[str, str]) -> None:
    # The lockdown is what keeps files safe; this check keeps the connection to the one kind of
    # statement a question needs, so DDL, PRAGMA or CALL never run at all.
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(f"The query could not be read: {_clean_message(exc, tables)}") from None
    if len(statements) != 1:
        raise QueryError(f"Send exactly one SQL statement; this text holds {len(statements)}.")
    if statements[0].type != duckdb.StatementType.SELECT:
        raise QueryError("Only SELECT queries can run against uploaded files.")


def _check_reads_only_tables(conn: duckdb.DuckDBPyConnection, sql: str, tables: dict[str, str]) -> bool:
    # DuckDB's own parser gives the statement as JSON: every table a FROM names must be one of
    # ours (or a CTE of the query), and no function may show settings, catalogue SQL or paths.
    # True when the query calls a function that leaves state behind in the connection.
    try:
        row = conn.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()
    except duckdb.Error as exc:
        raise QueryError(f"The query could not be read: {_clean_message(exc, tables)}") from None
    tree = json.loads(row[0]) if row else {}
    if tree.get("error"):
        raise QueryError(f"The query could not be read: {tree.get('error_message', 'unknown error')}")
    allowed = {name.lower() for name in tables} | {name.lower() for name in _cte_names(tree)}
    stateful = False
    for node in _nodes(tree):
        name = str(node.get("function_name", "")).lower()
        if name and (name in _HIDDEN_FUNCTIONS or name.startswith(_HIDDEN_PREFIXES)):
            raise QueryError(f"{name}() is not available in queries on uploaded files.")
        stateful = stateful or name in _STATEFUL_FUNCTIONS
        if node.get("type") == "BASE_TABLE":
            table = str(node.get("table_name", ""))
            if node.get("schema_name") not in ("", "main", None) or table.lower() not in allowed:
                choices = ", ".join(sorted(tables)[:20])
                raise QueryError(f"'{table}' is not a table of this source; choose one of {choices}.")
    return stateful


def _nodes(value: Any) -> Any:
    """Every JSON object inside `value`, depth first."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _cte_names(tree: Any) -> list[str]:
    names = []
    for node in _nodes(tree):
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            names += [
                str(entry.get("key", "")) for entry in cte_map.get("map", []) if isinstance(entry, dict)
            ]
    return names


def _execute(
    conn: duckdb.DuckDBPyConnection,
    sql: str,
    params: list,
    tables: dict[str, str],
    *,
    timeout_s: float,
    limits: ResultLimits,
    memory_limit: str,
) -> tuple[QueryResult, bool]:
    """The query's result, and whether the time-out fired after all (the connection then holds a
    pending interrupt and must not be reused)."""
    # DuckDB has no statement timeout; interrupting the connection from a timer is the supported way.
    fired = threading.Event()

    def interrupt() -> None:
        fired.set()
        conn.interrupt()

    timer = threading.Timer(timeout_s, interrupt)
    started = time.perf_counter()
    timer.start()
    try:
        cursor = conn.execute(sql, params or None)
        description = cursor.description or []
        capped = fetch_capped(cursor.fetchmany, limits)
        if capped.truncated:
            conn.execute("SELECT NULL")  # frees the rows left unread (a sorted result is all in memory)
    except duckdb.InterruptException:
        raise QueryError(timeout_message(timeout_s)) from None
    except (duckdb.OutOfMemoryException, MemoryError):
        raise QueryError(memory_message(_megabytes(memory_limit)), code="out_of_memory") from None
    except duckdb.Error as exc:
        raise QueryError(_clean_message(exc, tables)) from None
    finally:
        timer.cancel()
        timer.join()
    elapsed_ms = (time.perf_counter() - started) * 1000
    columns = [{"name": str(d[0]), "type": duckdb_column_type(str(d[1]))} for d in description]
    result = QueryResult(
        columns=columns,
        rows=capped.rows,
        truncated=capped.truncated,
        truncated_reason=capped.reason,
        elapsed_ms=round(elapsed_ms, 2),
    )
    return result, fired.is_set()


def _megabytes(size: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)\s?([KMGT]?)i?B", size.strip(), flags=re.IGNORECASE).groups()  # type: ignore[union-attr]
    return float(number) * 1024.0 ** ("KMGT".index(unit.upper()) - 1 if unit else -2)


def _clean_message(exc: BaseException, tables: dict[str, str]) -> str:
    """DuckDB's own text, minus where our files live on disk."""
    message = str(exc).strip()
    for name, path in tables.items():
        message = message.replace(str(path), name)
        if str(path).startswith(S3_SCHEME):
            bucket_key = str(path).removeprefix(S3_SCHEME)  # how pyarrow names an object
            message = message.replace(bucket_key, name).replace(bucket_key.rsplit("/", 1)[0], "")
            continue
        message = message.replace(str(Path(path).parent), "")
    return message or "The query failed."
