# SPDX-License-Identifier: MIT
"""Relationship charts: scatter (plain, bubble, effect, with trend line), heatmap and parallel
coordinates."""

from __future__ import annotations

import math
from typing import Any

from chat2chart.charts.builders.base import (
    ChartInput,
    base_option,
    category_axis,
    clean,
    grid,
    matrix,
)

BUBBLE_SIZES = (6, 48)  # smallest and largest bubble diameter in px
EFFECT_POINTS = 5  # points that ripple on an effect scatter: the highest ones
LABELLED_CELLS = 80  # heatmaps with at most this many cells show their values


def _points(chart: ChartInput) -> dict[str, list[dict[str, Any] | list[Any]]]:
    """Rows as [x, y(, size)] per series value; rows with a label keep it as the point's name."""
    x, y, size = chart.required("x"), chart.required("y"), chart.column("size")
    xs, ys = chart.table.numbers(x), chart.table.numbers(y)
    sizes = chart.table.numbers(size) if size else [None] * len(xs)
    groups = chart.labels("series") if chart.column("series") else [y] * len(xs)
    names = chart.labels("label") if chart.column("label") else None
    diameters = _diameters(sizes) if size else sizes
    result: dict[str, list[Any]] = {}
    for row, (px, py) in enumerate(zip(xs, ys, strict=True)):
        if px is None or py is None:
            continue
        value = [clean(px), clean(py)] + ([clean(sizes[row])] if size else [])
        if names is None and not size:
            result.setdefault(groups[row], []).append(value)
            continue
        point: dict[str, Any] = {"value": value}
        if names is not None:
            point["name"] = names[row]
        if size:
            point["symbolSize"] = diameters[row]
        result.setdefault(groups[row], []).append(point)
    return result


def _diameters(sizes: list[float | None]) -> list[float | None]:
    """Bubble diameters so that area, not radius, grows with the value."""
    present = [abs(s) for s in sizes if s is not None]
    top = max(present, default=1.0) or 1.0
    small, large = BUBBLE_SIZES
    return [None if s is None else round(small + (large - small) * math.sqrt(abs(s) / top), 1) for s in sizes]


def _trend_line(points: list[Any]) -> dict[str, Any] | None:
    pairs = [p["value"] if isinstance(p, dict) else p for p in points]
    if len(pairs) < 2:
        return None
    n = len(pairs)
    mean_x = sum(p[0] for p in pairs) / n
    mean_y = sum(p[1] for p in pairs) / n
    sxx = sum((p[0] - mean_x) ** 2 for p in pairs)
    if sxx == 0:
        return None
    slope = sum((p[0] - mean_x) * (p[1] - mean_y) for p in pairs) / sxx
    intercept = mean_y - slope * mean_x
    syy = sum((p[1] - mean_y) ** 2 for p in pairs)
    r2 = 0.0 if syy == 0 else (slope**2 * sxx) / syy
    low, high = min(p[0] for p in pairs), max(p[0] for p in pairs)
    return {
        "type": "line",
        "name": f"Trend (R² = {r2:.2f})",
        "showSymbol": False,
        "silent": True,
        "data": [
            [clean(low), clean(intercept + slope * low)],
            [clean(high), clean(intercept + slope * high)],
        ],
        "lineStyle": {"type": "dashed", "width": 2},
        "z": 5,
    }


def build_scatter(chart: ChartInput) -> dict[str, Any]:
    """Scatter, bubble (size slot), effect scatter (the top points ripple) and scatter + trend line."""
    groups = _points(chart)
    x, y = chart.column("x"), chart.column("y")
    log = chart.options.log_axis
    option = base_option(chart, legend=len(groups) > 1 or chart.flag("regression"))
    option["xAxis"] = {
        "type": "log" if log else "value",
        "name": x,
        "scale": True,
        "nameLocation": "middle",
        "nameGap": 28,
    }
    option["yAxis"] = {"type": "log" if log else "value", "name": y, "scale": True}
    series: list[dict[str, Any]] = []
    for name, points in groups.items():
        series.append(
            {
                "type": "scatter",
                "name": name,
                "data": points,
                "symbolSize": 10,
                "emphasis": {"focus": "series"},
            }
        )
    if chart.flag("effect"):
        every = [p for points in groups.values() for p in points]
        top = sorted(every, key=lambda p: (p["value"] if isinstance(p, dict) else p)[1], reverse=True)
        series.append(
            {
                "type": "effectScatter",
                "name": f"Top {EFFECT_POINTS}",
                "data": top[:EFFECT_POINTS],
                "symbolSize": 14,
                "rippleEffect": {"brushType": "stroke", "scale": 3},
                "z": 4,
            }
        )
    if chart.flag("regression"):
        line = _trend_line([p for points in groups.values() for p in points])
        if line:
            series.append(line)
    option["series"] = series
    option["grid"] = {**grid(chart, legend="legend" in option), "bottom": 64 if "legend" in option else 40}
    return option


def build_heatmap(chart: ChartInput) -> dict[str, Any]:
    measure = chart.required("value")
    table = matrix(chart, measures=[measure])
    data = [
        [column, row, clean(table.values[name][column])]
        for row, name in enumerate(table.series)
        for column in range(len(table.categories))
        if table.values[name][column] is not None
    ]
    present = [cell[2] for cell in data] or [0]
    option = base_option(chart, legend=False)
    option["xAxis"] = {**category_axis(table.categories), "splitArea": {"show": True}}
    option["yAxis"] = {**category_axis(table.series), "splitArea": {"show": True}}
    option["visualMap"] = {
        "type": "continuous",
        "min": min(present),
        "max": max(present),
        "calculable": True,
        "orient": "horizontal",
        "left": "center",
        "bottom": 4,
    }
    show = chart.options.show_labels or len(data) <= LABELLED_CELLS
    option["series"] = [
        {
            "type": "heatmap",
            "name": measure,
            "data": data,
            "label": {"show": show},
            "emphasis": {"itemStyle": {"borderColor": "#333", "borderWidth": 1}},
        }
    ]
    option["grid"] = {**grid(chart), "bottom": 64}
    return option


def build_parallel(chart: ChartInput) -> dict[str, Any]:
    measures = chart.measures()
    columns = [chart.table.numbers(m) for m in measures]
    groups = chart.labels("series") if chart.column("series") else ["rows"] * len(chart.table.rows)
    lines: dict[str, list[list[Any]]] = {}
    for row, group in enumerate(groups):
        lines.setdefault(group, []).append([clean(column[row]) for column in columns])
    option = base_option(chart, legend=len(lines) > 1)
    option["parallel"] = {"left": 48, "right": 64, "top": 96 if chart.spec.title else 64, "bottom": 56}
    option["parallelAxis"] = [{"dim": i, "name": name, "scale": True} for i, name in enumerate(measures)]
    option["series"] = [
        {
            "type": "parallel",
            "name": name,
            "data": data,
            "lineStyle": {"width": 1.5, "opacity": 0.5},
            "emphasis": {"lineStyle": {"width": 3, "opacity": 1}},
        }
        for name, data in lines.items()
    ]
    return option
