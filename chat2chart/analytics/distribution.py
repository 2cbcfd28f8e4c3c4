# SPDX-License-Identifier: MIT
"""The shape of a measure's distribution over rows: skew, heavy tails, more than one peak, outliers by IQR
and by MAD, and excess zeros, overall and per value of a dimension, from (value, row count) pairs.

Working on distinct values with their counts lets the data plane hand over a million rows as a few
thousand grouped ones (`SELECT value, count(*) ... GROUP BY value`); every statistic is the one of the
rows themselves (weighted), equal to scipy's or pandas' on the expanded sample.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from chat2chart.analytics.findings import AnalyticsError, DistributionProfile, SegmentShape

MIN_ROWS = 8
MIN_SEGMENT_ROWS = 30
MAD_Z = 3.5  # robust z beyond which a value is an outlier (Iglewicz & Hoaglin 1993)
IQR_K = 1.5  # Tukey's fences: below Q1 - 1.5·IQR or above Q3 + 1.5·IQR
SKEWED = 0.5  # |bias-corrected skewness| above which a distribution is called skewed
HEAVY_TAILS = 3.0  # excess kurtosis above the Laplace distribution's
BIMODAL = 5 / 9  # the bimodality coefficient of the uniform distribution (Pfister et al. 2013)
ZERO_SHARE = 0.1  # zeros must be at least this share of rows to be called inflated ...
ZERO_EXCESS = 0.1  # ... and exceed a Poisson count's expected share of zeros by this much
NOTABLE_OUTLIERS = 0.02  # an outlier share worth reporting (a normal sample has 0.7 % beyond the fences)


def _weighted(
    values: Sequence[float] | np.ndarray, counts: Sequence[float] | np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Finite values sorted, with their positive row counts (1 each when `counts` is None)."""
    x = np.asarray(values, dtype=float)
    w = np.ones_like(x) if counts is None else np.asarray(counts, dtype=float)
    keep = np.isfinite(x) & (w > 0)
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    return x[order], w[order]


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The q-quantile of the sample in which sorted value x[i] occurs w[i] times (integer counts), with
    linear interpolation between order statistics: numpy's and pandas' default ("linear", Hyndman & Fan
    type 7) on the expanded sample."""
    total = float(w.sum())
    position = (total - 1) * q  # 0-based rank in the expanded sample
    ends = np.cumsum(w) - 1  # the last 0-based rank each distinct value holds
    lower = float(x[np.searchsorted(ends, math.floor(position))])
    upper = float(x[np.searchsorted(ends, math.ceil(position))])
    return lower + (upper - lower) * (position - math.floor(position))


def distribution_profile(
    values: Sequence[float] | np.ndarray,
    counts: Sequence[float] | np.ndarray | None = None,
    *,
    measure: str,
    segment: str | None = None,
) -> DistributionProfile:
    """Describe the distribution of a measure over rows.

    Inputs: `values` (the measure's values in its unit; distinct values when `counts` is given) and
    `counts` (how many rows hold each value; None = one each); NaN and zero counts are ignored.
    Output: a DistributionProfile with, over the N rows: mean, median, standard deviation; skewness G1 and
    excess kurtosis G2 bias-corrected as scipy.stats.skew/kurtosis(bias=False); the bimodality coefficient
    BC = (G1² + 1) / (G2 + 3(N - 1)² / ((N - 2)(N - 3))) (SAS; Pfister et al. 2013), multimodal when BC >
    5/9 and |G1| < 1 (one strongly skewed peak raises BC too); quartiles (type 7) and the rows outside
    Tukey's fences Q1 - 1.5·IQR, Q3 + 1.5·IQR; the MAD and the rows whose robust z = 0.6745·(x - median)
    / MAD exceeds 3.5 (Iglewicz & Hoaglin 1993; none when MAD = 0); the share of rows equal to 0 and,
    for non-negative whole numbers, the share a Poisson count with the same mean would have (e^-mean);
    zero-inflated when zeros are ≥ 10 % of rows and ≥ 10 points above that expectation (for other data
    the expectation is 0). Raises AnalyticsError below 8 rows.
    """
    x, w = _weighted(values, counts)
    n = float(w.sum())
    if n < MIN_ROWS:
        raise AnalyticsError(
            f"{n:,.0f} values are too few to describe a distribution: at least 8 are needed."
        )
    mean = float(np.average(x, weights=w))
    d = x - mean
    m2, m3, m4 = (float(np.average(d**k, weights=w)) for k in (2, 3, 4))
    if m2 > 1e-12 * (mean * mean + 1e-300):
        g1, g2 = m3 / m2**1.5, m4 / m2**2 - 3
        skew = g1 * math.sqrt(n * (n - 1)) / (n - 2)
        kurt = ((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3))
    else:
        skew = kurt = 0.0
    bc = (skew**2 + 1) / (kurt + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3)))
    q1, median, q3 = (weighted_quantile(x, w, q) for q in (0.25, 0.5, 0.75))
    iqr = q3 - q1
    low_fence, high_fence = q1 - IQR_K * iqr, q3 + IQR_K * iqr
    iqr_outliers = float(w[(x < low_fence) | (x > high_fence)].sum())
    deviation = np.abs(x - median)
    order = np.argsort(deviation, kind="stable")
    mad = weighted_quantile(deviation[order], w[order], 0.5)
    mad_outliers = float(w[0.6745 * deviation / mad > MAD_Z].sum()) if mad > 0 else 0.0
    zero_share = float(w[x == 0].sum()) / n
    counts_like = bool(np.all(x >= 0) and np.all(x == np.round(x)))
    expected_zeros = math.exp(-mean) if counts_like else 0.0
    return DistributionProfile(
        measure=measure,
        segment=segment,
        n=round(n),
        mean=mean,
        median=median,
        std=math.sqrt(m2 * n / (n - 1)),
        skewness=round(skew, 4),
        excess_kurtosis=round(kurt, 4),
        bimodality_coefficient=round(bc, 4),
        multimodal=bool(bc > BIMODAL and abs(skew) < 1),
        heavy_tailed=bool(kurt > HEAVY_TAILS),
        skew_label="symmetric" if abs(skew) <= SKEWED else ("right-skewed" if skew > 0 else "left-skewed"),
        q1=q1,
        q3=q3,
        iqr_low=low_fence,
        iqr_high=high_fence,
        iqr_outliers=round(iqr_outliers),
        iqr_outlier_share=round(iqr_outliers / n, 6),
        mad=mad,
        mad_outliers=round(mad_outliers),
        mad_outlier_share=round(mad_outliers / n, 6),
        zero_share=round(zero_share, 6),
        expected_zero_share=round(expected_zeros, 6),
        zero_inflated=bool(zero_share >= ZERO_SHARE and zero_share >= expected_zeros + ZERO_EXCESS),
    )


def segment_shapes(
    frame: pd.DataFrame, *, dimension: str, value: str = "value", count: str | None = "rows", measure: str
) -> list[SegmentShape]:
    """Values of `dimension` whose rows' distribution of the measure stands apart from the other rows'.

    Input: a frame with the columns `dimension`, `value` (the measure) and `count` (rows holding that
    value in that segment; None = one row per frame row). Output, notable first: a SegmentShape for a
    segment of ≥ 30 rows whose share of zeros exceeds the other rows' by ≥ 20 points and by a factor of
    2, or whose share of IQR outliers (fences of the whole measure) is ≥ 5 % and 3 times the other
    rows'. Dimensions with fewer than 2 or more than 50 values give none.
    """
    if frame.empty or not 2 <= frame[dimension].nunique() <= 50:
        return []
    weights = frame[count].astype(float) if count else pd.Series(1.0, index=frame.index)
    x = frame[value].astype(float)
    overall = distribution_profile(x.to_numpy(), weights.to_numpy(), measure=measure)
    outside = (x < overall.iqr_low) | (x > overall.iqr_high)
    table = pd.DataFrame(
        {"segment": frame[dimension].astype(str), "rows": weights, "zeros": weights * (x == 0)}
    ).assign(outliers=weights * outside)
    totals = table.groupby("segment")[["rows", "zeros", "outliers"]].sum()
    found = []
    for name, row in totals.iterrows():
        if row["rows"] < MIN_SEGMENT_ROWS:
            continue
        others = totals.drop(index=name).sum()
        if others["rows"] <= 0:
            continue
        shares = {
            "zeros": (row["zeros"] / row["rows"], others["zeros"] / others["rows"]),
            "outliers": (row["outliers"] / row["rows"], others["outliers"] / others["rows"]),
        }
        zero_in, zero_out = shares["zeros"]
        out_in, out_out = shares["outliers"]
        kind: Literal["zeros", "outliers"]
        if zero_in - zero_out >= 0.2 and zero_in >= 2 * zero_out:
            kind, inside, rest = "zeros", zero_in, zero_out
        elif out_in >= 0.05 and out_in >= 3 * out_out:
            kind, inside, rest = "outliers", out_in, out_out
        else:
            continue
        found.append(
            SegmentShape(
                measure=measure,
                dimension=dimension,
                segment=str(name),
                what=kind,
                share=round(float(inside), 6),
                others_share=round(float(rest), 6),
                rows=int(row["rows"]),
            )
        )
    return sorted(found, key=lambda s: abs(s.share - s.others_share), reverse=True)


def histogram(
    values: Sequence[float] | np.ndarray,
    counts: Sequence[float] | np.ndarray | None = None,
    *,
    bins: int = 20,
) -> tuple[list[str], list[float]]:
    """Row counts in `bins` equal-width bins between the smallest and largest value, labelled by the bins'
    left edges (numpy.histogram with weights)."""
    x, w = _weighted(values, counts)
    if len(x) == 0:
        return [], []
    heights, edges = np.histogram(x, bins=bins, weights=w)
    return [f"{edge:,.4g}" for edge in edges[:-1]], [float(h) for h in heights]
