# SPDX-License-Identifier: MIT
"""Chat answers from the analytics engine: a forecast with its interval band, unusual points marked on the
series, the trend with its change points, a weekly cycle; and, through `analysis_tables`, why a total
changed, what drives high values, how concentrated a measure is and what is interesting in the table.

The planner asks for an analysis (`Plan.analysis`) and queries the measure over time; this module turns that
ResultSet into the engine's series (an incomplete last period left out, as a forecast or a detector would be
misled by it), runs the pure analytics function and draws its evidence. Every number in the sentence comes
from the finding. No Django here: queries beyond the plan's go through the `run` the pipeline passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from chat2chart.analytics import anomalies, forecast, patterns, trend
from chat2chart.analytics.findings import AnalyticsError, AnomalyFinding, ForecastFinding, TrendFinding
from chat2chart.conversations import analysis_charts as charts
from chat2chart.conversations.narrative_shapes import format_number
from chat2chart.conversations.periodnames import period_bounds, period_name
from chat2chart.conversations.planner import Plan
from chat2chart.sources.results import ResultSet
from chat2chart.sources.semantic import SemanticQuery

Run = Callable[[SemanticQuery], ResultSet]


@dataclass(frozen=True)
class AnalysisAnswer:
    """What replaces the plain chart and narrative: the engine's chart option and its sentence.
    `findings` are the engine's findings as JSON (for a language model's rewording and its check)."""

    option: dict[str, Any]
    sentence: str
    findings: list[dict[str, Any]] = field(default_factory=list)


def analyse(plan: Plan, result: ResultSet, *, today: date, run: Run | None = None) -> AnalysisAnswer:
    """The analysis `plan.analysis` asks for, over `result` (the plan's query answered).

    `run` answers the extra queries a breakdown needs (the two periods of a change, the table's groupings
    for the insights feed). Raises AnalyticsError with the engine's reason when the data cannot be analysed
    (too short, irregular, nothing to compare): the caller says so instead of drawing another chart.
    """
    if plan.analysis in ("drivers", "associations", "concentration", "insights"):
        from chat2chart.conversations import analysis_tables

        if run is None:
            raise AnalyticsError("This analysis needs to query the table.")
        return analysis_tables.analyse_table(plan, result, today=today, run=run)
    if not plan.query.dimensions or plan.query.dimensions[0].granularity is None:
        raise AnalyticsError("This analysis needs the measure over time (by day, week or month).")
    grain = plan.query.dimensions[0].granularity
    labels, values, left_out = series_of(result, grain, today)
    measure = measure_name(result)
    if plan.analysis == "forecast":
        finding = forecast.forecast(labels, values, horizon=horizon_periods(plan, grain), measure=measure)
        if values and min(values) >= 0:
            finding = _floored(finding)
        return AnalysisAnswer(
            charts.forecast_option(labels, values, finding),
            _forecast_sentence(finding, grain, left_out),
            [finding.model_dump(mode="json")],
        )
    if plan.analysis == "anomalies":
        found = anomalies.detect_anomalies(values, labels=labels, measure=measure, period=_cycle(grain))
        return AnalysisAnswer(
            charts.anomalies_option(labels, values, found),
            _anomaly_sentence(found, grain, left_out),
            [found.model_dump(mode="json", exclude={"scores"})],
        )
    if plan.analysis == "cycle":
        return _cycle_answer(plan, labels, values, measure, grain)
    finding_trend = trend.analyse_trend(labels, values, measure=measure)
    return AnalysisAnswer(
        charts.trend_option(labels, values, finding_trend),
        trend_sentence(finding_trend, grain, left_out),
        [finding_trend.model_dump(mode="json", exclude={"components", "trend_line"})],
    )


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


def series_of(result: ResultSet, grain: str, today: date) -> tuple[list[str], list[float], str | None]:
    """Labels and values oldest first (first column the period, last the measure); a last period that has
    not ended yet is left out and named."""
    value_column = result.names[-1]
    pairs = sorted(
        (str(row[0])[:19] if grain == "hour" else str(row[0])[:10], float(value))
        for row, value in zip(result.rows, result.numbers(value_column), strict=True)
        if row[0] is not None and value is not None
    )
    left_out = None
    if pairs and grain != "hour":
        bounds = period_bounds(pairs[-1][0], grain)
        if bounds is not None and bounds[1] >= today:
            left_out = period_name(pairs[-1][0], grain)
            pairs = pairs[:-1]
    return [label for label, _ in pairs], [value for _, value in pairs], left_out


def measure_name(result: ResultSet) -> str:
    """The measure's column as words (its output name, underscores as spaces)."""
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


def trend_sentence(finding: TrendFinding, grain: str, left_out: str | None = None) -> str:
    """Direction with the Theil-Sen slope and its interval, the test, the growth over the series and the
    latest change point with the levels before and after it."""
    what = finding.measure.capitalize()
    if finding.direction != "flat":
        text = (
            f"{what} is going {finding.direction}: {format_number(finding.slope)} {finding.slope_unit} "
            f"(95 % interval {format_number(finding.slope_low)} to {format_number(finding.slope_high)}; "
            f"Theil–Sen, Mann–Kendall p = {finding.p_value:.3f})"
        )
        if finding.growth_total is not None:
            text += f", {finding.growth_total * 100:+.1f} % along the trend over {finding.n} {grain}s"
        text += "."
    else:
        text = (
            f"{what} shows no significant trend over {finding.n} {grain}s "
            f"(Mann–Kendall p = {finding.p_value:.2f})."
        )
    if finding.change_points:
        point = max(finding.change_points, key=lambda p: abs(p.mean_after - p.mean_before))
        count = len(finding.change_points)
        text += f" {count} level changes (PELT); the largest" if count > 1 else " The level changed"
        text += (
            f" around {period_name(point.at, grain)}: from an average of "
            f"{format_number(point.mean_before)} to {format_number(point.mean_after)} a {grain}."
        )
    if left_out:
        text += f" {left_out} is not over yet, so it was left out."
    return text


def _cycle_answer(
    plan: Plan, labels: list[str], values: list[float], measure: str, grain: str
) -> AnalysisAnswer:
    cycle = plan.analysis_options.get("cycle", "day_of_week")
    found = patterns.cycle_pattern(labels, values, measure=measure, cycle=cycle)
    if found is None:
        raise AnalyticsError(f"Too few {grain}s to compare the positions of the cycle (two of each needed).")
    per = "a day" if cycle == "day_of_week" else "an hour"
    high, low = found.means[found.highest], found.means[found.lowest]
    text = (
        f"{measure.capitalize()} is highest on {found.highest} (average {format_number(high)} {per}) and "
        f"lowest on {found.lowest} (average {format_number(low)})"
    )
    if found.p_value < 0.05:
        text += (
            f"; the difference is significant (Kruskal–Wallis p = {found.p_value:.3f}, "
            f"{len(values)} {grain}s)."
        )
    else:
        text += (
            f", but the difference is not significant (Kruskal–Wallis p = {found.p_value:.2f}, "
            f"{len(values)} {grain}s): it may be chance."
        )
    return AnalysisAnswer(charts.cycle_option(found), text, [found.model_dump(mode="json")])
