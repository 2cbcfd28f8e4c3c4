# SPDX-License-Identifier: MIT
"""The chart types Aiser can draw: what each is called, which family it belongs to, what data it
needs and which builder turns a spec plus query result into an ECharts option.

Data needs are expressed as *slots*, the encoding fields a type reads. Dimension slots take columns
with role "dimension" (any type unless the slot says temporal/categorical); measure slots take
numeric columns. `auto_spec`, `recommend` and the fit check in `render` all read the same slots.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from chat2chart.core.errors import ChartError

Family = Literal[
    "comparison",
    "trend",
    "composition",
    "distribution",
    "relationship",
    "ranking",
    "flow",
    "hierarchy",
    "kpi",
    "table",
]
FAMILIES: tuple[str, ...] = Family.__args__  # type: ignore[attr-defined]
SlotKind = Literal["any", "temporal", "categorical", "numeric"]

MANY = 12  # most measures a multi-measure slot accepts; more series than this is unreadable


@dataclass(frozen=True)
class Slot:
    """One encoding field a type reads. `min=0` makes it optional; `max>1` only for `y`."""

    name: str
    kind: SlotKind = "any"
    min: int = 1
    max: int = 1


@dataclass(frozen=True)
class DataNeeds:
    summary: str  # how a user reads it: "one category and one measure"
    dimensions: tuple[Slot, ...] = ()
    measures: tuple[Slot, ...] = ()
    any_columns: bool = False  # tables: take every column as it comes

    @property
    def min_dimensions(self) -> int:
        return sum(s.min for s in self.dimensions)

    @property
    def max_dimensions(self) -> int:
        return MANY * 4 if self.any_columns else sum(s.max for s in self.dimensions)

    @property
    def min_measures(self) -> int:
        return sum(s.min for s in self.measures)

    @property
    def max_measures(self) -> int:
        return MANY * 4 if self.any_columns else sum(s.max for s in self.measures)


@dataclass(frozen=True)
class ChartType:
    id: str
    name: str
    family: Family
    needs: DataNeeds
    builder: str  # "module:function" inside chat2chart.charts.builders, imported when first used
    description: str = ""
    presets: dict[str, Any] = field(default_factory=dict)  # options this type always sets
    category_slot: str | None = None  # slot cut to top-N + "Other" when it has too many values
    category_limit: int | None = None
    zoomable: bool = False  # long series get a dataZoom

    def build(self, chart: Any) -> dict[str, Any]:
        module_name, function_name = self.builder.split(":")
        module = importlib.import_module(f"chat2chart.charts.builders.{module_name}")
        builder: Callable[[Any], dict[str, Any]] = getattr(module, function_name)
        return builder(chart)


# Slot shorthands.
X = Slot("x")
X_TIME = Slot("x", kind="temporal")
SERIES_OPT = Slot("series", min=0)
Y_ONE = Slot("y")
Y_MANY = Slot("y", max=MANY)
Y_TWO = Slot("y", min=2, max=2)
LABEL = Slot("label")
VALUE = Slot("value")

_CAT_MEASURES = DataNeeds(
    "one category (x), optionally a series column, and one or more measures (y)",
    dimensions=(X, SERIES_OPT),
    measures=(Y_MANY,),
)
_CAT_ONE_MEASURE = DataNeeds("one category (x) and one measure (y)", dimensions=(X,), measures=(Y_ONE,))
_STACKED = DataNeeds(
    "one category (x) plus a series column or two or more measures (y)",
    dimensions=(X, SERIES_OPT),
    measures=(Y_MANY,),
)
_SLICES = DataNeeds(
    "one category (label) and exactly one measure (value)", dimensions=(LABEL,), measures=(VALUE,)
)
_TREND = DataNeeds(
    "one date or ordered column (x), optionally a series column, and one or more measures (y)",
    dimensions=(X, SERIES_OPT),
    measures=(Y_MANY,),
)
_POINTS = DataNeeds(
    "two numeric measures (x and y), optionally a series and a label column",
    dimensions=(Slot("series", min=0), Slot("label", min=0)),
    measures=(Slot("x"), Y_ONE),
)
_LINKS = DataNeeds(
    "a source and a target column and one measure (value) for the link size",
    dimensions=(Slot("source"), Slot("target")),
    measures=(VALUE,),
)
_HIERARCHY = DataNeeds(
    "a child column, optionally its parent column, and one measure (value) for the size",
    dimensions=(Slot("parent", min=0), Slot("child")),
    measures=(VALUE,),
)
_TREE = DataNeeds(
    "a child column and its parent column (value optional)",
    dimensions=(Slot("parent"), Slot("child")),
    measures=(Slot("value", min=0),),
)
_OHLC = DataNeeds(
    "one date or ordered column (x) and four measures: open, high, low, close",
    dimensions=(X,),
    measures=(Slot("open"), Slot("high"), Slot("low"), Slot("close")),
)
_MATRIX = DataNeeds(
    "two category columns (x and series) and one measure (value)",
    dimensions=(X, Slot("series")),
    measures=(VALUE,),
)
_TARGETED = DataNeeds(
    "one measure (value), optionally a target measure",
    measures=(VALUE, Slot("target", min=0)),
)

BARS = 30
SLICES = 12


def _bar(
    id_: str,
    name: str,
    builder: str,
    description: str,
    *,
    needs: DataNeeds = _CAT_MEASURES,
    family: Family = "comparison",
    presets: dict[str, Any] | None = None,
    limit: int = BARS,
    zoomable: bool = True,
) -> ChartType:
    return ChartType(id_, name, family, needs, builder, description, presets or {}, "x", limit, zoomable)


def _slices(
    id_: str, name: str, builder: str, description: str, presets: dict[str, Any] | None = None
) -> ChartType:
    return ChartType(id_, name, "composition", _SLICES, builder, description, presets or {}, "label", SLICES)


def _trend(
    id_: str,
    name: str,
    builder: str,
    description: str,
    *,
    needs: DataNeeds = _TREND,
    presets: dict[str, Any] | None = None,
) -> ChartType:
    return ChartType(id_, name, "trend", needs, builder, description, presets or {}, zoomable=True)


CHART_TYPES: tuple[ChartType, ...] = (
    # comparison
    _bar("column", "Column", "comparison:build_bar", "Vertical bars per category."),
    _bar(
        "bar",
        "Bar",
        "comparison:build_bar",
        "Horizontal bars; long labels read well.",
        presets={"orientation": "horizontal"},
    ),
    _bar(
        "grouped_column",
        "Grouped column",
        "comparison:build_bar",
        "Side-by-side columns per series.",
        needs=_STACKED,
    ),
    _bar(
        "grouped_bar",
        "Grouped bar",
        "comparison:build_bar",
        "Side-by-side horizontal bars per series.",
        needs=_STACKED,
        presets={"orientation": "horizontal"},
    ),
    _bar(
        "stacked_column",
        "Stacked column",
        "comparison:build_bar",
        "Series stacked in each column.",
        needs=_STACKED,
        presets={"stack": True},
    ),
    _bar(
        "stacked_bar",
        "Stacked bar",
        "comparison:build_bar",
        "Series stacked in each horizontal bar.",
        needs=_STACKED,
        presets={"stack": True, "orientation": "horizontal"},
    ),
    _bar(
        "stacked_column_100",
        "100% stacked column",
        "comparison:build_bar",
        "Each column shows the share of each series.",
        needs=_STACKED,
        presets={"stack": True, "normalize": True},
    ),
    _bar(
        "stacked_bar_100",
        "100% stacked bar",
        "comparison:build_bar",
        "Each horizontal bar shows the share of each series.",
        needs=_STACKED,
        presets={"stack": True, "normalize": True, "orientation": "horizontal"},
    ),
    _bar(
        "range_bar",
        "Range (floating) bar",
        "comparison:build_range_bar",
        "A bar from a low to a high value per category.",
        needs=DataNeeds(
            "one category (x) and two measures: low and high",
            dimensions=(X,),
            measures=(Slot("low"), Slot("high")),
        ),
    ),
    _bar(
        "polar_bar",
        "Polar bar",
        "comparison:build_polar_bar",
        "Bars around a circle.",
        limit=24,
        zoomable=False,
    ),
    _bar(
        "pictorial_bar",
        "Pictorial bar",
        "comparison:build_pictorial_bar",
        "Bars drawn as stacked symbols.",
        needs=_CAT_ONE_MEASURE,
        limit=20,
        zoomable=False,
    ),
    _bar(
        "lollipop",
        "Lollipop",
        "comparison:build_lollipop",
        "A thin stem and a dot per category.",
        needs=_CAT_ONE_MEASURE,
    ),
    _bar(
        "dumbbell",
        "Dumbbell",
        "comparison:build_dumbbell",
        "Two values per category joined by a line (before/after, plan/actual).",
        needs=DataNeeds("one category (x) and exactly two measures (y)", dimensions=(X,), measures=(Y_TWO,)),
    ),
    ChartType(
        "radar",
        "Radar",
        "comparison",
        DataNeeds(
            "one category (x) with 3 to 12 values as the spokes, and one or more measures (y)",
            dimensions=(X, SERIES_OPT),
            measures=(Y_MANY,),
        ),
        "comparison:build_radar",
        "Compare several measures on spokes.",
        category_slot="x",
        category_limit=12,
    ),
    # trend
    _trend("line", "Line", "trend:build_line", "A line over time or an ordered category."),
    _trend("multi_line", "Multi-line", "trend:build_line", "One line per series or measure."),
    _trend(
        "step_line", "Step line", "trend:build_line", "Lines that change in steps.", presets={"step": True}
    ),
    _trend("smooth_line", "Smooth line", "trend:build_line", "A smoothed line.", presets={"smooth": True}),
    _trend("area", "Area", "trend:build_line", "A line with the area below filled.", presets={"area": True}),
    _trend(
        "stacked_area",
        "Stacked area",
        "trend:build_line",
        "Areas stacked over time.",
        presets={"area": True, "stack": True},
    ),
    _trend(
        "stacked_area_100",
        "100% stacked area",
        "trend:build_line",
        "Shares over time.",
        presets={"area": True, "stack": True, "normalize": True},
    ),
    _trend(
        "combo_bar_line",
        "Combo bar + line",
        "trend:build_combo",
        "Bars for the first measure, lines on a second axis for the others.",
        needs=DataNeeds(
            "one category or date (x) and two or more measures (y)",
            dimensions=(X,),
            measures=(Slot("y", min=2, max=MANY),),
        ),
    ),
    _trend(
        "sparkline",
        "Sparkline",
        "trend:build_sparkline",
        "A tiny line without axes.",
        needs=DataNeeds(
            "one date or ordered column (x) and one measure (y)", dimensions=(X,), measures=(Y_ONE,)
        ),
    ),
    _trend(
        "theme_river",
        "Theme river",
        "trend:build_theme_river",
        "Streams of each series over time.",
        needs=DataNeeds(
            "a date column (x), a series column and one measure (y)",
            dimensions=(X_TIME, Slot("series")),
            measures=(Y_ONE,),
        ),
    ),
    _trend(
        "candlestick",
        "Candlestick",
        "trend:build_candlestick",
        "Open/high/low/close per period.",
        needs=_OHLC,
    ),
    _trend("ohlc", "OHLC", "trend:build_ohlc", "Open/high/low/close drawn as ticks.", needs=_OHLC),
    # composition
    _slices("pie", "Pie", "composition:build_pie", "Shares of a whole."),
    _slices("donut", "Donut", "composition:build_pie", "A pie with a hole.", presets={"donut_hole": 50}),
    _slices(
        "half_donut",
        "Half donut",
        "composition:build_pie",
        "A donut on a half circle.",
        presets={"donut_hole": 50, "half": True},
    ),
    _slices(
        "rose",
        "Rose (Nightingale)",
        "composition:build_pie",
        "Slices whose radius shows the value.",
        presets={"rose": True},
    ),
    _bar(
        "waterfall",
        "Waterfall",
        "composition:build_waterfall",
        "How steps add up to a total.",
        needs=_CAT_ONE_MEASURE,
        family="composition",
    ),
    ChartType(
        "marimekko",
        "Marimekko",
        "composition",
        DataNeeds(
            "two category columns (x and series) and one measure (y)",
            dimensions=(X, Slot("series")),
            measures=(Y_ONE,),
        ),
        "composition:build_marimekko",
        "Column width is each category's total; segments its series' shares.",
        category_slot="x",
        category_limit=12,
    ),
    # distribution
    ChartType(
        "histogram",
        "Histogram",
        "distribution",
        DataNeeds(
            "one numeric column (value) of raw values, optionally with a count per value (weight)",
            measures=(VALUE, Slot("weight", "numeric", min=0)),
        ),
        "distribution:build_histogram",
        "How values spread over bins.",
    ),
    ChartType(
        "boxplot",
        "Box plot",
        "distribution",
        DataNeeds(
            "one numeric column (y) of raw values, optionally grouped by a category (x)",
            dimensions=(Slot("x", min=0),),
            measures=(Y_ONE,),
        ),
        "distribution:build_boxplot",
        "Quartiles and outliers per group.",
        category_slot="x",
        category_limit=BARS,
    ),
    ChartType(
        "strip",
        "Strip plot",
        "distribution",
        DataNeeds(
            "one category (x) and one numeric column (y) of raw values", dimensions=(X,), measures=(Y_ONE,)
        ),
        "distribution:build_strip",
        "Every value as a dot per group.",
        category_slot="x",
        category_limit=BARS,
    ),
    ChartType(
        "calendar_heatmap",
        "Calendar heatmap",
        "distribution",
        DataNeeds("a date column (x) and one measure (value)", dimensions=(X_TIME,), measures=(VALUE,)),
        "distribution:build_calendar",
        "A value per day on a calendar.",
    ),
    # relationship
    ChartType(
        "scatter", "Scatter", "relationship", _POINTS, "relationship:build_scatter", "One dot per row."
    ),
    ChartType(
        "bubble",
        "Bubble",
        "relationship",
        DataNeeds(
            "three numeric measures (x, y and size), optionally a series and a label column",
            dimensions=(Slot("series", min=0), Slot("label", min=0)),
            measures=(Slot("x"), Y_ONE, Slot("size")),
        ),
        "relationship:build_scatter",
        "Dots sized by a third measure.",
    ),
    ChartType(
        "effect_scatter",
        "Effect scatter",
        "relationship",
        _POINTS,
        "relationship:build_scatter",
        "A scatter whose top points ripple.",
        presets={"effect": True},
    ),
    ChartType(
        "scatter_regression",
        "Scatter with trend line",
        "relationship",
        _POINTS,
        "relationship:build_scatter",
        "A scatter with a least-squares line.",
        presets={"regression": True},
    ),
    ChartType(
        "heatmap",
        "Heatmap",
        "relationship",
        _MATRIX,
        "relationship:build_heatmap",
        "A colour per pair of categories.",
    ),
    ChartType(
        "parallel",
        "Parallel coordinates",
        "relationship",
        DataNeeds(
            "three or more measures (y), optionally a series column",
            dimensions=(SERIES_OPT,),
            measures=(Slot("y", min=3, max=MANY),),
        ),
        "relationship:build_parallel",
        "One line per row across several measures.",
    ),
    # ranking
    _bar(
        "ranked_bar",
        "Ranked bar",
        "ranking:build_ranked_bar",
        "Bars sorted from largest to smallest.",
        needs=_CAT_ONE_MEASURE,
        family="ranking",
        presets={"orientation": "horizontal", "sort": "desc"},
    ),
    _bar(
        "pareto",
        "Pareto",
        "ranking:build_pareto",
        "Sorted bars with the cumulative share as a line.",
        needs=_CAT_ONE_MEASURE,
        family="ranking",
    ),
    ChartType(
        "slope",
        "Slope",
        "ranking",
        DataNeeds(
            "one category (x) and exactly two measures (y), e.g. before and after",
            dimensions=(X,),
            measures=(Y_TWO,),
        ),
        "ranking:build_slope",
        "How each category moved between two measures.",
        category_slot="x",
        category_limit=15,
    ),
    ChartType(
        "bump",
        "Bump",
        "ranking",
        DataNeeds(
            "one period column (x), one series column and one measure (y)",
            dimensions=(X, Slot("series")),
            measures=(Y_ONE,),
        ),
        "ranking:build_bump",
        "Rank of each series per period.",
    ),
    # flow
    ChartType("sankey", "Sankey", "flow", _LINKS, "flow:build_sankey", "Flows between stages."),
    ChartType(
        "graph",
        "Network graph",
        "flow",
        DataNeeds(
            "a source and a target column, optionally one measure (value) for the link weight",
            dimensions=(Slot("source"), Slot("target")),
            measures=(Slot("value", min=0),),
        ),
        "flow:build_graph",
        "Nodes and links laid out by force.",
    ),
    ChartType("chord", "Chord", "flow", _LINKS, "flow:build_chord", "Flows between groups around a circle."),
    ChartType(
        "funnel",
        "Funnel",
        "flow",
        _SLICES,
        "flow:build_funnel",
        "Stages that narrow.",
        category_slot="label",
        category_limit=SLICES,
    ),
    # hierarchy
    ChartType(
        "treemap",
        "Treemap",
        "hierarchy",
        _HIERARCHY,
        "hierarchy:build_treemap",
        "Nested rectangles sized by value.",
    ),
    ChartType(
        "sunburst",
        "Sunburst",
        "hierarchy",
        _HIERARCHY,
        "hierarchy:build_sunburst",
        "Nested rings sized by value.",
    ),
    ChartType("tree", "Tree", "hierarchy", _TREE, "hierarchy:build_tree", "Parent-child links as a tree."),
    ChartType(
        "radial_tree",
        "Radial tree",
        "hierarchy",
        _TREE,
        "hierarchy:build_tree",
        "A tree laid out in a circle.",
        presets={"radial": True},
    ),
    # kpi
    ChartType(
        "kpi",
        "KPI number",
        "kpi",
        DataNeeds(
            "one measure (value), optionally a comparison measure (target) or a date (x) for the delta",
            dimensions=(Slot("x", min=0),),
            measures=(VALUE, Slot("target", min=0)),
        ),
        "kpi:build_kpi",
        "A big number with its change.",
    ),
    ChartType("gauge", "Gauge", "kpi", _TARGETED, "kpi:build_gauge", "A dial; the target sets its end."),
    ChartType(
        "progress", "Progress ring", "kpi", _TARGETED, "kpi:build_progress", "Share of the target reached."
    ),
    ChartType(
        "bullet",
        "Bullet",
        "kpi",
        DataNeeds(
            "one measure (value) and a target measure, optionally a category (x) for several bullets",
            dimensions=(Slot("x", min=0),),
            measures=(VALUE, Slot("target")),
        ),
        "kpi:build_bullet",
        "A bar against its target.",
        category_slot="x",
        category_limit=BARS,
    ),
    # table
    ChartType(
        "table",
        "Table",
        "table",
        DataNeeds("at least one column", any_columns=True),
        "table:build_table",
        "The rows as they came.",
    ),
    ChartType(
        "pivot_table",
        "Pivot table",
        "table",
        DataNeeds(
            "a row category (x), a column category (series) and one measure (value)",
            dimensions=(X, Slot("series")),
            measures=(VALUE,),
        ),
        "table:build_pivot",
        "A measure cross-tabulated by two categories, with totals.",
    ),
)


@cache
def _index() -> dict[str, ChartType]:
    return {chart_type.id: chart_type for chart_type in CHART_TYPES}


def chart_types() -> tuple[ChartType, ...]:
    return CHART_TYPES


def chart_type_ids() -> list[str]:
    return [chart_type.id for chart_type in CHART_TYPES]


def get_chart_type(type_id: str) -> ChartType:
    """Look up a chart type, raising ChartError that lists the known ids when it is unknown."""
    chart_type = _index().get(type_id)
    if chart_type is None:
        raise ChartError(f"Unknown chart type {type_id!r}. Use one of: {', '.join(chart_type_ids())}.")
    return chart_type
