# SPDX-License-Identifier: MIT
"""Trend of a measure over time: direction and strength, change points, seasonality, growth, latest point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import ruptures
from ruptures.base import BaseCost
from ruptures.exceptions import NotEnoughPoints
from scipy import stats
from statsmodels.tsa.seasonal import STL, seasonal_decompose

from chat2chart.analytics.findings import ChangePoint, Seasonality, TrendFinding
from chat2chart.analytics.timeseries import MONTH_DAYS, TimeSeries, elapsed_days, to_time_series

SEASONAL_STRENGTH_MIN = (
    0.4  # below this a pattern is too weak to name (Hyndman & Athanasopoulos use 0.64 as strong)
)
ALPHA = 0.05
# Above these sizes the exact methods cost more than a chat answer may take (STL's loess grows with
# n x period, PELT is quadratic in the worst case, Theil-Sen forms n²/2 slopes); see each function.
STL_MAX_WORK = 10_000  # n x period
PELT_MAX_POINTS = 250
THEIL_SEN_MAX_POINTS = 2_000


def slope_unit(step_days: float) -> tuple[str, float]:
    """The unit a slope is quoted in for data at this step, and its length in days."""
    if step_days < 2:
        return "per day", 1.0
    if step_days < 20:
        return "per week", 7.0
    return "per month", MONTH_DAYS


def mann_kendall(values: np.ndarray) -> tuple[float, float]:
    """Mann-Kendall trend test (Mann 1945; Kendall 1975): Kendall's tau-b between time order and value,
    with its two-sided p-value (scipy.stats.kendalltau, exact for small n, tie-corrected)."""
    result = stats.kendalltau(np.arange(len(values)), values)
    tau = float(result.statistic) if np.isfinite(result.statistic) else 0.0
    p = float(result.pvalue) if np.isfinite(result.pvalue) else 1.0
    return tau, p


def change_points(values: np.ndarray, *, min_size: int = 4, penalty_factor: float = 6.0) -> list[int]:
    """Indices where the level or the slope shifts: ruptures PELT (Killick et al. 2012) on the piecewise
    linear-regression cost (each segment its own line over time).

    The penalty is `penalty_factor`·sigma²·ln n with sigma the noise level estimated from first differences
    (MAD / (0.6745·√2)), so a noisy series needs a bigger shift to be cut; the default 6 is twice the BIC
    charge of a segment's three parameters (level, slope, cut), which keeps residual seasonality uncut.
    Output: the first index of each new segment, ascending. A series longer than PELT_MAX_POINTS is cut on
    the means of equal blocks (at most PELT_MAX_POINTS of them), so a cut is placed to within one block.
    """
    n = len(values)
    if n > PELT_MAX_POINTS:
        size = int(np.ceil(n / PELT_MAX_POINTS))
        usable = n - n % size
        blocks = values[:usable].reshape(-1, size).mean(axis=1)
        cuts = change_points(blocks, min_size=min_size, penalty_factor=penalty_factor)
        return [c * size for c in cuts]
    if n < 2 * min_size + 1:
        return []
    diffs = np.diff(values)
    sigma = float(np.median(np.abs(diffs - np.median(diffs))) / (0.6745 * np.sqrt(2)))
    if sigma <= 0:
        sigma = float(np.std(values)) or 1.0
    penalty = penalty_factor * sigma**2 * np.log(n)
    # Standardised so the running sums stay exact; the penalty is scaled the same way.
    scale = float(np.std(values)) or 1.0
    standard = (values - float(np.mean(values))) / scale
    algo = ruptures.Pelt(custom_cost=SegmentLineCost(), min_size=min_size, jump=1).fit(standard)
    return [int(b) for b in algo.predict(pen=penalty / scale**2) if b < n]


class SegmentLineCost(BaseCost):  # type: ignore[misc]
    """ruptures cost of a segment: the residual sum of squares of its own least-squares line over time,
    the same as ruptures' "linear" cost with (time, 1) as covariates, but from running sums in O(1) per
    segment instead of one least-squares solve each."""

    model = "segment_line"
    min_size = 3

    def fit(self, signal: np.ndarray) -> SegmentLineCost:
        self.signal = np.asarray(signal, dtype=float).reshape(len(signal), -1)
        y = self.signal[:, 0]
        t = np.arange(len(y), dtype=float)
        columns = (np.ones_like(y), t, t * t, y, t * y, y * y)
        self.sums = [np.concatenate([[0.0], np.cumsum(column)]) for column in columns]
        return self

    def error(self, start: int, end: int) -> float:
        n, st, stt, sy, sty, syy = (float(s[end] - s[start]) for s in self.sums)
        if n < self.min_size:
            raise NotEnoughPoints
        sxx = stt - st * st / n
        sxy = sty - st * sy / n
        rss = syy - sy * sy / n - (sxy * sxy / sxx if sxx > 0 else 0.0)
        return max(rss, 0.0)


def seasonalities(
    series: TimeSeries,
) -> tuple[list[Seasonality], dict[str, list[float]] | None, float | None]:
    """Which candidate periods are present, each with its STL seasonal strength.

    Strength = max(0, 1 - Var(remainder) / Var(seasonal + remainder)) (Wang, Smith & Hyndman 2006), from a
    robust STL (Cleveland et al. 1990, statsmodels) at each period with two full cycles; when n x period
    passes STL_MAX_WORK (a yearly cycle in years of days), the classical moving-average decomposition
    (statsmodels seasonal_decompose), whose cost does not grow with the period. Output: the periods at least
    SEASONAL_STRENGTH_MIN strong, the components of the strongest, and the trend strength.
    """
    found: list[Seasonality] = []
    best: tuple[float, Any] | None = None
    for name, period in series.seasonal_candidates():
        if len(series.values) < 2 * period + 1:
            continue
        fit = _decompose(series.values, period)
        strength = _strength(fit.seasonal, fit.resid)
        if strength >= SEASONAL_STRENGTH_MIN:
            found.append(Seasonality(name=name, period=period, strength=round(strength, 4)))
            if best is None or strength > best[0]:
                best = (strength, fit)
    if best is None:
        return found, None, None
    fit = best[1]
    components = {
        "trend": [float(v) for v in fit.trend],
        "seasonal": [float(v) for v in fit.seasonal],
        "remainder": [float(v) for v in fit.resid],
    }
    return found, components, round(_strength(fit.trend, fit.resid), 4)


def _decompose(values: np.ndarray, period: int) -> Any:
    if len(values) * period <= STL_MAX_WORK:
        return STL(values, period=period, robust=True).fit()
    return seasonal_decompose(values, period=period, model="additive", extrapolate_trend="period")


def _theil_sen(x: np.ndarray, days: np.ndarray) -> tuple[float, float, float, float]:
    """scipy's Theil-Sen (slope, intercept, 95 % interval) on at most THEIL_SEN_MAX_POINTS evenly spaced
    points of a longer series (a systematic subsample: the estimate stays unbiased, its interval wider)."""
    if len(x) > THEIL_SEN_MAX_POINTS:
        keep = np.linspace(0, len(x) - 1, THEIL_SEN_MAX_POINTS).round().astype(int)
        x, days = x[keep], days[keep]
    slope, intercept, low, high = stats.theilslopes(x, days, alpha=1 - ALPHA)
    return float(slope), float(intercept), float(low), float(high)


def _strength(component: np.ndarray, remainder: np.ndarray) -> float:
    total = float(np.var(component + remainder))
    return max(0.0, 1.0 - float(np.var(remainder)) / total) if total > 0 else 0.0


def analyse_trend(times: Sequence[Any], values: Sequence[Any], *, measure: str = "value") -> TrendFinding:
    """Direction, strength, change points, seasonality, growth and the latest point of a measure over time.

    Inputs: `times` (dates) and `values` (numbers in the measure's unit), at least 6 dated points.
    Output: a TrendFinding; slopes are in the measure's unit `slope_unit` (per day for daily data, per week
    for weekly, per month otherwise) with the 95 % Theil-Sen interval (Sen 1968, scipy.stats.theilslopes on
    time in days). `direction` is "flat" unless the Mann-Kendall p-value is below 0.05. `latest_unusual`:
    the last point lies more than 3 sigma from the Theil-Sen line (plus the seasonal component when one is
    present), sigma being the spread of the earlier residuals.
    """
    series = to_time_series(times, values, min_points=6)
    x = series.values
    days = elapsed_days(series.times)
    tau, p = mann_kendall(x)
    slope_day, intercept, low_day, high_day = _theil_sen(x, days)
    unit, unit_days = slope_unit(series.step_days)
    direction: Literal["up", "down", "flat"] = (
        "flat" if p >= ALPHA or slope_day == 0 else ("up" if slope_day > 0 else "down")
    )
    found, components, trend_strength = seasonalities(series)
    fitted = intercept + slope_day * days
    if components is not None:
        fitted = fitted + np.asarray(components["seasonal"])
    residuals = x - fitted
    spread = float(np.std(residuals[:-1], ddof=1)) if len(residuals) > 3 else 0.0
    latest_z = float(residuals[-1] / spread) if spread > 0 else None
    # Cut the series where its level shifts beyond the trend and the seasonal pattern.
    seasonal = np.asarray(components["seasonal"]) if components is not None else 0.0
    cuts = change_points(x - seasonal)
    return TrendFinding(
        measure=measure,
        n=len(x),
        direction=direction,
        mann_kendall_tau=round(tau, 4),
        p_value=p,
        slope_per_step=float(slope_day * series.step_days),
        slope_per_day=float(slope_day),
        slope_unit=unit,
        slope=float(slope_day * unit_days),
        slope_low=float(low_day * unit_days),
        slope_high=float(high_day * unit_days),
        change_points=[
            ChangePoint(
                index=i,
                at=series.labels[i],
                mean_before=float(x[prev:i].mean()),
                mean_after=float(x[i:nxt].mean()),
            )
            for prev, i, nxt in zip([0, *cuts], cuts, [*cuts[1:], len(x)], strict=False)
        ],
        seasonalities=found,
        trend_strength=trend_strength,
        growth_last=_relative(x[-2], x[-1]),
        growth_total=_relative(intercept, intercept + slope_day * days[-1]),
        latest_unusual=bool(latest_z is not None and abs(latest_z) > 3),
        latest_z=latest_z,
        components=components,
        trend_line=[float(v) for v in intercept + slope_day * days],
    )


def _relative(before: float, after: float) -> float | None:
    return float((after - before) / abs(before)) if before else None
