# SPDX-License-Identifier: MIT
"""The insights feed, 'what is interesting in this table?': every analysis over the table's measures and
dimensions within a time budget, findings scored by significance and impact, duplicates dropped, top N."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from chat2chart.analytics import distribution, echarts, patterns, words
from chat2chart.analytics.anomalies import detect_anomalies
from chat2chart.analytics.drivers import explain_change, split_periods
from chat2chart.analytics.findings import AnalyticsError, Finding
from chat2chart.analytics.trend import analyse_trend


def _daily(frame: pd.DataFrame, time_column: str, measure: str) -> pd.Series:
    stamps = pd.to_datetime(frame[time_column], format="mixed")
    grouped = frame.assign(_t=stamps).groupby("_t")[measure].sum().sort_index()
    step_days = (
        float(grouped.index.to_series().diff().median() / pd.Timedelta(days=1)) if len(grouped) > 2 else 1
    )
    if step_days < 1:
        grouped = grouped.resample("D").sum()
    return grouped


def _finding(
    kind: str, sentence: str, significance: float, impact: float, chart: dict[str, Any], **detail: object
) -> Finding:
    significance = max(0.0, min(1.0, significance))
    impact = max(0.0, min(1.0, impact))
    return Finding(
        kind=kind,
        sentence=sentence,
        score=round(significance * (0.5 + 0.5 * impact), 4),
        significance=round(significance, 4),
        impact=round(impact, 4),
        chart=chart,
        detail=detail,
    )


def _time_findings(frame: pd.DataFrame, time_column: str, measure: str) -> Iterator[Finding]:
    series = _daily(frame, time_column, measure)
    if len(series) < 8:
        return
    labels = [t.strftime("%Y-%m-%d") for t in series.index]
    values = series.to_numpy(dtype=float)
    trend = analyse_trend(series.index, values, measure=measure)
    if trend.direction != "flat":
        yield _finding(
            "trend",
            words.trend_sentence(measure, trend.direction, trend.slope, trend.slope_unit, trend.p_value),
            1 - trend.p_value,
            abs(trend.growth_total or 0.0),
            echarts.line_option(f"{measure} over time", labels, values),
            measure=measure,
        )
    period = 7 if any(s.name == "weekly" for s in trend.seasonalities) else None
    flags = detect_anomalies(values, labels=labels, measure=measure, period=period).flags
    for flag in sorted(flags, key=lambda f: abs(f.sigma), reverse=True)[:2]:
        yield _finding(
            "anomaly",
            words.anomaly_sentence(
                measure, flag.at, flag.value, flag.expected, flag.low, flag.high, flag.sigma
            ),
            1 - 2 * (1 - _normal_cdf(abs(flag.sigma))),
            abs(flag.deviation) / (abs(flag.expected) or 1.0),
            echarts.line_option(f"{measure}: unusual {flag.at}", labels, values, marks=[flag.index]),
            measure=measure,
            at=flag.at,
        )
    cycle = patterns.cycle_pattern(series.index, values, measure=measure, cycle="day_of_week")
    if cycle is not None and cycle.p_value < 0.05:
        spread = (cycle.means[cycle.highest] - cycle.means[cycle.lowest]) / (abs(values.mean()) or 1.0)
        yield _finding(
            "cycle",
            words.cycle_sentence(measure, cycle.cycle, cycle.highest, cycle.lowest),
            1 - cycle.p_value,
            spread,
            echarts.bar_option(f"{measure} by day of week", list(cycle.means), list(cycle.means.values())),
            measure=measure,
        )


def _normal_cdf(z: float) -> float:
    from scipy.special import ndtr

    return float(ndtr(z))


def _change_findings(
    frame: pd.DataFrame, time_column: str, measure: str, dimensions: Sequence[str]
) -> Iterator[Finding]:
    before, after, before_label, after_label = split_periods(frame, time=time_column)
    yield from _drivers_findings(before, after, before_label, after_label, measure, dimensions)


def _drivers_findings(
    before: pd.DataFrame,
    after: pd.DataFrame,
    before_label: str,
    after_label: str,
    measure: str,
    dimensions: Sequence[str],
) -> Iterator[Finding]:
    if before.empty or after.empty or not dimensions:
        return
    drivers = explain_change(
        before,
        after,
        measure=measure,
        dimensions=dimensions,
        before_label=before_label,
        after_label=after_label,
    )
    if drivers.change == 0 or drivers.drill_parent is None:
        return
    top = drivers.dimensions[0]
    yield _finding(
        "drivers",
        drivers.sentence,
        top.explained,
        abs(drivers.change) / (abs(drivers.before) or 1.0),
        echarts.bar_option(
            f"Change of {measure} by {top.dimension}",
            [c.value for c in top.contributions],
            [c.change for c in top.contributions],
        ),
        measure=measure,
        dimension=top.dimension,
    )


def _table_findings(
    frame: pd.DataFrame, measure: str, dimensions: Sequence[str], *, rows: bool = True
) -> Iterator[Finding]:
    for dimension in dimensions:
        if frame[dimension].nunique() < 5:
            continue
        pareto = patterns.concentration(frame, dimension=dimension, measure=measure)
        if pareto.share_of_measure >= 0.6:
            totals = frame.groupby(dimension)[measure].sum().sort_values(ascending=False).head(20)
            yield _finding(
                "concentration",
                words.concentration_sentence(
                    dimension, measure, pareto.top_share_of_values, pareto.share_of_measure
                ),
                pareto.gini,
                pareto.share_of_measure - pareto.top_share_of_values,
                echarts.bar_option(
                    f"{measure} by {dimension}", [str(v) for v in totals.index], totals.tolist()
                ),
                measure=measure,
                dimension=dimension,
            )
        for outlier in patterns.outlier_segments(frame, dimension=dimension, measure=measure)[:1]:
            totals = frame.groupby(dimension)[measure].sum().sort_values(ascending=False).head(20)
            yield _finding(
                "outlier_segment",
                words.outlier_sentence(
                    dimension, outlier.value, measure, outlier.measure_value, outlier.median
                ),
                min(1.0, abs(outlier.robust_z) / 10),
                abs(outlier.measure_value - outlier.median) / (abs(outlier.median) or 1.0),
                echarts.bar_option(
                    f"{measure} by {dimension}", [str(v) for v in totals.index], totals.tolist()
                ),
                measure=measure,
                dimension=dimension,
            )
    if rows and len(frame) >= 8:
        yield from _distribution_findings(frame[measure].to_numpy(dtype=float), None, measure)
        for dimension in dimensions:
            yield from _segment_shape_findings(frame, dimension, measure, value=measure, count=None)


# Shape findings describe the data rather than a tested effect: their significance stays within 0.4-0.6,
# and they rank after the tested findings (`_rank`).
_SHAPE_SIGNIFICANCE = 0.4
_SHAPE_KINDS = frozenset({"distribution", "outliers", "zeros"})
_DESCRIPTIVE_KINDS = _SHAPE_KINDS | {"distribution_segment"}


def _distribution_findings(values: Any, counts: Any, measure: str) -> Iterator[Finding]:
    """One finding on a measure's distribution over rows, with its histogram and every figure of the
    profile: the most specific of excess zeros, outliers (≥ 2 % of rows beyond Tukey's fences; they also
    skew the distribution and fatten its tails) and shape (skew, more than one peak, heavy tails), or none;
    `counts` = rows per value (None: one row each)."""
    profile = distribution.distribution_profile(values, counts, measure=measure)
    labels, heights = distribution.histogram(values, counts)
    chart = echarts.bar_option(f"Distribution of {measure} (rows)", labels, heights)
    figures = profile.model_dump()
    if profile.zero_inflated:
        yield _finding(
            "zeros",
            words.zeros_sentence(measure, profile.zero_share, profile.expected_zero_share),
            _SHAPE_SIGNIFICANCE + min(0.2, (profile.zero_share - profile.expected_zero_share) / 2),
            profile.zero_share,
            chart,
            measure=measure,
            profile=figures,
        )
        return
    if profile.iqr_outlier_share >= distribution.NOTABLE_OUTLIERS:
        x = np.asarray(values, dtype=float)
        w = np.ones_like(x) if counts is None else np.asarray(counts, dtype=float)
        outside = (x < profile.iqr_low) | (x > profile.iqr_high)
        whole = float(np.nansum(np.abs(x) * w)) or 1.0
        share = float(np.nansum(np.abs(x[outside]) * w[outside])) / whole
        yield _finding(
            "outliers",
            words.outliers_sentence(
                measure,
                profile.iqr_outliers,
                profile.n,
                profile.iqr_low,
                profile.iqr_high,
                profile.mad_outliers,
                share,
            ),
            _SHAPE_SIGNIFICANCE + min(0.2, 5 * profile.mad_outlier_share),
            share,
            chart,
            measure=measure,
            share_of_measure=round(share, 6),
            profile=figures,
        )
        return
    if profile.multimodal or profile.heavy_tailed or profile.skew_label != "symmetric":
        yield _finding(
            "distribution",
            words.distribution_sentence(
                measure,
                profile.skew_label,
                profile.skewness,
                profile.mean,
                profile.median,
                profile.excess_kurtosis,
                profile.multimodal,
            ),
            _SHAPE_SIGNIFICANCE
            + min(0.2, abs(profile.skewness) / 20 + max(0.0, profile.excess_kurtosis) / 100),
            min(1.0, abs(profile.skewness) / 4),
            chart,
            measure=measure,
            profile=figures,
        )


def _segment_shape_findings(
    frame: pd.DataFrame, dimension: str, measure: str, *, value: str, count: str | None
) -> Iterator[Finding]:
    """The segment of `dimension` whose share of zeros or outliers of the measure stands most apart."""
    for shape in distribution.segment_shapes(
        frame, dimension=dimension, value=value, count=count, measure=measure
    )[:1]:
        weights = frame[count] if count else pd.Series(1.0, index=frame.index)
        rows = weights.groupby(frame[dimension].astype(str)).sum().sort_values(ascending=False).head(20)
        yield _finding(
            "distribution_segment",
            words.segment_shape_sentence(
                measure, dimension, shape.segment, shape.what, shape.share, shape.others_share
            ),
            _SHAPE_SIGNIFICANCE + min(0.2, abs(shape.share - shape.others_share) / 2),
            shape.rows / float(weights.sum() or 1.0),
            echarts.bar_option(f"Rows by {dimension}", [str(v) for v in rows.index], rows.tolist()),
            measure=measure,
            dimension=dimension,
            segment=shape.segment,
            what=shape.what,
            share=shape.share,
            others_share=shape.others_share,
        )


def table_insights(
    frame: pd.DataFrame,
    *,
    measures: Sequence[str],
    dimensions: Sequence[str] = (),
    time_column: str | None = None,
    top: int = 10,
    budget_s: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
) -> list[Finding]:
    """What is interesting in a table: the top `top` findings, each one sentence and an ECharts option.

    Inputs: a frame of rows, its numeric `measures`, categorical `dimensions` and an optional date
    `time_column`; `budget_s` seconds of work, checked between analyses (so one analysis may overrun it).
    Output: findings scored significance x (0.5 + 0.5·impact), both in [0, 1] (significance = 1 - p or an
    effect size; impact = the relative size of the effect), one per (kind, measure, dimension), best first,
    the findings that describe the distribution of rows after the tested ones (`_rank`).
    """
    started = clock()
    tasks: list[Callable[[], Iterator[Finding]]] = []
    for measure in measures:
        if time_column:
            tasks.append(partial(_time_findings, frame, time_column, measure))
            tasks.append(partial(_change_findings, frame, time_column, measure, dimensions))
        tasks.append(partial(_table_findings, frame, measure, dimensions))
    found: list[Finding] = []
    for task in tasks:
        if clock() - started > budget_s:
            break
        try:
            found.extend(task())
        except AnalyticsError:
            continue  # this analysis does not apply to this table (too few points, ...)
    if len(measures) > 1:
        found.extend(_correlation_findings(frame, measures))
    return _deduplicate(sorted(found, key=_rank))[:top]


def _rank(finding: Finding) -> tuple[bool, float]:
    """Findings that pass a test (trend, anomaly, change, cycle, concentration, outlier segment,
    correlation) first, best score first; then those that describe the distribution of rows, which fill
    the feed only where room is left: a skew or an outlier share is often the shadow of a change that a
    tested finding names."""
    return (finding.kind in _DESCRIPTIVE_KINDS, -finding.score)


def _deduplicate(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[object, ...]] = set()
    kept = []
    for finding in findings:
        # Skew, outliers and zeros describe one distribution: the feed keeps the strongest of them.
        kind = "shape" if finding.kind in _SHAPE_KINDS else finding.kind
        key = (
            kind,
            finding.detail.get("measure"),
            finding.detail.get("dimension"),
            finding.detail.get("other"),
        )
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept


def _correlation_findings(frame: pd.DataFrame, measures: Sequence[str]) -> Iterator[Finding]:
    for pair in patterns.correlations(frame, measures):
        yield _finding(
            "correlation",
            words.correlation_sentence(pair.left, pair.right, pair.pearson),
            1 - pair.p_value,
            abs(pair.pearson),
            echarts.scatter_option(
                f"{pair.left} and {pair.right}",
                frame[pair.left],
                frame[pair.right],
                x_name=pair.left,
                y_name=pair.right,
            ),
            measure=pair.left,
            other=pair.right,
            caveat=pair.caveat,
        )


def grouped_insights(
    *,
    measures: Sequence[str],
    daily: pd.DataFrame | None = None,
    by_dimension: dict[str, pd.DataFrame] | None = None,
    change: tuple[pd.DataFrame, pd.DataFrame, str, str] | None = None,
    dimensions: Sequence[str] = (),
    value_counts: dict[str, pd.DataFrame] | None = None,
    value_counts_by: dict[tuple[str, str], pd.DataFrame] | None = None,
    top: int = 10,
    budget_s: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
) -> list[Finding]:
    """The insights feed over groupings made by the data plane (SQL), so a table of any size costs the
    same: `daily` has a `time` column and one column per measure (totals per day); `by_dimension[d]`
    has column d and one column per measure (totals per value of d); `change` is (before, after, labels)
    frames of totals per combination of `dimensions` for two periods.

    `value_counts[m]` has the columns `value` (each distinct value of measure m's column) and `rows` (rows
    holding it): the distribution's shape, outliers and zeros over rows; `value_counts_by[(m, d)]` adds
    column d, for the segments whose zeros or outliers stand apart.
    Output as `table_insights` (same scoring and de-duplication). Correlations are between the measures'
    daily totals. The budget is checked between analyses.
    """
    started = clock()
    tasks: list[Callable[[], Iterable[Finding]]] = []
    for measure in measures:
        if daily is not None:
            tasks.append(partial(_time_findings, daily, "time", measure))
        if change is not None:
            tasks.append(partial(_drivers_findings, *change, measure, dimensions))
        for dimension, grouped in (by_dimension or {}).items():
            tasks.append(partial(_table_findings, grouped, measure, [dimension], rows=False))
    for measure, counts in (value_counts or {}).items():
        tasks.append(partial(_distribution_findings, counts["value"], counts["rows"], measure))
    for (measure, dimension), counts in (value_counts_by or {}).items():
        tasks.append(
            partial(_segment_shape_findings, counts, dimension, measure, value="value", count="rows")
        )
    if daily is not None and len(measures) > 1:
        tasks.append(partial(_correlation_findings, daily, measures))
    found: list[Finding] = []
    for task in tasks:
        if clock() - started > budget_s:
            break
        try:
            found.extend(task())
        except AnalyticsError:
            continue
    return _deduplicate(sorted(found, key=_rank))[:top]
