# SPDX-License-Identifier: MIT
"""What a rollup stores and the query that builds it: pure planning, no Django.

A rollup's file has one column per rollup dimension (`d0`, `d1`, ...), the time dimension bucketed
at the rollup's granularity (`t`) and one column per measure (`m0`, ...). An average is stored as
its sum (`m0_s`) and its count of non-empty values (`m0_c`), so it can be re-aggregated exactly. An
approximate count distinct is stored as a HyperLogLog sketch per row (`m0`, the serialised bytes of an
Apache DataSketches HLL sketch), built from the distinct values the sketch query returns, so it can be
merged into coarser grains and fewer dimensions (see `sketches.py`).
The build query is an ordinary model query over a copy of the model with those helper measures
added, so joins, fan-out safety, measure filters and dialects are exactly the raw path's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from dateutil.relativedelta import relativedelta

from chat2chart.semantic.compile import compile_model_query
from chat2chart.semantic.model import Cube, Dimension, Measure, Model
from chat2chart.semantic.preagg import PreAggregation, member_name
from chat2chart.semantic.query import DimensionRef, ModelQuery, find_typed
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.compiler import CompiledQuery, Dialect
from chat2chart.sources.semantic import Filter

StoredKind = Literal["dimension", "time", "measure", "avg_sum", "avg_count", "hll"]
_HELPER = "_rollup_"  # helper measures added to the build model; never visible to people
UNBOUNDED_ROWS = 10**12  # the file build streams every row; the cap is only the SQL's LIMIT


@dataclass(frozen=True)
class Stored:
    """One column of a rollup file: which model member it holds and how."""

    column: str
    member: str  # cube.member of the model
    kind: StoredKind
    measure_type: str | None = None


@dataclass(frozen=True)
class RollupPlan:
    """One declared rollup, resolved against its model.

    `key` is `cube.rollup`; `dimensions`, `measures` and `time_dimension` are `cube.member` names."""

    key: str
    cube: str
    declaration: PreAggregation
    dimensions: tuple[str, ...]
    measures: tuple[str, ...]
    time_dimension: str | None
    granularity: str | None
    columns: tuple[Stored, ...]
    build_model: Model
    build_query: ModelQuery
    # For each sketch column: the query of the key columns and the distinct values it counts.
    sketch_queries: tuple[tuple[str, ModelQuery], ...] = ()

    @property
    def built_columns(self) -> tuple[Stored, ...]:
        """The columns the build query returns (the sketch columns are added from their own queries)."""
        return tuple(c for c in self.columns if c.kind != "hll")

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The columns that identify a row: the dimensions and the time bucket."""
        return tuple(c.column for c in self.columns if c.kind in ("dimension", "time"))

    def column_of(self, member: str, kind: StoredKind) -> str | None:
        """The file column holding `member` as `kind`, or None when the rollup does not store it."""
        return next((c.column for c in self.columns if c.member == member and c.kind == kind), None)


@dataclass(frozen=True)
class Partition:
    """One time slice of a partitioned rollup: rows with start <= time < end."""

    key: str
    start: datetime
    end: datetime


def rollup_plans(model: Model) -> list[RollupPlan]:
    """Every rollup declared in `model`, in declaration order (the model must be valid)."""
    return [rollup_plan(model, cube, agg) for cube in model.cubes for agg in cube.pre_aggregations]


def rollup_plan(model: Model, cube: Cube, agg: PreAggregation) -> RollupPlan:
    """The columns and build query of rollup `agg` of `cube`."""
    dims = tuple(member_name(cube.name, ref) for ref in agg.dimensions)
    time = member_name(cube.name, agg.time_dimension) if agg.time_dimension else None
    columns: list[Stored] = [Stored(f"d{i}", name, "dimension") for i, name in enumerate(dims)]
    if time is not None:
        columns.append(Stored("t", time, "time"))
    build_measures: list[str] = []
    helpers: dict[str, list[Measure]] = {}
    value_dims: dict[str, list[Dimension]] = {}
    sketches: list[tuple[str, str]] = []  # (column, owner.helper dimension)
    names = tuple(member_name(cube.name, ref) for ref in agg.measures)
    for j, name in enumerate(names):
        owner, measure = find_typed(model, name, Measure, "measure")
        if measure.type == "avg":
            total = measure.model_copy(update={"name": f"{_HELPER}{j}_s", "type": "sum"})
            count = measure.model_copy(update={"name": f"{_HELPER}{j}_c", "type": "count"})
            helpers.setdefault(owner.name, []).extend([total, count])
            build_measures += [f"{owner.name}.{total.name}", f"{owner.name}.{count.name}"]
            columns += [
                Stored(f"m{j}_s", name, "avg_sum", "avg"),
                Stored(f"m{j}_c", name, "avg_count", "avg"),
            ]
        elif is_sketched(measure):
            # The distinct values themselves, grouped with the rollup's keys, become one sketch per row.
            value = Dimension(name=f"{_HELPER}{j}_v", type="string", sql=measure.sql)
            value_dims.setdefault(owner.name, []).append(value)
            sketches.append((f"m{j}", f"{owner.name}.{value.name}"))
            columns.append(Stored(f"m{j}", name, "hll", measure.type))
        else:
            build_measures.append(name)
            columns.append(Stored(f"m{j}", name, "measure", measure.type))
    cubes = [
        c.model_copy(
            update={
                "measures": [*c.measures, *helpers.get(c.name, [])],
                "dimensions": [*c.dimensions, *value_dims.get(c.name, [])],
            }
        )
        if c.name in helpers or c.name in value_dims
        else c
        for c in model.cubes
    ]
    dimension_refs = [DimensionRef(member=name) for name in dims]
    if time is not None:
        dimension_refs.append(DimensionRef(member=time, granularity=agg.granularity))
    query = ModelQuery(measures=build_measures, dimensions=dimension_refs)
    sketch_queries = tuple(
        (column, ModelQuery(dimensions=[*dimension_refs, DimensionRef(member=value)]))
        for column, value in sketches
    )
    return RollupPlan(
        key=f"{cube.name}.{agg.name}",
        cube=cube.name,
        declaration=agg,
        dimensions=dims,
        measures=names,
        time_dimension=time,
        granularity=agg.granularity,
        columns=tuple(columns),
        build_model=model.model_copy(update={"cubes": cubes}),
        build_query=query,
        sketch_queries=sketch_queries,
    )


def is_sketched(measure: Measure) -> bool:
    """An approximate count distinct of a column or expression, without a measure filter or window:
    stored in rollups as mergeable HLL sketches (a filtered one is stored as its number, at one grain)."""
    return (
        measure.type == "count_distinct_approx"
        and measure.sql is not None
        and not measure.filters
        and measure.rolling_window is None
    )


def compile_build(
    plan: RollupPlan,
    dialect: Dialect,
    *,
    tables: dict[str, TableInfo] | None = None,
    schema: str | None = None,
    max_rows: int = UNBOUNDED_ROWS,
    partition: Partition | None = None,
) -> CompiledQuery:
    """The SELECT whose rows are the rollup (or one partition of it), columns in `plan.columns` order."""
    query = plan.build_query
    if partition is not None:
        assert plan.time_dimension is not None
        bounds = [
            Filter(field=plan.time_dimension, op="gte", value=partition.start.isoformat(sep=" ")),
            Filter(field=plan.time_dimension, op="lt", value=partition.end.isoformat(sep=" ")),
        ]
        query = query.model_copy(update={"filters": bounds})
    compiled = compile_model_query(
        plan.build_model, query, dialect, tables=tables, schema=schema, max_rows=max_rows
    )
    if len(compiled.columns) != len(plan.built_columns):
        raise AssertionError("the build query's columns do not match the rollup's layout")
    return compiled


def compile_sketch_values(
    plan: RollupPlan,
    column: str,
    dialect: Dialect,
    *,
    tables: dict[str, TableInfo] | None = None,
    schema: str | None = None,
    max_rows: int = UNBOUNDED_ROWS,
    partition: Partition | None = None,
) -> CompiledQuery:
    """The SELECT of the key columns and each distinct value the sketch column `column` counts (one
    row per key and value), for the rollup or one partition of it."""
    query = dict(plan.sketch_queries)[column]
    if partition is not None:
        assert plan.time_dimension is not None
        bounds = [
            Filter(field=plan.time_dimension, op="gte", value=partition.start.isoformat(sep=" ")),
            Filter(field=plan.time_dimension, op="lt", value=partition.end.isoformat(sep=" ")),
        ]
        query = query.model_copy(update={"filters": bounds})
    return compile_model_query(
        plan.build_model, query, dialect, tables=tables, schema=schema, max_rows=max_rows
    )


def definition_hash(
    plan: RollupPlan,
    dialect: Dialect,
    *,
    tables: dict[str, TableInfo] | None = None,
    schema: str | None = None,
) -> str:
    """A fingerprint of everything the rollup's rows depend on in the model: its build SQL.

    A model change that alters any member, join or table the rollup reads changes it; a change
    elsewhere in the model does not, so that rollup stays valid."""
    compiled = compile_build(plan, dialect, tables=tables, schema=schema)
    parts = [compiled.sql, repr(compiled.params), repr([c.column for c in plan.columns])]
    for column, _ in plan.sketch_queries:
        sketch = compile_sketch_values(plan, column, dialect, tables=tables, schema=schema)
        parts += [sketch.sql, repr(sketch.params)]
    text = "\n".join(parts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


_STEP: dict[str, relativedelta] = {
    "hour": relativedelta(hours=1),
    "day": relativedelta(days=1),
    "week": relativedelta(weeks=1),
    "month": relativedelta(months=1),
    "quarter": relativedelta(months=3),
    "year": relativedelta(years=1),
}


def period_start(moment: datetime, grain: str) -> datetime:
    """The start of the `grain` bucket holding `moment` (weeks start on Monday, as DATE_TRUNC does)."""
    moment = moment.replace(minute=0, second=0, microsecond=0, tzinfo=None)
    if grain == "hour":
        return moment
    moment = moment.replace(hour=0)
    if grain == "week":
        return moment - timedelta(days=moment.weekday())
    if grain == "month":
        return moment.replace(day=1)
    if grain == "quarter":
        return moment.replace(day=1, month=(moment.month - 1) // 3 * 3 + 1)
    if grain == "year":
        return moment.replace(day=1, month=1)
    return moment


def partitions_between(first: datetime, last: datetime, grain: str) -> list[Partition]:
    """The `grain` partitions covering first..last (both included), oldest first."""
    start = period_start(first, grain)
    found: list[Partition] = []
    while start <= last.replace(tzinfo=None):
        end = start + _STEP[grain]
        found.append(Partition(key=start.strftime("%Y%m%dT%H"), start=start, end=end))
        start = end
    return found
