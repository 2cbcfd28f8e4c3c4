# SPDX-License-Identifier: MIT
"""Trend charts: lines and areas in their variants, bar + line combo, sparkline, theme river,
candlestick and OHLC."""

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
    normalised,
    value_axis,
)
from chat2chart.charts.builders.formats import format_number, parse_temporal

UP, DOWN = "#2f9e44", "#e03131"  # rising and falling periods on price charts
SYMBOLS_UP_TO = 40  # points per line before markers are hidden to keep the line legible


def _line_series(chart: ChartInput, name: str, data: list[Any]) -> dict[str, Any]:
    opts = chart.options
    item: dict[str, Any] = {
        "type": "line",
        "name": name,
        "data": data,
        "smooth": opts.smooth,
        "showSymbol": len(data) <= SYMBOLS_UP_TO,
        "label": label(chart),
        "emphasis": {"focus": "series"},
    }
    if chart.flag("step"):
        item["step"] = "middle"
    if opts.area:
        item["areaStyle"] = {"opacity": 0.7 if opts.stack else 0.25}
    if opts.stack:
        item["stack"] = "total"
    return item


def build_line(chart: ChartInput) -> dict[str, Any]:
    """Lines (or areas) per measure or per series value; stacked or 100% with the options."""
    opts = chart.options
    table = matrix(chart)
    values = normalised(table) if opts.normalize else table.values
    right = set(opts.secondary_axis) & set(table.series)
    option = base_option(chart, trigger="axis", legend=len(table.series) > 1)
    option["xAxis"] = category_axis(table.categories, boundary_gap=False)
    left = {**value_axis(chart, percent=opts.normalize), "scale": not opts.area and not opts.log_axis}
    option["yAxis"] = [left, {**value_axis(chart), "splitLine": {"show": False}}] if right else left
    series = []
    for name in table.series:
        item = _line_series(chart, name, [clean(v) for v in values[name]])
        if name in right:
            item["yAxisIndex"] = 1
        series.append(item)
    option["series"] = series
    option["grid"] = grid(chart, legend=len(table.series) > 1)
    return option


def build_combo(chart: ChartInput) -> dict[str, Any]:
    """The first measure as bars on the left axis; the others as lines on the right axis unless
    `secondary_axis` says which measures go right."""
    measures = chart.measures()
    table = matrix(chart)
    right = set(chart.options.secondary_axis) or set(measures[1:])
    option = base_option(chart, trigger="axis")
    option["xAxis"] = category_axis(table.categories)
    option["yAxis"] = [
        {**value_axis(chart, name=", ".join(m for m in measures if m not in right))},
        {
            **value_axis(chart, name=", ".join(m for m in measures if m in right)),
            "splitLine": {"show": False},
        },
    ]
    series = []
    for position, name in enumerate(measures):
        data = [clean(v) for v in table.values[name]]
        if position == 0:
            item: dict[str, Any] = {"type": "bar", "name": name, "data": data, "label": label(chart)}
        else:
            item = _line_series(chart, name, data)
            item.pop("stack", None)  # a stacked or filled line would hide the bars behind it
            item.pop("areaStyle", None)
        item["yAxisIndex"] = 1 if name in right else 0
        series.append(item)
    option["series"] = series
    option["grid"] = grid(chart)
    return option


def _last_number(values: list[Any]) -> float | None:
    return next((v for v in reversed(values) if isinstance(v, int | float)), None)


def _plain_label(value: float | None, chart: ChartInput) -> str:
    # "{" and "|" start templates and rich text in an ECharts label: a number never holds them.
    return format_number(value, chart.number_format()).replace("{", "").replace("|", "")


def build_sparkline(chart: ChartInput) -> dict[str, Any]:
    """A bare line: no axes or grid lines, the last value labelled."""
    table = matrix(chart)
    name = table.series[0]
    option = base_option(chart, trigger="axis", legend=False)
    option["grid"] = {"left": 8, "right": 96, "top": 72 if chart.spec.title else 40, "bottom": 8}
    option["xAxis"] = {**category_axis(table.categories, boundary_gap=False), "show": False}
    option["yAxis"] = {"type": "value", "show": False, "scale": True}
    option["series"] = [
        {
            "type": "line",
            "name": name,
            "data": [clean(v) for v in table.values[name]],
            "showSymbol": False,
            "smooth": True,
            "lineStyle": {"width": 2},
            "areaStyle": {"opacity": 0.15},
            # The last value, formatted here: a plain string, so no template or function is needed.
            "endLabel": {"show": True, "formatter": _plain_label(_last_number(table.values[name]), chart)},
        }
    ]
    return option


def build_theme_river(chart: ChartInput) -> dict[str, Any]:
    """Streams per series over a time axis; missing (date, series) pairs count as zero so layers align."""
    x, measure = chart.required("x"), chart.measures()[0]
    totals: dict[tuple[str, str], float] = {}
    moments: dict[str, Any] = {}
    names = chart.labels("series")
    for raw, name, number in zip(chart.table.values(x), names, chart.table.numbers(measure), strict=True):
        moment = parse_temporal(raw)
        if moment is None:
            continue
        key = moment.isoformat() if moment.hour or moment.minute else moment.date().isoformat()
        moments[key] = moment
        totals[(key, name)] = totals.get((key, name), 0.0) + (number or 0)
    dates = sorted(moments, key=lambda k: moments[k])
    layers = list(dict.fromkeys(names))
    option = base_option(chart, trigger="axis")
    option["tooltip"]["axisPointer"] = {"type": "line"}
    option["singleAxis"] = {
        "type": "time",
        "top": 80 if chart.spec.title else 50,
        "bottom": 56,
        "left": 24,
        "right": 24,
    }
    option["series"] = [
        {
            "type": "themeRiver",
            "emphasis": {"focus": "self"},
            "label": {"show": chart.options.show_labels},
            "data": [[d, clean(totals.get((d, layer), 0.0)), layer] for layer in layers for d in dates],
        }
    ]
    option["legend"]["data"] = layers
    return option


def _ohlc_columns(chart: ChartInput) -> tuple[list[str], list[list[float | None]]]:
    names = [chart.column(slot) for slot in ("open", "close", "low", "high")]
    table = matrix(chart, measures=[n for n in names if n])
    return table.categories, [table.values[n] for n in names if n]


def build_candlestick(chart: ChartInput) -> dict[str, Any]:
    categories, (opens, closes, lows, highs) = _ohlc_columns(chart)
    option = base_option(chart, trigger="axis", legend=False)
    option["tooltip"]["axisPointer"] = {"type": "cross"}
    option["xAxis"] = category_axis(categories)
    option["yAxis"] = {**value_axis(chart), "scale": True}
    option["series"] = [
        {
            "type": "candlestick",
            "name": chart.spec.title or "price",
            "data": [
                [clean(o), clean(c), clean(lo), clean(h)]
                for o, c, lo, h in zip(opens, closes, lows, highs, strict=True)
            ],
            "itemStyle": {"color": UP, "color0": DOWN, "borderColor": UP, "borderColor0": DOWN},
        }
    ]
    option["grid"] = grid(chart, legend=False)
    return option


def build_ohlc(chart: ChartInput) -> dict[str, Any]:
    """OHLC ticks without a custom renderer: a thin low→high bar, open tick left, close tick right."""
    categories, (opens, closes, lows, highs) = _ohlc_columns(chart)
    colours = [UP if (c or 0) >= (o or 0) else DOWN for o, c in zip(opens, closes, strict=True)]
    spans = [None if lo is None or h is None else h - lo for lo, h in zip(lows, highs, strict=True)]
    option = base_option(chart, trigger="axis", legend=False)
    option["xAxis"] = category_axis(categories)
    option["yAxis"] = {**value_axis(chart), "scale": True}

    def ticks(name: str, values: list[float | None], offset: int) -> dict[str, Any]:
        return {
            "type": "scatter",
            "name": name,
            "symbol": "rect",
            "symbolSize": [8, 2],
            "symbolOffset": [offset, 0],
            "data": [
                {"value": clean(v), "itemStyle": {"color": colour}}
                for v, colour in zip(values, colours, strict=True)
            ],
            "z": 3,
        }

    option["series"] = [
        {
            "type": "bar",
            "name": chart.column("low"),
            "stack": "ohlc",
            "data": [clean(v) for v in lows],
            "itemStyle": {"color": "transparent"},
            "barWidth": 2,
            "emphasis": {"disabled": True},
        },
        {
            "type": "bar",
            "name": "high – low",
            "stack": "ohlc",
            "barWidth": 2,
            "tooltip": {"show": False},
            "data": [
                {"value": clean(v), "itemStyle": {"color": colour}}
                for v, colour in zip(spans, colours, strict=True)
            ],
        },
        ticks(str(chart.column("open")), opens, -4),
        ticks(str(chart.column("close")), closes, 4),
        {"type": "scatter", "name": chart.column("high"), "data": [clean(v) for v in highs], "symbolSize": 0},
    ]
    option["grid"] = grid(chart, legend=False)
    return option
