# SPDX-License-Identifier: MIT
"""The SQL editor's gate: one read-only SELECT over the source's own tables, everything else refused
with a reason; what it accepts runs, capped, on a real engine."""

from __future__ import annotations

import os
from collections.abc import Iterator

import duckdb
import psycopg
import pytest

from chat2chart.core.errors import QueryError
from chat2chart.sources.sqlguard import check_select

ALLOWED = {"orders", "Customers"}
PG_URL = os.environ.get("AISER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    conn = duckdb.connect(":memory:")
    conn.execute("CREATE TABLE orders AS SELECT range AS id, range % 3 AS customer_id FROM range(50)")
    conn.execute("CREATE TABLE customers AS SELECT range AS id, 'c' || range AS name FROM range(3)")
    conn.execute("CREATE TABLE secrets AS SELECT 'hunter2' AS password")
    yield conn
    conn.close()


@pytest.mark.parametrize(
    ("dialect", "sql", "reason"),
    [
        ("duckdb", "SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
        ("duckdb", "SELECT * FROM read_csv_auto('/etc/passwd')", "read_csv"),
        ("duckdb", "SELECT * FROM '/etc/passwd'", "not part of this source"),
        ("duckdb", "SELECT * FROM read_parquet('s3://bucket/x.parquet')", "read_parquet"),
        ("duckdb", "SELECT * FROM glob('/home/*')", "glob"),
        ("duckdb", "SELECT * FROM query_table('secrets')", "query_table"),
        ("duckdb", "SELECT * FROM generate_series(1, 3)", "table functions"),
        ("duckdb", "SELECT * FROM orders, unnest([1, 2])", "table functions"),
        ("duckdb", "SELECT (SELECT count(*) FROM read_json('/etc/hosts')) FROM orders", "read_json"),
        ("duckdb", "COPY orders TO '/tmp/orders.csv'", "COPY"),
        ("duckdb", "ATTACH '/tmp/other.db' AS other", "ATTACH"),
        ("duckdb", "INSTALL httpfs", "INSTALL"),
        ("duckdb", "LOAD httpfs", "LOAD"),
        ("duckdb", "PRAGMA database_list", "PRAGMA"),
        ("duckdb", "SET enable_external_access = true", "SET"),
        ("duckdb", "CALL pragma_version()", "CALL"),
        ("duckdb", "SELECT * FROM orders; SELECT * FROM customers", "one statement"),
        ("duckdb", "SELECT * FROM orders; DROP TABLE orders", "one statement"),
        ("duckdb", "SELECT * FROM secrets", "'secrets' is not part of this source"),
        ("duckdb", "SELECT * FROM orders JOIN secrets ON true", "'secrets'"),
        ("duckdb", "SELECT * FROM orders WHERE id IN (SELECT 1 FROM secrets)", "'secrets'"),
        ("duckdb", "SELECT * FROM other.main.orders", "another schema"),
        ("duckdb", "SELECT * FROM main.orders", "another schema"),
        ("duckdb", "INSERT INTO orders VALUES (1, 1)", "INSERT"),
        ("duckdb", "UPDATE orders SET id = 1", "UPDATE"),
        ("duckdb", "DELETE FROM orders", "DELETE"),
        ("duckdb", "DROP TABLE orders", "DROP"),
        ("duckdb", "CREATE TABLE x AS SELECT 1", "CREATE"),
        ("duckdb", "SELECT * INTO copy_of_orders FROM orders", "SELECT INTO"),
        ("duckdb", "SELECT * FROM orders FOR UPDATE", "FOR UPDATE"),
        ("duckdb", "SELECT * FROM orders WHERE id = ?", "parameters"),
        ("duckdb", "SELEC * FRM orders", "SELECT"),
        ("duckdb", "SELECT * FROM (", "could not parse"),
        ("duckdb", "   ", "empty"),
        ("postgres", "SELECT pg_read_file('/etc/passwd')", "pg_read_file"),
        ("postgres", "SELECT * FROM pg_ls_dir('.')", "pg_ls_dir"),
        ("postgres", "SELECT lo_import('/etc/passwd')", "lo_import"),
        ("postgres", "SELECT query_to_xml('select * from pg_shadow', true, true, '')", "query_to_xml"),
        ("postgres", "SELECT * FROM pg_shadow", "'pg_shadow'"),
        ("postgres", "SELECT * FROM pg_catalog.pg_authid", "another schema"),
        ("postgres", "WITH pg_shadow AS (SELECT * FROM pg_shadow) SELECT * FROM pg_shadow", "'pg_shadow'"),
        ("postgres", "WITH x AS (DELETE FROM orders RETURNING *) SELECT * FROM x", "DELETE"),
        ("postgres", "SELECT * INTO copy_of_orders FROM orders", "SELECT INTO"),
        ("postgres", "SELECT * FROM orders FOR SHARE", "FOR UPDATE / FOR SHARE"),
        ("postgres", "SELECT set_config('statement_timeout', '0', false)", "set_config"),
        ("postgres", "COPY orders TO PROGRAM 'id'", "COPY"),
        ("mysql", "SELECT load_file('/etc/passwd')", "load_file"),
        ("mysql", "SELECT sys_exec('id')", "sys_exec"),
        ("mysql", "SELECT * FROM orders LOCK IN SHARE MODE", "FOR UPDATE / FOR SHARE"),
        ("mysql", "SELECT * FROM orders INTO OUTFILE '/tmp/x'", "could not parse"),
        ("mysql", "SELECT * FROM mysql.user", "another schema"),
    ],
)
def test_anything_but_one_select_over_allowed_tables_is_refused(dialect: str, sql: str, reason: str) -> None:
    with pytest.raises(QueryError, match=reason):
        check_select(sql, dialect, allowed_tables=ALLOWED)  # type: ignore[arg-type]


def test_joins_between_allowed_tables_run_and_are_capped(duck: duckdb.DuckDBPyConnection) -> None:
    sql = check_select(
        "select o.id, c.name from ORDERS o join customers c on c.id = o.customer_id order by o.id",
        "duckdb",
        allowed_tables=ALLOWED,
        max_rows=9,
    )
    rows = duck.execute(sql).fetchall()
    assert len(rows) == 10  # max_rows + 1 tells the caller the answer was cut
    assert rows[:2] == [(0, "c0"), (1, "c1")]


def test_ctes_unions_and_subqueries_are_accepted(duck: duckdb.DuckDBPyConnection) -> None:
    sql = check_select(
        """
        WITH per_customer AS (SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id),
             named AS (SELECT c.name, p.n FROM per_customer p JOIN customers c ON c.id = p.customer_id)
        SELECT name, n FROM named WHERE n > (SELECT min(n) FROM per_customer)
        UNION ALL SELECT 'total', count(*) FROM orders
        """,
        "duckdb",
        allowed_tables=ALLOWED,
        max_rows=100,
    )
    assert sorted(duck.execute(sql).fetchall()) == [("c0", 17), ("c1", 17), ("total", 50)]


def test_a_query_with_its_own_limit_keeps_it_under_the_cap(duck: duckdb.DuckDBPyConnection) -> None:
    sql = check_select(
        "SELECT id FROM orders ORDER BY id LIMIT 3", "duckdb", allowed_tables=ALLOWED, max_rows=2
    )
    assert duck.execute(sql).fetchall() == [(0,), (1,), (2,)]


def test_the_source_schema_may_qualify_a_table() -> None:
    sql = check_select("SELECT * FROM public.orders", "postgres", allowed_tables=ALLOWED, schema="public")
    assert sql == "SELECT * FROM public.orders"


def test_comments_are_dropped_so_mysql_executable_comments_cannot_run() -> None:
    sql = check_select(
        "SELECT 1 /*! , load_file('/etc/passwd') */ FROM orders", "mysql", allowed_tables=ALLOWED
    )
    assert sql == "SELECT 1 FROM orders"


def test_percent_signs_survive_the_drivers_paramstyle() -> None:
    sql = check_select("SELECT '50%' AS share", "postgres", allowed_tables=ALLOWED, max_rows=5)
    try:
        conn = psycopg.connect(PG_URL, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at AISER_TEST_PG_URL ({exc})")
    with conn:
        assert conn.execute(sql, []).fetchall() == [("50%",)]
