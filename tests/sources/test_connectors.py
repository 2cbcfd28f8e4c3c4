# SPDX-License-Identifier: MIT
"""Database connectors against real PostgreSQL and MariaDB servers: read-only sessions, timeouts,
row caps, introspection, failure messages without the password, hostile parameters and private
addresses."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pymysql
import pytest

from chat2chart.core.errors import ConnectionFailed, QueryError, ValidationFailed
from chat2chart.sources.connectors.mysql import MySQLConnector
from chat2chart.sources.connectors.params import MySQLParams, PostgresParams, parse_params
from chat2chart.sources.connectors.postgres import PostgresConnector
from chat2chart.sources.netsafety import resolve_public_address
from chat2chart.sources.rowcap import ResultLimits

PG_URL = urlsplit(os.environ.get("AISER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
MYSQL_URL = urlsplit(os.environ.get("AISER_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"))
# Per process: other checkouts may run these tests against the same servers at the same time.
TEST_DB = f"aiser_src_test_connectors_{os.getpid()}"
TEST_USER = "aiser_pw_test"
RIGHT_PASSWORD = "right-Password-42"
WRONG_PASSWORD = "wrong-Secret-99"
ITEMS = [(i, f"item {i:02d}", None if i % 4 == 0 else i * 1.5, i % 2 == 0) for i in range(1, 13)]


# --- PostgreSQL ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_admin() -> Iterator[psycopg.Connection[Any]]:
    try:
        admin = psycopg.connect(
            host=PG_URL.hostname,
            port=PG_URL.port or 5432,
            user=PG_URL.username or "postgres",
            password=PG_URL.password or "",
            dbname=PG_URL.path.lstrip("/") or "postgres",
            autocommit=True,
            connect_timeout=3,
        )
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at AISER_TEST_PG_URL ({exc})")
    admin.execute(f"DROP DATABASE IF EXISTS {TEST_DB} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {TEST_DB}")
    with psycopg.connect(
        host=PG_URL.hostname, port=PG_URL.port or 5432, user=PG_URL.username or "postgres",
        password=PG_URL.password or "", dbname=TEST_DB, autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute(
            "CREATE TABLE items (id integer, name text, price numeric(8,2), in_stock boolean, "
            "added date DEFAULT '2024-01-02', updated_at timestamptz DEFAULT '2024-01-02 03:04:05+00', "
            "meta jsonb DEFAULT '{\"a\": 1}')"
        )
        conn.cursor().executemany(
            "INSERT INTO items (id, name, price, in_stock) VALUES (%s, %s, %s, %s)", ITEMS
        )
        conn.execute("CREATE VIEW cheap_items AS SELECT id, name FROM items WHERE price < 5")
    admin.execute(f"DROP ROLE IF EXISTS {TEST_USER}")
    admin.execute(f"CREATE ROLE {TEST_USER} LOGIN PASSWORD '{RIGHT_PASSWORD}'")
    yield admin
    admin.execute(f"DROP DATABASE IF EXISTS {TEST_DB} WITH (FORCE)")
    admin.execute(f"DROP ROLE IF EXISTS {TEST_USER}")
    admin.close()


def pg_connector(**overrides: Any) -> PostgresConnector:
    fields = {
        "host": PG_URL.hostname,
        "port": PG_URL.port or 5432,
        "database": TEST_DB,
        "user": PG_URL.username or "postgres",
        "password": PG_URL.password or "",
        "sslmode": "disable",
    }
    options = {"allow_private": True, "timeout_s": 1.0, "max_rows": 5}
    for key in list(overrides):
        if key in options:
            options[key] = overrides.pop(key)
    return PostgresConnector(parse_params(PostgresParams, {**fields, **overrides}), **options)


def test_postgres_run_returns_typed_rows_and_flags_truncation(pg_admin: Any) -> None:
    result = pg_connector().run("SELECT id, name, price, in_stock FROM items WHERE id > %s ORDER BY id", [0])
    assert [c["type"] for c in result.columns] == ["integer", "text", "decimal", "boolean"]
    assert result.rows[0] == [1, "item 01", 1.5, False]
    assert len(result.rows) == 5
    assert result.truncated is True
    assert result.elapsed_ms > 0
    assert pg_connector().run("SELECT count(*) FROM items", []).truncated is False


@pytest.mark.parametrize(
    "statement",
    ["INSERT INTO items (id) VALUES (99)", "UPDATE items SET name = 'x'", "DELETE FROM items"],
)
def test_postgres_refuses_writes_in_its_read_only_transaction(pg_admin: Any, statement: str) -> None:
    with pytest.raises(QueryError, match="read-only"):
        pg_connector().run(statement, [])
    assert pg_connector().run("SELECT count(*), count(DISTINCT name) FROM items", []).rows == [[12, 12]]


def test_postgres_statement_timeout_stops_a_slow_query(pg_admin: Any) -> None:
    started = time.monotonic()
    with pytest.raises(QueryError, match="longer than 1s"):
        pg_connector(timeout_s=1.0).run("SELECT pg_sleep(5)", [])
    assert time.monotonic() - started < 4


def test_postgres_introspection_describes_tables_and_views(pg_admin: Any) -> None:
    tables = {t.name: t for t in pg_connector(timeout_s=5.0).list_tables()}
    assert set(tables) == {"items", "cheap_items"}
    items = tables["items"]
    assert items.row_count == 12
    assert items.row_count_is_estimate is False
    types = {c.name: c.type for c in items.columns}
    assert types == {
        "id": "integer", "name": "text", "price": "decimal", "in_stock": "boolean",
        "added": "date", "updated_at": "datetime", "meta": "text",
    }  # fmt: skip
    name = items.column("name")
    assert name is not None
    assert name.samples == [f"item {i:02d}" for i in range(1, 11)]
    assert name.distinct_count == 12
    price = items.column("price")
    assert price is not None
    assert price.null_share == 0.25
    assert price.samples[:2] == [1.5, 3.0]
    meta = items.column("meta")
    assert meta is not None
    assert meta.samples == ['{"a": 1}']
    assert tables["cheap_items"].row_count == 3


def test_postgres_wrong_password_is_reported_without_echoing_it(pg_admin: Any) -> None:
    try:
        pg_connector(user=TEST_USER, password=WRONG_PASSWORD).test()
        pytest.skip("this server trusts connections from the test host, so it never checks passwords")
    except ConnectionFailed:
        pass
    with pytest.raises(ConnectionFailed, match="authentication failed for user 'aiser_pw_test'") as info:
        pg_connector(user=TEST_USER, password=WRONG_PASSWORD).test()
    assert WRONG_PASSWORD not in info.value.message


def test_postgres_missing_database_is_named(pg_admin: Any) -> None:
    with pytest.raises(ConnectionFailed, match="database 'no_such_db' does not exist") as info:
        pg_connector(database="no_such_db", password=WRONG_PASSWORD).test()
    assert WRONG_PASSWORD not in info.value.message


def test_postgres_closed_port_says_connection_refused(pg_admin: Any) -> None:
    with pytest.raises(ConnectionFailed, match="connection refused") as info:
        pg_connector(port=closed_port(), password=WRONG_PASSWORD).test()
    assert WRONG_PASSWORD not in info.value.message


def test_postgres_private_address_is_refused_unless_allowed(pg_admin: Any) -> None:
    with pytest.raises(ConnectionFailed, match="private addresses are not allowed"):
        pg_connector(allow_private=False).test()
    pg_connector(allow_private=True).test()


# --- MariaDB / MySQL -----------------------------------------------------------------------------


def _pg_test_db() -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=PG_URL.hostname, port=PG_URL.port or 5432, user=PG_URL.username or "postgres",
        password=PG_URL.password or "", dbname=TEST_DB, autocommit=True,
    )  # fmt: skip


def test_postgres_sessions_end_with_rollback_even_when_a_write_got_through(
    pg_admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if the read-only guard had missed: the session is left read-write.
    monkeypatch.setattr(
        psycopg.Connection, "read_only", property(lambda self: None, lambda self, value: None)
    )
    connector = pg_connector()
    with connector._session() as conn:
        conn.execute("SELECT lo_create(0)")
        conn.execute("CREATE TABLE leaked (x integer)")
    with _pg_test_db() as check:
        assert check.execute("SELECT count(*) FROM pg_catalog.pg_largeobject_metadata").fetchone() == (0,)
        assert check.execute("SELECT to_regclass('public.leaked')").fetchone() == (None,)


def test_postgres_results_are_cut_by_bytes_and_long_values_shortened(pg_admin: Any) -> None:
    limits = ResultLimits(max_rows=100, max_bytes=2_500_000, max_cell_bytes=1_000_000)
    result = pg_connector(timeout_s=10).run(
        "SELECT id, repeat('x', 2 * 1024 * 1024) AS big FROM items ORDER BY id", [], limits=limits
    )
    assert [row[0] for row in result.rows] == [1, 2]
    assert all(len(row[1]) == 1_000_001 for row in result.rows)  # cut at 1 MB, plus the "…" mark
    assert result.truncated is True
    assert "after 2 rows" in result.truncated_reason
    # The cancelled stream leaves nothing behind: the next query runs normally.
    assert pg_connector().run("SELECT count(*) FROM items", []).rows == [[12]]


def test_postgres_long_values_alone_are_shortened_and_said_so(pg_admin: Any) -> None:
    limits = ResultLimits(max_rows=100, max_bytes=10_000_000, max_cell_bytes=10)
    result = pg_connector().run("SELECT name FROM items WHERE id = 1", [], limits=limits)
    assert result.rows == [["item 01"]]
    assert result.truncated is False
    result = pg_connector().run("SELECT repeat('ab', 20) FROM items WHERE id = 1", [], limits=limits)
    assert result.rows == [["ababababab…"]]
    assert result.truncated is True
    assert "shortened" in result.truncated_reason


@pytest.fixture(scope="module")
def my_admin() -> Iterator[pymysql.connections.Connection]:
    try:
        admin = pymysql.connect(
            host=MYSQL_URL.hostname,
            port=MYSQL_URL.port or 3306,
            user=MYSQL_URL.username or "root",
            password=MYSQL_URL.password or "",
            autocommit=True,
            connect_timeout=3,
        )
    except pymysql.MySQLError as exc:
        pytest.skip(f"MariaDB/MySQL is not reachable at AISER_TEST_MYSQL_URL ({exc})")
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {TEST_DB}")
        cursor.execute(f"CREATE DATABASE {TEST_DB}")
        cursor.execute(
            f"CREATE TABLE {TEST_DB}.items (id INT, name VARCHAR(50), price DECIMAL(8,2), in_stock BOOLEAN, "
            "added DATE DEFAULT '2024-01-02', updated_at DATETIME DEFAULT '2024-01-02 03:04:05')"
        )
        cursor.executemany(
            f"INSERT INTO {TEST_DB}.items (id, name, price, in_stock) VALUES (%s, %s, %s, %s)", ITEMS
        )
        cursor.execute(
            f"CREATE VIEW {TEST_DB}.cheap_items AS SELECT id, name FROM {TEST_DB}.items WHERE price < 5"
        )
        cursor.execute(f"DROP USER IF EXISTS '{TEST_USER}'@'%'")
        cursor.execute(f"CREATE USER '{TEST_USER}'@'%' IDENTIFIED BY '{RIGHT_PASSWORD}'")
    yield admin
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {TEST_DB}")
        cursor.execute(f"DROP USER IF EXISTS '{TEST_USER}'@'%'")
    admin.close()


def my_connector(**overrides: Any) -> MySQLConnector:
    fields = {
        "host": MYSQL_URL.hostname,
        "port": MYSQL_URL.port or 3306,
        "database": TEST_DB,
        "user": MYSQL_URL.username or "root",
        "password": MYSQL_URL.password or "",
    }
    options = {"allow_private": True, "timeout_s": 1.0, "max_rows": 5}
    for key in list(overrides):
        if key in options:
            options[key] = overrides.pop(key)
    return MySQLConnector(parse_params(MySQLParams, {**fields, **overrides}), **options)


def test_mysql_run_returns_typed_rows_and_flags_truncation(my_admin: Any) -> None:
    result = my_connector().run(
        "SELECT id, name, price, in_stock, added FROM items WHERE id > %s ORDER BY id", [0]
    )
    assert [c["type"] for c in result.columns] == ["integer", "text", "decimal", "boolean", "date"]
    assert result.rows[0] == [1, "item 01", 1.5, 0, "2024-01-02"]
    assert len(result.rows) == 5
    assert result.truncated is True
    assert my_connector().run("SELECT '50%%' AS share", []).rows == [["50%"]]


@pytest.mark.parametrize(
    "statement",
    ["INSERT INTO items (id) VALUES (99)", "UPDATE items SET name = 'x'", "DELETE FROM items"],
)
def test_mysql_refuses_writes_in_its_read_only_transaction(my_admin: Any, statement: str) -> None:
    with pytest.raises(QueryError, match="read-only"):
        my_connector().run(statement, [])
    assert my_connector().run("SELECT COUNT(*), COUNT(DISTINCT name) FROM items", []).rows == [[12, 12]]


def test_mysql_statement_timeout_stops_a_slow_query(my_admin: Any) -> None:
    started = time.monotonic()
    with pytest.raises(QueryError, match="longer than 1s"):
        my_connector(timeout_s=1.0).run("SELECT SLEEP(5) FROM items", [])
    assert time.monotonic() - started < 4


def test_mysql_sessions_end_with_rollback_even_when_a_write_got_through(my_admin: Any) -> None:
    connector = my_connector()
    with connector._session() as conn, conn.cursor() as cursor:
        # As if the read-only guard had missed: leave the read-only transaction and write.
        cursor.execute("COMMIT")
        cursor.execute("INSERT INTO items (id, name) VALUES (99, 'leaked')")
    with my_admin.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TEST_DB}.items WHERE id = 99")
        assert cursor.fetchone() == (0,)


def test_mysql_results_are_cut_by_bytes_without_reading_the_rest(my_admin: Any) -> None:
    limits = ResultLimits(max_rows=100, max_bytes=2_500_000, max_cell_bytes=1_000_000)
    result = my_connector().run(
        "SELECT id, REPEAT('x', 1000000) AS big FROM items ORDER BY id", [], limits=limits
    )
    assert [row[0] for row in result.rows] == [1, 2]
    assert result.truncated is True
    assert "after 2 rows" in result.truncated_reason
    assert my_connector().run("SELECT COUNT(*) FROM items", []).rows == [[12]]


def test_mysql_introspection_describes_tables_and_views(my_admin: Any) -> None:
    tables = {t.name: t for t in my_connector(timeout_s=5.0).list_tables()}
    assert set(tables) == {"items", "cheap_items"}
    items = tables["items"]
    assert (items.row_count, items.row_count_is_estimate) == (12, False)
    assert {c.name: c.type for c in items.columns} == {
        "id": "integer", "name": "text", "price": "decimal", "in_stock": "boolean",
        "added": "date", "updated_at": "datetime",
    }  # fmt: skip
    name = items.column("name")
    assert name is not None
    assert name.samples == [f"item {i:02d}" for i in range(1, 11)]
    assert name.distinct_count == 12
    price = items.column("price")
    assert price is not None
    assert price.null_share == 0.25
    assert tables["cheap_items"].row_count == 3


def test_mysql_wrong_password_is_reported_without_echoing_it(my_admin: Any) -> None:
    with pytest.raises(ConnectionFailed, match="authentication failed for user 'aiser_pw_test'") as info:
        my_connector(user=TEST_USER, password=WRONG_PASSWORD).test()
    assert WRONG_PASSWORD not in info.value.message


def test_mysql_missing_database_is_named(my_admin: Any) -> None:
    with pytest.raises(ConnectionFailed, match="database 'no_such_db' does not exist"):
        my_connector(database="no_such_db").test()


def test_mysql_closed_port_says_connection_refused(my_admin: Any) -> None:
    with pytest.raises(ConnectionFailed, match="connection refused") as info:
        my_connector(port=closed_port(), password=WRONG_PASSWORD).test()
    assert WRONG_PASSWORD not in info.value.message


def test_mysql_private_address_is_refused_unless_allowed(my_admin: Any) -> None:
    with pytest.raises(ConnectionFailed, match="private addresses are not allowed"):
        my_connector(allow_private=False).test()
    my_connector(allow_private=True).test()


# --- hostile parameters --------------------------------------------------------------------------

PG_BASE = {"host": "db.example.com", "database": "shop", "user": "reader", "password": "pw"}
MY_BASE = {"host": "db.example.com", "database": "shop", "user": "reader", "password": "pw"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dsn", "postgresql://evil/db"),
        ("options", "-c log_statement=all"),
        ("passfile", "/root/.pgpass"),
        ("service", "prod"),
        ("servicefile", "/etc/pg_service.conf"),
        ("sslkeylogfile", "keys.log"),
        ("sslkey", "/etc/ssl/private/server.key"),
        ("sslcert", "/etc/ssl/certs/server.crt"),
        ("sslrootcert", "/etc/ssl/certs/ca.crt"),
        ("hostaddr", "127.0.0.1"),
        ("schema_", "public"),
    ],
)
def test_postgres_params_refuse_fields_outside_the_form(field: str, value: str) -> None:
    with pytest.raises(ValidationFailed, match=f"'{field}' is not allowed"):
        parse_params(PostgresParams, {**PG_BASE, field: value})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("local_infile", True),
        ("unix_socket", "/var/run/mysqld/mysqld.sock"),
        ("init_command", "SET GLOBAL general_log = 1"),
        ("read_default_file", "/etc/mysql/debian.cnf"),
        ("ssl_ca", "/etc/ssl/certs/ca.crt"),
        ("client_flag", 128),
    ],
)
def test_mysql_params_refuse_fields_outside_the_form(field: str, value: Any) -> None:
    with pytest.raises(ValidationFailed, match=f"'{field}' is not allowed"):
        parse_params(MySQLParams, {**MY_BASE, field: value})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("host", "postgresql://db.example.com/shop"),
        ("host", "host=db.example.com dbname=shop"),
        ("host", "/var/run/postgresql"),
        ("host", "db.example.com/shop"),
        ("host", "db example com"),
        ("host", ["db.example.com"]),
        ("host", {"name": "db.example.com"}),
        ("port", "5432"),
        ("port", 70000),
        ("database", "host=evil dbname=shop"),
        ("database", "postgresql://evil/shop"),
        ("database", "shop\x00"),
        ("user", "reader\x00"),
        ("user", ["reader"]),
        ("password", {"value": "pw"}),
        ("sslmode", "maybe"),
        ("schema", "public\n"),
    ],
)
def test_postgres_params_refuse_hostile_values_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(ValidationFailed, match=f"connection parameter '{field}'"):
        parse_params(PostgresParams, {**PG_BASE, field: value})


def test_mysql_ssl_must_be_a_real_boolean() -> None:
    with pytest.raises(ValidationFailed, match="'ssl'"):
        parse_params(MySQLParams, {**MY_BASE, "ssl": "yes"})
    assert parse_params(MySQLParams, {**MY_BASE, "ssl": True}).ssl is True


def test_params_never_show_the_password_in_their_repr() -> None:
    params = parse_params(PostgresParams, {**PG_BASE, "password": RIGHT_PASSWORD})
    assert RIGHT_PASSWORD not in repr(params)
    assert params.password == RIGHT_PASSWORD


# --- private addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "10.0.0.1", "169.254.169.254", "::1", "::ffff:127.0.0.1", "0.0.0.0"]
)
def test_private_addresses_are_refused_unless_allowed(host: str) -> None:
    with pytest.raises(ConnectionFailed, match="private addresses are not allowed"):
        resolve_public_address(host, 5432, allow_private=False)
    assert resolve_public_address(host, 5432, allow_private=True)


def fake_dns(answers: dict[str, list[str]]) -> Any:
    def getaddrinfo(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answers[host]]

    return getaddrinfo


def test_a_name_resolving_to_a_private_address_is_refused_by_name() -> None:
    dns = fake_dns({"db.example.com": ["10.0.0.5"]})
    with pytest.raises(ConnectionFailed) as info:
        resolve_public_address("db.example.com", 5432, allow_private=False, getaddrinfo=dns)
    assert info.value.message == (
        "host db.example.com resolves to a private address; private addresses are not allowed"
    )


def test_one_private_answer_among_public_ones_is_enough_to_refuse() -> None:
    dns = fake_dns({"mixed.example.com": ["93.184.216.34", "192.168.1.10"]})
    with pytest.raises(ConnectionFailed, match="private"):
        resolve_public_address("mixed.example.com", 443, allow_private=False, getaddrinfo=dns)


def test_a_public_name_returns_the_ip_to_dial() -> None:
    dns = fake_dns({"db.example.com": ["93.184.216.34"]})
    assert (
        resolve_public_address("db.example.com", 5432, allow_private=False, getaddrinfo=dns)
        == "93.184.216.34"
    )


def test_an_unknown_name_says_it_could_not_be_resolved() -> None:
    with pytest.raises(ConnectionFailed, match=r"could not resolve host nowhere\.example"):
        resolve_public_address("nowhere.example", 5432, allow_private=False, getaddrinfo=fake_dns({}))


def closed_port() -> int:
    # A port that was free a moment ago: nothing listens there, so connecting is refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
