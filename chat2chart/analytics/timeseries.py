# SPDX-License-Identifier: MIT
"""A measure over time as the engine reads it: sorted, with its step and candidate seasonal periods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from chat2chart.analytics.findings import AnalyticsError

MONTH_DAYS = 30.4375


@dataclass(frozen=True)
class TimeSeries:
    """`values[i]` was observed at `times[i]`; `step_days` is the median spacing in days."""

    times: pd.DatetimeIndex
    values: np.ndarray
    step_days: float
    regular: bool

    @cached_property
    def labels(self) -> list[str]:
        """Each time as text: an ISO date for daily or coarser steps, else an ISO date and time."""
        if self.step_days >= 1:
            return list(self.times.strftime("%Y-%m-%d"))
        return [t.isoformat() for t in self.times]

    def seasonal_candidates(self) -> list[tuple[str, int]]:
        """Seasonal periods worth testing for this step, as (name, observations per cycle)."""
        step = self.step_days
        if step < 1 / 12 or step < 0.9:  # minutes
            per_day = round(1 / step)
            candidates = [("daily", per_day), ("weekly", 7 * per_day)]
        elif step < 2:
            candidates = [("weekly", 7), ("monthly", 30), ("yearly", 365)]
        elif step < 10:
            candidates = [("yearly", 52)]
        elif step < 40:
            candidates = [("yearly", 12)]
        elif step < 100:
            candidates = [("yearly", 4)]
        else:
            candidates = []
        return [(name, p) for name, p in candidates if p >= 2]


def elapsed_days(times: pd.DatetimeIndex) -> np.ndarray:
    """Days since the first time, as floats (independent of pandas' datetime resolution)."""
    return np.asarray((times - times[0]) / pd.Timedelta(days=1), dtype=float)


def to_time_series(times: Sequence[Any], values: Sequence[Any], *, min_points: int = 4) -> TimeSeries:
    """Parse, sort and check a measure over time.

    Inputs: `times` (dates, datetimes or ISO strings) and `values` (numbers, None for missing), same length.
    Output: a TimeSeries with missing values dropped. Raises AnalyticsError when fewer than `min_points`
    usable points remain or the times cannot be read as dates.
    """
    if len(times) != len(values):
        raise AnalyticsError("The time column and the measure have different lengths.")
    try:
        index = pd.to_datetime(pd.Series(list(times)), utc=False, format="mixed")
    except (ValueError, TypeError) as error:
        raise AnalyticsError(f"The time column cannot be read as dates: {error}") from error
    numbers = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce")
    frame = pd.DataFrame({"t": index.to_numpy(), "v": numbers.to_numpy(dtype=float)}).dropna()
    frame = frame.groupby("t", sort=True)["v"].sum().reset_index()
    if len(frame) < min_points:
        raise AnalyticsError(
            f"{len(frame)} dated points are too few: this analysis needs at least {min_points}."
        )
    times_index = pd.DatetimeIndex(frame["t"])
    gaps = np.diff(elapsed_days(times_index))
    step = float(np.median(gaps))
    # Calendar months vary from 28 to 31 days: "regular" allows that much jitter.
    regular = bool(np.all(np.abs(gaps - step) <= max(0.11 * step, 1e-9)))
    return TimeSeries(
        times=times_index, values=frame["v"].to_numpy(dtype=float), step_days=step, regular=regular
    )
