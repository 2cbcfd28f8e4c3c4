# SPDX-License-Identifier: MIT
"""The default time grain for a date range: the one rule the planner (when it groups a date column)
and the chart page (when it offers grains) share, so a chart and an answer never disagree.

Up to about 90 days a series reads well by day, up to about two years by week, beyond that by
month. The thresholds are days, inclusive on the finer side: 90 days is still "day".
"""

from __future__ import annotations

from datetime import date
from typing import Literal

Grain = Literal["day", "week", "month"]

DAY_UP_TO_DAYS = 90  # more than this → week
WEEK_UP_TO_DAYS = 730  # more than this (two years) → month
# The grains a chart of a date column can be switched between, finest first.
CHART_GRAINS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")


def default_grain(span_days: int) -> Grain:
    """The grain for a range of `span_days` days (end minus start): day, week or month.

    A negative span (start after end) is read as its length; 0 (one day, or unknown) is "day".
    """
    span = abs(span_days)
    if span > WEEK_UP_TO_DAYS:
        return "month"
    if span > DAY_UP_TO_DAYS:
        return "week"
    return "day"


def default_grain_between(start: date, end: date) -> Grain:
    """`default_grain` for the days from `start` to `end`."""
    return default_grain((end - start).days)
