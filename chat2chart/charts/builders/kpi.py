# SPDX-License-Identifier: MIT
"""KPI charts: the big number with its change (drawn as ECharts `graphic` text, so it exports as
PNG like any chart), gauge, progress ring and bullet."""

from __future__ import annotations

import math
from typing import Any

from chat2chart.charts.builders.base import ChartInput, base_option, category_axis, clean, grid, matrix
from chat2chart.core.errors import ChartError

UP, DOWN, FLAT = "#2f9e44", "#e03131", "#868e96"
TEXT = {"light": ("#1f2329", "#6e7079"), "dark": ("#eeeeee", "#b9b8ce")}  # (main, secondary) per theme


def _total(chart: ChartInput, slot: str) -> float | None:
    name = chart.column(slot)
    if name is None:
        return None
    numbers = [n for n in chart.table.numbers(name) if n is not None]
    return sum(numbers) if numbers else None


def _nice_ceiling(value: float) -> float:
    """A round dial end above the value: 1, 2, 2.5 or 5 x a power of ten."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value * 1.2))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= value * 1.2)


def _current_and_reference(chart: ChartInput) -> tuple[float | None, float | None, str, list[float | None]]:
    """The value to show, what it is compared with, how to say so, and the series for a sparkline."""
    value_column = chart.required("value")
    x = chart.column("x")
    if x and chart.table.is_temporal(x):
        # A series over time: the latest period against the one before it.
        series = matrix(chart, measures=[value_column]).values[value_column]
        present = [v for v in series if v is not None]
        previous = present[-2] if len(present) > 1 else None
        return (present[-1] if present else None), previous, "vs previous period", series
    # One value per group (a region, a product): a KPI shows their total, never one group's value
    # compared with another group's; only sums and counts add up to a total.
    if (x or chart.table.row_count > 1) and chart.table.column(value_column).aggregation not in (
        "sum",
        "count",
        None,
    ):
        raise ChartError(
            f"A KPI shows one value, and {value_column} has one per group that does not add up; "
            "remove the grouping or draw a bar chart."
        )
    target = _total(chart, "target")
    return _total(chart, "value"), target, f"vs {chart.column('target')}", []


def build_kpi(chart: ChartInput) -> dict[str, Any]:
    current, reference, versus, history = _current_and_reference(chart)
    main, secondary = TEXT[chart.options.theme]
    texts: list[dict[str, Any]] = [
        {
            "type": "text",
            "left": "center",
            "top": "30%",
            "style": {
                "text": chart.format(current),
                "fontSize": 52,
                "fontWeight": "bold",
                "fill": main,
            },
        },
        {
            "type": "text",
            "left": "center",
            "top": "52%",
            "style": {"text": str(chart.column("value")), "fontSize": 16, "fill": secondary},
        },
    ]
    if current is not None and reference:
        change = (current - reference) / abs(reference)
        arrow, colour = ("▲", UP) if change > 0 else ("▼", DOWN) if change < 0 else ("■", FLAT)
        texts.append(
            {
                "type": "text",
                "left": "center",
                "top": "62%",
                "style": {
                    "text": f"{arrow} {abs(change) * 100:.1f}% {versus} ({chart.format(reference)})",
                    "fontSize": 15,
                    "fill": colour,
                },
            }
        )
    option = base_option(chart, legend=False)
    option["graphic"] = {"elements": texts}
    if len(history) > 1:
        option["grid"] = {"left": "20%", "right": "20%", "top": "74%", "bottom": 12}
        option["xAxis"] = {
            "type": "category",
            "show": False,
            "boundaryGap": False,
            "data": list(range(len(history))),
        }
        option["yAxis"] = {"type": "value", "show": False, "scale": True}
        option["tooltip"] = {**option["tooltip"], "trigger": "axis"}
        option["series"] = [
            {
                "type": "line",
                "name": chart.column("value"),
                "data": [clean(v) for v in history],
                "showSymbol": False,
                "smooth": True,
                "areaStyle": {"opacity": 0.15},
            }
        ]
    else:
        option["series"] = []
    option["aiser"]["kind"] = "kpi"
    return option


def build_gauge(chart: ChartInput) -> dict[str, Any]:
    value = _total(chart, "value") or 0.0
    target = _total(chart, "target")
    end = _nice_ceiling(max(target or 0, value) / 1.2) if target else _nice_ceiling(value)
    option = base_option(chart, legend=False)
    option["series"] = [
        {
            "type": "gauge",
            "name": chart.column("value"),
            "min": 0,
            "max": clean(max(end, value)),
            "center": ["50%", "62%"],
            "radius": "68%",
            "progress": {"show": True, "width": 12},
            "axisLine": {"lineStyle": {"width": 12}},
            "splitNumber": 5,
            "axisLabel": {"distance": 16, "fontSize": 10},
            "detail": {
                "valueAnimation": True,
                "formatter": chart.format(value),
                "fontSize": 28,
                "offsetCenter": [0, "40%"],
            },
            "title": {"offsetCenter": [0, "70%"]},
            "data": [{"value": clean(value), "name": str(chart.column("value"))}],
        }
    ]
    return option


def build_progress(chart: ChartInput) -> dict[str, Any]:
    """A ring filled to value ÷ target; without a target the value must already be a share."""
    value = _total(chart, "value") or 0.0
    target = _total(chart, "target")
    if target:
        share = 100 * value / target
    elif 0 <= value <= 1:
        share = 100 * value
    elif 0 <= value <= 100:
        share = value
    else:
        raise ChartError(
            "A Progress ring needs a target measure when the value is not a share "
            f"(0–1 or 0–100); {chart.column('value')!r} is {value:g}."
        )
    option = base_option(chart, legend=False)
    option["series"] = [
        {
            "type": "gauge",
            "name": chart.column("value"),
            "startAngle": 90,
            "endAngle": -270,
            "min": 0,
            "max": 100,
            "center": ["50%", "58%"],
            "radius": "70%",
            "pointer": {"show": False},
            "progress": {"show": True, "roundCap": True, "clip": True, "width": 18},
            "axisLine": {"lineStyle": {"width": 18}},
            "splitLine": {"show": False},
            "axisTick": {"show": False},
            "axisLabel": {"show": False},
            "detail": {"formatter": f"{share:.0f}%", "fontSize": 30, "offsetCenter": [0, 0]},
            "title": {"offsetCenter": [0, "30%"]},
            "data": [{"value": clean(min(max(share, 0), 100)), "name": str(chart.column("value"))}],
        }
    ]
    return option


def build_bullet(chart: ChartInput) -> dict[str, Any]:
    """Per category: a grey band to 115% of the larger of value and target, the value bar, a target tick."""
    value, target = chart.required("value"), chart.required("target")
    if chart.column("x"):
        table = matrix(chart, measures=[value, target])
        categories, values, targets = table.categories, table.values[value], table.values[target]
    else:
        categories, values, targets = [value], [_total(chart, "value")], [_total(chart, "target")]
    bands = [clean(1.15 * max(v or 0, t or 0)) for v, t in zip(values, targets, strict=True)]
    option = base_option(chart, trigger="axis")
    option["xAxis"] = {"type": "value"}
    axis = {**category_axis(categories), "inverse": True}
    # The value bar sits on a hidden twin of the category axis, so it is centred in the band
    # whatever the two bar widths are.
    option["yAxis"] = [axis, {**axis, "show": False}]
    option["series"] = [
        {
            "type": "bar",
            "name": "range",
            "data": bands,
            "barWidth": "60%",
            "silent": True,
            "itemStyle": {"color": "rgba(128,128,128,0.18)"},
            "tooltip": {"show": False},
        },
        {
            "type": "bar",
            "name": value,
            "data": [clean(v) for v in values],
            "barWidth": "26%",
            "yAxisIndex": 1,
            "z": 3,
        },
        {
            "type": "scatter",
            "name": target,
            "data": [clean(t) for t in targets],
            "symbol": "rect",
            "symbolSize": [4, 30],
            "z": 4,
            "itemStyle": {"color": TEXT[chart.options.theme][0]},
        },
    ]
    option["legend"]["data"] = [value, target]
    option["grid"] = grid(chart)
    return option
