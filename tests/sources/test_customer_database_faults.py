# SPDX-License-Identifier: MIT
"""A customer database that drops the connection mid-query, or stops answering, fails that query alone
with a clear message within its timeout; other sources keep answering, and the source works again when
its database is back. The database is reached through a TCP proxy the test switches."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.faultproxy import FaultProxy
from tests.sources.fixtures_api import error_message, post_json, run_query, upload_source

# A view whose reads sleep on the server for `delay.seconds` (0 while the source is introspected), so
# a query on it is surely still running when the test cuts the connection.
SLOW_VIEW = "slow"


def _connect(database: str) -> psycopg.Connection[Any]:
    return psycopg.connect(host="127.0.0.1", user="postgres", dbname=database, autocommit=True)


@pytest.fixture(scope="module")
def customer_database() -> Iterator[str]:
    name = f"aiser_faults_db_{os.getpid()}"
    admin = _connect("postgres")
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')
    with _connect(name) as conn:
        conn.execute("CREATE TABLE notes (id integer, body text)")
        conn.execute("INSERT INTO notes SELECT i, 'note ' || i FROM generate_series(1, 10) AS i")
        conn.execute("CREATE TABLE delay (seconds integer)")
        conn.execute("INSERT INTO delay VALUES (0)")
        conn.execute(f"CREATE VIEW {SLOW_VIEW} AS SELECT 1 AS one FROM pg_sleep((SELECT seconds FROM delay))")
    yield name
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    with FaultProxy("127.0.0.1", 5432) as proxy:
        yield proxy


@pytest.fixture
def source(alpha: Any, customer_database: str, proxy: FaultProxy, settings: Any) -> dict[str, Any]:
    settings.AISER_ALLOW_PRIVATE_SOURCES = True
    with _connect(customer_database) as conn:
        conn.execute("UPDATE delay SET seconds = 0")  # introspection reads the view too
        # A query an earlier test cut off may still be asleep on the server; it must not be mistaken
        # for this test's query.
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [customer_database],
        )
    config = {
        "host": "127.0.0.1",
        "port": proxy.port,
        "database": customer_database,
        "user": "postgres",
        "password": "unused-42",
    }
    created = post_json(
        alpha.client("editor"), "/api/v1/sources/", {"name": "Flaky DB", "kind": "postgres", "config": config}
    )
    assert created.status_code == 201, created.content
    return created.json()


def _sql(client: Any, source_id: int, sql: str) -> Any:
    return post_json(client, "/api/v1/sql/", {"source": source_id, "sql": sql})


def when_running(database: str, then: Callable[[], None]) -> threading.Thread:
    """Make the slow view sleep 20 s; in a thread, wait (at most 30 s) until it is being read in
    `database`, then call `then` (cut the connection while the query is surely in flight)."""
    with _connect(database) as conn:
        conn.execute("UPDATE delay SET seconds = 20")

    def watch() -> None:
        deadline = time.monotonic() + 30
        with _connect("postgres") as conn:
            while time.monotonic() < deadline:
                active = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = %s AND state = %s AND query LIKE %s",
                    [database, "active", f"%{SLOW_VIEW}%"],
                ).fetchone()[0]
                if active:
                    break
                time.sleep(0.05)
        then()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_dropped_connection_fails_the_query_with_a_clear_message(alpha, source, proxy, customer_database):
    client = alpha.client("editor")
    watcher = when_running(customer_database, proxy.drop)

    response = _sql(client, source["id"], f"SELECT one FROM {SLOW_VIEW}")
    watcher.join(timeout=5)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "connection_lost"
    assert f"127.0.0.1:{proxy.port} was lost during the query" in error["message"]
    assert "Traceback" not in response.content.decode()

    proxy.restore()
    recovered = _sql(client, source["id"], "SELECT count(*) AS n FROM notes")
    assert recovered.status_code == 200, recovered.content
    assert recovered.json()["rows"] == [[10]]


@pytest.mark.slow  # the query's timeout, the worker's kill grace and a fresh worker: about 15 s
def test_a_database_that_stops_answering_fails_the_query_at_its_timeout(
    alpha, source, proxy, customer_database, settings
):
    client = alpha.client("editor")
    files = upload_source(client).json()
    settings.AISER_QUERY_TIMEOUT_S = 2
    watcher = when_running(customer_database, proxy.hang)

    response = _sql(client, source["id"], f"SELECT one FROM {SLOW_VIEW}")
    watcher.join(timeout=5)

    assert response.status_code == 400
    assert "longer than 2 s" in error_message(response)
    # The query failed alone: another source answers while this database still hangs.
    assert run_query(client, files["id"]).status_code == 200

    proxy.restore()
    recovered = _sql(client, source["id"], "SELECT count(*) AS n FROM notes")
    assert recovered.status_code == 200, recovered.content


def test_an_unreachable_database_is_named_in_the_error(alpha, source, proxy):
    client = alpha.client("editor")
    proxy.drop()

    response = _sql(client, source["id"], "SELECT count(*) AS n FROM notes")

    assert response.status_code == 400
    assert f"127.0.0.1:{proxy.port}" in error_message(response)


@pytest.mark.mysql
def test_a_dropped_mysql_connection_fails_the_query_with_a_clear_message(alpha, settings):
    pymysql = pytest.importorskip("pymysql")
    from tests.security.fixtures_sources import customer_mariadb

    settings.AISER_ALLOW_PRIVATE_SOURCES = True
    with customer_mariadb("faults") as config, FaultProxy(config["host"], config["port"]) as proxy:
        url = urlsplit(os.environ.get("AISER_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306"))
        admin = pymysql.connect(
            host=url.hostname, port=url.port or 3306, user=url.username or "root",
            password=url.password or "", database=config["database"], autocommit=True, connect_timeout=3,
        )  # fmt: skip
        with admin.cursor() as cursor:
            cursor.execute("CREATE TABLE delay (seconds integer)")
            cursor.execute("INSERT INTO delay VALUES (0)")
            cursor.execute(f"CREATE VIEW {SLOW_VIEW} AS SELECT SLEEP(seconds) AS one FROM delay")
        client = alpha.client("editor")
        body = {"name": "Flaky MySQL", "kind": "mysql", "config": {**config, "port": proxy.port}}
        created = post_json(client, "/api/v1/sources/", body)
        assert created.status_code == 201, created.content
        with admin.cursor() as cursor:
            cursor.execute("UPDATE delay SET seconds = 20")

        def running() -> bool:
            with admin.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM information_schema.PROCESSLIST"
                    " WHERE DB = %s AND COMMAND = 'Query' AND ID <> CONNECTION_ID() AND INFO LIKE %s",
                    [config["database"], f"%{SLOW_VIEW}%"],
                )
                return bool(cursor.fetchone()[0])

        watcher = threading.Thread(target=lambda: _wait_then(running, proxy.drop), daemon=True)
        watcher.start()
        try:
            response = _sql(client, created.json()["id"], f"SELECT one FROM {SLOW_VIEW}")
            watcher.join(timeout=5)
            proxy.restore()
            recovered = _sql(client, created.json()["id"], "SELECT count(*) AS n FROM orders")
        finally:
            with admin.cursor() as cursor:  # the sleeper would hold the database until it wakes
                cursor.execute(
                    "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s", [config["user"]]
                )
                for (process,) in cursor.fetchall():
                    cursor.execute(f"KILL {int(process)}")
            admin.close()

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "connection_lost"
    assert "was lost during the query" in error["message"]
    assert recovered.status_code == 200, recovered.content


def _wait_then(ready: Callable[[], bool], then: Callable[[], None]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not ready():
        time.sleep(0.05)
    then()


@pytest.mark.enterprise
def test_a_dropped_customer_database_is_counted_for_operators(alpha, source, proxy, customer_database):
    from prometheus_client import REGISTRY

    labels = {"source_kind": "postgres", "reason": "connection_lost"}

    def failures() -> float:
        return REGISTRY.get_sample_value("aiser_source_query_failures_total", labels) or 0.0

    before = failures()
    watcher = when_running(customer_database, proxy.drop)
    response = _sql(alpha.client("editor"), source["id"], f"SELECT one FROM {SLOW_VIEW}")
    watcher.join(timeout=5)
    assert response.status_code == 400
    assert failures() == before + 1
    proxy.restore()
    assert _sql(alpha.client("editor"), source["id"], "SELECT count(*) AS n FROM notes").status_code == 200
    assert failures() == before + 1  # a query that works counts nothing
