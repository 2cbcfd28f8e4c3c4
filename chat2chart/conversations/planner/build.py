# SPDX-License-Identifier: MIT
"""Finishing a plan: a Shape becomes the SemanticQuery, the chart choice, the encoding and the explanation."""

from __future__ import annotations

from datetime import date
from typing import Any

from chat2chart.charts.grain import default_grain, default_grain_between
from chat2chart.sources.catalogue import ColumnInfo, TableInfo
from chat2chart.sources.semantic import Dimension, Filter, OrderBy, SemanticQuery

from .charting import choose_chart, is_time_dimension, recommendations, result_columns
from .explain import explain, title
from .models import Plan
from .reading import Reading
from .shape import SCATTER_LIMIT, Shape
from .timephrases import compare_start


def build_plan(
    shape: Shape,
    table: TableInfo,
    *,
    source_id: int,
    reading: Reading | None,
    now: date,
    explicit_chart: str | None = None,
) -> Plan:
    """The Plan for a finished shape; `explicit_chart` carries a chart word over from a follow-up."""
    for dim in shape.dims:
        column = table.column(dim.field)
        if dim.granularity and column is not None and not column.is_temporal:
            dim.granularity = None  # an integer year column groups by its own values: it is the year
    _auto_granularity(shape, table)
    query = _query(shape, table, source_id, now)
    intent = _intent(shape, table)
    names = [d.output_name for d in query.dimensions] + shape.output_measures()
    columns = result_columns(shape, table, names)
    recommended = recommendations(columns, intent, table.row_count)
    word = reading.chart if reading and reading.chart else explicit_chart
    chart = choose_chart(shape, intent, word, table, recommended)
    alternatives = [c for c in recommended if c != chart][:4]
    if chart in ("pie", "donut", "half_donut", "rose", "treemap", "sunburst"):
        intent = "composition"
    return Plan(
        intent=intent,  # type: ignore[arg-type]
        query=query,
        chart_type=chart,
        chart_options=_options(shape, chart),
        encoding=_encoding(shape, names, chart),
        hints=_hints(shape),
        explanation=explain(shape) + _period_note(reading) + _related_note(reading),
        title=title(shape),
        alternatives=alternatives,
        planner="rules",
    )


def _related_note(reading: Reading | None) -> str:
    # A word read by meaning rather than by name is an assumption: say it, so a wrong guess is seen.
    if reading is None:
        return ""
    readings = [
        f"\u201c{' '.join(reading.tokens[m.start : m.end])}\u201d as {m.column}"
        for m in reading.mentions
        if m.via == "related"
    ]
    return f" Read {', '.join(readings)} (the closest columns in meaning)." if readings else ""


def _period_note(reading: Reading | None) -> str:
    # "March" when the data stops before this year's March: say which March was taken.
    if reading is None or not reading.period_notes:
        return ""
    return f" ({'; '.join(reading.period_notes)})"


def _auto_granularity(shape: Shape, table: TableInfo) -> None:
    for dim in shape.dims:
        column = table.column(dim.field)
        if column is None or not column.is_temporal or dim.granularity:
            continue
        if shape.kind != "aggregate":
            continue
        dim.granularity = _granularity_for_span(column, shape.filters)  # type: ignore[assignment]


def _granularity_for_span(column: ColumnInfo, filters: list[Filter]) -> str:
    # A rolling window says how fine to cut; otherwise the sampled span of the column does.
    for flt in filters:
        if flt.field == column.name and flt.op in ("last_n", "previous_n", "this_period", "previous_period"):
            unit = flt.unit or "month"
            days = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}[unit]
            return default_grain(days * (flt.value if isinstance(flt.value, int) else 1))
        if flt.field == column.name and flt.op == "between" and isinstance(flt.value, list):
            try:
                start, end = (date.fromisoformat(str(v)[:10]) for v in flt.value)
            except ValueError:
                continue
            return default_grain_between(start, end)
    dates = sorted(str(s)[:10] for s in column.samples if s is not None)
    try:
        sampled = (date.fromisoformat(dates[-1]) - date.fromisoformat(dates[0])).days if len(dates) > 1 else 0
    except ValueError:
        sampled = 0
    # Samples may all come from the first rows of a sorted file; the number of distinct days is a floor
    # on the span that does not depend on where the samples were taken.
    span = max(sampled, column.distinct_count or 0 if column.type == "date" else 0)
    if span == 0:
        return "month"
    return default_grain(span)


def _query(shape: Shape, table: TableInfo, source_id: int, now: date) -> SemanticQuery:
    dims = [Dimension(field=d.field, granularity=d.granularity) for d in shape.dims]  # type: ignore[arg-type]
    filters = list(shape.filters)
    if shape.compare_previous_year and dims:
        column = table.column(dims[0].field)
        if column is not None and column.is_temporal:
            grain = dims[0].granularity if dims[0].granularity not in (None, "year") else "month"
            part = {"month": "month_of_year", "day": "month_of_year", "week": "month_of_year"}.get(
                grain or "month", grain or "month_of_year"
            )
            dims = [
                Dimension(field=column.name, granularity=part),  # type: ignore[arg-type]
                Dimension(field=column.name, granularity="year"),
                *dims[1:],
            ]
            filters.append(Filter(field=column.name, op="gte", value=compare_start(now)))
    order: list[OrderBy] = []
    limit: int | None = None
    measure_names = shape.output_measures()
    if shape.kind == "scatter":
        limit = SCATTER_LIMIT
    elif shape.rank and measure_names:
        direction, n = shape.rank
        order = [OrderBy(field=measure_names[0], dir=direction)]  # type: ignore[arg-type]
        limit = n
    elif shape.sort and measure_names and dims and not is_time_dimension(shape, table):
        order = [OrderBy(field=measure_names[0], dir=shape.sort)]  # type: ignore[arg-type]
    return SemanticQuery(
        source=source_id,
        table=table.name,
        measures=list(shape.measures),
        calculations=list(shape.calculations),
        dimensions=dims,
        filters=filters,
        order=order,
        limit=limit,
    )


_CYCLIC_PARTS = frozenset({"weekday", "month_of_year", "hour_of_day"})


def _intent(shape: Shape, table: TableInfo) -> str:
    if shape.kind == "scatter":
        return "relationship"
    if shape.kind == "histogram":
        return "distribution"
    if not shape.dims:
        return "lookup"
    if shape.rank:
        return "ranking"
    cyclic = bool(shape.dims) and shape.dims[0].granularity in _CYCLIC_PARTS
    if shape.compare_previous_year or (is_time_dimension(shape, table) and not cyclic):
        # A weekday or month of the year is a set of buckets to compare, not a line through time.
        return "trend"
    if shape.intent_hint == "composition":
        return "composition"
    return "comparison"


def _options(shape: Shape, chart: str) -> dict[str, Any]:
    """Options valid for the chart engine's ChartOptions."""
    options: dict[str, Any] = {}
    if shape.rank and chart not in ("line", "multi_line", "area"):
        options["sort"] = shape.rank[0]
    elif shape.sort:
        options["sort"] = shape.sort
    return options


def _encoding(shape: Shape, names: list[str], chart: str) -> dict[str, Any]:
    """Where each result column goes, in the chart spec's encoding vocabulary."""
    dims = names[: len(shape.dims)]
    measures = names[len(shape.dims) :]
    if shape.kind == "scatter":
        encoding: dict[str, Any] = {"x": dims[0], "y": [dims[1]]}
        if len(dims) > 2:
            encoding["series"] = dims[2]
        return encoding
    if shape.kind == "histogram":
        return {"value": dims[0]}
    if not dims:
        return {"value": measures[0]} if measures else {}
    if chart in ("pie", "donut", "half_donut", "rose", "funnel"):
        return {"label": dims[0], "value": measures[0]}
    encoding = {"x": dims[0], "y": measures}
    if len(dims) > 1:
        encoding["series"] = dims[1]
    return encoding


def _hints(shape: Shape) -> dict[str, Any]:
    """What the chart spec has no slot for: small multiples and histogram bins."""
    hints: dict[str, Any] = {}
    facets = [d.field for d in shape.dims if d.role == "facet"]
    if facets:
        hints["facet"] = facets[0]
    if shape.kind == "histogram":
        hints["weight"] = "count"
        hints.update(shape.bins)
    return hints
