# SPDX-License-Identifier: MIT
"""Composition charts: pie, donut, half donut, rose, waterfall and marimekko."""

from __future__ import annotations

from typing import Any

from chat2chart.charts.builders.base import (
    ChartInput,
    base_option,
    category_axis,
    clean,
    grid,
    label,
    matrix,
    pairs,
    top_offset,
    value_axis,
)
from chat2chart.core.errors import ChartError

PALETTE = (
    "#5470c6",
    "#91cc75",
    "#fac858",
    "#ee6666",
    "#73c0de",
    "#3ba272",
    "#fc8452",
    "#9a60b4",
    "#ea7ccc",
    "#4e79a7",
    "#f28e2b",
    "#76b7b2",
)
RISE, FALL, TOTAL = "#2f9e44", "#e03131", "#5470c6"


def build_pie(chart: ChartInput) -> dict[str, Any]:
    """Pie, donut (options.donut_hole), half donut and rose, from label + value."""
    slices = pairs(chart, "label", "value")
    negative = [name for name, value in slices if value < 0]
    if negative:
        raise ChartError(
            f"A {chart.chart_type.name} chart shows parts of a whole, so values cannot be "
            f"negative ({negative[0]!r} is). Use a bar or waterfall chart instead."
        )
    hole = chart.options.donut_hole
    top = top_offset(chart)
    series: dict[str, Any] = {
        "type": "pie",
        "name": chart.column("value"),
        "radius": [f"{hole * 0.7:.0f}%", "70%"],
        "center": ["50%", "55%" if top > 50 else "50%"],
        "data": [{"name": name, "value": clean(value)} for name, value in slices],
        "label": {"show": True, "formatter": "{b}: {d}%" if chart.options.show_labels else "{b}"},
        "itemStyle": {
            "borderRadius": 4 if hole else 0,
            "borderColor": "rgba(255,255,255,0.8)",
            "borderWidth": 1,
        },
        "emphasis": {"scale": True},
    }
    if chart.flag("half"):
        series.update(
            {
                "startAngle": 180,
                "endAngle": 360,
                "center": ["50%", "75%"],
                "radius": [f"{hole * 0.8:.0f}%", "80%"],
            }
        )
    if chart.flag("rose"):
        series.update({"roseType": "radius", "radius": ["12%", "70%"]})
    option = base_option(chart)
    option["series"] = [series]
    return option


def build_waterfall(chart: ChartInput) -> dict[str, Any]:
    """Each category's value as a step up or down from the running total, ending with the total."""
    table = matrix(chart)
    name = table.series[0]
    bases, rises, falls = [], [], []
    running = 0.0
    for delta in table.values[name]:
        delta = delta or 0.0
        after = running + delta
        bases.append(clean(min(running, after)))
        rises.append(clean(delta) if delta >= 0 else None)
        falls.append(clean(-delta) if delta < 0 else None)
        running = after
    categories = [*table.categories, "Total"]
    option = base_option(chart, trigger="axis", legend=False)
    option["xAxis"] = category_axis(categories)
    option["yAxis"] = value_axis(chart)
    option["series"] = [
        {
            "type": "bar",
            "name": "base",
            "stack": "steps",
            "data": [*bases, 0],
            "itemStyle": {"color": "transparent"},
            "tooltip": {"show": False},
            "emphasis": {"disabled": True},
        },
        {
            "type": "bar",
            "name": "Increase",
            "stack": "steps",
            "data": [*rises, None],
            "itemStyle": {"color": RISE},
            "label": label(chart),
        },
        {
            "type": "bar",
            "name": "Decrease",
            "stack": "steps",
            "data": [*falls, None],
            "itemStyle": {"color": FALL},
            "label": label(chart, "bottom"),
        },
        {
            "type": "bar",
            "name": "Total",
            "stack": "steps",
            "data": [None] * len(bases) + [clean(running)],
            "itemStyle": {"color": TOTAL},
            "label": label(chart),
        },
    ]
    option["grid"] = grid(chart, legend=False)
    return option


def build_marimekko(chart: ChartInput) -> dict[str, Any]:
    """Column widths are each category's share of the total and segment heights its series' shares.

    ECharts has no marimekko series and a custom one needs a JavaScript renderItem, so every
    segment is a filled two-point line (a rectangle down to the axis); lower segments are drawn
    over higher ones, which leaves each visible band the height of its own share.
    """
    table = matrix(chart)
    totals = table.totals()
    grand = sum(totals)
    if grand <= 0:
        raise ChartError("A Marimekko chart needs positive values to size its columns.")
    option = base_option(chart)
    option["tooltip"] = {**option["tooltip"], "trigger": "item"}
    series: list[dict[str, Any]] = []
    left = 0.0
    gap = 0.4
    for column, (category, total) in enumerate(zip(table.categories, totals, strict=True)):
        width = 100 * total / grand
        x0, x1 = left + gap, left + width - gap
        left += width
        tops = []
        running = 0.0
        for name in table.series:
            running += max(table.values[name][column] or 0, 0)
            tops.append(100 * running / total if total else 0)
        for level in reversed(range(len(table.series))):
            name = table.series[level]
            top = clean(tops[level])
            data: list[Any] = [[clean(x0), top], [clean(x1), top]]
            if level == len(table.series) - 1:
                data.insert(
                    1,
                    {
                        "name": category,
                        "value": [clean((x0 + x1) / 2), top],
                        "label": {"show": True, "position": "top", "formatter": "{b}"},
                    },
                )
            series.append(
                {
                    "type": "line",
                    "name": name,
                    "data": data,
                    "showSymbol": True,
                    "symbolSize": 0,
                    "lineStyle": {"width": 0},
                    "z": 2 + len(table.series) - level,
                    "itemStyle": {"color": PALETTE[level % len(PALETTE)]},
                    "areaStyle": {"opacity": 1, "color": PALETTE[level % len(PALETTE)]},
                    "triggerLineEvent": True,
                    "emphasis": {"disabled": True},
                }
            )
    option["xAxis"] = {
        "type": "value",
        "min": 0,
        "max": 100,
        "axisLabel": {"formatter": "{value}%"},
        "splitLine": {"show": False},
    }
    option["yAxis"] = {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}}
    option["legend"]["data"] = table.series
    option["series"] = series
    option["grid"] = {**grid(chart), "top": top_offset(chart) + 16}
    return option
