# SPDX-License-Identifier: MIT
"""A model query becomes one parameterised SELECT over the cubes' tables, for DuckDB, PostgreSQL or MySQL.

Fan-out safety: the measures of each cube are aggregated in their own subquery, at the grain of the
query's dimensions, and the subqueries are then joined on those dimensions (null-safe, over the union
of their dimension values, so a group that only one cube has is kept).
When reaching a dimension or filter crosses a one-to-many join (counting customers by their orders'
status), the cube's rows are first reduced to DISTINCT (primary key, dimensions), so a row of the
"one" side is never counted twice. `number` measures are computed after aggregation, dividing with
NULLIF so a zero gives an empty value. Filter values are bound parameters, as in the table compiler.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlglot import exp

from chat2chart.core.errors import QueryError
from chat2chart.semantic.members import MemberSql
from chat2chart.semantic.model import Cube, Dimension, Measure, Model, RollingWindow, Segment
from chat2chart.semantic.outputs import dimension_column, measure_column
from chat2chart.semantic.query import DimensionRef, ModelQuery, find_member, find_typed, query_source
from chat2chart.semantic.rolling import ROWS, rolling_select
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.compiler import DIALECTS, CompiledQuery, Dialect, _render
from chat2chart.sources.filtersql import naive
from chat2chart.sources.semantic import Filter
from chat2chart.sources.sqlparts import column_ref

_TIME_PARTS = frozenset({"weekday", "month_of_year", "hour_of_day"})
_Dim = tuple[DimensionRef, Cube, Dimension]  # a requested dimension and where it is defined
_Segment = tuple[Cube, Segment]


@dataclass
class _Sub:
    """The measures of one cube, aggregated in their own subquery."""

    cube: Cube
    measures: list[Measure] = field(default_factory=list)
    window: RollingWindow | None = None  # a rolling measure has a subquery of its own


def compile_model_query(
    model: Model,
    query: ModelQuery,
    dialect: Dialect,
    *,
    tables: dict[str, TableInfo] | None = None,
    schema: str | None = None,
    now: datetime | None = None,
    max_rows: int,
    restrict: Mapping[str, Sequence[Filter]] | None = None,
) -> CompiledQuery:
    """Compile `query` over `model` for `dialect`. `tables` (the source's catalogue by table name)
    checks SQL cubes against the source's tables and tells date from date-time columns. `restrict`
    ({table name: filters}, row-level access) limits every read of those tables to the matching rows.
    The LIMIT is at most max_rows + 1 so the caller can tell a truncated answer."""
    if dialect not in DIALECTS:
        raise QueryError(f"unknown SQL dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")
    if not query.measures and not query.dimensions:
        raise QueryError("a query needs at least one measure or dimension")
    query_source(model, query)
    builder = _Builder(model, dialect, tables or {}, schema, naive(now or datetime.now()))
    builder.restrict = restrict or {}
    return builder.build(query, max_rows)


class _Builder(MemberSql):
    """Assembles the query: one subquery per cube of measures, joined on the dimensions."""

    # --- the whole query -------------------------------------------------------------------------

    def build(self, query: ModelQuery, max_rows: int) -> CompiledQuery:
        dims = [
            (ref, *find_typed(self.model, ref.member, Dimension, "dimension")) for ref in query.dimensions
        ]
        for ref, _, dim in dims:
            if ref.granularity and dim.type != "time":
                raise QueryError(
                    f"'{ref.member}' is a {dim.type} dimension; only time dimensions take a granularity"
                )
        row_filters = [f for f in query.filters if isinstance(find_member(self.model, f.field)[1], Dimension)]
        measure_filters = [f for f in query.filters if f not in row_filters]
        segments = [find_typed(self.model, name, Segment, "segment") for name in query.segments]
        requested = [find_typed(self.model, name, Measure, "measure") for name in query.measures]
        subs = self._subs(
            requested + [find_typed(self.model, f.field, Measure, "measure") for f in measure_filters]
        )
        if subs:
            parts = [self._sub_select(sub, dims, row_filters, segments) for sub in subs]
        else:
            parts = [self._dimension_select(dims, row_filters, segments)]
        aggregated = parts[0] if len(parts) == 1 else self._combine(parts, dims, subs)
        return self._final(query, aggregated, dims, requested, measure_filters, max_rows)

    def _subs(self, measures: list[tuple[Cube, Measure]]) -> list[_Sub]:
        subs: dict[str, _Sub] = {}

        def add(cube: Cube, measure: Measure, trail: tuple[str, ...]) -> None:
            key = f"{cube.name}.{measure.name}"
            if key in trail:
                raise QueryError(f"the measure '{key}' refers to itself through {' → '.join(trail)}")
            if measure.type == "number":
                for ref_cube, ref_member in self._number_refs(cube, measure):
                    add(
                        *find_typed(self.model, f"{ref_cube}.{ref_member}", Measure, "measure"), (*trail, key)
                    )
                return
            if measure.rolling_window is not None:
                subs.setdefault(key, _Sub(cube, [measure], measure.rolling_window))
                return
            sub = subs.setdefault(cube.name, _Sub(cube))
            if measure not in sub.measures:
                sub.measures.append(measure)

        for cube, measure in measures:
            add(cube, measure, ())
        return list(subs.values())

    def _number_refs(self, cube: Cube, measure: Measure) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []

        def collect(ref_cube: str, ref_member: str) -> exp.Expr:
            found.append((ref_cube, ref_member))
            return exp.Null()

        tree = self._snippet(cube, measure.sql or "", member=collect)
        if any(isinstance(node, exp.Column) for node in tree.walk()):
            raise QueryError(
                f"the number measure '{cube.name}.{measure.name}' may only combine measures like {{revenue}}"
            )
        return found

    # --- one cube's measures at the query's grain --------------------------------------------------

    def _sub_select(
        self, sub: _Sub, dims: list[_Dim], row_filters: list[Filter], segments: list[_Segment]
    ) -> exp.Select:
        self._touched = {sub.cube.name}
        inner_cols: list[exp.Expr] = []
        for i, (ref, cube, dim) in enumerate(dims):
            inner_cols.append(exp.alias_(self._bucketed(ref, cube, dim), f"d{i}", quoted=True, copy=False))
        window_at = self._window_dimension(sub, dims) if sub.window is not None else None
        if window_at is not None:
            inner_cols.append(
                exp.alias_(self._dimension(sub.cube, dims[window_at][2]), "t", quoted=True, copy=False)
            )
        for j, measure in enumerate(sub.measures):
            inner_cols.append(
                exp.alias_(self._measure_argument(sub.cube, measure), f"m{j}", quoted=True, copy=False)
            )
        conditions = self._conditions(row_filters, segments)
        joins = self.graph.tree(sub.cube.name, sorted(self._touched - {sub.cube.name}))
        fans_out = any(edge.fans_out for edge in joins)
        inner = exp.select(*inner_cols, copy=False).from_(self._from(sub.cube), copy=False)
        if fans_out:
            key = sub.cube.primary_key
            if key is None:
                raise QueryError(
                    f"cube '{sub.cube.name}' needs a primary key dimension (primary_key: true) so its "
                    "measures are not repeated across its one-to-many join"
                )
            inner = inner.select(
                exp.alias_(self._dimension(sub.cube, key), "pk", quoted=True, copy=False), copy=False
            ).distinct(copy=False)
        inner = self._join_all(inner, joins)
        if conditions:
            inner = inner.where(exp.and_(*conditions), copy=False)
        if window_at is not None:
            return self._rolling(sub, inner, dims, window_at)
        outer_cols: list[exp.Expr] = [
            exp.alias_(column_ref(f"d{i}"), f"d{i}", quoted=True, copy=False) for i in range(len(dims))
        ]
        for j, measure in enumerate(sub.measures):
            value = self._aggregate(measure, column_ref(f"m{j}"))
            outer_cols.append(exp.alias_(value, f"{sub.cube.name}.{measure.name}", quoted=True, copy=False))
        outer = exp.select(*outer_cols, copy=False).from_(
            exp.alias_(exp.Subquery(this=inner), "rows_", quoted=True, copy=False), copy=False
        )
        if dims:
            outer = outer.group_by(*[column_ref(f"d{i}") for i in range(len(dims))], copy=False)
        return outer

    def _window_dimension(self, sub: _Sub, dims: list[_Dim]) -> int:
        """The position of the query's time dimension that a rolling measure rolls along."""
        name = f"{sub.cube.name}.{sub.measures[0].name}"
        for i, (ref, cube, _) in enumerate(dims):
            if ref.granularity and ref.granularity not in _TIME_PARTS and cube.name == sub.cube.name:
                return i
        raise QueryError(
            f"'{name}' is a rolling window; add a time dimension of '{sub.cube.name}' with a granularity "
            "(day, week, month, ...) to the query"
        )

    def _rolling(self, sub: _Sub, inner: exp.Select, dims: list[_Dim], at: int) -> exp.Select:
        assert sub.window is not None
        measure = sub.measures[0]
        return rolling_select(
            inner,
            width=len(dims),
            at=at,
            grain=dims[at][0].granularity,
            window=sub.window,
            value=self._aggregate(measure, exp.column("m0", ROWS, quoted=True)),
            name=f"{sub.cube.name}.{measure.name}",
            dialect=self.dialect,
        )

    def _dimension_select(
        self, dims: list[_Dim], row_filters: list[Filter], segments: list[_Segment]
    ) -> exp.Select:
        root = dims[0][1]
        self._touched = {root.name}
        columns = [
            exp.alias_(self._bucketed(ref, cube, dim), f"d{i}", quoted=True, copy=False)
            for i, (ref, cube, dim) in enumerate(dims)
        ]
        conditions = self._conditions(row_filters, segments)
        select = exp.select(*columns, copy=False).from_(self._from(root), copy=False)
        select = self._join_all(select, self.graph.tree(root.name, sorted(self._touched - {root.name})))
        if conditions:
            select = select.where(exp.and_(*conditions), copy=False)
        return select.group_by(*[c.this.copy() for c in columns], copy=False)

    def _combine(self, parts: list[exp.Select], dims: list[_Dim], subs: list[_Sub]) -> exp.Select:
        """Join the cubes' aggregates on the dimensions, over every dimension value any cube has."""
        names = [f"s{k}" for k in range(len(parts))]
        keys = [f"d{i}" for i in range(len(dims))]
        columns: list[exp.Expr] = [
            exp.alias_(exp.column(key, "spine", quoted=True), key, quoted=True, copy=False) for key in keys
        ]
        for name, sub in zip(names, subs, strict=True):
            for measure in sub.measures:
                member = f"{sub.cube.name}.{measure.name}"
                value: exp.Expr = exp.column(member, name, quoted=True)
                if measure.type.startswith("count"):
                    value = exp.Coalesce(this=value, expressions=[exp.Literal.number(0)])
                columns.append(exp.alias_(value, member, quoted=True, copy=False))
        if not keys:  # one row per cube: nothing to match on
            combined = exp.select(*columns, copy=False).from_(exp.to_table(names[0], quoted=True), copy=False)
            for name in names[1:]:
                combined = combined.join(exp.to_table(name, quoted=True), join_type="cross", copy=False)
        else:
            spine: exp.Expr = exp.select(*[column_ref(k) for k in keys], copy=False).from_(
                names[0], copy=False
            )
            for name in names[1:]:
                spine = exp.union(
                    spine,
                    exp.select(*[column_ref(k) for k in keys], copy=False).from_(name, copy=False),
                    distinct=True,
                )
            combined = exp.select(*columns, copy=False).from_(
                exp.alias_(exp.Subquery(this=spine), "spine", quoted=True, copy=False), copy=False
            )
            for name in names:
                on = exp.and_(
                    *[
                        exp.NullSafeEQ(
                            this=exp.column(k, "spine", quoted=True),
                            expression=exp.column(k, name, quoted=True),
                        )
                        for k in keys
                    ]
                )
                combined = combined.join(exp.to_table(name, quoted=True), on=on, join_type="left", copy=False)
        for name, part in zip(names, parts, strict=True):
            combined = combined.with_(exp.to_identifier(name, quoted=True), as_=part, copy=False)
        return combined

    # --- the answer --------------------------------------------------------------------------------

    def _final(
        self,
        query: ModelQuery,
        aggregated: exp.Select,
        dims: list[_Dim],
        requested: list[tuple[Cube, Measure]],
        measure_filters: list[Filter],
        max_rows: int,
    ) -> CompiledQuery:
        selected: list[exp.Expr] = []
        columns: list[dict[str, str]] = []
        for i, (ref, _, dim) in enumerate(dims):
            selected.append(exp.alias_(column_ref(f"d{i}"), ref.output_name, quoted=True, copy=False))
            columns.append(dimension_column(ref, dim))
        for cube, measure in requested:
            selected.append(
                exp.alias_(
                    self._measure_value(cube, measure), f"{cube.name}.{measure.name}", quoted=True, copy=False
                )
            )
            columns.append(measure_column(cube, measure))
        names = [c["name"] for c in columns]
        if len(set(names)) != len(names):
            raise QueryError("the query names the same member twice; list each member once")
        tree = exp.select(*selected, copy=False).from_(
            exp.alias_(exp.Subquery(this=aggregated), "aggregated", quoted=True, copy=False), copy=False
        )
        having = [self._filter(f, lambda c, m: self._measure_value(c, m)) for f in measure_filters]
        if having:
            tree = tree.where(exp.and_(*having), copy=False)
        ordering = self._ordering(query, names)
        if ordering:
            tree = tree.order_by(*ordering, copy=False)
        tree = tree.limit(min(query.limit or max_rows + 1, max_rows + 1), copy=False)
        if query.offset:
            tree = tree.offset(query.offset, copy=False)
        sql, ordered = _render(tree, self.dialect, self.params)
        return CompiledQuery(sql, ordered, columns, self.dialect, tree, dict(self.params.values))

    def _ordering(self, query: ModelQuery, outputs: list[str]) -> list[exp.Ordered]:
        if not query.order:
            return [
                exp.Ordered(this=column_ref(d.output_name), desc=False, nulls_first=False)
                for d in query.dimensions
            ]
        for item in query.order:
            if item.field not in outputs:
                raise QueryError(
                    f"cannot order by '{item.field}': it is not an output column ({', '.join(outputs)})"
                )
        return [
            exp.Ordered(this=column_ref(o.field), desc=o.dir == "desc", nulls_first=False)
            for o in query.order
        ]
