# SPDX-License-Identifier: MIT
"""Row-level access in the core (both editions): an embed principal's locked values and the rules of
the `row_filters` hook limit the query service, previews, the query and model APIs and the cache;
raw SQL is refused; a rule whose column a table lacks refuses rather than showing every row.
Totals are checked against pandas over the source file."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest

from chat2chart.core.errors import Forbidden
from chat2chart.core.hooks import RowRule
from chat2chart.core.principal import Principal
from chat2chart.sources.querying import query_run, sql_run, table_preview
from chat2chart.sources.semantic import SemanticQuery
from tests.dashboards.conftest import SALES_CSV, build_sales_data
from tests.sources.fixtures_api import error_message, post_json

FRAME = pd.read_csv(io.StringIO(SALES_CSV))
HOOK = "tests.sources.test_row_access_core.south_only"


def south_only(principal: Principal, source: Any, table_name: str) -> list[RowRule]:
    """A row_filters implementation as an edition registers one: people see the South only (the
    column named in another case than the table's, as an attribute mapping may)."""
    if principal.kind == "embed" or table_name == "targets":
        return []
    return [RowRule(column="REGION", values=("South",))]


def gold(column: str, *values: Any) -> float:
    return round(float(FRAME[FRAME[column].isin(values)]["revenue"].sum()), 6)


def total(result: Any) -> float:
    return round(sum(float(row[-1] or 0) for row in result.rows), 6)


@pytest.fixture
def sales(alpha: Any, tmp_path: Any) -> Any:
    with alpha.activate():
        return build_sales_data(alpha, tmp_path)


@pytest.fixture
def hooked(settings: Any) -> None:
    settings.AISER_HOOK_PLUGINS = {**settings.AISER_HOOK_PLUGINS, "row_filters": [HOOK]}


def _query(sales: Any, **extra: Any) -> SemanticQuery:
    return SemanticQuery.parse(
        {"source": sales.sales.pk, "table": sales.sales_table, "measures": [{"field": "revenue"}], **extra}
    )


def test_an_embed_principal_sees_only_its_locked_rows_and_each_slice_is_cached_apart(alpha, sales):
    with alpha.activate():
        first = query_run(query=_query(sales), principal=Principal.for_embed(locked={"customer_id": 1}))
        second = query_run(query=_query(sales), principal=Principal.for_embed(locked={"customer_id": [2]}))
        again = query_run(query=_query(sales), principal=Principal.for_embed(locked={"customer_id": 1}))
    assert total(first) == pytest.approx(gold("customer_id", 1))
    assert total(second) == pytest.approx(gold("customer_id", 2))
    assert again.cache.hit
    assert total(again) == pytest.approx(gold("customer_id", 1))


def test_a_crafted_filter_cannot_widen_a_locked_slice(alpha, sales):
    crafted = _query(sales, filters=[{"field": "customer_id", "op": "in", "value": [1, 2]}])
    with alpha.activate():
        result = query_run(query=crafted, principal=Principal.for_embed(locked={"customer_id": 1}))
        other = query_run(
            query=_query(sales, filters=[{"field": "customer_id", "op": "eq", "value": 2}]),
            principal=Principal.for_embed(locked={"customer_id": 1}),
        )
    assert total(result) == pytest.approx(gold("customer_id", 1))
    assert other.rows == () or total(other) == 0


def test_an_embed_preview_shows_only_locked_rows_and_raw_sql_is_refused(alpha, sales):
    principal = Principal.for_embed(locked={"customer_id": 2})
    with alpha.activate():
        preview = table_preview(source=sales.sales, table_name=sales.sales_table, principal=principal)
        with pytest.raises(Forbidden, match="limited to some of its rows"):
            sql_run(source_id=sales.sales.pk, sql="SELECT * FROM sales", principal=principal)
    column = [c.name for c in preview.columns].index("customer_id")
    assert {row[column] for row in preview.rows} == {2}
    assert len(preview.rows) == int((FRAME["customer_id"] == 2).sum())


def test_a_table_without_the_locked_column_is_refused_not_shown_unfiltered(alpha, sales):
    query = SemanticQuery.parse(
        {"source": sales.targets.pk, "table": sales.targets_table, "measures": [{"field": "target"}]}
    )
    with alpha.activate(), pytest.raises(Forbidden) as refused:
        query_run(query=query, principal=Principal.for_embed(locked={"customer_id": 1}))
    assert refused.value.code == "row_access_column_missing"


def test_hook_rules_limit_the_query_api_preview_and_refuse_sql(alpha, sales, hooked):
    editor = alpha.client("editor")
    body = {"source": sales.sales.pk, "table": sales.sales_table, "measures": [{"field": "revenue"}]}
    for _ in range(2):  # the second answer comes from the cache, still the slice
        response = post_json(editor, "/api/v1/query/", body)
        assert response.status_code == 200, response.content
        assert float(response.json()["rows"][0][0]) == pytest.approx(gold("region", "South"))
    preview = editor.get(f"/api/v1/sources/{sales.sales.pk}/tables/{sales.sales_table}/preview/").json()
    column = [c["name"] for c in preview["columns"]].index("region")
    assert {row[column] for row in preview["rows"]} == {"South"}
    refused = post_json(editor, "/api/v1/sql/", {"source": sales.sales.pk, "sql": "SELECT * FROM sales"})
    assert refused.status_code == 403
    assert "limited to some of its rows" in error_message(refused)
    # The targets table has no rule: its SQL and queries run as before.
    targets = post_json(editor, "/api/v1/sql/", {"source": sales.targets.pk, "sql": "SELECT * FROM targets"})
    assert targets.status_code == 200, targets.content


def test_hook_rules_limit_model_queries(alpha, sales, hooked):
    editor = alpha.client("editor")
    model = post_json(editor, "/api/v1/semantic/models/auto/", {"source": sales.sales.pk, "name": "Sales"})
    assert model.status_code == 201, model.content
    query = {"measures": ["sales.total_revenue"], "dimensions": ["sales.region"]}
    response = post_json(editor, "/api/v1/semantic/query/", {"model": model.json()["id"], "query": query})
    assert response.status_code == 200, response.content
    rows = response.json()["rows"]
    assert {row[0] for row in rows} == {"South"}
    assert sum(float(row[1]) for row in rows) == pytest.approx(gold("region", "South"))
