# SPDX-License-Identifier: MIT
"""Rollups of live databases: the build query runs on the customer's PostgreSQL or MariaDB through the
bounded read-only query path, its rows are written to Parquet, and month by region answered from the
rollup equals the database's own answer and pandas over the same rows."""

from __future__ import annotations

import math
import os
from urllib.parse import urlsplit

import psycopg
import pytest

from chat2chart.semantic.sketches import relative_error
from tests.semantic.rollup_fixtures import MODEL_YAML, ask, build, create_model, sales_frame, sales_rows
from tests.sources.fixtures_api import post_json

ROWS = sales_rows(300, seed=11)
FRAME = sales_frame(ROWS)
CREATE = (
    "CREATE TABLE sales (id integer PRIMARY KEY, sold_at timestamp, region varchar(20), "
    "product varchar(20), customer varchar(20), quantity integer, amount numeric(10,2))"
)
QUERY = {
    "measures": ["sales.count", "sales.amount", "sales.average", "sales.largest"],
    "dimensions": [{"member": "sales.sold_at", "granularity": "month"}, "sales.region"],
}


@pytest.fixture(autouse=True)
def _private_hosts_allowed(settings):
    settings.AISER_ALLOW_PRIVATE_SOURCES = True


@pytest.fixture(scope="module")
def sales_postgres():
    name = f"aiser_rollup_db_{os.getpid()}"
    admin = psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname=name, autocommit=True) as conn:
        conn.execute(CREATE)
        with conn.cursor() as cursor:
            cursor.executemany("INSERT INTO sales VALUES (%s, %s, %s, %s, %s, %s, %s)", ROWS)
    yield {"host": "127.0.0.1", "port": 5432, "database": name, "user": "postgres", "password": "unused-1"}
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module")
def sales_mariadb():
    pymysql = pytest.importorskip("pymysql")
    url = urlsplit(os.environ.get("AISER_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306"))
    try:
        admin = pymysql.connect(
            host=url.hostname, port=url.port or 3306, user=url.username or "root", autocommit=True
        )
    except pymysql.MySQLError as exc:
        pytest.skip(f"MariaDB is not reachable: {exc}")
    name = f"aiser_rollup_db_{os.getpid()}"
    user, password = f"aiser_rollup_{os.getpid()}", "rollup-Secret-42"
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}`")
        cursor.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        cursor.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", [password])
        cursor.execute(f"GRANT SELECT ON `{name}`.* TO '{user}'@'%'")
        cursor.execute(f"USE `{name}`")
        cursor.execute(CREATE)
        cursor.executemany("INSERT INTO sales VALUES (%s, %s, %s, %s, %s, %s, %s)", ROWS)
    yield {
        "host": url.hostname,
        "port": url.port or 3306,
        "database": name,
        "user": user,
        "password": password,
    }
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"DROP USER IF EXISTS '{user}'@'%'")
    admin.close()


def pandas_answer() -> dict[tuple[str, str], tuple[int, float, float, int]]:
    month = FRAME["sold_at"].dt.to_period("M").dt.start_time.dt.date.astype(str)
    return {
        (m, region): (len(g), g["amount"].sum(), g["amount"].mean(), int(g["quantity"].max()))
        for (m, region), g in FRAME.groupby([month, "region"])
    }


@pytest.mark.parametrize("kind", ["postgres", "mysql"])
def test_a_database_rollup_is_built_through_the_query_path_and_answers_like_the_database(
    alpha, request, kind
):
    config = request.getfixturevalue("sales_postgres" if kind == "postgres" else "sales_mariadb")
    client = alpha.client("editor")
    created = post_json(client, "/api/v1/sources/", {"name": f"Sales {kind}", "kind": kind, "config": config})
    assert created.status_code == 201, created.content
    model = create_model(client, created.json()["id"])
    state = build(client, model)
    assert state["status"] == "ready", state["last_error"]
    assert state["rows"] == FRAME.groupby([FRAME["sold_at"].dt.date, "region"]).ngroups

    routed = ask(client, model, QUERY)
    raw = ask(client, model, QUERY, use_rollups=False)
    assert routed["explain"]["rollup"] == "sales.by_day"
    assert raw["explain"]["rollup"] is None
    assert len(routed["rows"]) == len(raw["rows"]) == len(pandas_answer())
    expected = pandas_answer()
    for got, database in zip(routed["rows"], raw["rows"], strict=True):
        assert got[0][:10] == database[0][:10]
        assert got[1] == database[1]
        assert got[2:] == pytest.approx(database[2:], rel=1e-9)
        count, amount, average, largest = expected[(got[0][:10], got[1])]
        assert got[2] == count
        assert got[5] == largest
        assert math.isclose(got[3], amount, rel_tol=1e-9)
        assert math.isclose(got[4], average, rel_tol=1e-9)


HLL_YAML = MODEL_YAML.replace(
    "      - {{name: buyers, type: count_distinct, sql: customer}}\n",
    "      - {{name: buyers, type: count_distinct, sql: customer}}\n"
    "      - {{name: shoppers, type: count_distinct_approx, sql: customer}}\n",
).replace(
    "measures: [count, amount, average, smallest, largest, buyers]",
    "measures: [count, amount, average, smallest, largest, buyers, shoppers]",
)


@pytest.mark.parametrize("kind", ["postgres", "mysql"])
def test_a_database_rollup_merges_its_hll_sketches_into_months(alpha, request, kind):
    config = request.getfixturevalue("sales_postgres" if kind == "postgres" else "sales_mariadb")
    client = alpha.client("editor")
    created = post_json(client, "/api/v1/sources/", {"name": f"Sales {kind}", "kind": kind, "config": config})
    assert created.status_code == 201, created.content
    model = create_model(client, created.json()["id"], HLL_YAML)
    assert build(client, model)["status"] == "ready"
    query = {
        "measures": ["sales.shoppers"],
        "dimensions": [{"member": "sales.sold_at", "granularity": "month"}],
    }

    routed = ask(client, model, query)

    assert routed["explain"]["rollup"] == "sales.by_day"
    assert "HyperLogLog" in routed["explain"]["reason"]
    month = FRAME["sold_at"].dt.to_period("M").dt.start_time.dt.date.astype(str)
    exact = FRAME.groupby(month)["customer"].nunique().to_dict()
    got = {row[0][:10]: row[1] for row in routed["rows"]}
    assert set(got) == set(exact)
    for key, count in exact.items():
        assert abs(got[key] - count) <= relative_error(standard_deviations=3) * count, (key, got[key], count)
