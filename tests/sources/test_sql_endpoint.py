# SPDX-License-Identifier: MIT
"""`/api/v1/sql/`: editors run one read-only SELECT over the source's own tables, and nothing else."""

from __future__ import annotations

import pytest

from tests.sources.fixtures_api import error_message, post_json, upload_source


@pytest.fixture
def sales_source(alpha):
    return upload_source(alpha.client("editor"), name="Sales").json()["id"]


def _sql(client, source_id, sql):
    return post_json(client, "/api/v1/sql/", {"source": source_id, "sql": sql})


def test_an_editor_runs_a_select_over_the_sources_table(alpha, sales_source):
    response = _sql(
        alpha.client("editor"),
        sales_source,
        "SELECT region, sum(revenue) AS r FROM sales GROUP BY region ORDER BY region",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["rows"] == [["East", 112.5], ["North", 75.5], ["South", 50.0]]
    assert body["cached"] is False
    assert "LIMIT" in body["sql"].upper()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM '/etc/passwd'",
        "COPY sales TO '/tmp/stolen.csv'",
        "ATTACH '/tmp/other.duckdb' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SELECT 1; SELECT 2",
        "DROP TABLE sales",
        "CREATE TABLE x AS SELECT * FROM sales",
        "SELECT getenv('HOME')",
    ],
)
def test_statements_that_reach_outside_the_sources_tables_are_refused(alpha, sales_source, sql):
    response = _sql(alpha.client("editor"), sales_source, sql)
    assert response.status_code == 400, (sql, response.content)
    assert "Traceback" not in error_message(response)


def test_another_sources_table_is_refused(alpha, sales_source):
    upload_source(alpha.client("editor"), "salary\n1\n", file_name="payroll.csv")
    response = _sql(alpha.client("editor"), sales_source, "SELECT * FROM payroll")
    assert response.status_code == 400
    assert "payroll" in error_message(response)


@pytest.mark.enterprise  # the core edition has no roles: every member may do everything
def test_a_viewer_may_not_run_sql(alpha, sales_source):
    response = _sql(alpha.client("viewer"), sales_source, "SELECT 1 FROM sales")
    assert response.status_code == 403


def test_sql_fields_are_strictly_typed(alpha, sales_source):
    as_list = _sql(alpha.client("editor"), sales_source, ["SELECT 1"])
    assert as_list.status_code == 400
    assert error_message(as_list).startswith("sql")
    id_as_text = post_json(
        alpha.client("editor"), "/api/v1/sql/", {"source": str(sales_source), "sql": "SELECT 1"}
    )
    assert id_as_text.status_code == 400
    assert error_message(id_as_text).startswith("source")
