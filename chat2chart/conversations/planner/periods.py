# SPDX-License-Identifier: MIT
"""Periods named in a question, as calendar arithmetic: "January 2024", "Q1", "H2 2025", "since May",
"between March and June 2025", "week of 3 March", "last 12 months", "yesterday", "FY2024".

A `Period` is read from words without knowing today's date or the table; `bind_periods` turns it into
filters on a column once both are known. A calendar name without a year ("January", "Q3") means the most
recent such period that has begun by today, the reading analytics tools such as ThoughtSpot use; when the
data stops earlier, `resolve_undated` names the latest such period in the data instead. Date
ranges are whole days, inclusive of their last day (the query compiler turns them into half-open ranges).
No Django here.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from chat2chart.sources.catalogue import ColumnInfo
from chat2chart.sources.semantic import Filter


@dataclass(frozen=True)
class Period:
    """A period not yet tied to a column or to today's date.

    kind:
      - "calendar": one named calendar period of `unit` (year, half, quarter, month, week, day);
        `year` None means the most recent one that has begun; `index` is the half (1-2), quarter (1-4)
        or month (1-12); `day` the day of month for days and weeks ("week of 3 March").
      - "fiscal_year": the fiscal year `year` (named by the calendar year it ends in), or with
        `offset` relative to the current one (0 this, -1 last).
      - "between": from the start of `first` to the end of `last`.
      - "since" / "before": from the start of `first` on / up to (not including) it.
      - "last_n": a rolling `count` of `unit`s ending now (days: "last 7 days").
      - "previous_n": the `count` whole `unit`s before the current one ("last 12 months").
      - "this" / "previous" / "next": the current, previous or next `unit`; "this" of a year, quarter
        or month also stands for "year/quarter/month to date".
    """

    kind: str
    unit: str = "year"
    year: int | None = None
    index: int = 0
    day: int = 0
    count: int = 0
    offset: int = 0
    first: Period | None = None
    last: Period | None = None


def calendar_bounds(period: Period, today: date, fiscal_start_month: int = 1) -> tuple[date, date]:
    """First and last day (inclusive) of a calendar or fiscal period.

    Raises ValueError for a period that is not calendar-shaped or names an impossible date (30 February).
    """
    if period.kind == "fiscal_year":
        return _fiscal_year(period, today, fiscal_start_month)
    if period.kind != "calendar":
        raise ValueError(f"{period.kind} is not a calendar period")
    year = period.year if period.year is not None else _most_recent_year(period, today)
    if period.unit == "year":
        return date(year, 1, 1), date(year, 12, 31)
    if period.unit == "half":
        start = date(year, 6 * (period.index - 1) + 1, 1)
        return start, start + relativedelta(months=6) - timedelta(days=1)
    if period.unit == "quarter":
        start = date(year, 3 * (period.index - 1) + 1, 1)
        return start, start + relativedelta(months=3) - timedelta(days=1)
    if period.unit == "month":
        start = date(year, period.index, 1)
        return start, start + relativedelta(months=1) - timedelta(days=1)
    day = date(year, period.index, period.day)
    if period.unit == "week":  # ISO 8601 weeks start on Monday
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    return day, day


def _most_recent_year(period: Period, today: date) -> int:
    # The latest such period that has begun by today: "January" in March 2025 is January 2025,
    # "June" in March 2025 is June 2024.
    probe = Period("calendar", period.unit, today.year, period.index, period.day)
    try:
        start, _ = calendar_bounds(probe, today)
    except ValueError:  # 29 February in a year without one: look a year back
        return today.year - 1
    return today.year if start <= today else today.year - 1


def resolve_undated(periods: list[Period], data_end: date, today: date) -> tuple[list[Period], list[str]]:
    """Year-less calendar names ("March", "Q3", "H1", "3 March") as the latest such period in the data:
    the latest that has begun by the data's last day (`data_end`) or by today, whichever comes first.

    "Why did revenue drop in March" asked in November 2026 of data that stops in 2025 means March 2025, not
    March 2026 (no rows) or March 2024. Returns the periods with their years filled in and one note per
    resolved name ("March 2025, the latest March in the data"); named years and relative periods are kept.
    """
    reference = min(data_end, today)
    resolved: list[Period] = []
    notes: list[str] = []
    for period in periods:
        dated = _dated(period, reference)
        resolved.append(dated)
        if dated == period:
            continue
        first, last = dated.first or dated, dated.last or dated.first or dated
        start, _ = calendar_bounds(first, reference)
        _, end = calendar_bounds(last, reference)
        span = describe_date_range(start.isoformat(), end.isoformat())
        if period.kind == "between" and period.first and period.last:
            name = f"{_name(period.first)} to {_name(period.last)}"
        else:
            name = _name(period.first or period)
        notes.append(f"{span}, the latest {name} in the data")
    return resolved, notes


def _dated(period: Period, reference: date) -> Period:
    """`period` with the year of each year-less calendar name filled in against `reference`."""

    def fill(point: Period) -> Period:
        if point.kind != "calendar" or point.year is not None or point.unit == "year":
            return point
        return replace(point, year=_most_recent_year(point, reference))

    if period.kind == "between" and period.first is not None and period.last is not None:
        last = fill(period.last)
        first = period.first
        if first.kind == "calendar" and first.year is None and last.year is not None:
            # "between March and June": the first end in the same stretch, before the last.
            before = (first.unit, first.index, first.day) <= (last.unit, last.index, last.day)
            first = replace(first, year=last.year if before else last.year - 1)
        return replace(period, first=first, last=last)
    if period.first is not None:
        return replace(period, first=fill(period.first))
    return fill(period)


def has_undated(periods: list[Period]) -> bool:
    """Whether any period names a calendar month, quarter, half or day without its year."""
    return any(
        p.kind == "calendar" and p.year is None and p.unit != "year"
        for period in periods
        for p in (period, period.first, period.last)
        if p is not None
    )


def _name(period: Period) -> str:
    if period.unit == "month":
        return calendar.month_name[period.index]
    if period.unit == "quarter":
        return f"Q{period.index}"
    if period.unit == "half":
        return f"H{period.index}"
    if period.unit == "week":
        return f"week of {period.day} {calendar.month_name[period.index]}"
    return f"{period.day} {calendar.month_name[period.index]}"


def _fiscal_year(period: Period, today: date, start_month: int) -> tuple[date, date]:
    if period.year is not None:
        end_year = period.year
    else:
        # The fiscal year today falls in ends in this calendar year when it started this year in January,
        # otherwise in the next calendar year once its start month has come.
        end_year = today.year + (1 if start_month > 1 and today.month >= start_month else 0) + period.offset
    start = date(end_year - (1 if start_month > 1 else 0), start_month, 1)
    return start, start + relativedelta(years=1) - timedelta(days=1)


def bind_periods(
    periods: list[Period], column: ColumnInfo, now: date, *, fiscal_start_month: int = 1
) -> list[Filter]:
    """Filters on `column` for the periods; an integer year column gets plain year numbers.

    Periods that cannot apply to the column (a month on a year-number column, an impossible date) are
    left out; the caller's explanation names the filters that were applied, so nothing is hidden.
    """
    filters: list[Filter] = []
    for period in periods:
        try:
            bound = (
                _date_filter(column.name, period, now, fiscal_start_month)
                if column.is_temporal
                else _year_number_filter(column, period, now)
            )
        except ValueError:
            bound = None
        if bound is not None:
            filters.append(bound)
    return filters


def _date_filter(field_name: str, period: Period, now: date, fiscal_start_month: int) -> Filter:
    if period.kind in ("last_n", "previous_n"):
        return Filter(field=field_name, op=period.kind, value=period.count, unit=period.unit)  # type: ignore[arg-type]
    if period.kind == "this":
        return Filter(field=field_name, op="this_period", unit=period.unit)  # type: ignore[arg-type]
    if period.kind == "previous":
        return Filter(field=field_name, op="previous_period", unit=period.unit)  # type: ignore[arg-type]
    if period.kind == "next":
        start = _unit_start(now, period.unit) + _step(period.unit)
        return _range(field_name, start, start + _step(period.unit) - timedelta(days=1))
    if period.kind in ("since", "before", "between"):
        first, last = period.first, period.last or period.first
        if first is None or last is None:
            raise ValueError(f"a {period.kind} period needs its calendar period")
        start, _ = calendar_bounds(first, now, fiscal_start_month)
        if period.kind == "since":
            return Filter(field=field_name, op="gte", value=start.isoformat())
        if period.kind == "before":
            return Filter(field=field_name, op="lt", value=start.isoformat())
        _, end = calendar_bounds(last, now, fiscal_start_month)
        if end < start:
            raise ValueError("a range that ends before it starts")
        return _range(field_name, start, end)
    start, end = calendar_bounds(period, now, fiscal_start_month)
    return _range(field_name, start, end)


def _range(field_name: str, start: date, end: date) -> Filter:
    return Filter(field=field_name, op="between", value=[start.isoformat(), end.isoformat()])


def _unit_start(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    if unit == "year":
        return day.replace(month=1, day=1)
    return day


def _step(unit: str) -> relativedelta:
    return {
        "day": relativedelta(days=1),
        "week": relativedelta(weeks=1),
        "month": relativedelta(months=1),
        "quarter": relativedelta(months=3),
        "year": relativedelta(years=1),
    }[unit]


def _year_number_filter(column: ColumnInfo, period: Period, now: date) -> Filter | None:
    # Datasets often store model years as two digits (70 for 1970): follow the column's own samples.
    two_digit = bool(column.samples) and all(
        isinstance(s, int | float) and 0 <= s <= 99 for s in column.samples if s is not None
    )

    def as_stored(year: int) -> int:
        return year % 100 if two_digit else year

    whole_years = [p for p in (period.first, period.last) if p is not None]
    if whole_years and not all(p.kind == "calendar" and p.unit == "year" and p.year for p in whole_years):
        return None
    if period.kind == "calendar" and period.unit == "year" and period.year is not None:
        return Filter(field=column.name, op="eq", value=as_stored(period.year))
    if period.kind == "between" and period.first and period.last:
        first, last = period.first.year or 0, period.last.year or 0
        return Filter(field=column.name, op="between", value=[as_stored(first), as_stored(last)])
    if period.kind in ("since", "before") and period.first:
        op = "gte" if period.kind == "since" else "lt"
        return Filter(field=column.name, op=op, value=as_stored(period.first.year or 0))
    if period.unit != "year":
        return None
    if period.kind == "this":
        return Filter(field=column.name, op="eq", value=as_stored(now.year))
    if period.kind == "previous":
        return Filter(field=column.name, op="eq", value=as_stored(now.year - 1))
    if period.kind == "next":
        return Filter(field=column.name, op="eq", value=as_stored(now.year + 1))
    if period.kind == "last_n":
        return Filter(field=column.name, op="gt", value=as_stored(now.year - period.count))
    if period.kind == "previous_n":
        return Filter(
            field=column.name,
            op="between",
            value=[as_stored(now.year - period.count), as_stored(now.year - 1)],
        )
    return None


def describe_date_range(start: str, end: str) -> str:
    """A date range in words when it is one calendar period ("January 2024", "Q1 2024", "H2 2025", "2024"),
    otherwise "3 Mar 2024 to 30 Jun 2024". Inputs are ISO dates, the end inclusive."""
    try:
        first, last = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
    except ValueError:
        return f"{start} to {end}"
    if first.day == 1 and last == first + relativedelta(months=_months_between(first, last)) - timedelta(
        days=1
    ):
        months = _months_between(first, last)
        if months == 12 and first.month == 1:
            return str(first.year)
        if months == 6 and first.month in (1, 7):
            return f"H{1 if first.month == 1 else 2} {first.year}"
        if months == 3 and first.month in (1, 4, 7, 10):
            return f"Q{(first.month - 1) // 3 + 1} {first.year}"
        if months == 1:
            return f"{calendar.month_name[first.month]} {first.year}"
        final = first + relativedelta(months=months - 1)
        return f"{_month(first)} to {_month(final)}"
    if first == last:
        return _day(first)
    return f"{_day(first)} to {_day(last)}"


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _month(day: date) -> str:
    return f"{calendar.month_name[day.month]} {day.year}"


def _day(day: date) -> str:
    return f"{day.day} {calendar.month_abbr[day.month]} {day.year}"
