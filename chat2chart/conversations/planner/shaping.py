# SPDX-License-Identifier: MIT
"""Stage 3 of the rule planner, for a fresh question: the grounded reading (stage 2) becomes a Shape.

Roles follow the words first (an aggregation word makes a measure, "by"/"per"/"for each" a dimension,
"colour by"/"facet by" a series) and the column's kind second: text, dates, years and integers with few
values group; other numbers are measured, or plotted raw when two of them are related ("X vs Y").
Follow-ups edit the previous plan's Shape instead (`followups.py`); `stages.decide` picks which.
"""

from __future__ import annotations

from datetime import date

from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.semantic import Measure

from .grounding import tokenize
from .models import PlanTurn
from .reading import Mention, Reading
from .shape import Dim, Shape, default_agg, time_column

_GROUPING_KINDS = frozenset({"time", "category", "discrete"})


def carry_grouping(shape: Shape, previous: PlanTurn) -> None:
    """ "Group by origin", then "plot year by average horsepower": the grouping set first stays."""
    words = tokenize(previous.question)[:2]
    counts_only = all(m.agg == "count" and m.field is None for m in previous.plan.query.measures)
    if not (words and words[0] in ("group", "grouped", "split", "segment", "facet") and counts_only):
        return
    if shape.kind == "histogram":
        return
    for dim in previous.plan.query.dimensions:
        if dim.field not in shape.dim_fields():
            shape.dims.append(Dim(dim.field, role="series"))


def shape_from_reading(reading: Reading, table: TableInfo, now: date) -> Shape:
    """The shape of a fresh question: measures, dimensions, filters and ordering."""
    shape = Shape(rank=reading.rank, sort=reading.sort, bins=dict(reading.bins))
    mentions = _merged(reading)
    filtered_only = {f.field for f in reading.numeric_filters}
    others = [m for m in reading.mentions if m.column not in filtered_only and (m.agg or m.kind == "numeric")]
    if not (others or reading.count_rows):
        filtered_only = set()  # "revenue over 1000 by country": the filtered column is also the measure
    measures: list[Measure] = []
    dims: list[tuple[Mention, str]] = []
    raw: list[Mention] = []
    for mention in mentions:
        if mention.role == "filter" or (mention.kind == "key" and not mention.agg):
            continue  # one row per key: "for each model" names the rows, not a grouping
        if mention.column in filtered_only and not (mention.agg or mention.role or mention.axis):
            continue
        if mention.agg and (mention.kind in ("numeric", "discrete") or mention.agg == "count_distinct"):
            measures.append(Measure(field=mention.column, agg=mention.agg))  # type: ignore[arg-type]
        elif mention.counted and mention.kind == "numeric" and default_agg(mention.column, table) == "sum":
            measures.append(Measure(field=mention.column, agg="sum"))
        elif mention.kind in _GROUPING_KINDS:
            dims.append((mention, mention.role or "group"))
        else:
            raw.append(mention)
    _apply_free_aggs(reading, measures, raw, table)
    if _is_scatter(reading, raw, measures, dims):
        return _scatter(shape, reading, raw, dims, table, now)
    if raw and reading.count_rows and not measures and not [d for d in dims if d[0].kind != "time"]:
        shape.kind = "histogram"
        shape.dims = [Dim(raw[0].column)] + [Dim(m.column, role="series") for m, _ in dims]
        shape.measures = [Measure(agg="count", alias="count")]
        _finish_filters(shape, reading)
        return shape
    if len(raw) == 1 and not measures and not dims and _wants_distribution(reading, raw[0], table):
        shape.kind = "histogram"
        shape.dims = [Dim(raw[0].column)]
        shape.measures = [Measure(agg="count", alias="count")]
        _finish_filters(shape, reading)
        return shape
    for mention in raw:
        agg = reading.free_aggs[0] if reading.free_aggs else default_agg(mention.column, table)
        measures.append(Measure(field=mention.column, agg=agg))  # type: ignore[arg-type]
    if reading.count_rows and (not measures or reading.rank):
        measures.insert(0, Measure(agg="count"))
    if not measures and dims:
        measures.append(Measure(agg="count"))
    shape.measures = measures
    shape.dims = [Dim(m.column, role=role) for m, role in _ordered_dims(dims, reading)]
    _add_time_axis(shape, reading, table)
    _finish_filters(shape, reading)
    _value_dimensions(shape, reading)
    if reading.cues & {"composition"}:
        shape.intent_hint = "composition"
    if not shape.measures and not shape.dims:
        shape.measures = [Measure(agg="count")]
    return shape


def _merged(reading: Reading) -> list[Mention]:
    """One mention per column: the first, with the strongest role, aggregation and axis found for it."""
    merged: dict[str, Mention] = {}
    for mention in reading.mentions:
        if mention.counted and mention.kind == "key":
            continue
        first = merged.get(mention.column)
        if first is None:
            merged[mention.column] = Mention(**vars(mention))
            continue
        first.agg = first.agg or mention.agg
        first.axis = first.axis or mention.axis
        first.counted = first.counted or mention.counted
        if mention.role in ("series", "facet") or first.role in ("", "filter"):
            first.role = mention.role or first.role
    return list(merged.values())


def _apply_free_aggs(reading: Reading, measures: list[Measure], raw: list[Mention], table: TableInfo) -> None:
    # "the average for each cylinder count of mpg": an aggregation word whose column is elsewhere.
    if not reading.free_aggs or raw or not measures:
        return
    agg = reading.free_aggs[0]
    for i, measure in enumerate(measures):
        if measure.field and measure.agg == default_agg(measure.field, table):
            measures[i] = Measure(field=measure.field, agg=agg)  # type: ignore[arg-type]


def _is_scatter(
    reading: Reading, raw: list[Mention], measures: list[Measure], dims: list[tuple[Mention, str]]
) -> bool:
    if measures or reading.count_rows:
        return False
    if len(raw) >= 2:
        return not _compares_totals(reading, raw, dims)
    if reading.chart in ("scatter", "bubble") and len(raw) == 1:
        return any(m.kind == "discrete" for m, _ in dims)
    return False


def _compares_totals(reading: Reading, raw: list[Mention], dims: list[tuple[Mention, str]]) -> bool:
    """ "Compare revenue and cost by region": two measures side by side per group, not a scatter of rows."""
    if not dims or "relation" in reading.cues:
        return False
    if not {"compare", "comparing", "comparison"} & set(reading.tokens):
        return False
    first, second = sorted(raw[:2], key=lambda m: m.start)
    return reading.tokens[first.end : second.start] in (["and"], ["with"], ["to"])


def _scatter(
    shape: Shape,
    reading: Reading,
    raw: list[Mention],
    dims: list[tuple[Mention, str]],
    table: TableInfo,
    now: date,
) -> Shape:
    shape.kind = "scatter"
    numeric = list(raw) + [m for m, _ in dims if m.kind == "discrete" and len(raw) < 2]
    first, second = numeric[0], numeric[1]
    # "Y vs X", "Y by X": the first named is y unless the question names the axes.
    if first.axis == "x" or second.axis == "y":
        x, y = first, second
    else:
        x, y = second, first
    pair = [x, y]
    shape.dims = [Dim(x.column, role="x"), Dim(y.column, role="y")]
    for mention, role in dims:
        if mention in pair:
            continue
        shape.dims.append(Dim(mention.column, role="facet" if role == "facet" else "series"))
    shape.rank = None
    _finish_filters(shape, reading)
    _value_dimensions(shape, reading)
    return shape


def _wants_distribution(reading: Reading, mention: Mention, table: TableInfo) -> bool:
    if reading.chart == "histogram":
        return True
    if reading.time.granularity:
        return False
    if reading.free_aggs or mention.agg:
        return False
    if "distribution" in reading.cues or reading.chart in ("histogram", "bar", "column", "boxplot"):
        return True
    if "trend" in reading.cues or reading.chart in ("line", "area", "kpi"):
        return False
    # An additive quantity alone reads as its total; anything else (a weight, a price) as its spread.
    return default_agg(mention.column, table) != "sum"


def _ordered_dims(dims: list[tuple[Mention, str]], reading: Reading) -> list[tuple[Mention, str]]:
    trend = "trend" in reading.cues or reading.chart in ("line", "area", "multi_line", "stacked_area")

    def rank(item: tuple[Mention, str]) -> tuple[int, int]:
        mention, role = item
        if mention.axis == "x":
            return (0, mention.start)
        if role == "facet":
            return (4, mention.start)  # small multiples are the outermost grouping, never the x axis
        if role == "series" or mention.axis == "y":
            return (3, mention.start)
        if trend and mention.kind == "time":
            return (1, mention.start)
        return (2, mention.start)

    ordered = sorted(dims, key=rank)
    result: list[tuple[Mention, str]] = []
    for position, (mention, role) in enumerate(ordered):
        if position == 0:
            role = "group"
        elif role == "group":
            role = "series"
        result.append((mention, role))
    return result


def _add_time_axis(shape: Shape, reading: Reading, table: TableInfo) -> None:
    """Put the time column first when the words ask for time (a line chart word: when nothing is grouped)."""
    spans_years = any(
        p.kind == "between" and p.first is not None and p.first.unit == "year" for p in reading.time.periods
    )
    line_word = reading.chart in ("line", "area", "multi_line", "stacked_area") and not shape.dims
    wants_time = (
        spans_years
        or line_word
        or "trend" in reading.cues
        or reading.time.granularity is not None
        or reading.time.compare_previous_year
    )
    column = time_column(table)
    if column is None:
        return
    existing = next((d for d in shape.dims if d.field == column), None)
    if existing is None and not wants_time:
        return
    shape.compare_previous_year = reading.time.compare_previous_year
    if existing is not None:
        shape.dims.remove(existing)
    shape.dims.insert(0, Dim(column, existing.granularity if existing else None, "group"))
    for dim in shape.dims[1:]:
        dim.role = dim.role if dim.role == "facet" else "series"
    if reading.time.granularity:
        shape.dims[0].granularity = reading.time.granularity


def _finish_filters(shape: Shape, reading: Reading) -> None:
    # Bound once, in stage 2 (`stages.ground`): numeric conditions, values asked for or left out, periods.
    shape.filters = list(reading.filters)


def _value_dimensions(shape: Shape, reading: Reading) -> None:
    """Several values of one column compared ("USA, Japan and Europe") also group by that column."""
    counts: dict[str, int] = {}
    for value in reading.values:
        if value.start in reading.negated:
            continue  # "excluding USA and Japan" compares nothing
        counts[value.column] = counts.get(value.column, 0) + 1
    for column, count in counts.items():
        if count >= 2 and column not in shape.dim_fields():
            role = "group" if shape.kind == "aggregate" and not shape.dims else "series"
            shape.dims.append(Dim(column, role=role))
