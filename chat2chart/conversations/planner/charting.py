# SPDX-License-Identifier: MIT
"""Choosing the chart: chart words in the question win, then the chart engine's recommendation for the
result's shape, then the planner's own defaults (used when the chart engine cannot be loaded).
"""

from __future__ import annotations

from typing import Any

from chat2chart.core.errors import ChartError
from chat2chart.sources.catalogue import TableInfo

from .grounding import column_kind
from .shape import Shape

BAR_FAMILY = frozenset(
    {
        "bar",
        "column",
        "grouped_bar",
        "grouped_column",
        "stacked_bar",
        "stacked_column",
        "stacked_column_100",
        "stacked_bar_100",
        "ranked_bar",
        "pareto",
        "lollipop",
        "pictorial_bar",
        "polar_bar",
    }
)
LINE_FAMILY = frozenset(
    {
        "line",
        "multi_line",
        "step_line",
        "smooth_line",
        "area",
        "stacked_area",
        "stacked_area_100",
        "sparkline",
    }
)
SCATTER_FAMILY = frozenset({"scatter", "bubble", "effect_scatter", "scatter_regression"})
_SLICES = frozenset({"pie", "donut", "half_donut", "rose", "funnel"})
_MANY_CATEGORIES = 12


def result_columns(shape: Shape, table: TableInfo, output_names: list[str]) -> list[dict[str, Any]]:
    """The query result's columns as the chart engine wants them: name, type, role, cardinality.

    `output_names` are the query's output names, dimensions first then measures, in query order.
    """
    columns: list[dict[str, Any]] = []
    for dim, name in zip(shape.dims, output_names, strict=False):
        info = table.column(dim.field)
        kind = info.type if info else "text"
        if dim.granularity in ("weekday", "month_of_year", "hour_of_day"):
            kind = "integer"
        raw_value = shape.kind == "scatter" and dim.role in ("x", "y")
        raw_value = raw_value or (shape.kind == "histogram" and dim is shape.dims[0])
        columns.append(
            {
                "name": name,
                "type": kind,
                "role": "measure" if raw_value else "dimension",
                "cardinality": info.distinct_count if info else None,
            }
        )
    visible = [m for m in shape.measures if not m.hidden]
    for measure, name in zip(visible, output_names[len(shape.dims) :], strict=False):
        if shape.kind == "histogram":
            continue  # the count weights the histogram's bins; it is not a second value
        kind = "integer" if measure.agg in ("count", "count_distinct") else "decimal"
        columns.append({"name": name, "type": kind, "role": "measure", "cardinality": None})
    for calculation in shape.calculations:
        columns.append(
            {"name": calculation.output_name, "type": "decimal", "role": "measure", "cardinality": None}
        )
    return columns


def recommendations(columns: list[dict[str, Any]], intent: str, row_count: int | None) -> list[str]:
    """Chart ids from the chart engine, best first; empty when it cannot be loaded or refuses."""
    try:
        from chat2chart.charts.recommend import recommend
    except ImportError:
        return []
    try:
        ranked = recommend(columns, intent=None if intent == "lookup" else intent, row_count=row_count)
    except (ChartError, ValueError, KeyError, TypeError):
        return []
    return [r.chart_type for r in ranked]


def choose_chart(
    shape: Shape, intent: str, explicit: str | None, table: TableInfo, recommended: list[str]
) -> str:
    """The chart type id for the plan."""
    if explicit:
        chosen = _explicit(explicit, shape, recommended)
        if chosen:
            return chosen
    return _default(shape, intent, table, recommended)


def _series(shape: Shape) -> bool:
    return shape.kind == "aggregate" and len(shape.dims) >= 2


def _default(shape: Shape, intent: str, table: TableInfo, recommended: list[str]) -> str:
    if shape.kind == "scatter":
        return "scatter"
    if shape.kind == "histogram":
        return "histogram"
    if not shape.dims:
        return "kpi" if len(shape.output_measures()) == 1 else "table"
    if intent == "trend":
        return "multi_line" if _series(shape) or len(shape.output_measures()) > 1 else "line"
    allowed = {
        "comparison": BAR_FAMILY | {"heatmap"},
        "ranking": BAR_FAMILY,
        "composition": BAR_FAMILY | _SLICES | {"treemap", "sunburst", "marimekko"},
    }.get(intent, BAR_FAMILY)
    for chart in recommended:
        if chart in allowed:
            return chart
    first = table.column(shape.dims[0].field)
    many = bool(first and first.distinct_count and first.distinct_count > _MANY_CATEGORIES)
    if _series(shape):
        return "stacked_column" if intent == "composition" else "grouped_column"
    if intent == "composition" and not many:
        return "donut"
    return "bar" if many else "column"


def _explicit(word: str, shape: Shape, recommended: list[str]) -> str | None:  # noqa: C901 - a lookup table
    series = _series(shape)
    if word == "histogram":
        if shape.kind == "histogram" or shape.kind == "scatter":
            return "histogram" if shape.kind == "histogram" else None
        # A "histogram" of categories is a bar chart of their counts.
        return ("stacked_column" if series else "column") if shape.dims else None
    if word in BAR_FAMILY:
        if shape.kind == "histogram" and not series:
            return "histogram"
        if shape.kind == "scatter" or not shape.dims:
            return None
        horizontal = word.endswith("bar")
        if series and word in ("bar", "column"):
            return "grouped_bar" if horizontal else "grouped_column"
        if not series and word.startswith(("stacked", "grouped")):
            return "bar" if horizontal else "column"
        return word
    if word in LINE_FAMILY:
        if shape.kind != "aggregate" or not shape.dims:
            return None
        if word == "line" and series:
            return "multi_line"
        return word
    if word in SCATTER_FAMILY:
        return word if shape.kind == "scatter" else None
    if word in _SLICES:
        return (
            word
            if shape.kind == "aggregate" and len(shape.dims) == 1 and len(shape.output_measures()) == 1
            else None
        )
    if word == "kpi":
        return "kpi" if not shape.dims else None
    if word == "table":
        return "table"
    return word if word in recommended else None


def is_time_dimension(shape: Shape, table: TableInfo) -> bool:
    if not shape.dims:
        return False
    column = table.column(shape.dims[0].field)
    return column is not None and column_kind(column, table.row_count) == "time"
