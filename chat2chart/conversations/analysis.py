# SPDX-License-Identifier: MIT
"""Chat answers from the analytics engine: a forecast with its interval band, unusual points marked on the
series, or the trend with its change points, each with one sentence that states the finding's numbers.

The planner asks for an analysis (`Plan.analysis`) and queries the measure over time; this module turns that
ResultSet into the engine's series (an incomplete last period left out, as a forecast or a detector would be
misled by it), runs the pure analytics function and draws its evidence. The numbers in the sentence all come
from the finding. No Django here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from chat2chart.analytics import anomalies, forecast, trend
from chat2chart.analytics.findings import AnalyticsError, AnomalyFinding, ForecastFinding, TrendFinding
from chat2chart.conversations.narrative_shapes import format_number
from chat2chart.conversations.periodnames import period_bounds, period_name
from chat2chart.conversations.planner import Plan
from chat2chart.sources.results import ResultSet

BAND = "rgba(84, 112, 198, 0.15)"
BAND_95 = "rgba(84, 112, 198, 0.08)"


@dataclass(frozen=True)
class AnalysisAnswer:
    """What replaces the plain chart and narrative: the engine's chart option and its sentence."""

    option: dict[str, Any]
    sentence: str


def analyse(plan: Plan, result: ResultSet, *, today: date) -> AnalysisAnswer:
    """The analysis `plan.analysis` asks for, over `result` (one time dimension and the measure).

    Raises AnalyticsError with the engine's reason when the series cannot be analysed (too short,
    irregular): the caller says so instead of drawing a chart for another question.
    """
    if not plan.query.dimensions or plan.query.dimensions[0].granularity is None:
        raise AnalyticsError("This analysis needs the measure over time (by day, week or month).")
    grain = plan.query.dimensions[0].granularity
    labels, values, left_out = _series(result, grain, today)
    measure = _measure_name(plan, result)
    if plan.analysis == "forecast":
        finding = forecast.forecast(labels, values, horizon=horizon_periods(plan, grain), measure=measure)
        if values and min(values) >= 0:
            finding = _floored(finding)
        return AnalysisAnswer(
            _forecast_option(labels, values, finding), _forecast_sentence(finding, grain, left_out)
        )
    if plan.analysis == "anomalies":
        found = anomalies.detect_anomalies(values, labels=labels, measure=measure, period=_cycle(grain))
        return AnalysisAnswer(
            _series_option(labels, values, found), _anomaly_sentence(found, grain, left_out)
        )
    finding_trend = trend.analyse_trend(labels, values, measure=measure)
    return AnalysisAnswer(_trend_option(labels, values, finding_trend), _trend_sentence(finding_trend, grain))


_MONTHS = {"month": 1, "quarter": 3, "year": 12}
_DEFAULT_HORIZON = {"hour": 24, "day": 14, "week": 8, "month": 6, "quarter": 4, "year": 3}


def horizon_periods(plan: Plan, grain: str) -> int:
    """The forecast horizon in periods of the series' grain: "next quarter" on a monthly series is 3."""
    if not plan.horizon or not plan.horizon_unit:
        return _DEFAULT_HORIZON.get(grain, 6)
    if plan.horizon_unit == grain:
        return plan.horizon
    if plan.horizon_unit in _MONTHS and grain in _MONTHS:
        return max(1, plan.horizon * _MONTHS[plan.horizon_unit] // _MONTHS[grain])
    days = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}
    return max(1, round(plan.horizon * days.get(plan.horizon_unit, 30) / days.get(grain, 30)))


def _series(result: ResultSet, grain: str, today: date) -> tuple[list[str], list[float], str | None]:
    """Labels and values oldest first; a last period that has not ended yet is left out (and named)."""
    value_column = result.names[-1]
    pairs = sorted(
        (str(row[0])[:10], float(value))
        for row, value in zip(result.rows, result.numbers(value_column), strict=True)
        if row[0] is not None and value is not None
    )
    left_out = None
    if pairs:
        bounds = period_bounds(pairs[-1][0], grain)
        if bounds is not None and bounds[1] >= today:
            left_out = period_name(pairs[-1][0], grain)
            pairs = pairs[:-1]
    return [label for label, _ in pairs], [value for _, value in pairs], left_out


def _measure_name(plan: Plan, result: ResultSet) -> str:
    return result.names[-1].replace("_", " ")


def _cycle(grain: str) -> int | None:
    return {"day": 7, "month": 12, "week": 52, "hour": 24}.get(grain)


def _floored(finding: ForecastFinding) -> ForecastFinding:
    """Intervals cut at zero for a measure that has never been negative (revenue, visits): a model's
    symmetric interval below zero describes values the measure cannot take."""
    points = [
        p.model_copy(update={"mean": max(p.mean, 0.0), "lo80": max(p.lo80, 0.0), "lo95": max(p.lo95, 0.0)})
        for p in finding.points
    ]
    return finding.model_copy(update={"points": points})


def _forecast_sentence(finding: ForecastFinding, grain: str, left_out: str | None) -> str:
    first, last = finding.points[0], finding.points[-1]
    text = (
        f"Forecast of {finding.measure} for the next {finding.horizon} {grain}s: "
        f"{format_number(first.mean)} in {period_name(first.at, grain)} "
        f"(80 % interval {format_number(first.lo80)} to {format_number(first.hi80)})"
    )
    if finding.horizon > 1:
        text += f", {format_number(last.mean)} in {period_name(last.at, grain)}"
        text += f" ({format_number(last.lo80)} to {format_number(last.hi80)})"
    chosen = next((s for s in finding.backtest if s.model == finding.model), None)
    text += f". Model: {finding.reason.rstrip('.')}"
    if chosen is not None:
        text += f"; back-test sMAPE {chosen.smape:.1f} %"
    text += "."
    if left_out:
        text += f" {left_out} is not over yet, so it was left out of the history."
    return text


def _anomaly_sentence(finding: AnomalyFinding, grain: str, left_out: str | None) -> str:
    if not finding.flags:
        text = f"No unusual {grain}s in {finding.measure} at the {finding.sensitivity} sensitivity"
        text += f" (threshold {finding.threshold_sigma:g}σ over {finding.n} {grain}s)."
    else:
        worst = max(finding.flags, key=lambda flag: abs(flag.sigma))
        count = len(finding.flags)
        expected_range = f"{format_number(worst.low)} to {format_number(worst.high)}"
        text = (
            f"{count} unusual {grain}{'s' if count != 1 else ''} in {finding.measure}. The largest: "
            f"{period_name(worst.at, grain)} was {format_number(worst.value)}, {worst.direction} the "
            f"expected {format_number(worst.expected)} (range {expected_range}), "
            f"{abs(worst.sigma):.1f}σ, compared with {worst.compared_with}."
        )
    if left_out:
        text += f" {left_out} is not over yet, so it was left out."
    return text


def _trend_sentence(finding: TrendFinding, grain: str) -> str:
    significant = finding.p_value < 0.05 and finding.direction != "flat"
    what = finding.measure.capitalize()
    if significant:
        text = (
            f"{what} is going {finding.direction}: {format_number(finding.slope)} {finding.slope_unit} "
            f"(Theil–Sen; Mann–Kendall p = {finding.p_value:.3f})."
        )
    else:
        text = f"{what} shows no significant trend (Mann–Kendall p = {finding.p_value:.2f})."
    if finding.change_points:
        point = finding.change_points[-1]
        text += f" The level changed around {period_name(point.at, grain)}."
    return text


def _base(labels: list[str]) -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 4},
        "grid": {"left": 56, "right": 24, "top": 40, "bottom": 32},
        "xAxis": {"type": "category", "data": labels, "boundaryGap": False},
        "yAxis": {"type": "value", "scale": True},
    }


def _forecast_option(labels: list[str], values: list[float], finding: ForecastFinding) -> dict[str, Any]:
    future = [p.at for p in finding.points]
    blank = [None] * len(labels)
    option = _base(labels + future)
    low95 = blank + [p.lo95 for p in finding.points]
    # Bands are stacked areas: an invisible lower edge, then the width of the band on top of it.
    option["series"] = [
        {"name": "History", "type": "line", "data": values + [None] * len(future), "showSymbol": False},
        {
            "name": "Forecast",
            "type": "line",
            "data": blank + [p.mean for p in finding.points],
            "lineStyle": {"type": "dashed"},
        },
        {
            "name": "95 % low",
            "type": "line",
            "data": low95,
            "stack": "b95",
            "lineStyle": {"opacity": 0},
            "showSymbol": False,
            "tooltip": {"show": False},
        },
        {
            "name": "95 % interval",
            "type": "line",
            "data": blank + [p.hi95 - p.lo95 for p in finding.points],
            "stack": "b95",
            "areaStyle": {"color": BAND_95},
            "lineStyle": {"opacity": 0},
            "showSymbol": False,
        },
        {
            "name": "80 % low",
            "type": "line",
            "data": blank + [p.lo80 for p in finding.points],
            "stack": "b80",
            "lineStyle": {"opacity": 0},
            "showSymbol": False,
            "tooltip": {"show": False},
        },
        {
            "name": "80 % interval",
            "type": "line",
            "data": blank + [p.hi80 - p.lo80 for p in finding.points],
            "stack": "b80",
            "areaStyle": {"color": BAND},
            "lineStyle": {"opacity": 0},
            "showSymbol": False,
        },
    ]
    option["legend"]["data"] = ["History", "Forecast", "80 % interval", "95 % interval"]
    return option


def _series_option(labels: list[str], values: list[float], finding: AnomalyFinding) -> dict[str, Any]:
    option = _base(labels)
    marks = [
        {
            "coord": [flag.at, flag.value],
            "value": format_number(flag.value),
            "itemStyle": {"color": "#e03131"},
        }
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


def _trend_option(labels: list[str], values: list[float], finding: TrendFinding) -> dict[str, Any]:
    option = _base(labels)
    lines = [{"xAxis": point.at} for point in finding.change_points]
    option["series"] = [
        {
            "name": finding.measure,
            "type": "line",
            "data": values,
            "showSymbol": False,
            "markLine": {"data": lines},
        }
    ]
    return option
