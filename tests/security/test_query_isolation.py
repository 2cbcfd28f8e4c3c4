# SPDX-License-Identifier: MIT
"""A hostile query runs in a bounded worker: it fails alone with a JSON error, the web process
keeps its memory, and another organisation's question is answered meanwhile.

The concurrent test runs its requests in threads of their own, so what it creates is committed
(in a thread of its own) and deleted again in a `finally`, like tests/conversations/test_consumer.py.
"""

from __future__ import annotations

import os
import resource
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
import pytest

from chat2chart.core.errors import QueryError
from chat2chart.core.principal import Principal
from chat2chart.sources.connectors.params import PostgresParams, parse_params
from chat2chart.sources.connectors.postgres import PostgresConnector
from chat2chart.sources.executor import QueryPool
from chat2chart.sources.query_worker import DatabaseJob
from tests.sources.fixtures_api import (
    REVENUE_BY_REGION,
    SALES_CSV,
    error_message,
    post_json,
    upload_source,
)

# The probe's generate_series query is refused by the SQL guard's function allow-list now; this one passes
# the guard and still needs gigabytes: every pair of rows adds 100 MB of text to one aggregate.
GENERATE_SERIES = "SELECT length(string_agg(repeat('x', 100000000), ',')) AS n FROM sales a, sales b"
REPEAT = "SELECT repeat('x', 10*1024*1024) AS blob FROM sales LIMIT 100"
# 5 rows joined with themselves 16 times: 1.5e11 combinations, far past any time limit.
ENDLESS = "SELECT count(*) FROM {} WHERE {} > 0".format(
    ", ".join(f"sales AS s{i}" for i in range(16)), " + ".join(f"s{i}.revenue" for i in range(16))
)
REGION_TOTALS = "SELECT region, sum(revenue) AS total FROM sales GROUP BY region ORDER BY region"


def _expected_region_totals(csv_text: str) -> list[list[Any]]:
    frame = pd.read_csv(pd.io.common.StringIO(csv_text))
    totals = frame.groupby("region")["revenue"].sum().sort_index()
    return [[region, float(total)] for region, total in totals.items()]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _sql(client: Any, source_id: int, sql: str) -> Any:
    return post_json(client, "/api/v1/sql/", {"source": source_id, "sql": sql})


@pytest.fixture(autouse=True)
def _small_limits(settings: Any) -> None:
    settings.AISER_QUERY_MEMORY_MB = 512
    settings.AISER_QUERY_MAX_BYTES = 4 * 1024 * 1024


def test_a_query_that_needs_too_much_memory_gets_a_json_error(alpha):
    source_id = upload_source(alpha.client("editor")).json()["id"]
    before = _peak_rss_mb()

    response = _sql(alpha.client("editor"), source_id, GENERATE_SERIES)

    assert response.status_code == 400, response.content
    assert "needed more than 512 MB" in error_message(response)
    assert _peak_rss_mb() - before < 200
    # The server keeps answering, the same source included.
    again = _sql(alpha.client("editor"), source_id, REGION_TOTALS)
    assert again.status_code == 200, again.content
    assert again.json()["rows"] == _expected_region_totals(SALES_CSV)


def test_huge_values_are_cut_or_refused_without_reaching_the_web_process(alpha):
    source_id = upload_source(alpha.client("editor")).json()["id"]
    before = _peak_rss_mb()

    response = _sql(alpha.client("editor"), source_id, REPEAT)

    assert _peak_rss_mb() - before < 200
    assert len(response.content) < 8 * 1024 * 1024
    if response.status_code == 400:
        assert "needed more than" in error_message(response)
    else:
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["truncated"] is True
        assert len(body["rows"]) < 5  # five rows of sales, each value cut to 1 MB, 4 MB in all


def test_settings_and_view_definitions_do_not_reveal_server_paths(alpha):
    source_id = upload_source(alpha.client("editor")).json()["id"]
    for sql in (
        "SELECT current_setting('allowed_paths') AS p FROM sales",
        "SELECT value FROM duckdb_settings() WHERE name = 'allowed_paths'",
        "SELECT sql FROM duckdb_views()",
        "SELECT view_definition FROM information_schema.views",
    ):
        response = _sql(alpha.client("editor"), source_id, sql)
        assert response.status_code == 400, (sql, response.content)
        assert "/" not in error_message(response), sql


# --- two organisations at once -----------------------------------------------------------------------


def _committed(func: Callable[..., Any], *args: Any) -> Any:
    """Run `func` in a thread of its own, so its writes are committed and other threads see them."""

    def run() -> Any:
        from django.db import connections

        try:
            return func(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def _create_source(workspace: Any, folder: Path, csv_text: str) -> int:
    from chat2chart.sources import services

    upload = folder / f"{workspace.slug}.csv"
    upload.write_text(csv_text)
    with workspace.activate():
        source = services.source_create_file(
            name="Sales", upload=upload, original_name="sales.csv", on_bad_rows="error",
            principal=Principal.for_user(workspace.users["owner"]),
        )  # fmt: skip
        return source.pk


def _delete_source(workspace: Any, source_id: int) -> None:
    from chat2chart.sources import services
    from chat2chart.sources.models import Source

    with workspace.activate():
        source = Source.objects.filter(pk=source_id).first()
        if source is not None:
            services.source_delete(source=source, principal=Principal.for_user(workspace.users["owner"]))


def test_another_organisation_is_answered_while_hostile_queries_fail(alpha, beta, tmp_path, settings):
    settings.AISER_QUERY_TIMEOUT_S = 3
    beta_csv = SALES_CSV + "2024-04-01,West,Gizmo,2,99.5\n"
    alpha_source = _committed(_create_source, alpha, tmp_path, SALES_CSV)
    beta_source = _committed(_create_source, beta, tmp_path, beta_csv)
    started = threading.Barrier(3)

    def request(workspace: Any, source_id: int, sql: str | None) -> Any:
        """The editor's SQL, or (None) the semantic query a dashboard widget sends."""
        from django.db import connections

        try:
            client = workspace.client("editor")
            started.wait(timeout=30)
            if sql is None:
                return post_json(client, "/api/v1/query/", {"source": source_id, **REVENUE_BY_REGION})
            return _sql(client, source_id, sql)
        finally:
            connections.close_all()

    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            hostile = [pool.submit(request, alpha, alpha_source, sql) for sql in (GENERATE_SERIES, ENDLESS)]
            answer = pool.submit(request, beta, beta_source, None)
            beta_response = answer.result(timeout=120)
            hostile_responses = [future.result(timeout=120) for future in hostile]
    finally:
        _committed(_delete_source, alpha, alpha_source)
        _committed(_delete_source, beta, beta_source)

    assert beta_response.status_code == 200, beta_response.content
    assert beta_response.json()["rows"] == _expected_region_totals(beta_csv)
    out_of_memory, endless = hostile_responses
    assert out_of_memory.status_code == 400, out_of_memory.content
    assert "needed more than 512 MB" in error_message(out_of_memory)
    assert endless.status_code == 400, endless.content
    assert "longer than 3 s" in error_message(endless)


# --- database sources -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def customer_postgres() -> Any:
    name = f"aiser_isolation_db_{os.getpid()}"
    admin = psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname=name, autocommit=True) as conn:
        conn.execute("CREATE TABLE notes (id integer, body text)")
        conn.execute("INSERT INTO notes SELECT i, 'note ' || i FROM generate_series(1, 100) AS i")
    yield {"host": "127.0.0.1", "port": 5432, "database": name, "user": "postgres", "password": "unused-42"}
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_huge_values_from_postgres_are_cut_by_bytes(alpha, customer_postgres, settings):
    settings.AISER_ALLOW_PRIVATE_SOURCES = True
    client = alpha.client("editor")
    created = post_json(
        client, "/api/v1/sources/", {"name": "Notes DB", "kind": "postgres", "config": customer_postgres}
    )
    assert created.status_code == 201, created.content
    before = _peak_rss_mb()

    response = _sql(client, created.json()["id"], "SELECT id, repeat('x', 10*1024*1024) AS blob FROM notes")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["truncated"] is True
    assert 0 < len(body["rows"]) < 5  # 1 MB per value after the cell cap, 4 MB in all
    assert body["rows"][0][0] == 1
    assert len(response.content) < 8 * 1024 * 1024
    assert _peak_rss_mb() - before < 200


def test_a_worker_that_does_not_answer_is_killed_and_replaced(customer_postgres):
    connector = PostgresConnector(
        parse_params(PostgresParams, customer_postgres), allow_private=True, timeout_s=60, max_rows=10
    )
    pool = QueryPool(size=1, memory_mb=512, max_jobs=100, grace_s=0.5)
    sleeping = DatabaseJob(connector, "SELECT pg_sleep(60)", [], 10, 1024 * 1024, 1024)
    counting = DatabaseJob(connector, "SELECT count(*) FROM notes", [], 10, 1024 * 1024, 1024)
    try:
        with pytest.raises(QueryError, match=r"longer than 0\.5 s"):
            pool.run(sleeping, timeout_s=0.5)
        assert pool.run(counting, timeout_s=30).result.rows == [[100]]
    finally:
        pool.close()
