# SPDX-License-Identifier: MIT
"""Patterns in a table: correlations between measures, Pareto concentration, day-of-week and hour-of-day
cycles, outlier segments and the shape of a measure's distribution."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from chat2chart.analytics.findings import (
    AnalyticsError,
    Concentration,
    Correlation,
    CyclePattern,
    DistributionShape,
    OutlierSegment,
)

CORRELATION_CAVEAT = (
    "A correlation says the two measures move together in this data; it does not say one causes the other, "
    "and a third factor (season, size, a shared total) can drive both."
)
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def correlations(frame: pd.DataFrame, measures: Sequence[str], *, min_abs: float = 0.5) -> list[Correlation]:
    """Pairs of measures whose Pearson or Spearman correlation reaches `min_abs` with p < 0.05.

    Inputs: a frame and its numeric `measures`. Output: one Correlation per pair (n ≥ 5 complete rows),
    strongest first, each with the caveat that correlation is not causation. p is Pearson's two-sided test.
    """
    found = []
    for i, left in enumerate(measures):
        for right in measures[i + 1 :]:
            pair = frame[[left, right]].apply(pd.to_numeric, errors="coerce").dropna()
            if len(pair) < 5 or pair[left].nunique() < 2 or pair[right].nunique() < 2:
                continue
            pearson, p = stats.pearsonr(pair[left], pair[right])
            spearman = stats.spearmanr(pair[left], pair[right]).statistic
            if max(abs(pearson), abs(spearman)) >= min_abs and p < 0.05:
                found.append(
                    Correlation(
                        left=left,
                        right=right,
                        pearson=round(float(pearson), 4),
                        spearman=round(float(spearman), 4),
                        p_value=float(p),
                        n=len(pair),
                        caveat=CORRELATION_CAVEAT,
                    )
                )
    return sorted(found, key=lambda c: abs(c.pearson), reverse=True)


def concentration(
    frame: pd.DataFrame, *, dimension: str, measure: str, top_share: float = 0.2
) -> Concentration:
    """Pareto concentration: the share of the measure carried by the top `top_share` of a dimension's values.

    Values are ranked by their total of the measure (negative totals count as 0); the top
    ceil(top_share · k) values are taken. Also the Gini coefficient of the totals (0 = equal, 1 = one value
    holds everything).
    """
    totals = frame.groupby(dimension)[measure].sum().clip(lower=0).sort_values(ascending=False)
    k = len(totals)
    whole = float(totals.sum())
    top = max(1, int(np.ceil(top_share * k)))
    share = float(totals.iloc[:top].sum() / whole) if whole else 0.0
    ordered = np.sort(totals.to_numpy(dtype=float))
    gini = (
        float((2 * np.arange(1, k + 1) - k - 1) @ ordered / (k * ordered.sum()))
        if k and ordered.sum()
        else 0.0
    )
    return Concentration(
        dimension=dimension,
        measure=measure,
        top_share_of_values=top / k if k else 0.0,
        share_of_measure=round(share, 4),
        values=k,
        gini=round(gini, 4),
    )


def cycle_pattern(
    times: Sequence[object], values: Sequence[float], *, measure: str, cycle: str
) -> CyclePattern | None:
    """Mean of the measure at each position of a weekly (`day_of_week`) or daily (`hour_of_day`) cycle,
    with a Kruskal-Wallis test of whether the positions differ. None when fewer than two positions have
    two observations each."""
    stamps = pd.to_datetime(pd.Series(list(times)), format="mixed")
    data = pd.DataFrame({"t": stamps, "y": pd.to_numeric(pd.Series(list(values)), errors="coerce")}).dropna()
    if cycle == "day_of_week":
        data["k"] = data["t"].dt.dayofweek.map(lambda d: WEEKDAYS[d])
        order = WEEKDAYS
    else:
        data["k"] = data["t"].dt.hour.map(lambda h: f"{h:02d}:00")
        order = [f"{h:02d}:00" for h in range(24)]
    groups = {k: g["y"].to_numpy() for k, g in data.groupby("k") if len(g) >= 2}
    if len(groups) < 2:
        return None
    samples = list(groups.values())
    p = float(stats.kruskal(*samples).pvalue) if any(np.ptp(s) for s in samples) else 1.0
    means = {k: float(groups[k].mean()) for k in order if k in groups}
    return CyclePattern(
        cycle="day_of_week" if cycle == "day_of_week" else "hour_of_day",
        measure=measure,
        means=means,
        highest=max(means, key=lambda k: means[k]),
        lowest=min(means, key=lambda k: means[k]),
        p_value=p,
    )


def outlier_segments(
    frame: pd.DataFrame, *, dimension: str, measure: str, threshold: float = 3.5
) -> list[OutlierSegment]:
    """Values of a dimension whose total of the measure is far from the other values' totals.

    Robust z = 0.6745 · (total - median) / MAD (Iglewicz & Hoaglin 1993); |z| > `threshold` is an outlier.
    Needs at least 5 values; none when the MAD is 0.
    """
    totals = frame.groupby(dimension)[measure].sum()
    if len(totals) < 5:
        return []
    median = float(totals.median())
    mad = float((totals - median).abs().median())
    if mad == 0:
        return []
    z = 0.6745 * (totals - median) / mad
    return [
        OutlierSegment(
            dimension=dimension,
            value=str(v),
            measure_value=float(totals[v]),
            median=median,
            robust_z=round(float(z[v]), 3),
        )
        for v in z[z.abs() > threshold].abs().sort_values(ascending=False).index
    ]


def distribution_shape(values: Sequence[float], *, measure: str) -> DistributionShape:
    """Skewness, excess kurtosis and the bimodality coefficient of a measure's values (n ≥ 8).

    Bimodality coefficient BC = (g² + 1) / (κ + 3(n - 1)² / ((n - 2)(n - 3))) with g the sample skewness and
    κ the sample excess kurtosis (both bias-corrected); BC > 5/9 suggests two or more modes (Pfister et al.
    2013); since one strongly skewed mode raises BC too, `multimodal` also asks |g| < 1. Heavy-tailed:
    excess kurtosis above 3 (the Laplace distribution's). Skewed: |g| > 0.5.
    """
    x = pd.to_numeric(pd.Series(list(values)), errors="coerce").dropna().to_numpy(dtype=float)
    n = len(x)
    if n < 8:
        raise AnalyticsError(f"{n} values are too few to describe a distribution: at least 8 are needed.")
    skew = float(stats.skew(x, bias=False)) if np.ptp(x) else 0.0
    kurt = float(stats.kurtosis(x, bias=False)) if np.ptp(x) else 0.0
    bc = (skew**2 + 1) / (kurt + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3)))
    return DistributionShape(
        measure=measure,
        n=n,
        mean=float(x.mean()),
        median=float(np.median(x)),
        skewness=round(skew, 4),
        excess_kurtosis=round(kurt, 4),
        bimodality_coefficient=round(float(bc), 4),
        multimodal=bool(bc > 5 / 9 and abs(skew) < 1),
        heavy_tailed=kurt > 3,
        skew_label="symmetric" if abs(skew) <= 0.5 else ("right-skewed" if skew > 0 else "left-skewed"),
    )
