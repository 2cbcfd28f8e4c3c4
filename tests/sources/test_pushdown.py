# SPDX-License-Identifier: MIT
"""Queries on database sources are pushed down whole: a group-by over 100 000 rows on the real
PostgreSQL and MariaDB is one SQL statement with its GROUP BY, the database's own EXPLAIN shows the
aggregation there, and only the group rows come back (checked against plain Python)."""

from __future__ import annotations

import os
from collections import Counter, defaultdict

import pytest

from tests.sources.engines import customer_mariadb_database, customer_postgres_database
from tests.sources.fixtures_api import post_json

ROWS = 100_000
GROUPS = 7
# Row i: region "r{i % 7}", amount i % 100 (the same rule in SQL and in Python below).
ROW_RULE_PG = "SELECT 'r' || (i % 7), i % 100 FROM generate_series(0, 99999) AS i"
QUERY = {
    "table": "facts",
    "measures": [{"field": "amount", "agg": "sum"}, {"agg": "count"}],
    "dimensions": [{"field": "region"}],
    "order": [{"field": "region"}],
    "explain": True,
}


def expected_groups() -> list[list[object]]:
    sums: dict[str, int] = defaultdict(int)
    counts: Counter[str] = Counter()
    for i in range(ROWS):
        sums[f"r{i % 7}"] += i % 100
        counts[f"r{i % 7}"] += 1
    return [[region, sums[region], counts[region]] for region in sorted(sums)]


@pytest.fixture(autouse=True)
def _private_hosts_allowed(settings):
    settings.AISER_ALLOW_PRIVATE_SOURCES = True


@pytest.fixture(scope="module")
def pg_facts():
    def fill(conn):
        conn.execute("CREATE TABLE facts (region text NOT NULL, amount integer NOT NULL)")
        conn.execute(f"INSERT INTO facts {ROW_RULE_PG}")
        conn.execute("ANALYZE facts")

    with customer_postgres_database(f"aiser_pushdown_{os.getpid()}", fill) as config:
        yield config


@pytest.fixture(scope="module")
def mariadb_facts():
    def fill(cursor):
        cursor.execute("CREATE TABLE facts (region varchar(8) NOT NULL, amount int NOT NULL)")
        rows = [(f"r{i % 7}", i % 100) for i in range(ROWS)]
        for start in range(0, ROWS, 10_000):
            cursor.executemany("INSERT INTO facts VALUES (%s, %s)", rows[start : start + 10_000])

    with customer_mariadb_database(f"aiser_pushdown_{os.getpid()}", fill) as config:
        yield config


def _explained_group_by(client, kind, config):
    created = post_json(client, "/api/v1/sources/", {"name": kind, "kind": kind, "config": config})
    assert created.status_code == 201, created.content
    response = post_json(client, "/api/v1/query/", {"source": created.json()["id"], **QUERY})
    assert response.status_code == 200, response.content
    return response.json()


def test_a_postgres_group_by_runs_in_the_database_and_sends_back_only_the_groups(alpha, pg_facts):
    body = _explained_group_by(alpha.client("editor"), "postgres", pg_facts)
    explain = body["explain"]
    assert explain["engine"] == "postgres"
    assert "GROUP BY" in explain["sql"]
    assert "SUM(" in explain["sql"].upper()
    assert any("Aggregate" in line for line in explain["plan"]), explain["plan"]
    assert explain["rows_fetched"] == GROUPS
    assert body["rows"] == expected_groups()


@pytest.mark.mysql
def test_a_mariadb_group_by_runs_in_the_database_and_sends_back_only_the_groups(alpha, mariadb_facts):
    body = _explained_group_by(alpha.client("editor"), "mysql", mariadb_facts)
    explain = body["explain"]
    assert explain["engine"] == "mysql"
    assert "GROUP BY" in explain["sql"]
    plan = "\n".join(explain["plan"])
    assert "facts" in plan
    assert "Using temporary" in plan, plan  # the server groups rows in its own temporary table
    assert explain["rows_fetched"] == GROUPS
    assert body["rows"] == expected_groups()


def test_explain_on_a_file_source_shows_the_sql_duckdb_runs(alpha):
    from tests.sources.fixtures_api import upload_source

    client = alpha.client("editor")
    source = upload_source(client).json()["id"]
    response = post_json(
        client,
        "/api/v1/query/",
        {
            "source": source,
            "table": "sales",
            "measures": [{"field": "revenue", "agg": "sum"}],
            "dimensions": [{"field": "region"}],
            "explain": True,
        },
    )
    assert response.status_code == 200, response.content
    explain = response.json()["explain"]
    assert explain["engine"] == "duckdb"
    assert "GROUP BY" in explain["sql"]
    assert explain["plan"] == []  # the locked-down DuckDB runs SELECT only, never EXPLAIN
    assert explain["rows_fetched"] == 3


def test_explain_false_runs_the_plain_query_and_a_non_boolean_explain_is_refused_clearly(alpha):
    from tests.sources.fixtures_api import upload_source

    client = alpha.client("editor")
    source = upload_source(client).json()["id"]
    query = {"source": source, "table": "sales", "measures": [{"field": "revenue", "agg": "sum"}]}
    plain = post_json(client, "/api/v1/query/", {**query, "explain": False})
    assert plain.status_code == 200, plain.content
    assert "explain" not in plain.json()
    refused = post_json(client, "/api/v1/query/", {**query, "explain": "yes"})
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "explain: must be true or false."
