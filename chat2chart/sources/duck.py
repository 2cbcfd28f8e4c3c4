# SPDX-License-Identifier: MIT
"""Run one read-only SQL query over uploaded file tables in a locked-down DuckDB.

Each call gets a fresh in-memory connection. Our own code creates one view per table over its
Parquet file and then locks the connection down, so the user's SQL can read those tables and
nothing else: no other files, no network, no extensions, no configuration changes, and no
introspection that would show where the files live. Rows are fetched in batches under a cap on
rows and bytes (see rowcap). Runs inside the query worker (see executor); no Django here.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import re
import threading
import time
from pathlib import Path
from typing import Any

import duckdb

from chat2chart.core.errors import QueryError
from chat2chart.sources.drivervalues import duckdb_column_type
from chat2chart.sources.results import QueryResult
from chat2chart.sources.rowcap import ResultLimits, fetch_capped, memory_message, timeout_message

DEFAULT_MEMORY_LIMIT = "1GB"
DEFAULT_THREADS = 2
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
SPARE_DATABASES = 2
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


class _SpareDatabases:
    """Brand-new in-memory databases made ahead of time by a background thread.

    Starting a DuckDB database takes ~20 ms, a third of a 1 M-row query. Isolation needs a fresh
    one per query (views and locked settings are per database), so each spare is used exactly once;
    making them early only moves that cost off the request. Per process: a forked worker starts its own.
    At interpreter exit the thread is stopped and every spare closed before DuckDB is torn down: a
    thread still holding a connection then made the process abort (exit code 134).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._spares: queue.Queue[duckdb.DuckDBPyConnection] = queue.Queue(maxsize=size)

    def take(self) -> duckdb.DuckDBPyConnection:
        self._start_once()
        try:
            return self._spares.get_nowait()
        except queue.Empty:
            return duckdb.connect(":memory:")

    def close(self) -> None:
        """Stop the filling thread and close the spares; `take` still works, without spares."""
        self._stop.set()
        thread = self._thread
        while thread is not None and thread.is_alive():
            self._drain()  # frees a slot, so a thread blocked in put() can see the stop
            thread.join(timeout=0.05)
        self._drain()

    def _drain(self) -> None:
        while True:
            try:
                self._spares.get_nowait().close()
            except queue.Empty:
                return

    def _start_once(self) -> None:
        if self._pid == os.getpid() or self._stop.is_set():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            first = self._pid is None
            self._pid = os.getpid()
            # Never hand out a parent process's databases after a fork: start a queue of our own.
            self._spares = spares = queue.Queue(maxsize=self._size)
            self._thread = threading.Thread(
                target=self._fill, args=(spares, self._stop), name="duckdb-spares", daemon=True
            )
            self._thread.start()
            if first:
                atexit.register(self.close)

    @staticmethod
    def _fill(spares: queue.Queue[duckdb.DuckDBPyConnection], stop: threading.Event) -> None:
        while not stop.is_set():
            conn = duckdb.connect(":memory:")
            while not stop.is_set():
                try:
                    spares.put(conn, timeout=0.5)
                    break
                except queue.Full:
                    continue
            else:
                conn.close()


_spare_databases = _SpareDatabases(SPARE_DATABASES)


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
) -> QueryResult:
    """Run `sql` (one SELECT, `?` or `$n` placeholders bound from `params`) over `tables`.

    `tables` maps a table name to the Parquet file holding it. At most `max_rows` rows and about
    `max_bytes` bytes of values come back, text values cut at `max_cell_bytes` (`truncated` and
    `truncated_reason` say what was cut); a query running longer than `timeout_s` is stopped.
    Raises QueryError (code "out_of_memory" when DuckDB hit `memory_limit` or the process limit).
    """
    _check_single_select(sql, tables)
    limits = ResultLimits(max_rows=max_rows, max_bytes=max_bytes, max_cell_bytes=max_cell_bytes)
    conn = _spare_databases.take()
    try:
        _attach_tables(conn, tables)
        _lock_down(conn, tables, memory_limit=memory_limit, threads=threads)
        _check_reads_only_tables(conn, sql, tables)
        return _execute(
            conn, sql, params, tables, timeout_s=timeout_s, limits=limits, memory_limit=memory_limit
        )
    finally:
        conn.close()


def close_spare_databases() -> None:
    """Stop making spare databases and close those made; for a worker about to exit."""
    _spare_databases.close()


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


def _attach_tables(conn: duckdb.DuckDBPyConnection, tables: dict[str, str]) -> None:
    for name, path in tables.items():
        if not _TABLE_NAME.match(name):
            raise QueryError(f"'{name}' is not a usable table name; use letters, digits and underscores.")
        if not Path(path).is_file():
            raise QueryError(f"The data of table '{name}' is missing; upload the file again.")
        # A view cannot take bound parameters, so the path goes in as an escaped string literal.
        literal = "'" + str(path).replace("'", "''") + "'"
        conn.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet({literal})')


def _lock_down(
    conn: duckdb.DuckDBPyConnection, tables: dict[str, str], *, memory_limit: str, threads: int
) -> None:
    # Views are bound again at query time, so their own files must stay readable once external
    # access is off; allowed_paths lists exactly those files and nothing else.
    conn.execute("SET allowed_paths = ?", [[str(path) for path in tables.values()]])
    for statement in (
        "SET TimeZone = 'UTC'",
        f"SET memory_limit = '{_checked_size(memory_limit)}'",
        f"SET threads = {int(threads)}",
        "SET temp_directory = ''",  # no spilling into whatever the working directory is
        "SET autoinstall_known_extensions = false",
        "SET autoload_known_extensions = false",
        "SET allow_community_extensions = false",
        "SET allow_persistent_secrets = false",
        "SET enable_external_access = false",
        "SET lock_configuration = true",  # last: nothing above can be undone by the user's SQL
    ):
        conn.execute(statement)


def _check_reads_only_tables(conn: duckdb.DuckDBPyConnection, sql: str, tables: dict[str, str]) -> None:
    # DuckDB's own parser gives the statement as JSON: every table a FROM names must be one of
    # ours (or a CTE of the query), and no function may show settings, catalogue SQL or paths.
    try:
        row = conn.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()
    except duckdb.Error as exc:
        raise QueryError(f"The query could not be read: {_clean_message(exc, tables)}") from None
    tree = json.loads(row[0]) if row else {}
    if tree.get("error"):
        raise QueryError(f"The query could not be read: {tree.get('error_message', 'unknown error')}")
    allowed = {name.lower() for name in tables} | {name.lower() for name in _cte_names(tree)}
    for node in _nodes(tree):
        name = str(node.get("function_name", "")).lower()
        if name and (name in _HIDDEN_FUNCTIONS or name.startswith(_HIDDEN_PREFIXES)):
            raise QueryError(f"{name}() is not available in queries on uploaded files.")
        if node.get("type") == "BASE_TABLE":
            table = str(node.get("table_name", ""))
            if node.get("schema_name") not in ("", "main", None) or table.lower() not in allowed:
                choices = ", ".join(sorted(tables)[:20])
                raise QueryError(f"'{table}' is not a table of this source; choose one of {choices}.")


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


def _checked_size(size: str) -> str:
    if not re.fullmatch(r"\d+(\.\d+)?\s?[KMGT]?i?B", size.strip(), flags=re.IGNORECASE):
        raise ValueError(f"memory_limit must look like '1GB', not {size!r}")
    return size.strip()


def _execute(
    conn: duckdb.DuckDBPyConnection,
    sql: str,
    params: list,
    tables: dict[str, str],
    *,
    timeout_s: float,
    limits: ResultLimits,
    memory_limit: str,
) -> QueryResult:
    # DuckDB has no statement timeout; interrupting the connection from a timer is the supported way.
    timer = threading.Timer(timeout_s, conn.interrupt)
    started = time.perf_counter()
    timer.start()
    try:
        cursor = conn.execute(sql, params or None)
        description = cursor.description or []
        capped = fetch_capped(cursor.fetchmany, limits)
    except duckdb.InterruptException:
        raise QueryError(timeout_message(timeout_s)) from None
    except (duckdb.OutOfMemoryException, MemoryError):
        raise QueryError(memory_message(_megabytes(memory_limit)), code="out_of_memory") from None
    except duckdb.Error as exc:
        raise QueryError(_clean_message(exc, tables)) from None
    finally:
        timer.cancel()
    elapsed_ms = (time.perf_counter() - started) * 1000
    columns = [{"name": str(d[0]), "type": duckdb_column_type(str(d[1]))} for d in description]
    return QueryResult(
        columns=columns,
        rows=capped.rows,
        truncated=capped.truncated,
        truncated_reason=capped.reason,
        elapsed_ms=round(elapsed_ms, 2),
    )


def _megabytes(size: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)\s?([KMGT]?)i?B", size.strip(), flags=re.IGNORECASE).groups()  # type: ignore[union-attr]
    return float(number) * 1024.0 ** ("KMGT".index(unit.upper()) - 1 if unit else -2)


def _clean_message(exc: BaseException, tables: dict[str, str]) -> str:
    """DuckDB's own text, minus where our files live on disk."""
    message = str(exc).strip()
    for name, path in tables.items():
        message = message.replace(str(path), name)
        message = message.replace(str(Path(path).parent), "")
    return message or "The query failed."
