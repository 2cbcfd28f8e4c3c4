# SPDX-License-Identifier: MIT
"""Pre-aggregations in the model: parsed Cube style, checked (unknown members, measures a rollup
cannot store, located by line), flagged when not additive, and carried through Cube import/export."""

from __future__ import annotations

import yaml

from chat2chart.semantic.cube_export import export_cube_project
from chat2chart.semantic.cube_import import import_cube_project
from chat2chart.semantic.preagg import rollup_notes
from chat2chart.semantic.rollups import partitions_between, rollup_plans
from chat2chart.semantic.yaml_io import dump_model, load_model, parse_model

SALES = """\
source: 1
cubes:
  - name: sales
    sql_table: sales
    joins:
      - name: stores
        relationship: many_to_one
        sql: "{CUBE}.store_id = {stores.id}"
    measures:
      - {name: count, type: count}
      - {name: amount, type: sum, sql: amount}
      - {name: average, type: avg, sql: amount}
      - {name: buyers, type: count_distinct, sql: customer}
      - {name: per_sale, type: number, sql: "{amount} / {count}"}
    dimensions:
      - {name: id, type: number, primary_key: true}
      - {name: region, type: string}
      - {name: sold_at, type: time}
    pre_aggregations:
      - name: by_day
        measures: [count, CUBE.amount, average, buyers]
        dimensions: [region, stores.city]
        time_dimension: sold_at
        granularity: day
        partition_granularity: month
        refresh_key:
          every: 1 hour
  - name: stores
    sql_table: stores
    dimensions:
      - {name: id, type: number, primary_key: true}
      - {name: city, type: string}
"""


def test_a_rollup_is_parsed_with_its_members_resolved_to_cubes():
    model = load_model(SALES)
    (plan,) = rollup_plans(model)
    assert plan.key == "sales.by_day"
    assert plan.measures == ("sales.count", "sales.amount", "sales.average", "sales.buyers")
    assert plan.dimensions == ("sales.region", "stores.city")
    assert (plan.time_dimension, plan.granularity) == ("sales.sold_at", "day")
    # an average is stored as its sum and its count, so it can be re-aggregated
    assert [c.column for c in plan.columns] == ["d0", "d1", "t", "m0", "m1", "m2_s", "m2_c", "m3"]
    assert plan.declaration.refresh_key.interval.total_seconds() == 3600


def test_unknown_members_and_measures_a_rollup_cannot_store_are_errors_on_their_line():
    text = SALES.replace("[count, CUBE.amount, average, buyers]", "[count, revenue, per_sale]").replace(
        "[region, stores.city]", "[region, stores.town]"
    )
    _, problems = parse_model(text)
    found = [(p.member, p.field, p.line, p.message) for p in problems]
    line = text.splitlines().index("        measures: [count, revenue, per_sale]") + 1
    assert ("by_day", "measures", line, "'revenue' is not a measure of the model") in found
    assert (
        "by_day",
        "measures",
        line,
        "'per_sale' is a number measure: list the measures it combines instead; it is computed from them",
    ) in found
    assert ("by_day", "dimensions", line + 1, "'stores.town' is not a dimension of the model") in found


def test_a_time_dimension_needs_a_granularity_and_partitions_must_nest():
    _, problems = parse_model(SALES.replace("        granularity: day\n", ""))
    assert any("`time_dimension` and `granularity` go together" in p.message for p in problems)
    _, problems = parse_model(SALES.replace("partition_granularity: month", "partition_granularity: hour"))
    assert any("cannot be split into hour partitions" in p.message for p in problems)
    _, problems = parse_model(SALES.replace("every: 1 hour", "every: often"))
    assert any("`every` must look like" in p.message for p in problems)


def test_a_count_distinct_in_a_rollup_is_flagged_as_answering_only_at_its_grain():
    model = load_model(SALES)
    cube = model.cube("sales")
    notes = rollup_notes(model, cube, cube.pre_aggregations[0])
    assert len(notes) == 1
    assert notes[0].startswith("'buyers' is a count distinct")


def test_monthly_partitions_cover_the_range_of_the_data():
    from datetime import datetime

    parts = partitions_between(datetime(2024, 1, 17, 5), datetime(2024, 3, 1), "month")
    assert [(p.start.isoformat(), p.end.isoformat()) for p in parts] == [
        ("2024-01-01T00:00:00", "2024-02-01T00:00:00"),
        ("2024-02-01T00:00:00", "2024-03-01T00:00:00"),
        ("2024-03-01T00:00:00", "2024-04-01T00:00:00"),
    ]


def test_rollups_survive_yaml_and_the_cube_round_trip():
    model = load_model(SALES)
    assert load_model(dump_model(model)) == model
    files = export_cube_project(model)
    exported = yaml.safe_load(files["model/cubes/sales.yml"])["cubes"][0]["pre_aggregations"][0]
    assert exported["type"] == "rollup"
    assert exported["refresh_key"] == {"every": "1 hour"}
    back, report = import_cube_project(files)
    assert report.problems == []
    assert back.cube("sales").pre_aggregations == model.cube("sales").pre_aggregations


def test_cube_rollups_of_other_types_and_unsupported_keys_are_reported():
    cube_yaml = """\
cubes:
  - name: orders
    sql_table: orders
    measures:
      - {name: count, type: count}
    dimensions:
      - {name: id, type: number, sql: id, primary_key: true}
      - {name: created_at, type: time, sql: created_at}
    pre_aggregations:
      - name: main
        measures: [CUBE.count]
        time_dimension: CUBE.created_at
        granularity: day
        partition_granularity: month
        refresh_key:
          every: "0 * * * *"
          incremental: true
          update_window: 7 day
        indexes:
          by_day: {columns: [created_at]}
      - name: raw
        type: original_sql
"""
    model, report = import_cube_project({"model/cubes/orders.yml": cube_yaml})
    (main,) = model.cube("orders").pre_aggregations
    assert main.measures == ["CUBE.count"]
    assert main.refresh_key is None  # a cron schedule is not carried over, and says so
    skipped = "\n".join(report.skipped["model/cubes/orders.yml"])
    assert "type 'original_sql'" in skipped
    assert "cron schedules are not supported" in skipped
    assert "refresh_key.incremental" in skipped
    assert "indexes" in skipped
    (plan,) = rollup_plans(model)
    assert plan.measures == ("orders.count",)


def test_refresh_key_and_build_range_sql_pass_the_sql_guard():
    text = (
        SALES.replace(
            "          every: 1 hour\n", "          every: 1 hour\n          sql: DELETE FROM sales\n"
        )
        + "cache:\n  refresh_key: {sql: 'SELECT max(id) FROM sales; DROP TABLE sales'}\n"
    )
    _, problems = parse_model(text)
    fields = {(p.member, p.field) for p in problems}
    assert ("by_day", "refresh_key.sql") in fields
    assert (None, "sql") in fields
    assert all(p.line for p in problems)
