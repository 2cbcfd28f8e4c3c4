# SPDX-License-Identifier: MIT
"""The typed ResultSet: its JSON round trip, the one place types are inferred (`from_rows`), and the
query service producing it with roles, formats and members through the real API and the cache."""

from __future__ import annotations

import dataclasses
import io

import orjson
import pandas as pd
import pytest

from chat2chart.core.principal import Principal
from chat2chart.sources.results import CacheInfo, ResultColumn, ResultSet, Timings
from tests.sources.fixtures_api import SALES_CSV, post_json, run_query, upload_source

WIRE_KEYS = {"columns", "rows", "sql", "cached", "elapsed_ms", "truncated"}


def _sample() -> ResultSet:
    return ResultSet(
        columns=(
            ResultColumn("order_date_month", "date", "time", "date", "order_date", granularity="month"),
            ResultColumn("region", "text", "dimension", None, "region"),
            ResultColumn("revenue", "decimal", "measure", "currency:EUR", "sum(revenue)", aggregation="sum"),
        ),
        rows=[["2024-01-01", "North", 30.5], ["2024-02-01", None, 157.5]],
        truncated=True,
        sql="SELECT 1",
        timings=Timings(execute_ms=4.5, total_ms=4.5),
    )


def test_a_result_survives_its_json_round_trip_unchanged():
    result = _sample()

    body = result.to_json()

    assert set(body) == WIRE_KEYS
    assert body["rows"] == [["2024-01-01", "North", 30.5], ["2024-02-01", None, 157.5]]
    assert body["columns"][2] == {
        "name": "revenue",
        "type": "decimal",
        "role": "measure",
        "format": "currency:EUR",
        "member": "sum(revenue)",
        "agg": "sum",
    }
    assert ResultSet.from_json(body) == result
    assert ResultSet.from_json(result.to_json_bytes()) == result
    assert orjson.loads(result.to_json_bytes()) == body


def test_rows_cannot_be_changed_from_outside():
    result = _sample()

    assert isinstance(result.rows, tuple)
    assert all(isinstance(row, tuple) for row in result.rows)
    with pytest.raises(TypeError):
        result.rows[0][0] = "changed"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.truncated = False  # type: ignore[misc]
    assert result.row_count == 2


def test_reading_helpers_follow_the_columns():
    result = _sample()

    assert result.index("revenue") == 2
    assert result.values("region") == ["North", None]
    assert result.numbers("revenue") == [30.5, 157.5]
    assert result.is_temporal("order_date_month")
    assert not result.is_temporal("region")
    assert result.column("revenue").aggregation == "sum"
    assert result.cardinality("region") == 2
    assert result.cached is False
    assert result.elapsed_ms == 4.5


def test_a_cache_entry_without_a_column_type_is_refused_not_guessed():
    body = _sample().to_json()
    body["columns"][0].pop("type")

    with pytest.raises(ValueError, match="no known type"):
        ResultSet.from_json(body)


def test_from_rows_infers_each_missing_type_once_from_the_values():
    result = ResultSet.from_rows(
        ["n", "x", "day", "at", "flag", "label", "empty"],
        [
            [1, 1.5, "2024-01-01", "2024-01-01T10:00:00", True, "a", None],
            [2, 2, "2024-01-02", "2024-01-02 11:30", False, "2024-01-01", None],
        ],
    )

    types = {c.name: c.type for c in result.columns}
    assert types == {
        "n": "integer",
        "x": "decimal",
        "day": "date",
        "at": "datetime",
        "flag": "boolean",
        "label": "text",
        "empty": "text",
    }
    roles = {c.name: c.role for c in result.columns}
    assert roles["n"] == roles["x"] == "measure"
    assert roles["day"] == roles["at"] == "time"
    assert roles["label"] == roles["flag"] == "dimension"
    assert result.column("x").format == "number"
    assert result.column("label").format is None
    assert result.column("n").member == "n"


def test_from_rows_keeps_what_the_columns_say_and_pads_short_rows():
    result = ResultSet.from_rows(
        [
            {"name": "code", "type": "text", "role": "key"},
            {"name": "share", "type": "decimal", "role": "measure", "format": "percent", "agg": "avg"},
            {"name": "note"},
        ],
        [["001", 0.25], ["002", 0.5, "x", "extra"]],
    )

    assert result.column("code").type == "text"  # "001" is never re-read as a number
    assert result.column("code").role == "key"
    assert result.column("share").format == "percent"
    assert result.column("share").aggregation == "avg"
    assert result.rows == (("001", 0.25, None), ("002", 0.5, "x"))


def test_from_rows_refuses_a_column_without_a_name():
    with pytest.raises(ValueError, match="needs a name"):
        ResultSet.from_rows([{"type": "text"}], [])


# --- through the query service ----------------------------------------------------------------------


def _expected_revenue_by_month() -> dict[str, float]:
    frame = pd.read_csv(io.StringIO(SALES_CSV), parse_dates=["order_date"])
    months = frame.groupby(frame["order_date"].dt.to_period("M"))["revenue"].sum()
    return {str(period.start_time.date()): float(total) for period, total in months.items()}


def test_a_query_answer_carries_roles_formats_and_members(alpha):
    client = alpha.client("viewer")
    source_id = upload_source(alpha.client("editor")).json()["id"]
    query = {
        "table": "sales",
        "measures": [{"field": "revenue", "agg": "sum"}, {"agg": "count"}],
        "dimensions": [{"field": "order_date", "granularity": "month"}],
        "order": [{"field": "order_date_month"}],
    }

    body = run_query(client, source_id, query).json()

    assert set(body) == WIRE_KEYS
    assert body["columns"] == [
        {
            "name": "order_date_month",
            "type": "date",
            "role": "time",
            "format": "date",
            "member": "order_date",
            "granularity": "month",
        },
        {
            "name": "revenue",
            "type": "decimal",
            "role": "measure",
            "format": "number",
            "member": "sum(revenue)",
            "agg": "sum",
        },
        {
            "name": "count",
            "type": "integer",
            "role": "measure",
            "format": "number",
            "member": "count(*)",
            "agg": "count",
        },
    ]
    assert {row[0]: row[1] for row in body["rows"]} == _expected_revenue_by_month()


def test_a_cache_hit_is_the_same_typed_result_marked_as_a_hit(alpha):
    from chat2chart.sources.querying import query_run
    from chat2chart.sources.semantic import SemanticQuery

    source_id = upload_source(alpha.client("editor")).json()["id"]
    query = SemanticQuery.parse(
        {
            "source": source_id,
            "table": "sales",
            "measures": [{"field": "quantity"}],
            "dimensions": [{"field": "region"}],
        }
    )
    with alpha.activate():
        first = query_run(query=query, principal=Principal.for_embed())
        second = query_run(query=query, principal=Principal.for_embed())

    assert first.cache == CacheInfo(hit=False)
    assert second.cache == CacheInfo(hit=True)
    assert second.columns == first.columns
    assert second.rows == first.rows
    assert second.sql == first.sql
    assert second.timings.execute_ms == 0.0
    assert second.column("quantity").role == "measure"


def test_a_preview_and_an_editors_sql_type_columns_from_the_source(alpha):
    client = alpha.client("editor")
    source_id = upload_source(client).json()["id"]

    preview = client.get(f"/api/v1/sources/{source_id}/tables/sales/preview/").json()
    answer = post_json(
        client, "/api/v1/sql/", {"source": source_id, "sql": "SELECT region, revenue FROM sales"}
    )

    roles = {c["name"]: (c["type"], c["role"], c["format"]) for c in preview["columns"]}
    assert roles["order_date"] == ("date", "time", "date")
    assert roles["region"] == ("text", "dimension", None)
    assert roles["revenue"] == ("decimal", "measure", "number")
    body = answer.json()
    assert set(body) == WIRE_KEYS
    assert [c["member"] for c in body["columns"]] == ["region", "revenue"]
