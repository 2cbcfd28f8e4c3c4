# SPDX-License-Identifier: MIT
"""Spark sources through the API against a real Spark Connect server on loopback (the Spark that
ships in the pyspark package, on the machine's Java): a table made from Parquet is listed from the
Spark catalogue, group-bys and a semantic query answer like pandas over the same rows, anything but
a SELECT is refused, the row cap and the query timeout hold. One server serves the whole session."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd
import pytest

from tests.sources.fixtures_api import error_message, post_json, run_query
from tests.sources.spark_server import spark_connect_server, spark_sql

ROWS = 3_000
REGIONS = ["North", "South", "East", "West"]


def orders_frame() -> pd.DataFrame:
    rng = np.random.default_rng(22)
    return pd.DataFrame({
        "id": np.arange(ROWS, dtype="int64"),
        "region": rng.choice(REGIONS, size=ROWS),
        "amount": np.round(rng.uniform(1, 500, size=ROWS), 2),
        "day": [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 366, size=ROWS)],
    })  # fmt: skip


@pytest.fixture(scope="session")
def spark_orders(tmp_path_factory):
    """A Spark Connect server with `default.orders` over a Parquet file; yields (port, the rows)."""
    workdir = tmp_path_factory.mktemp("spark")
    frame = orders_frame()
    parquet = workdir / "orders.parquet"
    frame.to_parquet(parquet, index=False)
    with spark_connect_server(workdir) as port:
        spark_sql(port, f"CREATE TABLE orders USING parquet LOCATION '{parquet}'")
        yield port, frame


@pytest.fixture(autouse=True)
def _private_hosts_allowed(settings):
    settings.AISER_ALLOW_PRIVATE_SOURCES = True  # the server listens on loopback


def _create(client, port, name="Lake"):
    return post_json(
        client,
        "/api/v1/sources/",
        {"name": name, "kind": "spark", "config": {"host": "127.0.0.1", "port": port}},
    )


def _rounded(rows):
    return [[round(v, 4) if isinstance(v, float) else v for v in row] for row in rows]


@pytest.mark.slow
def test_spark_source_lists_its_tables_and_answers_like_pandas(alpha, spark_orders):
    port, frame = spark_orders
    client = alpha.client("editor")
    created = _create(client, port)
    assert created.status_code == 201, created.content
    source = created.json()
    assert source["kind"] == "spark"
    assert source["tables"] == ["orders"]
    table = client.get(f"/api/v1/sources/{source['id']}/tables/orders/").json()
    assert {c["name"]: c["type"] for c in table["columns"]} == {
        "id": "integer",
        "region": "text",
        "amount": "decimal",
        "day": "date",
    }
    assert table["row_count"] == ROWS

    by_region = run_query(
        client,
        source["id"],
        {
            "table": "orders",
            "measures": [
                {"field": "amount", "agg": "sum"},
                {"field": "amount", "agg": "avg"},
                {"agg": "count"},
                {"field": "amount", "agg": "median"},
            ],
            "dimensions": [{"field": "region"}],
            "filters": [{"field": "amount", "op": "gt", "value": 50}],
            "order": [{"field": "region"}],
        },
    )
    assert by_region.status_code == 200, by_region.content
    body = by_region.json()
    assert "GROUP BY" in body["sql"]
    kept = frame[frame.amount > 50].groupby("region").amount
    want = pd.DataFrame({"s": kept.sum(), "a": kept.mean(), "n": kept.count(), "m": kept.median()})
    assert _rounded(body["rows"]) == _rounded(
        [[r, float(w.s), float(w.a), int(w.n), float(w.m)] for r, w in want.sort_index().iterrows()]
    )

    explained = post_json(
        client,
        "/api/v1/query/",
        {
            "source": source["id"],
            "table": "orders",
            "measures": [{"field": "amount", "agg": "sum"}],
            "dimensions": [{"field": "region"}],
            "explain": True,
        },
    ).json()["explain"]
    assert explained["engine"] == "spark"
    assert "GROUP BY" in explained["sql"]
    assert any("HashAggregate" in line for line in explained["plan"]), explained["plan"]
    assert explained["rows_fetched"] == len(REGIONS)  # only the groups came back from Spark

    by_month = run_query(
        client,
        source["id"],
        {
            "table": "orders",
            "measures": [{"agg": "count"}],
            "dimensions": [{"field": "day", "granularity": "month"}],
        },
    ).json()
    months = pd.to_datetime(frame.day).dt.to_period("M").value_counts().sort_index()
    assert [row[1] for row in by_month["rows"]] == months.tolist()
    assert [row[0] for row in by_month["rows"]] == [p.start_time.date().isoformat() for p in months.index]

    model = post_json(client, "/api/v1/semantic/models/auto/", {"source": source["id"], "name": "Lake"})
    assert model.status_code == 201, model.content
    answer = post_json(
        client,
        "/api/v1/semantic/query/",
        {
            "model": model.json()["id"],
            "query": {"measures": ["orders.total_amount", "orders.count"], "dimensions": ["orders.region"]},
        },
    )
    assert answer.status_code == 200, answer.content
    totals = frame.groupby("region").amount.agg(["sum", "count"])
    got = {row[0]: (round(float(row[1]), 2), int(row[2])) for row in answer.json()["rows"]}
    assert got == {r: (round(float(t["sum"]), 2), int(t["count"])) for r, t in totals.iterrows()}


@pytest.mark.slow
def test_spark_source_runs_only_selects_and_caps_rows(alpha, spark_orders, settings):
    port, _ = spark_orders
    client = alpha.client("owner")
    source = _create(client, port).json()["id"]
    for statement in ("DROP TABLE orders", "INSERT INTO orders SELECT * FROM orders", "CACHE TABLE orders"):
        refused = post_json(client, "/api/v1/sql/", {"source": source, "sql": statement})
        assert refused.status_code == 400, refused.content
        assert "SELECT" in error_message(refused)
    calls_java = post_json(
        client, "/api/v1/sql/", {"source": source, "sql": "SELECT reflect('java.lang.System', 'exit', 0)"}
    )
    assert calls_java.status_code == 400
    assert spark_sql(port, "SELECT COUNT(*) FROM orders") == [[ROWS]]  # nothing was dropped or added

    settings.AISER_QUERY_MAX_ROWS = 50
    capped = run_query(
        client, source, {"table": "orders", "measures": [{"agg": "count"}], "dimensions": [{"field": "id"}]}
    ).json()
    assert len(capped["rows"]) == 50
    assert capped["truncated"] is True


@pytest.mark.slow
def test_a_spark_query_past_the_timeout_is_interrupted(alpha, spark_orders, settings):
    port, _ = spark_orders
    client = alpha.client("owner")
    source = _create(client, port).json()["id"]
    settings.AISER_QUERY_TIMEOUT_S = 3
    started = time.monotonic()
    slow = post_json(
        client,
        "/api/v1/sql/",
        {"source": source, "sql": "SELECT COUNT(*) FROM orders a CROSS JOIN orders b CROSS JOIN orders c"},
    )
    assert slow.status_code == 400, slow.content
    assert slow.json()["error"]["code"] == "query_timeout"
    assert time.monotonic() - started < 30
    # Interrupted, not left running: the server answers the next query at once.
    assert spark_sql(port, "SELECT COUNT(*) FROM orders") == [[ROWS]]


def test_a_spark_source_on_a_private_address_is_refused_unless_allowed(alpha, settings):
    settings.AISER_ALLOW_PRIVATE_SOURCES = False
    response = _create(alpha.client("editor"), 15002)
    assert response.status_code == 400
    assert "private" in error_message(response)


def test_spark_connection_settings_are_strict(alpha):
    client = alpha.client("editor")

    def create(config):
        return post_json(
            client,
            "/api/v1/sources/",
            {"name": "Lake", "kind": "spark", "config": {"host": "127.0.0.1", **config}},
        )

    token_in_clear = create({"password": "secret-token"})
    assert token_in_clear.status_code == 400
    assert "TLS" in error_message(token_in_clear)
    assert "secret-token" not in token_in_clear.content.decode()
    file_read = create({"database": "parquet"})
    assert file_read.status_code == 400
    assert "file format" in error_message(file_read)
    unknown = create({"spark.jars": "http://evil/x.jar"})
    assert unknown.status_code == 400
    assert "not allowed" in error_message(unknown)
