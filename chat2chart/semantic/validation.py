# SPDX-License-Identifier: MIT
"""Checks of a model beyond its shape: names, references, joins and SQL, each problem naming its cube,
member and field (and the path into the YAML document, which `yaml_io` turns into a line)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlglot import exp

from chat2chart.core.errors import QueryError
from chat2chart.semantic.joins import JoinGraph, describe
from chat2chart.semantic.model import Cube, Dimension, Measure, Model, ModelProblem
from chat2chart.semantic.preagg import pre_aggregation_problems
from chat2chart.semantic.refs import parse_snippet
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.compiler import Dialect
from chat2chart.sources.sqlguard import check_select

_KINDS = ("measures", "dimensions", "segments")
# Where a cube's data lives: its source's catalogue by table name (None when unknown) and SQL dialect.
Place = tuple[dict[str, TableInfo] | None, Dialect]


def validate_model(
    model: Model,
    *,
    tables: dict[str, TableInfo] | None = None,
    dialect: Dialect = "duckdb",
    where: Callable[[Cube], Place] | None = None,
) -> list[ModelProblem]:
    """Every problem of `model`. With a catalogue (`tables` for every cube, or `where(cube)` for cubes
    of several sources) tables and columns are checked too; SQL is read in the cube's dialect."""
    places = {cube.name: where(cube) if where else (tables, dialect) for cube in model.cubes}
    problems: list[ModelProblem] = []
    seen: set[str] = set()
    for i, cube in enumerate(model.cubes):
        if cube.name in seen:
            problems.append(
                ModelProblem("two cubes have this name", cube.name, None, "name", ("cubes", i, "name"))
            )
        seen.add(cube.name)
        problems += _cube_problems(model, i, cube, places)
        problems += pre_aggregation_problems(model, i, cube)
        problems += _rollup_sql_problems(cube, i, *places[cube.name])
    if model.cache is not None and model.cache.refresh_key is not None and model.cubes:
        sql = model.cache.refresh_key.sql or ""
        if message := _guard_message(sql, *places[model.cubes[0].name]):
            problems.append(ModelProblem(message, field="sql", path=("cache", "refresh_key", "sql")))
    problems += _join_problems(model)
    return problems


def _cube_problems(model: Model, i: int, cube: Cube, places: dict[str, Place]) -> list[ModelProblem]:
    tables, dialect = places[cube.name]
    problems: list[ModelProblem] = []
    names: set[str] = set()
    for kind in _KINDS:
        for j, member in enumerate(getattr(cube, kind)):
            if member.name in names:
                problems.append(
                    _problem(
                        "two members of the cube have this name",
                        cube,
                        member.name,
                        "name",
                        (i, kind, j, "name"),
                    )
                )
            names.add(member.name)
    keys = [d.name for d in cube.dimensions if d.primary_key]
    if len(keys) > 1:
        problems.append(
            _problem(
                f"only one dimension can be the primary key, not {', '.join(keys)}",
                cube,
                keys[1],
                "primary_key",
                (i,),
            )
        )
    if cube.sql is not None:
        problems += _select_problems(cube, i, tables, dialect)
    elif tables is not None and cube.sql_table not in tables:
        choices = ", ".join(sorted(tables)[:20])
        problems.append(
            _problem(
                f"'{cube.sql_table}' is not a table of the source; choose one of {choices}",
                cube,
                None,
                "sql_table",
                (i, "sql_table"),
            )
        )
    for path, member, role, sql in _snippets(cube, i):
        if path[1] == "joins" and model.cube(member or "") is None:
            continue  # the unknown cube is reported once, on the join's name
        try:
            tree = _parse(model, cube, sql, role, dialect)
        except QueryError as error:
            problems.append(
                _problem(error.message, cube, member, path[-1] if isinstance(path[-1], str) else "sql", path)
            )
            continue
        problems += _column_problems(model, cube, tree, places, member, path)
    problems += _number_cycles(model, cube, i, dialect)
    return problems


def _snippets(cube: Cube, i: int) -> Iterator[tuple[tuple[Any, ...], str | None, str, str]]:
    """(path, member, role of its references, sql) of every SQL snippet of the cube."""
    for j, measure in enumerate(cube.measures):
        role = "measure" if measure.type == "number" else "dimension"
        if measure.sql is not None:
            yield (i, "measures", j, "sql"), measure.name, role, measure.sql
        for k, flt in enumerate(measure.filters):
            yield (i, "measures", j, "filters", k, "sql"), measure.name, "dimension", flt.sql
    for j, dim in enumerate(cube.dimensions):
        if dim.sql is not None:
            yield (i, "dimensions", j, "sql"), dim.name, "dimension", dim.sql
    for j, join in enumerate(cube.joins):
        yield (i, "joins", j, "sql"), join.name, "dimension", join.sql
    for j, segment in enumerate(cube.segments):
        yield (i, "segments", j, "sql"), segment.name, "dimension", segment.sql


def _parse(model: Model, cube: Cube, sql: str, role: str, dialect: Dialect) -> exp.Expr:
    names = {m.name for kind in _KINDS for m in getattr(cube, kind)}

    def table(name: str) -> exp.Expr:
        if model.cube(name) is None:
            raise QueryError(f"`{sql}` refers to an unknown cube '{name}'")
        return exp.to_identifier(name, quoted=True)

    def member(cube_name: str, member_name: str) -> exp.Expr:
        other = model.cube(cube_name)
        target = other.member(member_name) if other is not None else None
        if target is None:
            raise QueryError(f"`{sql}` refers to an unknown member '{cube_name}.{member_name}'")
        wanted = Measure if role == "measure" else Dimension
        if not isinstance(target, wanted):
            raise QueryError(f"`{sql}` may only refer to {role}s, and '{cube_name}.{member_name}' is not one")
        return exp.Null()

    return parse_snippet(sql, cube=cube.name, member_names=names, dialect=dialect, table=table, member=member)


def _column_problems(
    model: Model,
    cube: Cube,
    tree: exp.Expr,
    places: dict[str, Place],
    member: str | None,
    path: tuple[Any, ...],
) -> list[ModelProblem]:
    problems = []
    for column in tree.find_all(exp.Column):
        owner = model.cube(column.table)
        catalogue = places[owner.name][0] if owner is not None else None
        table = catalogue.get(owner.sql_table or "") if owner is not None and catalogue is not None else None
        if table is not None and table.column(column.name) is None:
            message = f"table '{table.name}' has no column '{column.name}'"
            problems.append(_problem(message, cube, member, "sql", path))
    return problems


def _select_problems(
    cube: Cube, i: int, tables: dict[str, TableInfo] | None, dialect: Dialect
) -> list[ModelProblem]:
    import sqlglot  # the guard needs the tables it may read; without a catalogue, those the SELECT names

    try:
        allowed = (
            set(tables)
            if tables is not None
            else {t.name for t in sqlglot.parse_one(cube.sql or "", read=dialect).find_all(exp.Table)}
        )
        check_select(cube.sql or "", dialect, allowed_tables=allowed)
    except (QueryError, sqlglot.errors.SqlglotError) as error:
        message = error.message if isinstance(error, QueryError) else f"could not parse the SQL: {error}"
        return [_problem(message, cube, None, "sql", (i, "sql"))]
    return []


def _rollup_sql_problems(
    cube: Cube, i: int, tables: dict[str, TableInfo] | None, dialect: Dialect
) -> list[ModelProblem]:
    """The SQL guard's verdict on each rollup's refresh-key and build-range SELECTs."""
    problems = []
    for j, agg in enumerate(cube.pre_aggregations):
        snippets = {
            "refresh_key": agg.refresh_key.sql if agg.refresh_key else None,
            "build_range_start": agg.build_range_start.sql if agg.build_range_start else None,
            "build_range_end": agg.build_range_end.sql if agg.build_range_end else None,
        }
        for field, sql in snippets.items():
            if sql is not None and (message := _guard_message(sql, tables, dialect)):
                path = ("cubes", i, "pre_aggregations", j, field, "sql")
                problems.append(ModelProblem(message, cube.name, agg.name, f"{field}.sql", path))
    return problems


def _guard_message(sql: str, tables: dict[str, TableInfo] | None, dialect: Dialect) -> str | None:
    import sqlglot

    try:
        allowed = (
            set(tables)
            if tables is not None
            else {t.name for t in sqlglot.parse_one(sql, read=dialect).find_all(exp.Table)}
        )
        check_select(sql, dialect, allowed_tables=allowed)
    except (QueryError, sqlglot.errors.SqlglotError) as error:
        return error.message if isinstance(error, QueryError) else f"could not parse the SQL: {error}"
    return None


def _number_cycles(model: Model, cube: Cube, i: int, dialect: Dialect) -> list[ModelProblem]:
    problems = []
    for j, measure in enumerate(cube.measures):
        if measure.type != "number":
            continue
        trail = _number_trail(model, cube.name, measure.name, (), dialect)
        if trail:
            problems.append(
                _problem(
                    f"the measure refers to itself: {' → '.join(trail)}",
                    cube,
                    measure.name,
                    "sql",
                    (i, "measures", j, "sql"),
                )
            )
    return problems


def _number_trail(
    model: Model, cube_name: str, name: str, trail: tuple[str, ...], dialect: Dialect
) -> tuple[str, ...]:
    key = f"{cube_name}.{name}"
    if key in trail:
        return (*trail, key)
    cube = model.cube(cube_name)
    measure = cube.member(name) if cube is not None else None
    if cube is None or not isinstance(measure, Measure) or measure.type != "number" or not measure.sql:
        return ()
    found: list[tuple[str, str]] = []
    names = cube.member_names

    def collect(ref_cube: str, ref_member: str) -> exp.Expr:
        found.append((ref_cube, ref_member))
        return exp.Null()

    try:
        parse_snippet(
            measure.sql,
            cube=cube.name,
            member_names=names,
            dialect=dialect,
            table=lambda n: exp.to_identifier(n),
            member=collect,
        )
    except QueryError:
        return ()
    for ref_cube, ref_member in found:
        cycle = _number_trail(model, ref_cube, ref_member, (*trail, key), dialect)
        if cycle:
            return cycle
    return ()


def _join_problems(model: Model) -> list[ModelProblem]:
    problems = []
    positions = {cube.name: i for i, cube in enumerate(model.cubes)}
    for i, cube in enumerate(model.cubes):
        targets: set[str] = set()
        for j, join in enumerate(cube.joins):
            path = ("cubes", i, "joins", j, "name")
            if model.cube(join.name) is None:
                problems.append(
                    ModelProblem(f"joins an unknown cube '{join.name}'", cube.name, join.name, "name", path)
                )
            elif join.name == cube.name:
                problems.append(
                    ModelProblem(
                        "a cube cannot join itself; make a second cube over the table",
                        cube.name,
                        join.name,
                        "name",
                        path,
                    )
                )
            elif join.name in targets:
                problems.append(
                    ModelProblem(
                        f"the cube joins '{join.name}' twice; keep one join",
                        cube.name,
                        join.name,
                        "name",
                        path,
                    )
                )
            targets.add(join.name)
    graph = JoinGraph(model)
    for cycle in graph.cycles():
        first = positions[cycle[0]]
        message = (
            f"the many_to_one joins form a cycle {' → '.join(cycle)}; one of them has the wrong relationship"
        )
        problems.append(ModelProblem(message, cycle[0], cycle[1], "joins", ("cubes", first, "joins")))
    for start, end, paths in graph.ambiguities():
        ways = f"{describe(paths[0])} and {describe(paths[1])}"
        message = f"cubes '{start}' and '{end}' are joined two ways ({ways}); remove one join"
        problems.append(ModelProblem(message, start, end, "joins", ("cubes", positions[start], "joins")))
    return problems


def _problem(
    message: str, cube: Cube, member: str | None, field: str | None, path: tuple[Any, ...]
) -> ModelProblem:
    return ModelProblem(message, cube.name, member, field, ("cubes", *path))
