# SPDX-License-Identifier: MIT
"""A MySQL or MariaDB source: connection test, catalogue introspection and read-only queries.

The socket is opened to the vetted IP by us and handed to PyMySQL (TLS still checks the host
name); LOAD DATA LOCAL is off, every query runs in START TRANSACTION READ ONLY with a server
statement timeout (max_statement_time on MariaDB, max_execution_time on MySQL), and every
session ends with ROLLBACK. Rows are read unbuffered under a cap on rows and bytes.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pymysql
from pymysql.constants import CLIENT, FIELD_TYPE
from pymysql.cursors import SSCursor
from sqlglot import exp

from chat2chart.core.errors import ConnectionFailed, QueryError
from chat2chart.sources.catalogue import ColumnInfo, ColumnType, TableInfo
from chat2chart.sources.connectors.params import MySQLParams
from chat2chart.sources.connectors.sampling import (
    EXACT_COUNT_BELOW,
    MAX_TABLES,
    SAMPLE_ROWS,
    SAMPLE_VALUES,
    lost_connection_message,
    refused_message,
    sample_value,
    scrub,
    share,
    slow_query_message,
    timed_out_message,
)
from chat2chart.sources.netsafety import resolve_public_address
from chat2chart.sources.results import QueryResult
from chat2chart.sources.rowcap import ResultLimits, fetch_capped

Resolver = Callable[..., str]

_ACCESS_DENIED, _BAD_DB, _DB_ACCESS_DENIED = 1045, 1049, 1044
_READ_ONLY_TRANSACTION = 1792
_TIMEOUT_CODES = frozenset({1969, 3024})  # MariaDB max_statement_time, MySQL max_execution_time
_LOST_CONNECTION_CODES = frozenset({2006, 2013})  # server gone away, lost connection during query
_INTEGER_TYPES = frozenset({"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year"})
_DECIMAL_TYPES = frozenset({"decimal", "numeric", "float", "double", "real", "double precision"})
_DRIVER_TYPES: dict[int, ColumnType] = {
    **dict.fromkeys(
        (
            FIELD_TYPE.TINY,
            FIELD_TYPE.SHORT,
            FIELD_TYPE.LONG,
            FIELD_TYPE.LONGLONG,
            FIELD_TYPE.INT24,
            FIELD_TYPE.YEAR,
        ),
        "integer",
    ),
    **dict.fromkeys(
        (FIELD_TYPE.DECIMAL, FIELD_TYPE.NEWDECIMAL, FIELD_TYPE.FLOAT, FIELD_TYPE.DOUBLE), "decimal"
    ),
    **dict.fromkeys((FIELD_TYPE.DATE, FIELD_TYPE.NEWDATE), "date"),
    **dict.fromkeys((FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP), "datetime"),
}
_TABLES_SQL = (
    "SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
    "ORDER BY TABLE_NAME LIMIT %s"
)
_COLUMNS_SQL = (
    "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE FROM information_schema.COLUMNS "
    "WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME, ORDINAL_POSITION"
)


def column_type(data_type: str, column_type_text: str = "") -> ColumnType:
    """Our column type for information_schema DATA_TYPE / COLUMN_TYPE; the rest is shown as text."""
    data_type, full = data_type.lower(), column_type_text.lower()
    if full.startswith(("tinyint(1)", "bit(1)")):
        return "boolean"  # MySQL's BOOLEAN is TINYINT(1)
    if data_type in _INTEGER_TYPES:
        return "integer"
    if data_type in _DECIMAL_TYPES:
        return "decimal"
    if data_type == "date":
        return "date"
    if data_type in ("datetime", "timestamp"):
        return "datetime"
    return "text"


class MySQLConnector:
    def __init__(
        self,
        params: MySQLParams,
        *,
        allow_private: bool,
        timeout_s: float,
        max_rows: int,
        resolve: Resolver = resolve_public_address,
    ) -> None:
        self.params = params
        self.allow_private = allow_private
        self.timeout_s = timeout_s
        self.max_rows = max_rows
        self._resolve = resolve

    def test(self) -> None:
        """Connect and run a trivial query; raises ConnectionFailed with what to fix."""
        with self._session() as conn, conn.cursor() as cursor:
            cursor.execute("SELECT 1")

    def list_tables(self) -> list[TableInfo]:
        """Tables and views of the database, with column types, row counts and sample values."""
        with self._session() as conn:
            try:
                with conn.cursor() as cursor:
                    cursor.execute(_TABLES_SQL, [self.params.database, MAX_TABLES])
                    tables = list(cursor.fetchall())
                    cursor.execute(_COLUMNS_SQL, [self.params.database])
                    columns: dict[str, list[tuple[str, ColumnType]]] = {}
                    for table, column, data_type, full_type in cursor.fetchall():
                        columns.setdefault(table, []).append((column, column_type(data_type, full_type)))
                return [
                    self._describe(conn, name, estimate, columns.get(name, [])) for name, estimate in tables
                ]
            except pymysql.MySQLError as exc:
                raise self._query_error(exc) from None

    def run(self, sql: str, params: list[Any], *, limits: ResultLimits | None = None) -> QueryResult:
        """Run one query (%s placeholders, a literal % written %%) read-only, fetching rows under
        `limits` (by default at most max_rows rows and ResultLimits' byte caps).

        The SQL should carry its own LIMIT (compile_query and check_select add one).
        """
        limits = limits or ResultLimits(max_rows=self.max_rows)
        started = time.perf_counter()
        with self._session() as conn:
            cursor = conn.cursor(SSCursor)  # unbuffered: rows past the cap are never held in memory
            try:
                cursor.execute(sql, list(params))
                if cursor.description is None:
                    raise QueryError("the statement returned no rows; only SELECT queries can run here")
                capped = fetch_capped(cursor.fetchmany, limits)
                columns = [{"name": d[0], "type": _description_type(d)} for d in cursor.description]
            except pymysql.MySQLError as exc:
                raise self._query_error(exc) from None
            if capped.truncated:
                _abandon(cursor, conn)
            else:
                _close_quietly(cursor)
        return QueryResult(
            columns=columns,
            rows=capped.rows,
            truncated=capped.truncated,
            truncated_reason=capped.reason,
            elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
        )

    def explain(self, sql: str, params: list[Any]) -> list[str]:
        """MySQL's or MariaDB's own plan for one query (EXPLAIN, not run): a header line, then a
        line per plan row, columns separated by ' | '."""
        with self._session() as conn:
            try:
                with conn.cursor() as cursor:
                    cursor.execute("EXPLAIN " + sql, list(params))
                    header = " | ".join(d[0] for d in cursor.description or ())
                    return [header, *(" | ".join(str(v) for v in row) for row in cursor.fetchall())]
            except pymysql.MySQLError as exc:
                raise self._query_error(exc) from None

    # --- sessions ------------------------------------------------------------------------------

    @contextmanager
    def _session(self) -> Iterator[pymysql.connections.Connection]:
        """A connection inside one READ ONLY transaction with the statement timeout set; it always
        ends with ROLLBACK, so nothing a session did is ever committed."""
        conn = self._connect()
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT VERSION()")
                version = str((cursor.fetchone() or [""])[0])
                if "mariadb" in version.lower():
                    cursor.execute("SET SESSION max_statement_time = %s", [max(0.001, self.timeout_s)])
                else:
                    cursor.execute(
                        "SET SESSION max_execution_time = %s", [max(1, int(self.timeout_s * 1000))]
                    )
                cursor.execute("START TRANSACTION READ ONLY")
            yield conn
        except pymysql.MySQLError as exc:
            raise self._query_error(exc) from None
        finally:
            if conn.open:
                _rollback_quietly(conn)
            _close_quietly(conn)

    def _connect(self) -> pymysql.connections.Connection:
        p = self.params
        address = self._resolve(p.host, p.port, allow_private=self.allow_private)
        tls: dict[str, Any] = {"ssl": ssl.create_default_context()} if p.ssl else {"ssl_disabled": True}
        conn = pymysql.connections.Connection(
            host=p.host,  # used for TLS host name checks only: the socket below goes to the vetted IP
            port=p.port,
            user=p.user,
            password=p.password,
            database=p.database,
            charset="utf8mb4",
            connect_timeout=max(1.0, self.timeout_s),
            read_timeout=self.timeout_s + 10,  # the server's statement timeout should fire first
            write_timeout=self.timeout_s + 10,
            local_infile=False,
            client_flag=0,
            autocommit=False,
            defer_connect=True,
            **tls,
        )
        if conn.client_flag & (CLIENT.LOCAL_FILES | CLIENT.MULTI_STATEMENTS):
            raise ConnectionFailed(
                "refusing a MySQL session that could read local files or run several statements"
            )
        where = f"{p.host}:{p.port}"
        try:
            sock = socket.create_connection((address, p.port), timeout=max(1.0, self.timeout_s))
        except ConnectionRefusedError:
            raise ConnectionFailed(refused_message(where)) from None
        except TimeoutError:
            raise ConnectionFailed(timed_out_message(where)) from None
        except OSError as exc:
            raise ConnectionFailed(f"host {where} is unreachable from Aiser ({exc.strerror})") from None
        try:
            conn.connect(sock)
        except pymysql.MySQLError as exc:
            sock.close()
            raise ConnectionFailed(self._connect_message(exc)) from None
        return conn

    def _connect_message(self, exc: pymysql.MySQLError) -> str:
        p = self.params
        code = exc.args[0] if exc.args else None
        where = f"{p.host}:{p.port}"
        if code == _ACCESS_DENIED:
            return f"authentication failed for user '{p.user}' on {where}; check the user name and password"
        if code == _BAD_DB:
            return f"database '{p.database}' does not exist on {where}; check the database name"
        if code == _DB_ACCESS_DENIED:
            return f"user '{p.user}' may not use database '{p.database}' on {where}"
        detail = exc.args[1] if len(exc.args) > 1 else str(exc)
        return f"could not connect to {where}: {scrub(str(detail), p.password)}"

    def _query_error(self, exc: pymysql.MySQLError) -> QueryError:
        code = exc.args[0] if exc.args else None
        if code in _TIMEOUT_CODES:
            return QueryError(slow_query_message(self.timeout_s), code="query_timeout")
        if code == _READ_ONLY_TRANSACTION:
            return QueryError("this source is connected read-only; queries cannot change its data")
        if code in _LOST_CONNECTION_CODES:
            where = f"{self.params.host}:{self.params.port}"
            return QueryError(lost_connection_message(where), code="connection_lost")
        detail = exc.args[1] if len(exc.args) > 1 else str(exc)
        return QueryError(f"the database refused the query: {scrub(str(detail), self.params.password)}")

    # --- introspection -------------------------------------------------------------------------

    def _describe(
        self,
        conn: pymysql.connections.Connection,
        name: str,
        estimate: int | None,
        columns: list[tuple[str, ColumnType]],
    ) -> TableInfo:
        table = _quote(self.params.database, name)
        row_count, is_estimate = estimate, True
        if estimate is None or estimate < EXACT_COUNT_BELOW:
            counted = self._scalar(conn, f"SELECT COUNT(*) FROM {table}")
            row_count, is_estimate = (counted, False) if counted is not None else (estimate, True)
        stats = self._sample_stats(conn, table, columns)
        infos = []
        for index, (column, kind) in enumerate(columns):
            info = ColumnInfo(name=column, type=kind, samples=self._samples(conn, table, column))
            if stats:
                total, non_null, distinct = stats[0], stats[1 + 2 * index], stats[2 + 2 * index]
                info.null_share = share(total - non_null, total)
                info.distinct_count = int(distinct)
            infos.append(info)
        return TableInfo(name=name, columns=infos, row_count=row_count, row_count_is_estimate=is_estimate)

    def _sample_stats(
        self, conn: pymysql.connections.Connection, table: str, columns: list[tuple[str, ColumnType]]
    ) -> tuple[int, ...] | None:
        if not columns:
            return None
        parts = ["COUNT(*)"]
        for column, _ in columns:
            ref = _quote(column)
            parts += [f"COUNT({ref})", f"COUNT(DISTINCT {ref})"]
        query = f"SELECT {', '.join(parts)} FROM (SELECT * FROM {table} LIMIT {SAMPLE_ROWS}) AS sample"
        rows = self._rows(conn, query)
        return tuple(int(v) for v in rows[0]) if rows else None

    def _samples(self, conn: pymysql.connections.Connection, table: str, column: str) -> list[Any]:
        ref = _quote(column)
        query = (
            f"SELECT DISTINCT v FROM (SELECT {ref} AS v FROM {table} WHERE {ref} IS NOT NULL "
            f"LIMIT {SAMPLE_ROWS}) AS s ORDER BY v LIMIT {SAMPLE_VALUES}"
        )
        return [sample_value(row[0]) for row in self._rows(conn, query)]

    def _scalar(self, conn: pymysql.connections.Connection, query: str) -> int | None:
        rows = self._rows(conn, query)
        return int(rows[0][0]) if rows else None

    def _rows(self, conn: pymysql.connections.Connection, query: str) -> list[tuple[Any, ...]]:
        # No parameters, so PyMySQL leaves the text alone: identifiers holding % need no escaping.
        try:
            with conn.cursor() as cursor:
                cursor.execute(query)
                return list(cursor.fetchall())
        except pymysql.MySQLError as exc:
            if exc.args and exc.args[0] in _TIMEOUT_CODES:
                return []  # a slow sample is skipped; the table stays usable without it
            raise


def _quote(*parts: str) -> str:
    return ".".join(exp.to_identifier(part, quoted=True).sql(dialect="mysql") for part in parts)


def _description_type(description: tuple[Any, ...]) -> ColumnType:
    type_code, length = description[1], description[3]
    if type_code == FIELD_TYPE.TINY and length == 1:
        return "boolean"
    if type_code == FIELD_TYPE.BIT and length == 1:
        return "boolean"
    return _DRIVER_TYPES.get(type_code, "text")


def _close_quietly(resource: Any) -> None:
    try:
        resource.close()
    except (pymysql.MySQLError, OSError):
        # Closing a session the server already dropped has nothing left to release.
        return


def _abandon(cursor: SSCursor, conn: pymysql.connections.Connection) -> None:
    """Drop a session in the middle of an unbuffered result.

    Closing the cursor would read every remaining row off the wire; closing the socket makes the
    server stop and roll back. PyMySQL's own cleanup would then read the closed socket, so the
    result and the cursor are told they have nothing left to read.
    """
    _close_quietly(conn)
    result = getattr(cursor, "_result", None)
    if result is not None:
        result.unbuffered_active = False
    cursor.connection = None


def _rollback_quietly(conn: pymysql.connections.Connection) -> None:
    try:
        conn.rollback()
    except (pymysql.MySQLError, OSError):
        # A session the server already dropped was rolled back by the server itself.
        return
