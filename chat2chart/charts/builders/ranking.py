# SPDX-License-Identifier: MIT
"""Ranking charts: ranked bar, pareto, slope and bump."""

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
    value_axis,
)
from chat2chart.charts.builders.comparison import build_bar

PARETO_LINE = 80  # % mark on a pareto chart: the "vital few"


def build_ranked_bar(chart: ChartInput) -> dict[str, Any]:
    """Horizontal bars sorted largest first (the type's presets set orientation and sort)."""
    return build_bar(chart)


def build_pareto(chart: ChartInput) -> dict[str, Any]:
    """Bars sorted descending with the running share of the total as a line on a 0-100% axis."""
    table = matrix(chart)
    name = table.series[0]
    ranked = sorted(
        zip(table.categories, table.values[name], strict=True), key=lambda p: p[1] or 0, reverse=True
    )
    total = sum(v or 0 for _, v in ranked) or 1
    running, shares = 0.0, []
    for _, value in ranked:
        running += value or 0
        shares.append(round(100 * running / total, 1))
    option = base_option(chart, trigger="axis")
    option["xAxis"] = category_axis([c for c, _ in ranked])
    option["yAxis"] = [
        value_axis(chart, name=name),
        {
            "type": "value",
            "min": 0,
            "max": 100,
            "name": "cumulative %",
            "axisLabel": {"formatter": "{value}%"},
            "splitLine": {"show": False},
        },
    ]
    option["series"] = [
        {"type": "bar", "name": name, "data": [clean(v) for _, v in ranked], "label": label(chart)},
        {
            "type": "line",
            "name": "cumulative %",
            "yAxisIndex": 1,
            "data": shares,
            "symbolSize": 6,
            "markLine": {
                "silent": True,
                "symbol": "none",
                "data": [{"yAxis": PARETO_LINE}],
                "lineStyle": {"type": "dashed"},
                "label": {"show": False},
            },
        },
    ]
    option["grid"] = grid(chart)
    return option


def build_slope(chart: ChartInput) -> dict[str, Any]:
    """One line per category from its first measure (left) to its second (right)."""
    first, second = chart.measures()
    table = matrix(chart)
    option = base_option(chart, legend=False)
    option["xAxis"] = {
        **category_axis([first, second], boundary_gap=False),
        "axisLabel": {"fontWeight": "bold"},
    }
    option["yAxis"] = {**value_axis(chart), "scale": True}
    option["series"] = [
        {
            "type": "line",
            "name": category,
            "data": [clean(table.values[first][i]), clean(table.values[second][i])],
            "symbolSize": 8,
            "endLabel": {"show": True, "formatter": "{a}"},
            "emphasis": {"focus": "series"},
            "label": label(chart, "left"),
        }
        for i, category in enumerate(table.categories)
    ]
    option["grid"] = {**grid(chart, legend=False), "left": 32, "right": 140}
    return option


def build_bump(chart: ChartInput) -> dict[str, Any]:
    """Rank (1 = highest value) of each series in each period; missing values leave a gap."""
    table = matrix(chart)
    ranks: dict[str, list[int | None]] = {name: [None] * len(table.categories) for name in table.series}
    for period in range(len(table.categories)):
        present = [
            (name, table.values[name][period])
            for name in table.series
            if table.values[name][period] is not None
        ]
        for rank, (name, _) in enumerate(sorted(present, key=lambda p: p[1] or 0, reverse=True), start=1):
            ranks[name][period] = rank
    option = base_option(chart, trigger="item", legend=False)
    option["xAxis"] = category_axis(table.categories, boundary_gap=False)
    option["yAxis"] = {
        "type": "value",
        "inverse": True,
        "min": 1,
        "max": max(len(table.series), 1),
        "interval": 1,
        "name": "rank",
    }
    option["series"] = [
        {
            "type": "line",
            "name": name,
            "data": ranks[name],
            "symbolSize": 10,
            "smooth": 0.3,
            "endLabel": {"show": True, "formatter": "{a}"},
            "emphasis": {"focus": "series"},
        }
        for name in table.series
    ]
    option["grid"] = {**grid(chart, legend=False), "right": 120}
    return option
