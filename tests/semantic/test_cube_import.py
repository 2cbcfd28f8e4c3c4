# SPDX-License-Identifier: MIT
"""Importing a Cube project's model folder, the report of what was left out, and the export round trip."""

from __future__ import annotations

from pathlib import Path

from chat2chart.semantic.compile import compile_model_query
from chat2chart.semantic.cube_export import export_cube_project
from chat2chart.semantic.cube_import import import_cube_project
from chat2chart.semantic.query import ModelQuery
from tests.semantic.shop import shop_rows, shop_tables
from tests.sources.engines import duck_engine, normal

PROJECT = Path(__file__).parent / "cube_project"


def project_files() -> dict[str, str]:
    return {str(p.relative_to(PROJECT)): p.read_text() for p in PROJECT.rglob("*") if p.is_file()}


def test_cubes_members_joins_and_segments_are_imported():
    model, report = import_cube_project(project_files())

    assert [c.name for c in model.cubes] == ["customers", "order_lines", "orders"]
    orders = model.cube("orders")
    assert [m.name for m in orders.measures] == [
        "count",
        "shipping",
        "paid_shipping",
        "shipping_last_7_days",
        "revenue_per_order",
    ]
    assert orders.joins[0].relationship == "many_to_one"  # belongs_to
    assert orders.joins[0].sql == "{CUBE}.customer_id = {customers.id}"  # ${...} became {...}
    assert orders.member("paid_shipping").filters[0].sql == "{CUBE}.status = 'paid'"
    assert orders.member("shipping_last_7_days").rolling_window.trailing == "7 day"
    assert orders.primary_key.name == "id"
    assert [s.name for s in orders.segments] == ["paid"]
    assert [(p.name, p.measures, p.time_dimension, p.granularity) for p in orders.pre_aggregations] == [
        ("by_month", ["count"], "created_at", "month")
    ]
    customers = model.cube("customers")
    assert customers.sql_table == "customers"
    assert customers.member("credit").currency == "EUR"
    assert customers.member("segment").synonyms == ["tier", "customer type"]
    assert model.cube("order_lines").sql.startswith("SELECT id, order_id")
    assert report.problems == []


def test_every_file_lists_what_was_not_imported_and_why():
    _, report = import_cube_project(project_files())

    skipped = report.skipped
    assert set(skipped) == {
        "cube.js",
        "model/cubes/customers.yml",
        "model/cubes/orders.yml",
        "model/cubes/templated.yml",
        "model/views/shop.yml",
    }
    orders = "\n".join(skipped["model/cubes/orders.yml"])
    assert "pre_aggregations" not in orders  # rollups are imported (tests/semantic/test_rollup_model.py)
    assert "refresh_key" in orders
    assert "last_status" in orders
    assert "type 'string'" in orders
    assert "shipping_next_week" in orders
    assert "leading" in orders
    assert "filtered_count" in orders
    assert "FILTER_PARAMS" in orders
    assert "size" in orders
    assert "case" in orders
    assert "drill_members" in orders
    assert any("geo" in line for line in skipped["model/cubes/customers.yml"])
    assert any("public.customers" in line for line in skipped["model/cubes/customers.yml"])
    assert any("Jinja" in line for line in skipped["model/cubes/templated.yml"])
    assert any("views are not imported" in line for line in skipped["model/views/shop.yml"])


def test_export_then_import_gives_the_same_model():
    model, _ = import_cube_project(project_files())

    files = export_cube_project(model)
    again, report = import_cube_project(files)

    assert sorted(files) == [f"model/cubes/{name}.yml" for name in ("customers", "order_lines", "orders")]
    assert again == model
    assert report.skipped == {}
    assert report.problems == []


def test_imported_project_answers_like_the_data():
    model, _ = import_cube_project(project_files())
    rows = shop_rows()
    query = ModelQuery.model_validate(
        {"measures": ["orders.shipping", "orders.count"], "segments": ["orders.paid"]}
    )

    with duck_engine(shop_tables(rows)) as run:
        got = [normal(v) for v in run(compile_model_query(model, query, "duckdb", max_rows=10))[0]]

    paid = [o for o in rows["orders"] if o[2] == "paid"]
    assert got == [round(sum(o[4] for o in paid), 4), len(paid)]


def test_unsupported_keys_and_measure_types_are_reported_per_file():
    files = {"model/a.yml": "cubes:\n  - name: a\n    sql_table: a\n    joins:\n      - name: b\n"
             "        relationship: many_to_one\n        sql: '{CUBE}.b_id = {b}.id'\n",
             "model/b.yml": "cubes:\n  - name: b\n    extends: c\n    sql_table: b\n    measures:\n"
             "      - name: n\n        type: running_total\n        sql: x\n"}  # fmt: skip
    model, report = import_cube_project(files)
    assert [c.name for c in model.cubes] == ["a", "b"]
    assert report.skipped["model/b.yml"] == [
        "cube b: extends: extending another cube is not supported; copy its members",
        "cube b: n: measures of type 'running_total' are not supported",
    ]
    assert report.problems == []
