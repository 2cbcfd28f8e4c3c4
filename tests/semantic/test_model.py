# SPDX-License-Identifier: MIT
"""Validation names the cube, member, field and line of each problem; join paths are found or refused."""

from __future__ import annotations

import pytest

from chat2chart.core.errors import QueryError
from chat2chart.semantic.compile import compile_model_query
from chat2chart.semantic.joins import JoinGraph, describe
from chat2chart.semantic.model import ModelInvalid
from chat2chart.semantic.query import ModelQuery, query_source
from chat2chart.semantic.yaml_io import dump_model, load_model, parse_model
from chat2chart.sources.catalogue import ColumnInfo, TableInfo
from tests.semantic.shop import SHOP_YAML, shop_model


def cubes(*texts: str) -> str:
    return "cubes:\n" + "".join(texts)


def cube(name: str, joins: str = "", extra: str = "") -> str:
    text = f"  - name: {name}\n    sql_table: {name}\n"
    text += "    dimensions:\n      - name: id\n        type: number\n        primary_key: true\n"
    text += "    measures:\n      - name: count\n        type: count\n" + extra
    if joins:
        text += "    joins:\n" + joins
    return text


def join(target: str, relationship: str = "many_to_one") -> str:
    condition = f"{{CUBE}}.{target}_id = {{{target}}}.id"
    return f'      - name: {target}\n        relationship: {relationship}\n        sql: "{condition}"\n'


def test_the_shop_model_is_valid_and_dumps_back_to_the_same_model():
    model = shop_model()
    assert load_model(dump_model(model)) == model


def test_a_wrong_measure_type_names_cube_member_field_and_line():
    text = SHOP_YAML.replace(
        "      - name: credit\n        type: sum", "      - name: credit\n        type: total"
    )
    _, problems = parse_model(text)
    [problem] = problems
    assert (problem.cube, problem.member, problem.field) == ("customers", "credit", "type")
    assert problem.line == text.splitlines().index("        type: total") + 1
    assert "count_distinct" in problem.message  # the allowed values are listed


def test_an_unknown_member_reference_is_located():
    text = SHOP_YAML.replace(
        'sql: "{order_lines.revenue} / {count}"', 'sql: "{order_lines.revenu} / {count}"'
    )
    _, problems = parse_model(text)
    [problem] = problems
    assert (problem.cube, problem.member, problem.field) == ("orders", "revenue_per_order", "sql")
    assert "unknown member 'order_lines.revenu'" in problem.message
    assert problem.line == next(
        i for i, line in enumerate(text.splitlines(), 1) if "order_lines.revenu}" in line
    )


def test_a_sum_of_a_measure_is_refused():
    text = SHOP_YAML.replace(
        "        type: sum\n        sql: credit", '        type: sum\n        sql: "{count}"'
    )
    [problem] = parse_model(text)[1]
    assert "may only refer to dimensions" in problem.message


def test_invalid_yaml_reports_its_line():
    model, [problem] = parse_model("cubes:\n  - name: a\n    sql_table: [unclosed\n")
    assert model is None
    assert problem.line is not None
    assert "not valid YAML" in problem.message


def test_join_to_unknown_cube_and_self_join_are_refused():
    _, problems = parse_model(cubes(cube("a", join("nowhere") + join("a"))))
    messages = [p.message for p in problems]
    assert any("unknown cube 'nowhere'" in m for m in messages)
    assert any("cannot join itself" in m for m in messages)
    assert all(p.cube == "a" for p in problems)
    assert all(p.line is not None for p in problems)


def test_a_cycle_of_many_to_one_joins_is_refused():
    _, problems = parse_model(cubes(cube("a", join("b")), cube("b", join("c")), cube("c", join("a"))))
    cycle = [p for p in problems if "cycle" in p.message]
    assert len(cycle) == 1
    assert "a → b → c → a" in cycle[0].message


def test_two_equally_short_join_paths_are_ambiguous():
    text = cubes(cube("a", join("b") + join("c")), cube("b", join("d")), cube("c", join("d")), cube("d"))
    _, problems = parse_model(text)
    assert any("'a' and 'd' are joined two ways" in p.message for p in problems)
    model = load_model(cubes(cube("a", join("b") + join("c")), cube("b"), cube("c", join("d")), cube("d")))
    assert describe(JoinGraph(model).path("a", "d")) == "a → c → d"
    assert describe(JoinGraph(model).path("d", "b")) == "d → c → a → b"
    assert JoinGraph(model).path("d", "a")[0].relationship == "one_to_many"


def test_a_number_measure_that_refers_to_itself_is_refused():
    extra = '      - name: x\n        type: number\n        sql: "{y} + 1"\n'
    extra += '      - name: y\n        type: number\n        sql: "{x} * 2"\n'
    _, problems = parse_model(cubes(cube("a", extra=extra)))
    assert any("refers to itself" in p.message for p in problems if p.member == "x")


def test_a_sql_cube_is_checked_by_the_sql_guard():
    text = "cubes:\n  - name: a\n    sql: DELETE FROM orders\n"
    [problem] = parse_model(text)[1]
    assert (problem.cube, problem.field, problem.line) == ("a", "sql", 3)
    assert "SELECT" in problem.message
    tables = {"orders": TableInfo("orders", [ColumnInfo("id", "integer")])}
    [problem] = parse_model("cubes:\n  - name: a\n    sql: SELECT * FROM secrets\n", tables=tables)[1]
    assert "'secrets' is not part of this source" in problem.message


def test_catalogue_checks_tables_and_columns():
    tables = {"orders": TableInfo("orders", [ColumnInfo("id", "integer")])}
    text = "cubes:\n  - name: o\n    sql_table: order\n"
    text += "  - name: p\n    sql_table: orders\n    measures:\n"
    text += "      - name: s\n        type: sum\n        sql: amount\n"
    messages = [p.message for p in parse_model(text, tables=tables)[1]]
    assert any("'order' is not a table" in m for m in messages)
    assert any("no column 'amount'" in m for m in messages)


def test_functions_outside_the_allow_list_are_refused():
    text = SHOP_YAML.replace("        sql: credit", "        sql: \"pg_read_file('/etc/passwd')\"")
    [problem] = parse_model(text)[1]
    assert "is not allowed" in problem.message
    assert problem.member == "credit"


def test_load_model_raises_with_every_problem_as_details():
    with pytest.raises(ModelInvalid) as caught:
        load_model(cubes(cube("a", join("x") + join("y"))))
    assert len(caught.value.details) == 2
    assert "line" in caught.value.message


def test_query_errors_name_the_member_and_suggest():
    model = shop_model()
    with pytest.raises(QueryError, match="did you mean 'shipping'"):
        compile_model_query(model, ModelQuery(measures=["orders.shiping"]), "duckdb", max_rows=10)
    with pytest.raises(QueryError, match="is a measure; it cannot be used as a dimension"):
        compile_model_query(model, ModelQuery(dimensions=["orders.count"]), "duckdb", max_rows=10)
    query = ModelQuery.model_validate({"dimensions": [{"member": "orders.status", "granularity": "month"}]})
    with pytest.raises(QueryError, match="only time dimensions take a granularity"):
        compile_model_query(model, query, "duckdb", max_rows=10)


def test_an_ambiguous_path_is_refused_at_query_time_too():
    text = cubes(cube("a", join("b") + join("c")), cube("b", join("d")), cube("c", join("d")), cube("d"))
    model, problems = parse_model(text)
    assert problems  # the model is refused when saved; a query over it is refused as well
    assert model is not None
    with pytest.raises(QueryError, match="ambiguous"):
        compile_model_query(
            model, ModelQuery(measures=["a.count"], dimensions=["d.id"]), "duckdb", max_rows=10
        )


def test_a_query_across_sources_is_refused():
    text = SHOP_YAML.replace("    sql_table: customers\n", "    sql_table: customers\n    source: 2\n")
    model = load_model(text.replace("cubes:\n", "source: 1\ncubes:\n", 1))
    query = ModelQuery(measures=["orders.count"], dimensions=["customers.segment"])
    with pytest.raises(QueryError, match="only one source"):
        query_source(model, query)
    assert query_source(model, ModelQuery(measures=["orders.count"])) == 1


def test_a_fan_out_without_primary_key_is_refused():
    text = SHOP_YAML.replace(
        "      - name: id\n        type: number\n        primary_key: true\n      - name: status",
        "      - name: id\n        type: number\n      - name: status",
    )
    model = load_model(text)
    with pytest.raises(QueryError, match="needs a primary key"):
        compile_model_query(
            model,
            ModelQuery(measures=["orders.shipping"], dimensions=["order_lines.product"]),
            "duckdb",
            max_rows=10,
        )
