# SPDX-License-Identifier: MIT
"""ECharts options that show the analytics engine's evidence: a forecast's interval band, unusual points
marked on the series, the trend line with its change points, a waterfall of a change's contributions,
ranked influences, a weekly cycle, a Pareto curve and the insights feed as a grid of small charts.

Every number drawn comes from a finding; these functions only place it. No Django here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chat2chart.analytics.findings import (
    AnomalyFinding,
    Association,
    Concentration,
    Contribution,
    CyclePattern,
    DriversFinding,
    Finding,
    ForecastFinding,
    TrendFinding,
)
from chat2chart.conversations.narrative_shapes import format_number

BAND = "rgba(84, 112, 198, 0.15)"
BAND_95 = "rgba(84, 112, 198, 0.08)"
UP, DOWN, TOTAL, MARK = "#2f9e44", "#e03131", "#5470c6", "#e03131"
WATERFALL_STEPS = 8


def base(labels: list[str]) -> dict[str, Any]:
    """A category x axis over `labels` and a value y axis."""
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 4},
        "grid": {"left": 56, "right": 24, "top": 40, "bottom": 32},
        "xAxis": {"type": "category", "data": labels, "boundaryGap": False},
        "yAxis": {"type": "value", "scale": True},
    }


def _band(name: str, low: list[float | None], width: list[float | None], color: str) -> list[dict[str, Any]]:
    # A band is a stacked area: an invisible lower edge, then the width of the band on top of it.
    hidden = {"lineStyle": {"opacity": 0}, "showSymbol": False}
    return [
        {
            "name": f"{name} low",
            "type": "line",
            "data": low,
            "stack": name,
            "tooltip": {"show": False},
            **hidden,
        },
        {
            "name": f"{name} interval",
            "type": "line",
            "data": width,
            "stack": name,
            "areaStyle": {"color": color},
            **hidden,
        },
    ]


def forecast_option(labels: list[str], values: list[float], finding: ForecastFinding) -> dict[str, Any]:
    """History, the forecast's mean (dashed) and its 80 % and 95 % bands."""
    future = [p.at for p in finding.points]
    blank: list[float | None] = [None] * len(labels)
    option = base(labels + future)
    option["series"] = [
        {"name": "History", "type": "line", "data": values + [None] * len(future), "showSymbol": False},
        {
            "name": "Forecast",
            "type": "line",
            "data": blank + [p.mean for p in finding.points],
            "lineStyle": {"type": "dashed"},
        },
        *_band(
            "95 %",
            blank + [p.lo95 for p in finding.points],
            blank + [p.hi95 - p.lo95 for p in finding.points],
            BAND_95,
        ),
        *_band(
            "80 %",
            blank + [p.lo80 for p in finding.points],
            blank + [p.hi80 - p.lo80 for p in finding.points],
            BAND,
        ),
    ]
    option["legend"]["data"] = ["History", "Forecast", "80 % interval", "95 % interval"]
    return option


def anomalies_option(labels: list[str], values: list[float], finding: AnomalyFinding) -> dict[str, Any]:
    """The series with each unusual point marked (markPoint at its label and value)."""
    option = base(labels)
    marks = [
        {"coord": [flag.at, flag.value], "value": format_number(flag.value), "itemStyle": {"color": MARK}}
        for flag in finding.flags
    ]
    option["series"] = [
        {
            "name": finding.measure,
            "type": "line",
            "data": values,
            "showSymbol": False,
            "markPoint": {"symbol": "circle", "symbolSize": 9, "label": {"show": False}, "data": marks},
        }
    ]
    return option


def trend_option(labels: list[str], values: list[float], finding: TrendFinding) -> dict[str, Any]:
    """The series, its Theil-Sen line and a vertical markLine at each change point."""
    option = base(labels)
    lines = [
        {
            "xAxis": point.at,
            "label": {"formatter": f"{format_number(point.mean_before)} → {format_number(point.mean_after)}"},
        }
        for point in finding.change_points
    ]
    option["series"] = [
        {
            "name": finding.measure,
            "type": "line",
            "data": values,
            "showSymbol": False,
            "markLine": {"symbol": "none", "lineStyle": {"type": "dashed", "color": MARK}, "data": lines},
        }
    ]
    if finding.trend_line:
        option["series"].append(
            {
                "name": "Trend (Theil–Sen)",
                "type": "line",
                "data": [round(v, 6) for v in finding.trend_line],
                "showSymbol": False,
                "lineStyle": {"type": "dashed"},
            }
        )
    return option


def waterfall_option(finding: DriversFinding) -> dict[str, Any]:
    """Before total, each value's contribution of the top dimension (largest first, the rest as one step),
    after total: a stacked bar whose invisible base carries each step."""
    top = finding.dimensions[0]
    steps: list[Contribution] = top.contributions[:WATERFALL_STEPS]
    rest = sum(c.change for c in top.contributions[WATERFALL_STEPS:])
    names = [finding.before_label] + [f"{top.dimension} {c.value}" for c in steps]
    changes = [c.change for c in steps]
    if len(top.contributions) > WATERFALL_STEPS:
        names.append("all others")
        changes.append(rest)
    names.append(finding.after_label)
    base_row: list[float | None] = [0.0]
    up: list[float | None] = [None]
    down: list[float | None] = [None]
    totals: list[float | None] = [finding.before]
    level = finding.before
    for change in changes:
        base_row.append(min(level, level + change))
        up.append(change if change >= 0 else None)
        down.append(-change if change < 0 else None)
        totals.append(None)
        level += change
    base_row.append(0.0)
    up.append(None)
    down.append(None)
    totals.append(finding.after)
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 4, "data": ["Total", "Increase", "Decrease"]},
        "grid": {"left": 64, "right": 24, "top": 40, "bottom": 72},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"rotate": 30, "interval": 0}},
        "yAxis": {"type": "value", "scale": False},
        "series": [
            {
                "name": "base",
                "type": "bar",
                "stack": "w",
                "data": base_row,
                "itemStyle": {"color": "transparent"},
                "tooltip": {"show": False},
            },
            {"name": "Total", "type": "bar", "stack": "w", "data": totals, "itemStyle": {"color": TOTAL}},
            {"name": "Increase", "type": "bar", "stack": "w", "data": up, "itemStyle": {"color": UP}},
            {"name": "Decrease", "type": "bar", "stack": "w", "data": down, "itemStyle": {"color": DOWN}},
        ],
    }


def influences_option(found: Sequence[Association]) -> dict[str, Any]:
    """Factors ranked by effect size, strongest on top, each bar with its 95 % interval in the tooltip."""
    ordered = list(reversed(found))
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 140, "right": 32, "top": 24, "bottom": 32},
        "xAxis": {"type": "value", "name": "effect size"},
        "yAxis": {"type": "category", "data": [a.factor for a in ordered]},
        "series": [
            {
                "name": "Effect",
                "type": "bar",
                "data": [
                    {"value": a.effect, "name": f"{a.effect_name} {a.ci_low:g}..{a.ci_high:g}"}
                    for a in ordered
                ],
            }
        ],
    }


def cycle_option(found: CyclePattern) -> dict[str, Any]:
    """The mean of the measure at each position of the cycle; highest and lowest marked."""
    names = list(found.means)
    colours = {found.highest: UP, found.lowest: DOWN}
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 56, "right": 24, "top": 24, "bottom": 32},
        "xAxis": {"type": "category", "data": names},
        "yAxis": {"type": "value", "name": f"average {found.measure}"},
        "series": [
            {
                "name": f"Average {found.measure}",
                "type": "bar",
                "data": [
                    {"value": round(found.means[n], 6), "itemStyle": {"color": colours.get(n, TOTAL)}}
                    for n in names
                ],
            }
        ],
    }


def pareto_option(labels: list[str], values: list[float], found: Concentration) -> dict[str, Any]:
    """Values largest first with the cumulative share as a line; a markLine where the top share ends."""
    total = sum(max(v, 0.0) for v in values) or 1.0
    cumulative, running = [], 0.0
    for value in values:
        running += max(value, 0.0)
        cumulative.append(round(100 * running / total, 4))
    top = max(1, round(found.top_share_of_values * len(values) + 0.4999))
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 4},
        "grid": {"left": 64, "right": 56, "top": 40, "bottom": 32},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": [
            {"type": "value", "name": found.measure},
            {"type": "value", "name": "cumulative %", "max": 100},
        ],
        "series": [
            {"name": found.measure, "type": "bar", "data": values},
            {
                "name": "Cumulative %",
                "type": "line",
                "yAxisIndex": 1,
                "data": cumulative,
                "markLine": {"symbol": "none", "data": [{"xAxis": labels[top - 1]}]},
            },
        ],
    }


def feed_option(findings: Sequence[Finding], *, columns: int = 2) -> dict[str, Any]:
    """The insights feed in one option: each finding's own chart in its cell of a grid, titled with its
    number in the narrative's list. Axes and series are re-indexed to their cell."""
    rows = max(1, (len(findings) + columns - 1) // columns)
    option: dict[str, Any] = {"title": [], "grid": [], "xAxis": [], "yAxis": [], "series": [], "tooltip": {}}
    for i, finding in enumerate(findings):
        row, col = divmod(i, columns)
        left, top = col * 100 / columns, row * 100 / rows
        chart = finding.chart
        title = chart.get("title", {}).get("text", finding.kind)
        option["title"].append(
            {
                "text": f"{i + 1}. {title}",
                "left": f"{left + 1:.1f}%",
                "top": f"{top:.1f}%",
                "textStyle": {"fontSize": 12},
            }
        )
        option["grid"].append(
            {
                "left": f"{left + 6:.1f}%",
                "width": f"{100 / columns - 9:.1f}%",
                "top": f"{top + 9:.1f}%",
                "height": f"{100 / rows - 17:.1f}%",
            }
        )
        option["xAxis"].append({**chart.get("xAxis", {}), "gridIndex": i})
        option["yAxis"].append({**chart.get("yAxis", {}), "gridIndex": i})
        for series in chart.get("series", []):
            option["series"].append({**series, "xAxisIndex": i, "yAxisIndex": i, "showSymbol": False})
    return option
