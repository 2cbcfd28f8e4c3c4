# SPDX-License-Identifier: MIT
"""Periods of a time series as people name them ("March 2025", "Q1 2025", "the week of 3 Mar 2025") and
the days each covers. No Django here."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta


def period_bounds(label_: str, granularity: str) -> tuple[date, date] | None:
    try:
        start = date.fromisoformat(str(label_)[:10])
    except ValueError:
        return None
    step = {
        "day": relativedelta(days=1),
        "week": relativedelta(weeks=1),
        "month": relativedelta(months=1),
        "quarter": relativedelta(months=3),
        "year": relativedelta(years=1),
    }[granularity]
    return start, start + step - timedelta(days=1)


def period_name(label_: str, granularity: str | None) -> str:
    try:
        start = date.fromisoformat(str(label_)[:10])
    except ValueError:
        return str(label_)
    if granularity == "month":
        return f"{calendar.month_name[start.month]} {start.year}"
    if granularity == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if granularity == "year":
        return str(start.year)
    if granularity == "week":
        return f"the week of {day_name(start)}"
    return day_name(start)


def day_name(day: date) -> str:
    return f"{day.day} {calendar.month_abbr[day.month]} {day.year}"
