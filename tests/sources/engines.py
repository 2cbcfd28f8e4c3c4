# SPDX-License-Identifier: MIT
"""Three real SQL engines for compiler tests: an in-memory DuckDB, a throwaway database on the local
PostgreSQL and one on the local MariaDB, each loaded with the same tables. Imported by test modules."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import duckdb
import psycopg
import pymysql
import pytest

from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.compiler import CompiledQuery, compile_query

PG_URL = os.environ.get("AISER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MYSQL_URL = os.environ.get("AISER_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
Runner = Callable[[CompiledQuery], list[tuple[Any, ...]]]
# {table name: ({dialect: column definitions}, rows)}
Tables = dict[str, tuple[dict[str, str], Sequence[tuple[Any, ...]]]]


@contextmanager
def duck_engine(tables: Tables) -> Iterator[Runner]:
    conn = duckdb.connect(":memory:")
    for name, (ddl, rows) in tables.items():
        conn.execute(f"CREATE TABLE {name} ({ddl['duckdb']})")
        conn.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(rows[0]))})", rows)
    yield lambda compiled: conn.execute(compiled.sql, compiled.params).fetchall()
    conn.close()


@contextmanager
def pg_engine(db: str, tables: Tables) -> Iterator[Runner]:
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at AISER_TEST_PG_URL ({exc})")
    admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {db}")
    conn = psycopg.connect(PG_URL, dbname=db, autocommit=True)
    for name, (ddl, rows) in tables.items():
        conn.execute(f"CREATE TABLE {name} ({ddl['postgres']})")
        conn.cursor().executemany(f"INSERT INTO {name} VALUES ({', '.join(['%s'] * len(rows[0]))})", rows)
    yield lambda compiled: conn.execute(compiled.sql, compiled.params).fetchall()
    conn.close()
    admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    admin.close()


@contextmanager
def mysql_engine(db: str, tables: Tables) -> Iterator[Runner]:
    url = urlsplit(MYSQL_URL)
    options = {"host": url.hostname, "port": url.port or 3306, "user": url.username or "root"}
    try:
        conn = pymysql.connect(**options, password=url.password or "", connect_timeout=3, autocommit=True)
    except pymysql.MySQLError as exc:
        pytest.skip(f"MariaDB/MySQL is not reachable at AISER_TEST_MYSQL_URL ({exc})")
    with conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {db}")
        cursor.execute(f"CREATE DATABASE {db}")
        cursor.execute(f"USE {db}")
        for name, (ddl, rows) in tables.items():
            cursor.execute(f"CREATE TABLE {name} ({ddl['mysql']})")
            cursor.executemany(f"INSERT INTO {name} VALUES ({', '.join(['%s'] * len(rows[0]))})", rows)

    def run(compiled: CompiledQuery) -> list[tuple[Any, ...]]:
        with conn.cursor() as cursor:
            cursor.execute(compiled.sql, compiled.params)
            return list(cursor.fetchall())

    yield run
    with conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {db}")
    conn.close()


def normal(value: Any) -> Any:
    # Drivers differ in number and boolean types; users see the same values.
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal | float):
        return round(float(value), 4)
    return value


def run_on(
    engines: dict[str, Runner], q: Any, table: TableInfo, *, now: Any, max_rows: int = 1000
) -> list[list[Any]]:
    """Run `q` on every engine, check they agree, and return the rows."""
    results = {}
    for dialect, run in engines.items():
        compiled = compile_query(q, table, dialect, now=now, max_rows=max_rows)  # type: ignore[arg-type]
        results[dialect] = [[normal(v) for v in row] for row in run(compiled)]
    assert results["postgres"] == results["duckdb"], results
    assert results["mysql"] == results["duckdb"], results
    return results["duckdb"]


@contextmanager
def customer_postgres_database(name: str, setup: Callable[[Any], None]) -> Iterator[dict[str, Any]]:
    """A customer's PostgreSQL database `name` on the local server, filled by `setup(connection)`, dropped
    afterwards; yields the source config (the server trusts loopback, so any password is accepted)."""
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at AISER_TEST_PG_URL ({exc})")
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(PG_URL, dbname=name, autocommit=True) as conn:
        setup(conn)
    url = urlsplit(PG_URL)
    try:
        yield {
            "host": url.hostname,
            "port": url.port or 5432,
            "database": name,
            "user": url.username or "postgres",
            "password": "x",
        }
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextmanager
def customer_mariadb_database(name: str, setup: Callable[[Any], None]) -> Iterator[dict[str, Any]]:
    """A customer's MariaDB database `name`, filled by `setup(cursor)` (the cursor already `USE`s it),
    dropped afterwards; yields the source config for the admin account. Skips when MariaDB is unreachable."""
    url = urlsplit(MYSQL_URL)
    options = {"host": url.hostname, "port": url.port or 3306, "user": url.username or "root"}
    try:
        admin = pymysql.connect(**options, password=url.password or "", autocommit=True, connect_timeout=3)
    except pymysql.MySQLError as exc:
        pytest.skip(f"MariaDB is not reachable at {url.hostname}:{url.port}: {exc}")
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}`")
        cursor.execute(f"USE `{name}`")
        setup(cursor)
    try:
        yield {**options, "database": name, "password": url.password or ""}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()
