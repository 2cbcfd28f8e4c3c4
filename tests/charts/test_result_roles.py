# SPDX-License-Identifier: MIT
"""Charts read each column's type, role and format from the ResultSet they are given, and the
chart API hands out those typed columns instead of guessing them again."""

from __future__ import annotations

from chat2chart.charts.render import build_option
from chat2chart.charts.spec import auto_spec, parse_spec
from chat2chart.sources.results import ResultColumn, ResultSet
from tests.sources.fixtures_api import SALES_CSV, upload_source


def _by_region(share_format: str | None) -> ResultSet:
    return ResultSet(
        columns=(
            ResultColumn("region", "text", "dimension", None, "region"),
            ResultColumn("share", "decimal", "measure", share_format, "avg(share)", aggregation="avg"),
        ),
        rows=(("North", 0.256), ("South", 0.5)),
    )


def test_a_numeric_key_column_is_placed_as_a_category_not_added_up():
    result = ResultSet(
        columns=(
            ResultColumn("store_id", "integer", "key", "number", "store_id"),
            ResultColumn("revenue", "decimal", "measure", "number", "sum(revenue)", aggregation="sum"),
        ),
        rows=((17, 120.0), (42, 80.0)),
    )

    spec = auto_spec("column", result.columns_json())

    assert spec.encoding.x == "store_id"
    assert spec.encoding.y == ["revenue"]
    assert build_option(spec, result)["xAxis"]["data"] == ["17", "42"]


def test_a_percent_measure_is_shown_as_a_percent_unless_the_spec_says_otherwise():
    spec = parse_spec({"type": "column", "encoding": {"x": "region", "y": ["share"]}})
    own = parse_spec(
        {"type": "column", "encoding": {"x": "region", "y": ["share"]}, "options": {"number_format": "0.00"}}
    )

    assert build_option(spec, _by_region("percent"))["aiser"]["numberFormat"] == "0.0%"
    assert build_option(spec, _by_region("number"))["aiser"]["numberFormat"] is None
    assert build_option(own, _by_region("percent"))["aiser"]["numberFormat"] == "0.00"


def test_a_kpi_writes_its_value_in_the_columns_currency():
    result = ResultSet(
        columns=(ResultColumn("revenue", "decimal", "measure", "currency:EUR", "sum(revenue)", "sum"),),
        rows=((1234.5,),),
    )
    spec = parse_spec({"type": "kpi", "encoding": {"value": "revenue"}})

    texts = [e["style"]["text"] for e in build_option(spec, result)["graphic"]["elements"]]

    assert "€1,234.50" in texts


def test_a_table_carries_each_columns_role_and_format():
    spec = parse_spec({"type": "table"})

    columns = build_option(spec, _by_region("percent"))["aiser"]["columns"]

    assert columns == [
        {
            "name": "region",
            "type": "text",
            "role": "dimension",
            "format": None,
            "numberFormat": None,
            "currency": None,
        },
        {
            "name": "share",
            "type": "decimal",
            "role": "measure",
            "format": "percent",
            "numberFormat": "0.0%",
            "currency": None,
        },
    ]


def test_rendering_a_query_returns_the_typed_columns_of_its_result(alpha):
    source_id = upload_source(alpha.client("editor"), SALES_CSV).json()["id"]
    query = {
        "source": source_id,
        "table": "sales",
        "dimensions": [{"field": "order_date", "granularity": "month"}],
        "measures": [{"field": "revenue", "agg": "sum"}],
    }

    response = alpha.client("viewer").post(
        "/api/v1/charts/render/", {"type": "line", "query": query}, content_type="application/json"
    )

    assert response.status_code == 200, response.json()
    columns = {c["name"]: c for c in response.json()["data"]["columns"]}
    assert columns["order_date_month"]["role"] == "time"
    assert columns["order_date_month"]["member"] == "order_date"
    assert columns["revenue"]["role"] == "measure"
    assert columns["revenue"]["member"] == "sum(revenue)"
    encoding = response.json()["spec"]["encoding"]
    assert (encoding["x"], encoding["y"]) == ("order_date_month", ["revenue"])
