# SPDX-License-Identifier: MIT
"""Through the API, with real uploads: pooled DuckDB databases answer each organisation with its
own data (equal to pandas), are reused for repeated queries, follow a new upload at once, and
never let one organisation read another's file."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest

from chat2chart.sources import executor, selectors
from chat2chart.sources.models import Source
from tests.sources.fixtures_api import (
    SALES_CSV,
    SALES_CSV_V2,
    error_message,
    post_json,
    upload_new_version,
    upload_source,
)

BETA_CSV = (
    "order_date,region,product,quantity,revenue\n"
    "2024-01-07,North,Widget,1,1000.0\n"
    "2024-02-09,West,Gizmo,2,2000.0\n"
)
TOTALS = "SELECT region, sum(revenue) AS total FROM sales GROUP BY region ORDER BY region"


def _expected(csv_text: str) -> list[list[Any]]:
    frame = pd.read_csv(io.StringIO(csv_text))
    totals = frame.groupby("region")["revenue"].sum().sort_index()
    return [[region, float(total)] for region, total in totals.items()]


def _sql(client: Any, source_id: int, sql: str = TOTALS) -> Any:
    return post_json(client, "/api/v1/sql/", {"source": source_id, "sql": sql})


def _stored_path(workspace: Any, source_id: int) -> str:
    with workspace.activate():
        table = selectors.source_table_get(Source.objects.get(pk=source_id), "sales")
        return str(selectors.table_file(table))


@pytest.fixture(autouse=True)
def _one_worker(settings: Any) -> None:
    # One worker, so both organisations' queries land in the same process and its pool.
    settings.AISER_QUERY_WORKERS = 1
    settings.AISER_DUCKDB_POOL_SIZE = 4


def test_repeated_queries_reuse_the_pooled_database_and_equal_pandas(alpha):
    client = alpha.client("editor")
    source_id = upload_source(client).json()["id"]
    reuses = executor.current_pool().database_reuses

    responses = [_sql(client, source_id) for _ in range(3)]

    assert [response.status_code for response in responses] == [200] * 3
    assert all(response.json()["rows"] == _expected(SALES_CSV) for response in responses)
    assert executor.current_pool().database_reuses - reuses >= 2


def test_a_new_upload_is_answered_from_its_own_files_at_once(alpha):
    client = alpha.client("editor")
    source_id = upload_source(client).json()["id"]
    assert _sql(client, source_id).json()["rows"] == _expected(SALES_CSV)

    assert upload_new_version(client, source_id, SALES_CSV_V2).status_code in (200, 201, 202)
    after = _sql(client, source_id)

    assert after.status_code == 200, after.content
    assert after.json()["rows"] == _expected(SALES_CSV_V2)


def test_two_organisations_in_one_worker_get_their_own_answers_and_not_each_others_files(alpha, beta):
    alpha_client, beta_client = alpha.client("editor"), beta.client("editor")
    alpha_id = upload_source(alpha_client).json()["id"]
    beta_id = upload_source(beta_client, BETA_CSV).json()["id"]
    alpha_file = _stored_path(alpha, alpha_id)

    answers = [(_sql(alpha_client, alpha_id), _sql(beta_client, beta_id)) for _ in range(2)]
    stolen = _sql(beta_client, beta_id, f"SELECT * FROM read_parquet('{alpha_file}')")
    stolen_join = _sql(beta_client, beta_id, f"SELECT count(*) AS n FROM sales, '{alpha_file}'")

    for alpha_answer, beta_answer in answers:
        assert alpha_answer.json()["rows"] == _expected(SALES_CSV)
        assert beta_answer.json()["rows"] == _expected(BETA_CSV)
    for response in (stolen, stolen_join):
        assert response.status_code == 400, response.content
        assert "rows" not in response.json()
        assert error_message(response)
