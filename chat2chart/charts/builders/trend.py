# SPDX-License-Identifier: MIT
"""Trend charts: lines and areas in their variants, bar + line combo, sparkline, theme river,
candlestick and OHLC."""

from __future__ import annotations

from datetime import datetime, timedelta
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
from chat2chart.charts.builders.formats import parse_temporal

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
    """Lines (or areas) per measure or per series value; stacked or 100% with the options.

    A date column is drawn on a time axis: points sit at their dates, and a period with no row (a
    missing day of a daily series) is a break in the line rather than being squeezed out.
    """
    opts = chart.options
    table = matrix(chart)
    values = normalised(table) if opts.normalize else table.values
    right = set(opts.secondary_axis) & set(table.series)
    option = base_option(chart, trigger="axis", legend=len(table.series) > 1)
    x = chart.column("x")
    moments = time_points(chart, table.categories) if x and chart.table.is_temporal(x) else None
    if moments is None:
        option["xAxis"] = category_axis(table.categories, boundary_gap=False, name=dimension_title(chart))
    else:
        option["xAxis"] = {
            "type": "time",
            "name": dimension_title(chart),
            "nameLocation": "middle",
            "nameGap": 28,
            "axisLabel": {"hideOverlap": True},
        }
    left = {**value_axis(chart, percent=opts.normalize), "scale": not opts.area and not opts.log_axis}
    option["yAxis"] = (
        [left, {**value_axis(chart, name=axis_title(chart, sorted(right))), "splitLine": {"show": False}}]
        if right
        else left
    )
    series = []
    for name in table.series:
        points: list[Any] = [clean(v) for v in values[name]]
        if moments is not None:
            points = _on_time_axis(moments, points, _grain(chart))
        item = _line_series(chart, name, points)
        if moments is not None:
            item["connectNulls"] = False
        if name in right:
            item["yAxisIndex"] = 1
        series.append(item)
    option["series"] = series
    option["grid"] = grid(chart, legend=len(table.series) > 1)
    return option


def time_points(chart: ChartInput, categories: list[str]) -> list[datetime] | None:
    """The moment of each category label of the x column, or None when some label is not a date."""
    by_label: dict[str, datetime | None] = {}
    for raw, text in zip(chart.table.values(chart.required("x")), chart.labels("x"), strict=True):
        by_label.setdefault(text, parse_temporal(raw))
    moments = [by_label.get(label) for label in categories]
    return None if any(m is None for m in moments) else [m for m in moments if m is not None]


def _grain(chart: ChartInput) -> str | None:
    name = chart.column("x")
    return chart.table.column(name).granularity if name else None


_STEPS_MONTHS = {"month": 1, "quarter": 3, "year": 12}
_STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}
MAX_FILLED_POINTS = 20_000  # a longer run of periods is drawn without filling its gaps


def _next_period(moment: datetime, grain: str) -> datetime:
    if grain in _STEPS:
        return moment + _STEPS[grain]
    months = moment.month - 1 + _STEPS_MONTHS[grain]
    return moment.replace(year=moment.year + months // 12, month=months % 12 + 1, day=1)


def _iso(moment: datetime) -> str:
    return moment.isoformat() if moment.hour or moment.minute or moment.second else moment.date().isoformat()


def _on_time_axis(moments: list[datetime], values: list[Any], grain: str | None) -> list[Any]:
    """[date, value] pairs in date order; with a known grain, each missing period becomes a null
    point so the line breaks there (a gap is shown as a gap)."""
    pairs = sorted(zip(moments, values, strict=True), key=lambda pair: pair[0])
    if (grain not in _STEPS and grain not in _STEPS_MONTHS) or len(pairs) < 2:
        return [[_iso(m), v] for m, v in pairs]
    present = dict(pairs)
    filled: list[Any] = []
    moment, last = pairs[0][0], pairs[-1][0]
    while moment <= last and len(filled) < MAX_FILLED_POINTS:
        filled.append([_iso(moment), present.get(moment)])
        moment = _next_period(moment, grain)
    if moment <= last:  # too many periods to fill: draw the points as they are
        return [[_iso(m), v] for m, v in pairs]
    return filled


def build_combo(chart: ChartInput) -> dict[str, Any]:
    """The first measure as bars on the left axis; the others as lines on the right axis unless
    `secondary_axis` says which measures go right."""
    measures = chart.measures()
    table = matrix(chart)
    right = set(chart.options.secondary_axis) or set(measures[1:])
    option = base_option(chart, trigger="axis")
    option["xAxis"] = category_axis(table.categories, name=dimension_title(chart))
    option["yAxis"] = [
        {**value_axis(chart, name=axis_title(chart, [m for m in measures if m not in right]))},
        {
            **value_axis(chart, name=axis_title(chart, [m for m in measures if m in right])),
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
    return chart.format(value).replace("{", "").replace("|", "")


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
