# SPDX-License-Identifier: MIT
"""Routing decisions on their own (no Django): which rollup answers, why each other does not, and that
the routed answer equals the raw one and pandas, for number measures, filters on measures, segments,
weeks and quarters from days, and the smallest of several rollups."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from chat2chart.semantic.compile import compile_model_query
from chat2chart.semantic.materialise import build_from_files
from chat2chart.semantic.query import ModelQuery
from chat2chart.semantic.rollups import compile_build, rollup_plans
from chat2chart.semantic.routing import ROLLUP_CUBE, Candidate, route_query
from chat2chart.semantic.yaml_io import load_model
from chat2chart.sources.duck import run_duckdb

MODEL = """\
cubes:
  - name: orders
    sql_table: orders
    measures:
      - {name: count, type: count}
      - {name: amount, type: sum, sql: amount}
      - {name: paid, type: sum, sql: amount, filters: [{sql: "{CUBE}.status = 'paid'"}]}
      - {name: paid_share, type: number, sql: "{paid} / {amount}"}
      - {name: people, type: count_distinct, sql: customer}
    dimensions:
      - {name: id, type: number, primary_key: true}
      - {name: region, type: string}
      - {name: status, type: string}
      - {name: placed_at, type: time}
    segments:
      - {name: west_or_east, sql: "{region} IN ('West', 'East')"}
      - {name: big, sql: "{CUBE}.amount > 100"}
    pre_aggregations:
      - name: daily
        measures: [count, amount, paid]
        dimensions: [region]
        time_dimension: placed_at
        granularity: day
      - name: monthly
        measures: [count, amount, paid]
        dimensions: [region]
        time_dimension: placed_at
        granularity: month
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder: Path = tmp_path_factory.mktemp("routing")
    table = folder / "orders.parquet"
    duckdb.sql(f"""
        COPY (SELECT i AS id,
                     TIMESTAMP '2024-01-01' + INTERVAL (i * 97) MINUTE AS placed_at,
                     ['North', 'South', 'East', 'West'][1 + i % 4] AS region,
                     CASE WHEN i % 3 = 0 THEN 'open' ELSE 'paid' END AS status,
                     'c' || (i % 37) AS customer,
                     CAST((i * 37) % 250 AS DECIMAL(10, 2)) AS amount
              FROM range(5000) t(i)) TO '{table}' (FORMAT parquet)""")
    model = load_model(MODEL)
    candidates = []
    files = {}
    for plan in rollup_plans(model):
        out = folder / f"{plan.key}.parquet"
        build = compile_build(plan, "duckdb")
        rows = build_from_files(
            build.sql,
            build.params,
            {"orders": str(table)},
            [c.column for c in plan.columns],
            out,
            timeout_s=60,
        )
        candidates.append(Candidate(plan, rows))
        files[plan.key] = out
    frame = duckdb.sql(f"SELECT * FROM '{table}'").df()
    return model, candidates, files, table, frame


def answer(setup, query: dict, *, use_rollups: bool = True):
    model, candidates, files, table, _ = setup
    parsed = ModelQuery.model_validate(query)
    route = route_query(model, parsed, candidates if use_rollups else [])
    if route.rollup is None:
        compiled = compile_model_query(model, parsed, "duckdb", max_rows=10_000)
        tables = {"orders": str(table)}
    else:
        compiled = compile_model_query(route.model, route.query, "duckdb", max_rows=10_000)
        tables = {ROLLUP_CUBE: str(files[route.rollup.key])}
    rows = run_duckdb(compiled.sql, compiled.params, tables, timeout_s=30, max_rows=10_000).rows
    return route, rows


def test_the_smallest_rollup_that_answers_is_chosen_and_the_other_says_why(setup):
    route, rows = answer(
        setup,
        {
            "measures": ["orders.amount"],
            "dimensions": [{"member": "orders.placed_at", "granularity": "quarter"}],
        },
    )
    assert route.rollup.key == "orders.monthly"
    assert route.rejected == {"orders.daily": "'orders.monthly' also answers it and has fewer rows"}
    assert (
        rows
        == answer(
            setup,
            {
                "measures": ["orders.amount"],
                "dimensions": [{"member": "orders.placed_at", "granularity": "quarter"}],
            },
            use_rollups=False,
        )[1]
    )


def test_weeks_come_from_days_but_not_from_months(setup):
    query = {
        "measures": ["orders.count"],
        "dimensions": [{"member": "orders.placed_at", "granularity": "week"}],
    }
    route, rows = answer(setup, query)
    assert route.rollup.key == "orders.daily"
    assert (
        route.rejected["orders.monthly"]
        == "'orders.placed_at' by week cannot be rolled up from month buckets"
    )
    frame = setup[4]
    weeks = frame.groupby(frame["placed_at"].dt.to_period("W-SUN").dt.start_time).size().tolist()
    assert [r[1] for r in rows] == weeks


def test_number_measures_filtered_measures_and_filters_on_measures_are_answered_from_parts(setup):
    query = {
        "measures": ["orders.paid_share", "orders.paid"],
        "dimensions": ["orders.region"],
        "filters": [{"field": "orders.paid", "op": "gt", "value": 50000}],
        "segments": ["orders.west_or_east"],
    }
    route, rows = answer(setup, query)
    assert route.rollup is not None
    assert rows == answer(setup, query, use_rollups=False)[1]
    frame = setup[4]
    frame = frame[frame["region"].isin(["West", "East"])]
    paid = frame[frame["status"] == "paid"].groupby("region")["amount"].sum().astype(float)
    share = (paid / frame.groupby("region")["amount"].sum().astype(float)).dropna()
    expected = [
        [region, pytest.approx(share[region], rel=1e-9), pytest.approx(paid[region])]
        for region in sorted(paid.index)
        if paid[region] > 50000
    ]
    assert rows == expected


def test_a_segment_on_a_column_the_rollup_does_not_store_and_a_count_distinct_are_refused(setup):
    route, _ = answer(setup, {"measures": ["orders.count"], "segments": ["orders.big"]})
    assert route.rollup is None
    assert set(route.rejected) == {"orders.daily", "orders.monthly"}
    assert "not an equality on a dimension" in route.rejected["orders.daily"]
    route, rows = answer(setup, {"measures": ["orders.people"], "dimensions": ["orders.region"]})
    assert route.rejected["orders.daily"] == "it does not store the measure 'orders.people'"
    assert [r[1] for r in rows] == setup[4].groupby("region")["customer"].nunique().tolist()
    assert (
        route.explain()["reason"] == "answered from the raw tables: no rollup can answer this query exactly"
    )


def test_database_rows_are_written_with_their_types_and_buckets_from_another_time_zone_are_refused(tmp_path):
    from chat2chart.core.errors import QueryError
    from chat2chart.semantic.materialise import write_rows

    out = tmp_path / "rows.parquet"
    rows = [["North", "2024-02-01T00:00:00+00:00", 3, 10.5], ["South", None, 1, None]]
    assert write_rows(rows, ["text", "datetime", "integer", "decimal"], ["d0", "t", "m0", "m1"], out) == 2
    types = dict(
        duckdb.sql(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{out}')").fetchall()
    )
    assert types == {"d0": "VARCHAR", "t": "TIMESTAMP WITH TIME ZONE", "m0": "BIGINT", "m1": "DOUBLE"}
    with pytest.raises(QueryError, match="a zone other than UTC"):
        write_rows([["2024-02-01T00:00:00+01:00"]], ["datetime"], ["t"], tmp_path / "zone.parquet")


def test_a_rollup_with_a_dimension_of_a_joined_cube_answers_like_the_raw_join(tmp_path):
    from tests.semantic.shop import SHOP_YAML, shop_frames, shop_rows

    frames = shop_frames(shop_rows())
    tables = {}
    for name, frame in frames.items():
        tables[name] = str(tmp_path / f"{name}.parquet")
        frame.to_parquet(tables[name])
    text = SHOP_YAML.replace(
        "  - name: orders\n    sql_table: orders\n",
        "  - name: orders\n    sql_table: orders\n    pre_aggregations:\n"
        "      - {name: by_segment, measures: [count, shipping, paid_shipping],"
        " dimensions: [customers.segment], time_dimension: created_at, granularity: day}\n",
    )
    model = load_model(text)
    (plan,) = rollup_plans(model)
    build = compile_build(plan, "duckdb")
    out = tmp_path / "rollup.parquet"
    stored = build_from_files(
        build.sql, build.params, tables, [c.column for c in plan.columns], out, timeout_s=60
    )
    query = ModelQuery.model_validate(
        {
            "measures": ["orders.shipping", "orders.count", "orders.paid_shipping"],
            "dimensions": ["customers.segment", {"member": "orders.created_at", "granularity": "month"}],
        }
    )
    route = route_query(model, query, [Candidate(plan, stored)])
    assert route.rollup is not None
    routed = compile_model_query(route.model, route.query, "duckdb", max_rows=1000)
    raw = compile_model_query(model, query, "duckdb", max_rows=1000)
    limits = {"timeout_s": 30, "max_rows": 1000}
    expected = run_duckdb(raw.sql, raw.params, tables, **limits).rows
    assert run_duckdb(routed.sql, routed.params, {ROLLUP_CUBE: str(out)}, **limits).rows == expected
    orders = frames["orders"].merge(frames["customers"], left_on="customer_id", right_on="id", how="left")
    assert sum(row[3] for row in expected) == len(frames["orders"])
    by_segment = orders.groupby("segment", dropna=False)["shipping"].sum()
    for segment, total in by_segment.items():
        found = sum(row[2] or 0 for row in expected if row[0] == (None if pd.isna(segment) else segment))
        assert found == pytest.approx(float(total))
