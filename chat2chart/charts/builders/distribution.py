# SPDX-License-Identifier: MIT
"""Distribution charts: histogram, box plot, strip plot and calendar heatmap. The statistics (bins,
quartiles) are computed here so the option carries plain numbers."""

from __future__ import annotations

import math
from typing import Any

from chat2chart.charts.builders.base import ChartInput, base_option, category_axis, clean, grid, top_offset
from chat2chart.charts.builders.formats import parse_temporal
from chat2chart.core.errors import ChartError

MAX_BINS = 40
CALENDAR_YEARS = 2  # most recent years drawn; more would not fit a card
CELL = 14  # calendar cell height in px


def _values(chart: ChartInput, slot: str) -> list[float]:
    name = chart.required(slot)
    values = [v for v in chart.table.numbers(name) if v is not None]
    if not values:
        raise ChartError(
            f"A {chart.chart_type.name} needs {chart.chart_type.needs.summary}; "
            f"{name!r} has no numbers in it."
        )
    return values


def _weights(chart: ChartInput, expected: int) -> list[float]:
    name = chart.column("weight")
    if not name:
        return [1.0] * expected
    pairs = zip(chart.table.numbers(chart.required("value")), chart.table.numbers(name), strict=True)
    return [w if w is not None else 0.0 for v, w in pairs if v is not None]


def _nice_step(span: float, bins: int) -> float:
    raw = span / bins
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def build_histogram(chart: ChartInput) -> dict[str, Any]:
    """Counts per bin; Sturges' rule picks the bin count and the edges are rounded to nice steps.
    With a `weight` column the rows are (value, count) pairs, as a grouped query returns them."""
    values = _values(chart, "value")
    weights = _weights(chart, len(values))
    low, high = min(values), max(values)
    bins = min(MAX_BINS, max(5, math.ceil(math.log2(max(1.0, sum(weights))) + 1)))
    step = _nice_step(high - low, bins) if high > low else 1.0
    start = math.floor(low / step) * step
    count = max(1, math.ceil((high - start) / step + 1e-9))
    if start + count * step <= high:
        count += 1
    counts: list[float] = [0] * count
    for value, weight in zip(values, weights, strict=True):
        counts[min(count - 1, int((value - start) // step))] += weight
    counts = [clean(c) for c in counts]
    labels = [
        f"{chart.format(clean(start + i * step))} – {chart.format(clean(start + (i + 1) * step))}"
        for i in range(count)
    ]
    option = base_option(chart, trigger="axis", legend=False)
    option["xAxis"] = {**category_axis(labels), "name": chart.column("value")}
    option["yAxis"] = {"type": "value", "name": "count", "minInterval": 1}
    option["series"] = [
        {
            "type": "bar",
            "name": "count",
            "data": counts,
            "barCategoryGap": "4%",
            "label": {"show": chart.options.show_labels, "position": "top"},
        }
    ]
    option["grid"] = grid(chart, legend=False)
    option["aiser"]["numberFormat"] = None  # counts, not the measure's unit
    return option


def _quantile(ordered: list[float], q: float) -> float:
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def _groups(chart: ChartInput) -> dict[str, list[float]]:
    measure = chart.required("y")
    labels = chart.labels("x") if chart.column("x") else [measure] * len(chart.table.rows)
    groups: dict[str, list[float]] = {
        label: [] for label in (chart.ordered_labels("x") if chart.column("x") else [measure])
    }
    for label, number in zip(labels, chart.table.numbers(measure), strict=True):
        if number is not None:
            groups[label].append(number)
    return groups


def build_boxplot(chart: ChartInput) -> dict[str, Any]:
    """Quartiles per group with Tukey whiskers (1.5 x IQR); points beyond them as outliers."""
    groups = _groups(chart)
    boxes: list[list[Any]] = []
    outliers: list[list[Any]] = []
    for index, values in enumerate(groups.values()):
        if not values:
            boxes.append([])
            continue
        ordered = sorted(values)
        q1, median, q3 = (_quantile(ordered, q) for q in (0.25, 0.5, 0.75))
        reach = 1.5 * (q3 - q1)
        inside = [v for v in ordered if q1 - reach <= v <= q3 + reach]
        boxes.append([clean(v) for v in (inside[0], q1, median, q3, inside[-1])])
        outliers += [[index, clean(v)] for v in ordered if v < q1 - reach or v > q3 + reach]
    option = base_option(chart, legend=False)
    option["xAxis"] = category_axis(list(groups))
    option["yAxis"] = {"type": "value", "scale": True, "name": chart.column("y")}
    option["series"] = [
        {"type": "boxplot", "name": chart.column("y"), "data": boxes},
        {"type": "scatter", "name": "outliers", "data": outliers, "symbolSize": 6},
    ]
    option["grid"] = grid(chart, legend=False)
    return option


def build_strip(chart: ChartInput) -> dict[str, Any]:
    """Every value as a dot in its group's column, spread sideways by a fixed (not random) offset."""
    groups = _groups(chart)
    data = []
    for category, values in groups.items():
        for position, value in enumerate(values):
            offset = (position * 7919) % 25 - 12  # deterministic jitter, ±12 px
            data.append({"value": [category, clean(value)], "symbolOffset": [offset, 0]})
    option = base_option(chart, legend=False)
    option["xAxis"] = category_axis(list(groups))
    option["yAxis"] = {"type": "value", "scale": True, "name": chart.column("y")}
    option["series"] = [
        {
            "type": "scatter",
            "name": chart.column("y"),
            "data": data,
            "symbolSize": 7,
            "itemStyle": {"opacity": 0.6},
        }
    ]
    option["grid"] = grid(chart, legend=False)
    return option


def build_calendar(chart: ChartInput) -> dict[str, Any]:
    """One calendar per year (the most recent few), colour by the day's summed value."""
    x, measure = chart.required("x"), chart.required("value")
    days: dict[str, float] = {}
    for raw, number in zip(chart.table.values(x), chart.table.numbers(measure), strict=True):
        moment = parse_temporal(raw)
        if moment is not None and number is not None:
            key = moment.date().isoformat()
            days[key] = days.get(key, 0.0) + number
    if not days:
        raise ChartError(f"A Calendar heatmap needs {chart.chart_type.needs.summary}; no row has both.")
    years = sorted({day[:4] for day in days})[-CALENDAR_YEARS:]
    top = top_offset(chart) + 16
    option = base_option(chart, legend=False)
    # Fixed-height rows of cells so each year keeps its shape whatever the card's height.
    option["calendar"] = [
        {
            "range": year,
            "top": top + index * (7 * CELL + 30),
            "left": 44,
            "right": 16,
            "cellSize": ["auto", CELL],
            "yearLabel": {"position": "left", "margin": 28},
            "dayLabel": {"firstDay": 1, "nameMap": "en", "fontSize": 9},
            "monthLabel": {"fontSize": 10},
            "splitLine": {"show": True, "lineStyle": {"width": 1}},
        }
        for index, year in enumerate(years)
    ]
    values = list(days.values())
    option["visualMap"] = {
        "type": "continuous",
        "min": clean(min(values)),
        "max": clean(max(values)),
        "orient": "horizontal",
        "left": "center",
        "bottom": 4,
        "calculable": True,
    }
    option["series"] = [
        {
            "type": "heatmap",
            "coordinateSystem": "calendar",
            "calendarIndex": index,
            "name": measure,
            "data": [[day, clean(value)] for day, value in days.items() if day.startswith(year)],
        }
        for index, year in enumerate(years)
    ]
    return option
