# SPDX-License-Identifier: MIT
"""How one member of a semantic model becomes SQL: dimensions (with their time buckets), measure
arguments and aggregates, `number` measures (dividing safely), filters, segments and joins.
`compile.py` assembles these pieces into the whole query."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlglot
from sqlglot import exp

from chat2chart.core.errors import QueryError
from chat2chart.semantic.joins import Edge, JoinGraph
from chat2chart.semantic.model import Cube, Dimension, Measure, Model, Segment
from chat2chart.semantic.query import DimensionRef, find_member, find_typed
from chat2chart.semantic.refs import parse_snippet
from chat2chart.sources.catalogue import ColumnInfo, ColumnType, TableInfo
from chat2chart.sources.compiler import _TIME_SQL, Dialect
from chat2chart.sources.filtersql import condition
from chat2chart.sources.semantic import Filter
from chat2chart.sources.sqlguard import check_select
from chat2chart.sources.sqlparts import Params, column_ref, table_ref

_FILTER_TYPES: dict[str, ColumnType] = {"string": "text", "number": "decimal", "boolean": "boolean"}


class MemberSql:
    """The SQL of one model's members for one dialect; records which cubes the query touched."""

    def __init__(
        self, model: Model, dialect: Dialect, tables: dict[str, TableInfo], schema: str | None, now: datetime
    ) -> None:
        self.model, self.dialect, self.tables, self.schema, self.now = model, dialect, tables, schema, now
        self.graph = JoinGraph(model)
        self.params = Params()
        self._touched: set[str] = set()
        # Row-level access: {table name: filters} every read of that table is limited by (rowaccess).
        self.restrict: Mapping[str, Sequence[Filter]] = {}

    def _measure_value(self, cube: Cube, measure: Measure) -> exp.Expr:
        """A measure over the aggregated row: its column, or a number measure's expression."""
        if measure.type != "number":
            return column_ref(f"{cube.name}.{measure.name}")

        def member(ref_cube: str, ref_member: str) -> exp.Expr:
            return self._measure_value(
                *find_typed(self.model, f"{ref_cube}.{ref_member}", Measure, "measure")
            )

        tree = self._snippet(cube, measure.sql or "", member=member)
        return tree.transform(_safe_division)

    # --- pieces ------------------------------------------------------------------------------------

    def _from(self, cube: Cube) -> exp.Expr:
        self._touched.add(cube.name)
        if cube.sql_table is not None:
            return exp.alias_(self._read(cube.sql_table), cube.name, quoted=True, table=True)
        allowed = set(self.tables) or {
            t.name for t in sqlglot.parse_one(cube.sql or "", read=self.dialect).find_all(exp.Table)
        }
        check_select(cube.sql or "", self.dialect, allowed_tables=allowed, schema=self.schema)
        select = sqlglot.parse_one(cube.sql or "", read=self.dialect)
        if self.restrict:
            select = select.transform(self._limited_table)
        return exp.alias_(exp.Subquery(this=select), cube.name, quoted=True, table=True)

    def _read(self, name: str) -> exp.Expr:
        """Table `name` as the query reads it: the table itself, or only the rows the principal may
        see when row-level access limits it (a subquery with the rules' conditions)."""
        filters = self.restrict.get(name)
        if not filters:
            return table_ref(name, self.schema)
        table = self.tables[name]
        conditions = [condition(flt, table, self.params, self.now) for flt in filters]
        limited = exp.select("*").from_(table_ref(name, self.schema)).where(*conditions)
        return exp.Subquery(this=limited)

    def _limited_table(self, node: exp.Expr) -> exp.Expr:
        # A table read inside a cube's SQL: the same limited subquery, under the name the SQL uses.
        if not isinstance(node, exp.Table) or node.name not in self.restrict:
            return node
        alias = node.alias or node.name
        return exp.alias_(self._read(node.name), alias, quoted=True, table=True)

    def _join_all(self, select: exp.Select, edges: list[Edge]) -> exp.Select:
        for edge in edges:
            target = self.model.cube(edge.end)
            declared = self.model.cube(edge.declared_on)
            assert target is not None
            assert declared is not None
            on = self._snippet(declared, edge.join.sql, member=self._dimension_ref)
            select = select.join(self._from(target), on=on, join_type="left", copy=False)
        return select

    def _conditions(self, row_filters: list[Filter], segments: list[tuple[Cube, Segment]]) -> list[exp.Expr]:
        found = [self._filter(f, lambda c, d: self._dimension(c, d)) for f in row_filters]
        found += [self._snippet(cube, segment.sql, member=self._dimension_ref) for cube, segment in segments]
        return found

    def _filter(self, flt: Filter, value_of: Any) -> exp.Expr:
        cube, member = find_member(self.model, flt.field)
        kind = self._filter_type(cube, member)
        placeholder = f"aiserfilter_{cube.name}__{member.name}"
        pseudo = TableInfo(name=cube.name, columns=[ColumnInfo(name=placeholder, type=kind)])
        tree = condition(flt.model_copy(update={"field": placeholder}), pseudo, self.params, self.now)
        value = value_of(cube, member)
        bound: exp.Expr = tree.transform(
            lambda n: value.copy() if isinstance(n, exp.Column) and n.name == placeholder else n
        )
        return bound

    def _filter_type(self, cube: Cube, member: Any) -> ColumnType:
        if isinstance(member, Measure):
            return "decimal"
        if member.type != "time":
            return _FILTER_TYPES[member.type]
        table = self.tables.get(cube.sql_table or "")
        column = table.column(member.sql or member.name) if table else None
        return "date" if column is not None and column.type == "date" else "datetime"

    def _bucketed(self, ref: DimensionRef, cube: Cube, dim: Dimension) -> exp.Expr:
        expression = self._dimension(cube, dim)
        if not ref.granularity:
            return expression
        template = sqlglot.parse_one(_TIME_SQL[self.dialect][ref.granularity], read=self.dialect)
        return template.transform(
            lambda n: expression.copy() if isinstance(n, exp.Column) and n.name == "__col" else n
        )

    def _dimension(self, cube: Cube, dim: Dimension, depth: int = 0) -> exp.Expr:
        self._touched.add(cube.name)
        if dim.sql is None:
            return exp.Column(this=exp.to_identifier(dim.name, quoted=True), table=_alias(cube.name))
        if depth > 10:
            raise QueryError(f"the dimension '{cube.name}.{dim.name}' refers to itself")
        return self._snippet(cube, dim.sql, member=lambda c, m: self._dimension_ref(c, m, depth + 1))

    def _dimension_ref(self, cube_name: str, member: str, depth: int = 0) -> exp.Expr:
        cube, dim = find_typed(self.model, f"{cube_name}.{member}", Dimension, "dimension in SQL")
        return self._dimension(cube, dim, depth)

    def _measure_argument(self, cube: Cube, measure: Measure) -> exp.Expr:
        value: exp.Expr = exp.Literal.number(1)
        if measure.sql is not None:
            value = self._snippet(cube, measure.sql, member=self._dimension_ref)
        if not measure.filters:
            return value
        tests = [self._snippet(cube, f.sql, member=self._dimension_ref) for f in measure.filters]
        return exp.Case(ifs=[exp.If(this=exp.and_(*tests), true=value)])

    def _aggregate(self, measure: Measure, ref: exp.Expr) -> exp.Expr:
        kind = measure.type
        if kind == "count":
            return exp.Count(this=ref)
        if kind == "count_distinct_approx" and self.dialect == "duckdb":
            return exp.ApproxDistinct(this=ref)
        if kind in ("count_distinct", "count_distinct_approx"):  # exact where no approximation is built in
            return exp.Count(this=exp.Distinct(expressions=[ref]))
        if kind == "avg":
            return exp.cast(exp.Avg(this=ref), "DOUBLE")
        return {"sum": exp.Sum, "min": exp.Min, "max": exp.Max}[kind](this=ref)

    def _snippet(self, cube: Cube, sql: str, *, member: Any) -> exp.Expr:
        names = cube.member_names

        def table(name: str) -> exp.Expr:
            if self.model.cube(name) is None:
                raise QueryError(f"`{sql}` in cube '{cube.name}' refers to an unknown cube '{name}'")
            self._touched.add(name)
            return _alias(name)

        return parse_snippet(
            sql, cube=cube.name, member_names=names, dialect=self.dialect, table=table, member=member
        )


def _alias(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _safe_division(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Div):
        numerator = exp.cast(node.this, "DOUBLE")
        denominator = exp.Nullif(this=node.expression, expression=exp.Literal.number(0))
        return exp.Div(this=numerator, expression=denominator)
    return node
