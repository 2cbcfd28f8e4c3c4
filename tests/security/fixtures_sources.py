# SPDX-License-Identifier: MIT
"""Helpers for the sources security tests: customer databases on the local servers and small
JSON APIs on local ports. Imported explicitly (no conftest, so other suites here stay independent)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

PG_PASSWORD = "pg-Security-secret-17"
MY_PASSWORD = "my-Security-secret-17"
# (ordered_on, region, amount, note): the customer's rows every analytics test recomputes in Python.
ORDERS = [
    (date(2024, 1, 5), "North", 10.5, "first"),
    (date(2024, 1, 20), "North", 20.0, None),
    (date(2024, 2, 2), "South", 7.25, "late"),
    (date(2024, 2, 14), "East", 100.0, None),
    (date(2024, 3, 1), "South", 42.0, "bulk"),
]


@contextmanager
def customer_postgres(tag: str) -> Iterator[dict[str, Any]]:
    """A customer database on the local PostgreSQL: `orders` in public, a secret table elsewhere."""
    name = f"aiser_sec_{tag}_{os.getpid()}"
    admin = psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname=name, autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (ordered_on date, region text, amount numeric(10,2), note text)")
        for row in ORDERS:
            conn.execute("INSERT INTO orders VALUES (%s, %s, %s, %s)", row)
        conn.execute("CREATE SCHEMA other_schema")
        conn.execute("CREATE TABLE other_schema.t (body text)")
        conn.execute("INSERT INTO other_schema.t VALUES ('payroll ceo salary confidential')")
        conn.execute("CREATE SEQUENCE public.ticket_seq")
        conn.execute("ANALYZE orders")
    try:
        yield {
            "host": "127.0.0.1",
            "port": 5432,
            "database": name,
            "user": "postgres",
            "password": PG_PASSWORD,
        }
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def postgres_scalar(database: str, sql: str) -> Any:
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname=database) as conn:
        return conn.execute(sql).fetchone()[0]


@contextmanager
def customer_mariadb(tag: str) -> Iterator[dict[str, Any]]:
    """A customer database on the local MariaDB with a reader account and a function that writes."""
    pymysql = pytest.importorskip("pymysql")
    url = urlsplit(os.environ.get("AISER_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306"))
    try:
        admin = pymysql.connect(
            host=url.hostname, port=url.port or 3306, user=url.username or "root",
            password=url.password or "", autocommit=True, connect_timeout=3,
        )  # fmt: skip
    except pymysql.MySQLError as exc:
        pytest.skip(f"MariaDB is not reachable at {url.hostname}:{url.port}: {exc}")
    name, user = f"aiser_sec_{tag}_{os.getpid()}", f"aiser_sec_{os.getpid()}"
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}`")
        cursor.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        cursor.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", [MY_PASSWORD])
        cursor.execute(f"GRANT SELECT, INSERT, EXECUTE ON `{name}`.* TO '{user}'@'%'")
        cursor.execute(f"USE `{name}`")
        cursor.execute(
            "CREATE TABLE orders (ordered_on date, region varchar(20), amount decimal(10,2), note text)"
        )
        cursor.executemany("INSERT INTO orders VALUES (%s, %s, %s, %s)", ORDERS)
        cursor.execute(
            "CREATE FUNCTION sneaky_write() RETURNS int MODIFIES SQL DATA SQL SECURITY INVOKER "
            "BEGIN INSERT INTO orders (region, amount) VALUES ('Hacked', 0); RETURN 1; END"
        )
    try:
        yield {
            "host": url.hostname,
            "port": url.port or 3306,
            "database": name,
            "user": user,
            "password": MY_PASSWORD,
        }
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        admin.close()


class LocalApi:
    """A JSON API on a free 127.0.0.1 port; `routes` maps a path to (status, body, extra headers)."""

    def __init__(self, routes: Callable[[str, LocalApi], tuple[int, Any, dict[str, str]]]) -> None:
        self.routes = routes
        self.seen: list[dict[str, str]] = []  # the headers of every request, in order
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                api.seen.append({k.lower(): v for k, v in self.headers.items()})
                status, body, headers = api.routes(self.path, api)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def authorizations(self) -> list[str | None]:
        return [headers.get("authorization") for headers in self.seen]
