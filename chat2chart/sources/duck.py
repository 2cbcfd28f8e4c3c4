# SPDX-License-Identifier: MIT
"""Run one read-only SQL query over uploaded file tables in a locked-down DuckDB.

Each call gets a fresh in-memory connection. Our own code creates one view per table over its
Parquet file and then locks the connection down, so the user's SQL can read those tables and
nothing else: no other files, no network, no extensions, no configuration changes.
"""

from __future__ import annotations

import os
import queue
import re
import threading
import time
from pathlib import Path

import duckdb

from chat2chart.core.errors import QueryError
from chat2chart.sources.results import QueryResult, duckdb_column_type, json_value

DEFAULT_MEMORY_LIMIT = "1GB"
DEFAULT_THREADS = 2
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
SPARE_DATABASES = 2


class _SpareDatabases:
    """Brand-new in-memory databases made ahead of time by a background thread.

    Starting a DuckDB database takes ~20 ms, a third of a 1 M-row query. Isolation needs a fresh
    one per query (views and locked settings are per database), so each spare is used exactly once;
    making them early only moves that cost off the request. Per process: a forked worker starts its own.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._spares: queue.Queue[duckdb.DuckDBPyConnection] = queue.Queue(maxsize=size)

    def take(self) -> duckdb.DuckDBPyConnection:
        self._start_once()
        try:
            return self._spares.get_nowait()
        except queue.Empty:
            return duckdb.connect(":memory:")

    def _start_once(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            # Never hand out a parent process's databases after a fork: start a queue of our own.
            self._spares = spares = queue.Queue(maxsize=self._size)
            threading.Thread(target=self._fill, args=(spares,), name="duckdb-spares", daemon=True).start()

    @staticmethod
    def _fill(spares: queue.Queue[duckdb.DuckDBPyConnection]) -> None:
        while True:
            spares.put(duckdb.connect(":memory:"))  # blocks while the queue is full


_spare_databases = _SpareDatabases(SPARE_DATABASES)


def run_duckdb(
    sql: str,
    params: list,
    tables: dict[str, str],
    *,
    timeout_s: float,
    max_rows: int,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int = DEFAULT_THREADS,
) -> QueryResult:
    """Run `sql` (one SELECT, `?` or `$n` placeholders bound from `params`) over `tables`.

    `tables` maps a table name to the Parquet file holding it. At most `max_rows` rows come back
    (`truncated` says whether there were more); a query running longer than `timeout_s` is stopped.
    """
    _check_single_select(sql, tables)
    conn = _spare_databases.take()
    try:
        _attach_tables(conn, tables)
        _lock_down(conn, tables, memory_limit=memory_limit, threads=threads)
        return _execute(conn, sql, params, tables, timeout_s=timeout_s, max_rows=max_rows)
    finally:
        conn.close()


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
    max_rows: int,
) -> QueryResult:
    # DuckDB has no statement timeout; interrupting the connection from a timer is the supported way.
    timer = threading.Timer(timeout_s, conn.interrupt)
    started = time.perf_counter()
    timer.start()
    try:
        cursor = conn.execute(sql, params or None)
        raw_rows = cursor.fetchmany(max_rows + 1)
        description = cursor.description or []
    except duckdb.InterruptException:
        raise QueryError(
            f"The query took longer than {timeout_s:g} s and was stopped; "
            "add filters or aggregate to ask for less data."
        ) from None
    except duckdb.Error as exc:
        raise QueryError(_clean_message(exc, tables)) from None
    finally:
        timer.cancel()
    elapsed_ms = (time.perf_counter() - started) * 1000
    columns = [{"name": str(d[0]), "type": duckdb_column_type(str(d[1]))} for d in description]
    rows = [[json_value(value) for value in row] for row in raw_rows[:max_rows]]
    return QueryResult(
        columns=columns, rows=rows, truncated=len(raw_rows) > max_rows, elapsed_ms=round(elapsed_ms, 2)
    )


def _clean_message(exc: BaseException, tables: dict[str, str]) -> str:
    """DuckDB's own text, minus where our files live on disk."""
    message = str(exc).strip()
    for name, path in tables.items():
        message = message.replace(str(path), name)
        message = message.replace(str(Path(path).parent), "")
    return message or "The query failed."
