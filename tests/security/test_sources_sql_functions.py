# SPDX-License-Identifier: MIT
"""Security issue #3: the SQL editor calls only ordinary functions.

Against the real local PostgreSQL and MariaDB: functions that write (large objects, sequences),
run SQL held in a string (`ts_stat`, `query_to_xml`, `dblink`), read files or server settings,
wait, or were defined by the customer are refused with a message naming them; ordinary analytics
SQL still runs and its numbers match a computation in plain Python.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from chat2chart.core.errors import QueryError
from chat2chart.sources.sqlguard import check_select
from tests.security import fixtures_sources as fx
from tests.sources.fixtures_api import error_message, post_json


@pytest.fixture(scope="module")
def postgres_db():
    with fx.customer_postgres("fn") as config:
        yield config


@pytest.fixture(scope="module")
def mariadb_db():
    with fx.customer_mariadb("fn") as config:
        yield config


@pytest.fixture(autouse=True)
def _private_hosts_allowed(settings):
    settings.AISER_ALLOW_PRIVATE_SOURCES = True


def _source(client, kind: str, config: dict) -> int:
    created = post_json(
        client, "/api/v1/sources/", {"name": f"Customer {kind}", "kind": kind, "config": config}
    )
    assert created.status_code == 201, created.content
    return created.json()["id"]


def _sql(client, source_id: int, sql: str):
    return post_json(client, "/api/v1/sql/", {"source": source_id, "sql": sql})


POSTGRES_REFUSED = [
    ("SELECT lo_create(0)", "lo_create"),
    ("SELECT lo_unlink(16385)", "lo_unlink"),
    ("SELECT lo_from_bytea(0, 'x')", "lo_from_bytea"),
    ("SELECT ts_stat('SELECT to_tsvector(body) FROM other_schema.t')", "ts_stat"),
    ("SELECT word FROM ts_stat('SELECT to_tsvector(body) FROM other_schema.t')", "ts_stat"),
    (
        "SELECT ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, ''b''::tsquery FROM other_schema.t')",
        "ts_rewrite",
    ),
    ("SELECT query_to_xml('SELECT * FROM other_schema.t', true, false, '')", "query_to_xml"),
    ("SELECT query_to_xml_and_xmlschema('SELECT 1', true, false, '')", "query_to_xml_and_xmlschema"),
    ("SELECT table_to_xml('other_schema.t', true, false, '')", "table_to_xml"),
    ("SELECT dblink_exec('dbname=postgres', 'CREATE TABLE pwned (x int)')", "dblink_exec"),
    ("SELECT nextval('ticket_seq')", "nextval"),
    ("SELECT pg_advisory_lock(1)", "pg_advisory_lock"),
    ("SELECT pg_terminate_backend(1)", "pg_terminate_backend"),
    ("SELECT pg_reload_conf()", "pg_reload_conf"),
    ("SELECT current_setting('data_directory')", "current_setting"),
    ("SELECT pg_sleep(5)", "pg_sleep"),
    ("SELECT txid_current()", "txid_current"),
    ("SELECT xpath('/a', query_to_xml('SELECT 1', true, false, ''))", "xpath"),
]


@pytest.mark.parametrize(("sql", "function"), POSTGRES_REFUSED)
def test_postgres_functions_that_write_or_run_sql_from_strings_are_refused(alpha, postgres_db, sql, function):
    client = alpha.client("editor")
    response = _sql(client, _source(client, "postgres", postgres_db), sql)
    assert response.status_code == 400, response.content
    message = error_message(response)
    assert f"{function}()" in message
    assert "not allowed" in message
    assert fx.postgres_scalar(postgres_db["database"], "SELECT count(*) FROM pg_largeobject_metadata") == 0
    assert fx.postgres_scalar(postgres_db["database"], "SELECT last_value FROM ticket_seq") == 1


def test_ordinary_analytics_sql_still_runs_on_postgres(alpha, postgres_db):
    client = alpha.client("editor")
    sql = """
        SELECT region,
               date_trunc('month', ordered_on)::date AS month,
               count(*) AS orders,
               round(sum(amount), 2) AS total,
               sum(CASE WHEN amount >= 20 THEN 1 ELSE 0 END) AS big,
               coalesce(max(note), '-') AS note,
               upper(left(region, 1)) || lower(substring(region from 2)) AS label,
               extract(year FROM max(ordered_on)) AS year,
               rank() OVER (ORDER BY sum(amount) DESC) AS rank
        FROM orders
        GROUP BY region, date_trunc('month', ordered_on)
        ORDER BY region, month
    """
    response = _sql(client, _source(client, "postgres", postgres_db), sql)
    assert response.status_code == 200, response.content
    assert response.json()["rows"] == _expected_groups()


@pytest.mark.mysql
def test_a_function_the_customer_defined_is_refused_before_it_reaches_mariadb(alpha, mariadb_db):
    client = alpha.client("editor")
    response = _sql(client, _source(client, "mysql", mariadb_db), "SELECT sneaky_write()")
    assert response.status_code == 400
    assert "function sneaky_write()" in error_message(response)


@pytest.mark.mysql
@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT load_file('/etc/passwd')", "function load_file()"),
        ("SELECT sys_exec('id')", "function sys_exec()"),
        ("SELECT sys_eval('id')", "function sys_eval()"),
        ("SELECT benchmark(100000000, md5('x'))", "function benchmark()"),
        ("SELECT sleep(5)", "function sleep()"),
        ("SELECT get_lock('a', 1)", "function get_lock()"),
        ("SELECT extractvalue(note, '/a') FROM orders", "function extractvalue()"),
        ("SELECT region INTO @stolen FROM orders LIMIT 1", "INTO"),
        ("SELECT region FROM orders INTO OUTFILE '/tmp/aiser-stolen'", "could not parse"),
        ("SELECT region FROM orders INTO DUMPFILE '/tmp/aiser-stolen'", "could not parse"),
    ],
)
def test_mariadb_functions_that_reach_outside_are_refused(alpha, mariadb_db, sql, reason):
    client = alpha.client("editor")
    response = _sql(client, _source(client, "mysql", mariadb_db), sql)
    assert response.status_code == 400, response.content
    assert reason in error_message(response)


@pytest.mark.mysql
def test_ordinary_analytics_sql_still_runs_on_mariadb(alpha, mariadb_db):
    client = alpha.client("editor")
    sql = """
        SELECT region,
               CAST(date_format(ordered_on, '%Y-%m-01') AS date) AS month,
               count(*) AS orders,
               round(sum(amount), 2) AS total,
               sum(if(amount >= 20, 1, 0)) AS big,
               ifnull(max(note), '-') AS note,
               concat(upper(left(region, 1)), lower(substring(region, 2))) AS label,
               year(max(ordered_on)) AS year,
               rank() OVER (ORDER BY sum(amount) DESC) AS rank
        FROM orders
        GROUP BY region, date_format(ordered_on, '%Y-%m-01')
        ORDER BY region, month
    """
    response = _sql(client, _source(client, "mysql", mariadb_db), sql)
    assert response.status_code == 200, response.content
    assert response.json()["rows"] == _expected_groups()


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "duckdb"])
def test_an_unknown_function_is_refused_by_default_in_every_dialect(dialect):
    with pytest.raises(QueryError, match=r"function made_up_fn\(\) is not allowed"):
        check_select("SELECT made_up_fn(id) FROM orders", dialect, allowed_tables={"orders"})  # type: ignore[arg-type]


def _expected_groups() -> list[list]:
    """The analytics query's answer computed in plain Python from the rows the fixture inserted."""
    groups: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for row in fx.ORDERS:
        groups[(row[1], row[0].replace(day=1).isoformat())].append(row)
    totals = {key: round(sum(r[2] for r in rows), 2) for key, rows in groups.items()}
    ranking = sorted(totals.values(), reverse=True)
    answer = []
    for (region, month), rows in sorted(groups.items()):
        notes = [r[3] for r in rows if r[3] is not None]
        answer.append([
            region, month, len(rows), totals[(region, month)], sum(1 for r in rows if r[2] >= 20),
            max(notes) if notes else "-", region.capitalize(), int(month[:4]),
            ranking.index(totals[(region, month)]) + 1,
        ])  # fmt: skip
    return answer
