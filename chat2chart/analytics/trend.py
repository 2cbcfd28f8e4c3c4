# SPDX-License-Identifier: MIT
"""Trend of a measure over time: direction and strength, change points, seasonality, growth, latest point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import ruptures
from scipy import stats
from statsmodels.tsa.seasonal import STL

from chat2chart.analytics.findings import ChangePoint, Seasonality, TrendFinding
from chat2chart.analytics.timeseries import MONTH_DAYS, TimeSeries, elapsed_days, to_time_series

SEASONAL_STRENGTH_MIN = (
    0.4  # below this a pattern is too weak to name (Hyndman & Athanasopoulos use 0.64 as strong)
)
ALPHA = 0.05


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
    Output: the first index of each new segment, ascending.
    """
    n = len(values)
    if n < 2 * min_size + 1:
        return []
    diffs = np.diff(values)
    sigma = float(np.median(np.abs(diffs - np.median(diffs))) / (0.6745 * np.sqrt(2)))
    if sigma <= 0:
        sigma = float(np.std(values)) or 1.0
    penalty = penalty_factor * sigma**2 * np.log(n)
    design = np.column_stack([values, np.arange(n, dtype=float), np.ones(n)])
    algo = ruptures.Pelt(model="linear", min_size=min_size, jump=1).fit(design)
    return [int(b) for b in algo.predict(pen=penalty) if b < n]


def seasonalities(
    series: TimeSeries,
) -> tuple[list[Seasonality], dict[str, list[float]] | None, float | None]:
    """Which candidate periods are present, each with its STL seasonal strength.

    Strength = max(0, 1 - Var(remainder) / Var(seasonal + remainder)) (Wang, Smith & Hyndman 2006), from a
    robust STL (Cleveland et al. 1990, statsmodels) at each period with two full cycles. Output: the periods
    at least SEASONAL_STRENGTH_MIN strong, the STL components of the strongest, and the trend strength.
    """
    found: list[Seasonality] = []
    best: tuple[float, Any] | None = None
    for name, period in series.seasonal_candidates():
        if len(series.values) < 2 * period + 1:
            continue
        fit = STL(series.values, period=period, robust=True).fit()
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
    slope_day, intercept, low_day, high_day = stats.theilslopes(x, days, alpha=1 - ALPHA)
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
