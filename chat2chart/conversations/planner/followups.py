# SPDX-License-Identifier: MIT
"""Follow-up questions: "now by region", "only 2024", "as a pie", "top 10 instead", "what about revenue?",
"and for Europe?", "colour by origin" change the previous plan instead of starting a new one.

A question that names a measure and a grouping of its own starts fresh; anything shorter edits the last plan.
"""

from __future__ import annotations

from datetime import date

from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.semantic import Filter, Measure

from .models import Plan
from .reading import Mention, Reading
from .shape import Dim, Shape, default_agg, time_column

_FOLLOW_WORDS = frozenset(
    {
        "now",
        "and",
        "instead",
        "only",
        "just",
        "as",
        "same",
        "add",
        "also",
        "but",
        "then",
        "switch",
        "change",
        "color",
        "colour",
        "coloring",
        "colouring",
        "stack",
        "facet",
        "faceting",
        "split",
        "segregate",
        "break",
        "compare",
        "remove",
        "drop",
        "without",
        "again",
        "group",
        "separate",
        "by",
        "per",
        "filter",
        "exclude",
        "include",
        "sort",
        "order",
        "limit",
    }
)
# Two-word openers that always lean on the previous answer ("what about revenue?", "how about 2024?").
_FOLLOW_OPENERS = frozenset(
    {
        ("what", "about"),
        ("how", "about"),
        ("what", "if"),
        ("show", "only"),
        ("make", "it"),
        ("use", "a"),
        ("set", "the"),
    }
)
_REPLACE_WORDS = frozenset({"now", "instead", "rather", "switch", "change", "replace"})
_ADD_WORDS = frozenset(
    {
        "add",
        "also",
        "color",
        "colour",
        "coloring",
        "colouring",
        "stack",
        "stacked",
        "split",
        "segregate",
        "break",
        "facet",
        "faceting",
        "separate",
        "legend",
        "group",
    }
)
_GROUPING_KINDS = frozenset({"time", "category", "discrete"})


def follow_up(reading: Reading, previous: Plan, table: TableInfo, now: date) -> Shape | None:
    """The previous plan's shape changed by this question, or None when the question stands alone."""
    if _stands_alone(reading):
        return None
    shape = shape_from_plan(previous, table)
    _change_measures(shape, reading, table)
    _change_dims(shape, reading, table)
    _change_filters(shape, reading, table, now)
    if reading.rank:
        shape.rank = reading.rank
    if reading.sort:
        shape.sort = reading.sort
    if reading.bins:
        shape.bins.update(reading.bins)
    if reading.time.compare_previous_year:
        shape.compare_previous_year = True
        _ensure_time_axis(shape, table)
    if reading.time.granularity or "trend" in reading.cues:
        _ensure_time_axis(shape, table)
        if reading.time.granularity and shape.dims:
            shape.dims[0].granularity = reading.time.granularity
    if shape.kind == "aggregate" and not shape.measures:
        shape.measures = [Measure(agg="count")]
    return shape


def _stands_alone(reading: Reading) -> bool:
    columns = reading.columns()
    opener = tuple(reading.tokens[:2])
    if opener in _FOLLOW_OPENERS:
        return False
    if reading.tokens and reading.tokens[0] in _FOLLOW_WORDS and len(reading.tokens) <= 8:
        return False
    measured = any(m.agg or m.kind == "numeric" for m in reading.mentions) or reading.count_rows
    if not measured:
        return False
    return (
        len(columns) >= 2
        or (len(columns) == 1 and reading.time.granularity is not None)
        or reading.count_rows
        or reading.chart is not None
        or bool(reading.cues & {"distribution", "trend"})
    )


def shape_from_plan(plan: Plan, table: TableInfo) -> Shape:
    """Rebuild the working shape of an earlier plan (its query, chart and hints)."""
    query = plan.query
    facet = plan.hints.get("facet")
    kind = {"relationship": "scatter", "distribution": "histogram"}.get(plan.intent, "aggregate")
    dims: list[Dim] = []
    seen: set[str] = set()
    for position, dim in enumerate(query.dimensions):
        if dim.field in seen:
            continue  # a this-year-vs-last-year pair of the same date column
        seen.add(dim.field)
        if kind == "scatter" and position < 2:
            role = "x" if position == 0 else "y"
        elif dim.field == facet:
            role = "facet"
        else:
            role = "group" if not dims else "series"
        dims.append(Dim(dim.field, dim.granularity, role))
    compare = len(query.dimensions) >= 2 and query.dimensions[0].field == query.dimensions[1].field
    if compare:
        dims[0].granularity = None
    rank = None
    if query.order and query.measures and query.order[0].field == query.measures[0].output_name:
        rank = (query.order[0].dir, query.limit)
    time_name = time_column(table)
    filters = [f for f in query.filters if not (compare and f.field == time_name and f.op == "gte")]
    bins = {k: v for k, v in plan.hints.items() if k in ("bins", "bin_width")}
    return Shape(
        kind=kind,
        measures=list(query.measures),
        dims=dims,
        filters=filters,
        rank=rank,
        compare_previous_year=compare,
        bins=bins,
    )


def _new_measure(mention: Mention, reading: Reading, table: TableInfo) -> Measure | None:
    if mention.agg and (mention.kind in ("numeric", "discrete") or mention.agg == "count_distinct"):
        return Measure(field=mention.column, agg=mention.agg)  # type: ignore[arg-type]
    if mention.kind == "numeric":
        agg = reading.free_aggs[0] if reading.free_aggs else default_agg(mention.column, table)
        return Measure(field=mention.column, agg=agg)  # type: ignore[arg-type]
    return None


def _change_measures(shape: Shape, reading: Reading, table: TableInfo) -> None:
    filtered = {f.field for f in reading.numeric_filters}
    fresh = [
        m
        for m in (_new_measure(x, reading, table) for x in reading.mentions if x.column not in filtered)
        if m is not None
    ]
    if shape.kind == "scatter":
        for measure in fresh[:1]:
            if measure.field and measure.field not in shape.dim_fields():
                shape.dims[1] = Dim(measure.field, role="y")
        return
    if fresh:
        shape.kind = "aggregate"
        shape.measures = fresh
    elif reading.count_rows and shape.kind == "aggregate":
        shape.measures = [Measure(agg="count")]
    elif reading.free_aggs and shape.kind == "aggregate":
        agg = reading.free_aggs[0]
        shape.measures = [
            Measure(field=m.field, agg=agg) if m.field else m  # type: ignore[arg-type]
            for m in shape.measures
        ]


def _change_dims(shape: Shape, reading: Reading, table: TableInfo) -> None:
    tokens = set(reading.tokens)
    replacing = bool(tokens & _REPLACE_WORDS) and not tokens & _ADD_WORDS
    for mention in reading.mentions:
        if mention.kind not in _GROUPING_KINDS or mention.agg:
            continue
        if any(v.column == mention.column for v in reading.values):
            continue
        existing = next((d for d in shape.dims if d.field == mention.column), None)
        if existing is not None:
            if mention.role in ("series", "facet") and existing is not shape.dims[0]:
                existing.role = mention.role
            continue
        if shape.kind == "histogram":
            shape.dims.append(Dim(mention.column, role=mention.role if mention.role == "facet" else "series"))
        elif replacing and shape.dims and shape.kind == "aggregate":
            shape.dims[0] = Dim(mention.column)
        elif shape.dims or shape.kind == "scatter":
            role = "facet" if mention.role == "facet" else "series"
            shape.dims.append(Dim(mention.column, role=role))
        else:
            shape.dims.append(Dim(mention.column))


def _change_filters(shape: Shape, reading: Reading, table: TableInfo, now: date) -> None:
    if {"remove", "clear", "drop", "without"} & set(reading.tokens) and "filter" in " ".join(reading.tokens):
        shape.filters = []
    new: list[Filter] = list(reading.filters)  # bound in stage 2 (`stages.ground`)
    time_name = time_column(table)
    replaced = {(f.field, f.op in ("gt", "gte", "lt", "lte")) for f in new}
    kept = [f for f in shape.filters if (f.field, f.op in ("gt", "gte", "lt", "lte")) not in replaced]
    if time_name and any(f.field == time_name for f in new):
        kept = [f for f in kept if f.field != time_name]
    shape.filters = kept + new


def _ensure_time_axis(shape: Shape, table: TableInfo) -> None:
    column = time_column(table)
    if column is None or shape.kind != "aggregate":
        return
    if column in shape.dim_fields():
        dim = next(d for d in shape.dims if d.field == column)
        shape.dims.remove(dim)
        shape.dims.insert(0, Dim(column, dim.granularity))
    else:
        shape.dims.insert(0, Dim(column))
    for dim in shape.dims[1:]:
        if dim.role == "group":
            dim.role = "series"
