# SPDX-License-Identifier: MIT
"""Rank the chart types that fit a query result, best first.

Only types whose data needs are met are returned (counts of dimensions and numeric measures within
the type's slots, and a date column where a slot needs one). Each is scored by the *shape* of the
result and the *intent* (trend, comparison, composition, distribution, relationship, ranking; None
means infer it). The rules, first match wins, each listing the types it puts on top:

1. one numeric column, intent distribution (or, with no intent, more than one row) → histogram
2. single measure, no dimension → kpi, then gauge, progress
3. two or more measures, no dimension, one row → kpi, bullet, gauge (a value and its target)
4. two measures, no dimension → scatter (scatter with trend line, effect scatter);
   three → bubble; more → parallel coordinates
5. open/high/low/close measures and a date → candlestick, ohlc
6. one date (+ optional series) and measures → line (multi-line with several series or measures),
   area, column; composition intent → stacked area; ranking → bump
7. two categories and one measure → heatmap or stacked column (composition: 100% stacked, marimekko,
   sunburst; relationship/flow: heatmap, sankey; comparison: grouped column)
8. one category and one measure → column (bar when more than 12 categories); composition with at
   most 6 values → pie/donut; ranking → ranked bar, pareto; distribution → box plot, strip
9. one category and several measures → grouped column, combo; two measures → dumbbell, slope
10. anything else → the types of the intent's family, then the rest in registry order.

Types not named by a rule still appear (when they fit) with a lower score; a type from the
intent's family scores above the rest. Scores are in 0..1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chat2chart.charts.registry import CHART_TYPES, ChartType
from chat2chart.charts.spec import NUMERIC_TYPES, OHLC_NAMES, TEMPORAL_TYPES

INTENTS = ("trend", "comparison", "composition", "distribution", "relationship", "ranking")
_INTENT_FAMILIES = {
    "trend": {"trend"},
    "comparison": {"comparison"},
    "composition": {"composition", "hierarchy"},
    "distribution": {"distribution"},
    "relationship": {"relationship", "flow"},
    "ranking": {"ranking"},
}


@dataclass
class Recommendation:
    chart_type: str
    score: float
    reason: str


@dataclass(frozen=True)
class _Shape:
    dimensions: list[dict[str, Any]]
    measures: list[dict[str, Any]]
    intent: str | None
    row_count: int | None

    @property
    def temporal(self) -> list[dict[str, Any]]:
        return [c for c in self.dimensions if c.get("type") in TEMPORAL_TYPES]

    @property
    def categorical(self) -> list[dict[str, Any]]:
        return [c for c in self.dimensions if c.get("type") not in TEMPORAL_TYPES]

    @property
    def first_cardinality(self) -> int | None:
        return self.categorical[0].get("cardinality") if self.categorical else None


def _shape(columns: list[dict[str, Any]], intent: str | None, row_count: int | None) -> _Shape:
    dimensions, measures = [], []
    for column in columns:
        numeric = column.get("type") in NUMERIC_TYPES
        (measures if column.get("role") == "measure" and numeric else dimensions).append(column)
    # A lone numeric "dimension" (an age, a price) can be a distribution's raw values.
    lone_number = len(dimensions) == 1 and dimensions[0].get("type") in NUMERIC_TYPES
    if intent == "distribution" and not measures and lone_number:
        measures, dimensions = dimensions, []
    return _Shape(dimensions, measures, intent, row_count)


def fits(chart_type: ChartType, dimensions: list[dict[str, Any]], measures: list[dict[str, Any]]) -> bool:
    """Whether the columns can fill this type's slots without leaving any column out."""
    needs = chart_type.needs
    if needs.any_columns:
        return bool(dimensions or measures)
    if not needs.min_dimensions <= len(dimensions) <= needs.max_dimensions:
        return False
    if not needs.min_measures <= len(measures) <= needs.max_measures:
        return False
    temporal_slots = [s for s in needs.dimensions if s.kind == "temporal" and s.min]
    temporal_columns = [c for c in dimensions if c.get("type") in TEMPORAL_TYPES]
    return len(temporal_columns) >= len(temporal_slots)


def _ranked(reason: str, *types: str, top: float = 1.0) -> list[tuple[str, float, str]]:
    """Scores descending from `top` in the given order."""
    return [(t, round(top - i * 0.05, 3), reason) for i, t in enumerate(types)]


def _measures_only(shape: _Shape) -> list[tuple[str, float, str]]:
    count = len(shape.measures)
    if count == 1:
        return _ranked("a single number reads best as a KPI", "kpi", "gauge", "progress")
    if shape.row_count == 1:
        return _ranked(
            "one row of measures: a value against its target", "kpi", "bullet", "gauge", "progress"
        )
    if count == 2:
        return _ranked("two measures: each row is a point", "scatter", "scatter_regression", "effect_scatter")
    if count == 3:
        return _ranked("three measures: position and size", "bubble", "parallel", "scatter")
    return _ranked("many measures per row", "parallel", "table")


def _with_date(shape: _Shape) -> list[tuple[str, float, str]]:
    names = {c["name"].lower() for c in shape.measures}
    if set(OHLC_NAMES) <= names:
        return _ranked("open/high/low/close over time", "candlestick", "ohlc")
    several = len(shape.measures) > 1 or len(shape.dimensions) > 1
    intent = shape.intent
    if intent == "composition":
        return _ranked(
            "shares over time", "stacked_area", "stacked_area_100", "stacked_column", "theme_river"
        )
    if intent == "ranking" and len(shape.dimensions) == 2:
        return _ranked("ranks per period", "bump", "multi_line")
    if intent == "comparison":
        return _ranked(
            "values per period side by side",
            "grouped_column" if several else "column",
            "multi_line" if several else "line",
            "area",
        )
    if several:
        return _ranked(
            "a trend per series or measure over time",
            "multi_line",
            "line",
            "stacked_area",
            "combo_bar_line",
            "theme_river",
            "stacked_column",
        )
    return _ranked(
        "a measure over time",
        "line",
        "area",
        "column",
        "smooth_line",
        "step_line",
        "sparkline",
        "calendar_heatmap",
        "kpi",
    )


def _two_categories(shape: _Shape) -> list[tuple[str, float, str]]:
    intent = shape.intent
    if intent == "composition":
        return _ranked(
            "shares within each category",
            "stacked_column_100",
            "stacked_column",
            "marimekko",
            "sunburst",
            "treemap",
        )
    if intent == "relationship":
        return _ranked("a value for each pair of categories", "heatmap", "sankey", "chord", "stacked_column")
    if intent == "comparison":
        return _ranked("one series per second category", "grouped_column", "stacked_column", "heatmap")
    if intent == "ranking":
        return _ranked("ranking within categories", "stacked_bar", "grouped_bar", "heatmap")
    many_pairs = (shape.first_cardinality or 0) > 12
    if many_pairs:
        return _ranked("a value for each pair of categories", "heatmap", "stacked_column", "pivot_table")
    return _ranked(
        "one series per second category", "stacked_column", "heatmap", "grouped_column", "pivot_table"
    )


def _one_category(shape: _Shape) -> list[tuple[str, float, str]]:
    cardinality = shape.first_cardinality
    intent = shape.intent
    if len(shape.measures) > 1:
        if len(shape.measures) == 2 and intent != "comparison":
            return _ranked(
                "two measures per category", "grouped_column", "dumbbell", "combo_bar_line", "slope"
            )
        return _ranked(
            "several measures per category", "grouped_column", "combo_bar_line", "radar", "stacked_column"
        )
    if intent == "composition":
        if cardinality is not None and cardinality <= 6:
            return _ranked("few parts of a whole", "donut", "pie", "treemap", "stacked_column_100")
        return _ranked("many parts of a whole", "treemap", "bar", "donut", "waterfall")
    if intent == "ranking":
        return _ranked("categories in order of size", "ranked_bar", "pareto", "lollipop", "bar")
    if intent == "distribution":
        return _ranked("spread of raw values per group", "boxplot", "strip", "column")
    if intent == "trend":
        return _ranked("an ordered category", "line", "column", "area")
    if cardinality is not None and cardinality > 12:
        return _ranked(
            "many categories read best as horizontal bars",
            "bar",
            "ranked_bar",
            "lollipop",
            "column",
            "treemap",
        )
    return _ranked("one value per category", "column", "bar", "lollipop", "pie", "donut", "funnel")


def _rules(shape: _Shape) -> list[tuple[str, float, str]]:
    dims, measures = shape.dimensions, shape.measures
    raw_values = shape.intent == "distribution" or (shape.intent is None and (shape.row_count or 0) > 1)
    if not dims and len(measures) == 1 and raw_values:
        return _ranked("spread of one numeric column", "histogram", "boxplot", "kpi")
    if not dims and measures:
        return _measures_only(shape)
    if shape.temporal and measures and len(dims) <= 2:
        return _with_date(shape)
    if len(dims) == 2 and len(measures) == 1:
        return _two_categories(shape)
    if len(dims) == 1 and measures:
        return _one_category(shape)
    return []


def recommend(
    columns: list[dict[str, Any]], *, intent: str | None = None, row_count: int | None = None
) -> list[Recommendation]:
    """Chart types that fit `columns` (dicts with name, type, role, cardinality), best first."""
    if intent is not None and intent not in INTENTS:
        intent = None  # an unknown intent is no reason to refuse a chart
    shape = _shape(columns, intent, row_count)
    preferred = {t: (score, reason) for t, score, reason in _rules(shape)}
    families = _INTENT_FAMILIES.get(intent or "", set())
    results = []
    for position, chart_type in enumerate(CHART_TYPES):
        if not fits(chart_type, shape.dimensions, shape.measures):
            continue
        if chart_type.id in preferred:
            score, reason = preferred[chart_type.id]
        elif chart_type.family in families:
            score, reason = 0.4, f"a {chart_type.family} chart, as asked"
        else:
            score, reason = 0.2, f"fits the data ({chart_type.needs.summary})"
        # Registry order breaks ties so the ranking is stable.
        results.append(Recommendation(chart_type.id, round(score - position * 1e-4, 4), reason))
    results.sort(key=lambda r: r.score, reverse=True)
    return results
