# SPDX-License-Identifier: MIT
"""'What drives high revenue?': dimensions and numeric columns ranked by their association with a measure.

Only factors that pass a significance test after the Benjamini-Hochberg false-discovery correction are
returned, each with its effect size and a 95 % confidence interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from chat2chart.analytics.findings import AnalyticsError, Association

ALPHA = 0.05
BOOTSTRAP = 300


def _eta_squared(groups: list[np.ndarray]) -> float:
    """Kruskal-Wallis effect size η²_H = (H - k + 1) / (n - k) (Tomczak & Tomczak 2014), floored at 0."""
    n, k = sum(len(g) for g in groups), len(groups)
    if n <= k:
        return 0.0
    h = stats.kruskal(*groups).statistic
    return max(0.0, float((h - k + 1) / (n - k)))


def dimension_association(values: pd.Series, labels: pd.Series, *, seed: int = 0) -> Association | None:
    """Association of a measure with a categorical column: Kruskal-Wallis H test (rank-based, no normality
    assumed), effect η²_H with a percentile-bootstrap 95 % interval. None when fewer than two groups have
    two or more rows."""
    frame = pd.DataFrame({"y": values.to_numpy(dtype=float), "g": labels.astype(str).to_numpy()}).dropna()
    groups = [g["y"].to_numpy() for _, g in frame.groupby("g") if len(g) >= 2]
    if len(groups) < 2 or np.ptp(frame["y"]) == 0:
        return None
    p = float(stats.kruskal(*groups).pvalue)
    effect = _eta_squared(groups)
    rng = np.random.default_rng(seed)
    draws = [_eta_squared([rng.choice(g, size=len(g)) for g in groups]) for _ in range(BOOTSTRAP)]
    low, high = np.percentile(draws, [2.5, 97.5])
    return Association(
        factor=str(labels.name),
        kind="dimension",
        effect=round(effect, 4),
        effect_name="eta_squared",
        ci_low=round(float(low), 4),
        ci_high=round(float(high), 4),
        p_value=p,
        test="Kruskal-Wallis H",
    )


def numeric_association(values: pd.Series, other: pd.Series) -> Association | None:
    """Association of a measure with a numeric column: Spearman's rho with its test, and a Fisher-z 95 %
    interval with the Bonett-Wright standard error √((1 + rho²/2) / (n - 3)). None under 5 complete rows."""
    frame = pd.DataFrame({"y": values.to_numpy(dtype=float), "x": other.to_numpy(dtype=float)}).dropna()
    n = len(frame)
    if n < 5 or np.ptp(frame["x"]) == 0 or np.ptp(frame["y"]) == 0:
        return None
    rho, p = stats.spearmanr(frame["x"], frame["y"])
    rho = float(np.clip(rho, -0.999999, 0.999999))
    se = np.sqrt((1 + rho**2 / 2) / (n - 3)) if n > 3 else np.inf
    z = np.arctanh(rho)
    return Association(
        factor=str(other.name),
        kind="numeric",
        effect=round(rho, 4),
        effect_name="spearman_rho",
        ci_low=round(float(np.tanh(z - 1.96 * se)), 4),
        ci_high=round(float(np.tanh(z + 1.96 * se)), 4),
        p_value=float(p),
        test="Spearman rank correlation",
    )


def what_drives(
    frame: pd.DataFrame, *, measure: str, dimensions: Sequence[str] = (), numeric: Sequence[str] = ()
) -> list[Association]:
    """The factors associated with high values of `measure`, strongest first.

    Inputs: a frame of rows (one per record or per group) with `measure`, categorical `dimensions` and
    `numeric` columns. Output: the factors whose test passes at 5 % after the Benjamini-Hochberg correction
    over all factors tested, ranked by |effect| (η² for dimensions, |rho| for numbers; the two scales are
    comparable only roughly, η² ≈ rho² for a binary split, so dimensions are ranked by √η²).
    """
    if measure not in frame:
        raise AnalyticsError(f"Column not in the data: {measure}.")
    tested: list[Association] = []
    for column in dimensions:
        result = dimension_association(frame[measure], frame[column])
        if result is not None:
            tested.append(result)
    for column in numeric:
        if column != measure:
            result = numeric_association(frame[measure], frame[column])
            if result is not None:
                tested.append(result)
    if not tested:
        return []
    adjusted = stats.false_discovery_control([a.p_value for a in tested])
    kept = [
        a.model_copy(update={"p_value": float(q)}) for a, q in zip(tested, adjusted, strict=True) if q < ALPHA
    ]
    return sorted(
        kept, key=lambda a: np.sqrt(a.effect) if a.kind == "dimension" else abs(a.effect), reverse=True
    )
