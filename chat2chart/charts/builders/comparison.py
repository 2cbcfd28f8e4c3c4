# SPDX-License-Identifier: MIT
"""Comparison charts: bars and columns in their variants, range, polar, pictorial, lollipop,
dumbbell and radar."""

from __future__ import annotations

from typing import Any

from chat2chart.charts.builders.base import (
    ChartInput,
    axis_title,
    base_option,
    category_axis,
    clean,
    dimension_title,
    grid,
    label,
    matrix,
    normalised,
    value_axis,
)
from chat2chart.core.errors import ChartError


def _place_axes(option: dict[str, Any], categories: dict[str, Any], values: Any, horizontal: bool) -> None:
    if horizontal:
        option["xAxis"], option["yAxis"] = values, {**categories, "inverse": True}
    else:
        option["xAxis"], option["yAxis"] = categories, values


def build_bar(chart: ChartInput) -> dict[str, Any]:
    """Columns or bars; grouped, stacked or 100% stacked depending on options."""
    opts = chart.options
    table = matrix(chart)
    horizontal = opts.orientation == "horizontal"
    values = normalised(table) if opts.normalize else table.values
    right = set(opts.secondary_axis) & set(table.series)
    value_axes = [value_axis(chart, percent=opts.normalize)]
    if right and not opts.normalize:
        value_axes.append(
            {**value_axis(chart, name=axis_title(chart, sorted(right))), "splitLine": {"show": False}}
        )
    option = base_option(chart, trigger="axis", legend=len(table.series) > 1)
    _place_axes(
        option,
        category_axis(table.categories, name=dimension_title(chart)),
        value_axes if len(value_axes) > 1 else value_axes[0],
        horizontal,
    )
    inside = opts.stack and len(table.series) > 1
    series = []
    for name in table.series:
        item: dict[str, Any] = {
            "type": "bar",
            "name": name,
            "data": [clean(v) for v in values[name]],
            "label": label(chart, "inside" if inside else ("right" if horizontal else "top")),
            "emphasis": {"focus": "series"},
        }
        if opts.stack:
            item["stack"] = "total"
        if name in right and len(value_axes) > 1:
            item["xAxisIndex" if horizontal else "yAxisIndex"] = 1
        series.append(item)
    option["series"] = series
    option["grid"] = grid(chart, legend=len(table.series) > 1)
    return option


def build_range_bar(chart: ChartInput) -> dict[str, Any]:
    """Floating bars from low to high: an invisible base bar stacked under the visible span."""
    low, high = chart.required("low"), chart.required("high")
    lows = matrix(chart, measures=[low])
    highs = matrix(chart, measures=[high])
    base = lows.values[low]
    spans = [
        None if lo is None or hi is None else hi - lo for lo, hi in zip(base, highs.values[high], strict=True)
    ]
    horizontal = chart.options.orientation == "horizontal"
    option = base_option(chart, legend=False)
    _place_axes(option, category_axis(lows.categories), value_axis(chart), horizontal)
    option["series"] = [
        {
            "type": "bar",
            "name": low,
            "stack": "range",
            "data": [clean(v) for v in base],
            "itemStyle": {"color": "transparent"},
            "tooltip": {"show": False},
            "emphasis": {"disabled": True},
        },
        {
            "type": "bar",
            "name": f"{low} – {high}",
            "stack": "range",
            "data": [clean(v) for v in spans],
            "label": label(chart, "inside"),
            "itemStyle": {"borderRadius": 3},
        },
    ]
    option["grid"] = grid(chart, legend=False)
    return option


def build_polar_bar(chart: ChartInput) -> dict[str, Any]:
    table = matrix(chart)
    option = base_option(chart, legend=len(table.series) > 1)
    option["polar"] = {"radius": ["12%", "68%"], "center": ["50%", "55%"]}
    option["angleAxis"] = {
        "type": "category",
        "data": table.categories,
        "startAngle": 90,
        "axisLabel": {"hideOverlap": True},
    }
    option["radiusAxis"] = {"type": "value", "axisLabel": {"show": False}}  # the tooltip gives values
    option["series"] = [
        {
            "type": "bar",
            "name": name,
            "coordinateSystem": "polar",
            "data": [clean(v) for v in table.values[name]],
            **({"stack": "total"} if chart.options.stack else {}),
            "emphasis": {"focus": "series"},
        }
        for name in table.series
    ]
    return option


def build_pictorial_bar(chart: ChartInput) -> dict[str, Any]:
    """Columns drawn as a repeated rounded symbol, clipped at the value."""
    table = matrix(chart)
    name = table.series[0]
    option = base_option(chart, legend=False)
    option["xAxis"] = category_axis(table.categories)
    option["yAxis"] = {**value_axis(chart), "splitLine": {"show": False}}
    option["series"] = [
        {
            "type": "pictorialBar",
            "name": name,
            "data": [clean(v) for v in table.values[name]],
            "symbol": "roundRect",
            "symbolRepeat": True,
            "symbolSize": ["70%", 8],
            "symbolMargin": 2,
            "symbolClip": True,
            "label": label(chart),
        },
        {
            "type": "bar",
            "name": name,
            "data": [clean(v) for v in table.values[name]],
            "barGap": "-100%",
            "itemStyle": {"opacity": 0.12},
            "tooltip": {"show": False},
            "emphasis": {"disabled": True},
        },
    ]
    option["grid"] = grid(chart, legend=False)
    return option


def build_lollipop(chart: ChartInput) -> dict[str, Any]:
    table = matrix(chart)
    name = table.series[0]
    data = [clean(v) for v in table.values[name]]
    horizontal = chart.options.orientation == "horizontal"
    option = base_option(chart, trigger="axis", legend=False)
    _place_axes(option, category_axis(table.categories), value_axis(chart), horizontal)
    option["series"] = [
        {
            "type": "bar",
            "name": name,
            "data": data,
            "barWidth": 3,
            "tooltip": {"show": False},
            "emphasis": {"disabled": True},
        },
        {
            "type": "scatter",
            "name": name,
            "data": data,
            "symbolSize": 14,
            "label": label(chart, "right" if horizontal else "top"),
        },
    ]
    option["grid"] = grid(chart, legend=False)
    return option


def build_dumbbell(chart: ChartInput) -> dict[str, Any]:
    """Two dots per category joined by a bar from the smaller to the larger value."""
    first, second = chart.measures()
    table = matrix(chart)
    a, b = table.values[first], table.values[second]
    lows = [None if x is None or y is None else min(x, y) for x, y in zip(a, b, strict=True)]
    spans = [None if x is None or y is None else abs(x - y) for x, y in zip(a, b, strict=True)]
    option = base_option(chart, trigger="axis")
    _place_axes(option, category_axis(table.categories), value_axis(chart), horizontal=True)
    option["series"] = [
        {
            "type": "bar",
            "stack": "gap",
            "data": [clean(v) for v in lows],
            "barWidth": 4,
            "itemStyle": {"color": "transparent"},
            "tooltip": {"show": False},
            "emphasis": {"disabled": True},
        },
        {
            "type": "bar",
            "stack": "gap",
            "data": [clean(v) for v in spans],
            "barWidth": 4,
            "itemStyle": {"color": "#b0b7c3"},
            "tooltip": {"show": False},
            "emphasis": {"disabled": True},
        },
        {
            "type": "scatter",
            "name": first,
            "data": [clean(v) for v in a],
            "symbolSize": 14,
            "z": 3,
            "label": label(chart, "left"),
        },
        {
            "type": "scatter",
            "name": second,
            "data": [clean(v) for v in b],
            "symbolSize": 14,
            "z": 3,
            "label": label(chart, "right"),
        },
    ]
    option["legend"]["data"] = [first, second]
    option["grid"] = grid(chart)
    return option


def build_radar(chart: ChartInput) -> dict[str, Any]:
    table = matrix(chart)
    if not 3 <= len(table.categories) <= 12:
        raise ChartError(
            f"A Radar chart needs {chart.chart_type.needs.summary}; the result has "
            f"{len(table.categories)} spoke value(s)."
        )
    peaks = [max((table.values[s][i] or 0) for s in table.series) for i in range(len(table.categories))]
    option = base_option(chart)
    option["radar"] = {
        "indicator": [
            {"name": name, "max": clean(peak * 1.1) or 1}
            for name, peak in zip(table.categories, peaks, strict=True)
        ],
        "center": ["50%", "56%"],
        "radius": "62%",
    }
    option["series"] = [
        {
            "type": "radar",
            "name": chart.spec.title or "radar",
            "data": [
                {"name": s, "value": [clean(v) or 0 for v in table.values[s]], "areaStyle": {"opacity": 0.15}}
                for s in table.series
            ],
            "label": label(chart),
        }
    ]
    return option
