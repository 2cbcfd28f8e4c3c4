# SPDX-License-Identifier: MIT
"""Streaming anomaly detection for one measure over time: no look-ahead, every flag explains itself.

A point's expected value, range and score use only the points before it, so the detector gives the same
answer on a live stream as on a replayed history (the NAB rule, Ahmad et al., Neurocomputing 2017).
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chat2chart.analytics.findings import AnalyticsError, AnomalyFinding, AnomalyFlag


@dataclass(frozen=True)
class Sensitivity:
    """How surprising a point must be before it is flagged."""

    name: str
    threshold_sigma: float  # |deviation| / sigma to flag a point of a business series
    alarm: float  # anomaly-likelihood z at which the streaming score raises an alarm
    label: str


SENSITIVITIES: dict[str, Sensitivity] = {
    "fewer_false_alarms": Sensitivity("fewer_false_alarms", 4.0, 4.0, "fewer false alarms"),
    "balanced": Sensitivity("balanced", 3.0, 3.0, "balanced"),
    "miss_nothing": Sensitivity("miss_nothing", 2.0, 2.0, "miss nothing"),
}


MIN_HISTORY = 10  # residuals needed before a spread is trusted enough to flag against


def sensitivity_get(name: str) -> Sensitivity:
    """The preset called `name`; an AnalyticsError lists the valid names otherwise."""
    try:
        return SENSITIVITIES[name]
    except KeyError:
        raise AnalyticsError(
            f"Unknown sensitivity {name!r}: use one of {', '.join(SENSITIVITIES)}."
        ) from None


def _causal_z(feature: pd.Series, window: int, min_periods: int, *, block: int = 1) -> pd.Series:
    """|mean(f_{t-block+1..t}) - mean(f_{t-block-window+1..t-block})| / std(same window): how far the latest
    `block` points sit from the `window` points before them, in that window's standard deviations. sigma is
    floored at 0.1 % of the level so a flat line that moves by a hair is not infinitely surprising."""
    latest = feature.rolling(block, min_periods=1).mean()
    prev = feature.shift(block)
    mean = prev.rolling(window, min_periods=min_periods).mean()
    std = prev.rolling(window, min_periods=min_periods).std()
    level = prev.abs().rolling(window, min_periods=min_periods).mean()
    std = np.maximum(std, 1e-3 * level + 1e-9)
    return ((latest - mean).abs() / std).fillna(0.0)


def _histogram_change(
    values: np.ndarray, *, window: int, reference: int, bins: int, smoothing: float = 0.5
) -> pd.Series:
    """G statistic 2·w·KL(P‖Q) of the histogram P of the last `window` values against the histogram Q of
    the `reference` values before them: how much the distribution of recent values has moved, whatever
    the level (a daily shape that flattens, a noise that widens). Under no change it is about chi-square
    with bins - 1 degrees of freedom. Bins split the running minimum..maximum (values seen so far, no
    look-ahead) in `bins` equal parts; counts get `smoothing` added (Jeffreys). The idea of NAB's
    "relativeEntropy" detector (Wang et al., "Statistical techniques for online anomaly detection in data
    centers", IFIP/IEEE IM 2011), vectorised with cumulative bin counts: O(n·bins)."""
    n = len(values)
    low, high = np.minimum.accumulate(values), np.maximum.accumulate(values)
    span = np.where(high > low, high - low, 1.0)
    index = np.clip(((values - low) / span * bins).astype(np.int64), 0, bins - 1)
    counts = np.zeros((n + 1, bins), dtype=np.int32)
    counts[np.arange(1, n + 1), index] = 1
    np.cumsum(counts, axis=0, out=counts)  # counts[t] = bin counts of values[0 .. t-1]
    end = np.arange(1, n + 1)
    start = np.maximum(end - window, 0)
    recent = (counts[end] - counts[start]).astype(float)
    before = (counts[start] - counts[np.maximum(start - reference, 0)]).astype(float)
    p = (recent + smoothing) / (recent.sum(axis=1, keepdims=True) + smoothing * bins)
    q = (before + smoothing) / (before.sum(axis=1, keepdims=True) + smoothing * bins)
    g = 2 * recent.sum(axis=1) * (p * np.log(p / q)).sum(axis=1)
    g[: window + 20] = 0.0  # no reference yet
    return pd.Series(g)


def _likelihood_z(raw: pd.Series, *, short: int, long: int, min_periods: int) -> np.ndarray:
    """Numenta's anomaly likelihood as a z (Ahmad et al. 2017, section 4.3): (mean of the last `short` raw
    scores - mean of the `long` before) / their standard deviation, negative values set to 0."""
    previous = raw.shift(1)
    long_mean = previous.rolling(long, min_periods=min_periods).mean()
    long_std = previous.rolling(long, min_periods=min_periods).std()
    short_mean = raw.rolling(short, min_periods=1).mean()
    z = ((short_mean - long_mean) / (long_std + 1e-9)).fillna(0.0).clip(lower=0.0)
    return np.asarray(z, dtype=float)


def anomaly_scores(
    values: Sequence[float] | np.ndarray,
    *,
    window: int = 400,
    block: int = 10,
    short: int = 5,
    long: int = 2000,
    alarm: float = 3.0,
    quiet: int = 300,
    entropy_window: int = 52,
    entropy_reference: int = 1000,
    entropy_bins: int = 10,
    entropy_short: int = 3,
) -> np.ndarray:
    """Streaming anomaly score in [0, 1] for each point of a regularly sampled series.

    Inputs: `values` (n floats, any unit, NaN treated as the previous value); `window` (points of history
    for the z-scores), `block` (points averaged for the level-shift z-score), `short`/`long` (points
    averaged for the anomaly likelihood), `alarm` (likelihood z at which an alarm is raised; the presets'
    `alarm`), `quiet` (points muted after an alarm: the first detection is the one that counts) and the
    histogram-change detector's `entropy_window` (recent points), `entropy_reference` (points before
    them), `entropy_bins` and `entropy_short` (its likelihood's short average).
    Output: n scores in [0, 1), 0.5 at the alarm level; point t's score reads only points 0..t.

    Algorithm, two detectors each turned into Numenta's anomaly likelihood z (Ahmad et al. 2017, section
    4.3: mean of the last `short` raw scores against the mean and spread of the previous `long`), the
    larger z taken: (1) size: max of two causal z-scores against the `window` points before, of the value
    (spikes) and of the mean of the last `block` values (level shifts hidden in noise); (2) shape: the G
    statistic of the last `entropy_window` values' histogram against the `entropy_reference` values
    before (see `_histogram_change`: a pattern that changes while staying in range). Then `quiet` points
    of silence after each alarm (t // 10 before `window` points have been seen), and z mapped to
    z / (z + alarm).
    Vectorised with pandas rolling windows and cumulative counts: O(n), over 100 000 points a second on
    one core (bench/nab_eval.py).
    """
    series = pd.Series(np.asarray(values, dtype=float)).ffill().fillna(0.0)
    min_periods = 20
    raw = np.maximum(
        _causal_z(series, window, min_periods), _causal_z(series, window, min_periods, block=block)
    ).clip(upper=50.0)
    size = _likelihood_z(raw, short=short, long=long, min_periods=min_periods)
    change = _histogram_change(
        series.to_numpy(), window=entropy_window, reference=entropy_reference, bins=entropy_bins
    )
    shape = _likelihood_z(change, short=entropy_short, long=long, min_periods=min_periods)
    muted = _mute_after_alarms(np.maximum(size, shape), alarm=alarm, quiet=quiet, warmup=window)
    return muted / (muted + alarm)


def _mute_after_alarms(z: np.ndarray, *, alarm: float, quiet: int, warmup: int) -> np.ndarray:
    """Zero the `quiet` points after each alarm (z ≥ `alarm`): the first detection is the one that counts,
    and an alarm that keeps ringing only adds false ones. An alarm at point t < `warmup`, while the
    z-scores' window is still filling, silences only t // 10 points: it is too unsure to silence much of
    what follows, yet one event should not ring at every point. Causal: uses only earlier alarms."""
    muted = z.copy()
    until = -1
    for index in np.flatnonzero(z >= alarm):
        if index <= until:
            continue
        length = quiet if index >= warmup else index // 10
        muted[index + 1 : index + 1 + length] = 0.0
        until = index + length
    return muted


class _Window:
    """The last `size` numbers pushed, with their sample standard deviation in O(1) per push (running
    sums, re-summed exactly every `size` pushes so rounding cannot drift)."""

    def __init__(self, size: int) -> None:
        self.items: deque[float] = deque(maxlen=size)
        self.total = 0.0
        self.squares = 0.0
        self.pushes = 0

    def __len__(self) -> int:
        return len(self.items)

    def push(self, value: float) -> None:
        if len(self.items) == self.items.maxlen:
            old = self.items[0]
            self.total -= old
            self.squares -= old * old
        self.items.append(value)
        self.total += value
        self.squares += value * value
        self.pushes += 1
        if self.pushes % (self.items.maxlen or 1) == 0:
            self.total = math.fsum(self.items)
            self.squares = math.fsum(v * v for v in self.items)

    def std(self) -> float:
        k = len(self.items)
        if k < 2:
            return float("nan")
        mean = self.total / k
        spread = max(self.squares - k * mean * mean, 0.0) / (k - 1)
        if spread < 1e-9 * (self.squares / k + 1e-300):
            # Cancellation: too close to zero for the running sums; compute it exactly.
            return float(np.std(np.fromiter(self.items, float), ddof=1))
        return math.sqrt(spread)


def detect_anomalies(
    values: Sequence[float],
    *,
    labels: Sequence[str] | None = None,
    measure: str = "value",
    sensitivity: str = "balanced",
    period: int | None = None,
    window: int = 28,
    segment: str | None = None,
) -> AnomalyFinding:
    """Flag the points of one measure over time that are unusual against what came before them.

    Inputs: `values` (n numbers in the measure's unit, oldest first); `labels` (n period labels, e.g. ISO
    dates); `sensitivity` (a key of SENSITIVITIES); `period` (observations per seasonal cycle, e.g. 7 for
    daily data with a weekly pattern, or None); `window` (points of history for the spread).
    Output: an AnomalyFinding whose flags carry the expected value, the range expected at the preset's
    sigma level, the deviation in units and in sigma, and what the point was compared with;
    `scores` in [0, 1].

    Algorithm (causal, no look-ahead): expected = median of the same phase in the last three cycles when
    `period` is given and two cycles exist, else the mean of the previous `window` points; sigma = the
    standard deviation of the previous `window` residuals (value - expected); flag when |residual| ≥
    threshold·sigma. Flagged points are replaced by their expected value in later baselines, so one spike
    does not widen the range that judges the next (the usual robust-control-chart rule).
    """
    preset = sensitivity_get(sensitivity)
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < 8:
        raise AnalyticsError(f"{n} points are too few to judge what is unusual: at least 8 are needed.")
    names = list(labels) if labels is not None else [str(i) for i in range(n)]
    seasonal = period is not None and period >= 2 and n >= 3 * period
    clean = x.copy()
    flags: list[AnomalyFlag] = []
    scores = np.zeros(n)
    warmup = max(5, 2 * period if seasonal and period else 5)
    recent = _Window(window)  # the last `window` residuals, with their running mean and spread
    for t in range(n):
        if seasonal and period:
            past = [float(clean[t - k * period]) for k in (1, 2, 3) if t - k * period >= 0]
            expected = statistics.median(past) if past else np.nan
        else:
            past_window = clean[max(0, t - window) : t]
            expected = float(past_window.mean()) if len(past_window) else np.nan
        if np.isnan(expected) or np.isnan(x[t]):
            continue
        sigma = recent.std() if len(recent) >= MIN_HISTORY else np.nan
        sigma = max(sigma, 1e-9 * (abs(expected) + 1)) if not np.isnan(sigma) else np.nan
        residual = float(x[t] - expected)
        if t >= warmup and not np.isnan(sigma):
            z = residual / sigma
            scores[t] = math.erf(abs(z) / math.sqrt(2))  # = 2·Φ(|z|) - 1
            if abs(z) >= preset.threshold_sigma:
                flags.append(
                    AnomalyFlag(
                        index=t,
                        at=names[t],
                        value=float(x[t]),
                        expected=expected,
                        low=expected - preset.threshold_sigma * sigma,
                        high=expected + preset.threshold_sigma * sigma,
                        deviation=residual,
                        sigma=z,
                        direction="above" if residual > 0 else "below",
                        compared_with=(
                            f"the same point of the last {len(past)} cycles of {period}"
                            if seasonal
                            else f"the mean of the previous {min(t, window)} points"
                        ),
                        segment=segment,
                    )
                )
                clean[t] = expected
                continue
        recent.push(residual)
    return AnomalyFinding(
        measure=measure,
        sensitivity=preset.name,
        threshold_sigma=preset.threshold_sigma,
        n=n,
        flags=flags,
        scores=[round(float(s), 6) for s in scores],
        segment=segment,
    )


def detect_anomalies_by_segment(
    frame: pd.DataFrame,
    *,
    time: str,
    measure: str,
    segment: str,
    sensitivity: str = "balanced",
    period: int | None = None,
) -> list[AnomalyFinding]:
    """`detect_anomalies` on each value of `segment` separately (rows sorted by `time` within each).

    Inputs: a frame with the columns `time`, `measure` and `segment`. Output: one finding per segment value
    with at least 8 points, in the segments' sort order; shorter segments are skipped.
    """
    results = []
    for value, rows in frame.sort_values(time).groupby(segment, sort=True):
        if len(rows) < 8:
            continue
        results.append(
            detect_anomalies(
                rows[measure].to_numpy(dtype=float),
                labels=[str(v) for v in rows[time]],
                measure=measure,
                sensitivity=sensitivity,
                period=period,
                segment=str(value),
            )
        )
    return results
