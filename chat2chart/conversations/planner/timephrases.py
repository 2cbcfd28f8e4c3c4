# SPDX-License-Identifier: MIT
"""Time phrases: granularities ("monthly", "by weekday") and periods ("last 30 days", "Q3 2024", "YTD").

Periods are read without a column, then bound to the table's time column, because the same words mean a date
range on a date column and a plain number on an integer `year` column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from chat2chart.sources.catalogue import ColumnInfo
from chat2chart.sources.semantic import Filter

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "fifty": 50,
    "hundred": 100,
    "a": 1,
    "an": 1,
}
_UNITS = {
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "quarter": "quarter",
    "quarters": "quarter",
    "year": "year",
    "years": "year",
}
# Phrase -> granularity; longest first so "month of year" beats "month".
GRANULARITY_PHRASES: tuple[tuple[tuple[str, ...], str], ...] = tuple(
    (tuple(p.split()), g)
    for p, g in sorted(
        {
            "daily": "day",
            "per day": "day",
            "by day": "day",
            "each day": "day",
            "day by day": "day",
            "weekly": "week",
            "per week": "week",
            "by week": "week",
            "each week": "week",
            "monthly": "month",
            "per month": "month",
            "by month": "month",
            "each month": "month",
            "month by month": "month",
            "quarterly": "quarter",
            "per quarter": "quarter",
            "by quarter": "quarter",
            "each quarter": "quarter",
            "yearly": "year",
            "annually": "year",
            "annual": "year",
            "per year": "year",
            "by year": "year",
            "each year": "year",
            "year by year": "year",
            "by weekday": "weekday",
            "weekday": "weekday",
            "day of week": "weekday",
            "day of the week": "weekday",
            "weekdays": "weekday",
            "month of year": "month_of_year",
            "month of the year": "month_of_year",
            "seasonality": "month_of_year",
            "seasonal": "month_of_year",
            "hourly": "hour",
            "by hour": "hour",
            "per hour": "hour",
            "hour of day": "hour_of_day",
            "hour of the day": "hour_of_day",
            "time of day": "hour_of_day",
        }.items(),
        key=lambda item: -len(item[0].split()),
    )
)


@dataclass(frozen=True)
class Period:
    """A period not yet tied to a column: a year, a quarter, a range, or a rolling window."""

    kind: str  # year, quarter, range, last_n, this, previous, since, before
    start: int = 0
    end: int = 0
    quarter: int = 0
    unit: str = "year"


@dataclass
class TimeReading:
    granularity: str | None = None
    periods: list[Period] = field(default_factory=list)
    compare_previous_year: bool = False
    spans: set[int] = field(default_factory=set)


def read_time(tokens: list[str]) -> TimeReading:
    """Granularity, periods and year-over-year comparison named in a question."""
    reading = TimeReading()
    _read_granularity(tokens, reading)
    _read_comparison(tokens, reading)
    _read_periods(tokens, reading)
    return reading


def _read_granularity(tokens: list[str], reading: TimeReading) -> None:
    for i in range(len(tokens)):
        for phrase, granularity in GRANULARITY_PHRASES:
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                reading.granularity = reading.granularity or granularity
                reading.spans |= set(range(i, i + len(phrase)))
                break


def _read_comparison(tokens: list[str], reading: TimeReading) -> None:
    text = " ".join(tokens)
    phrases = (
        "vs last year",
        "versus last year",
        "compared to last year",
        "compared with last year",
        "compare with last year",
        "compare to last year",
        "year over year",
        "yoy",
        "against last year",
        "than last year",
        "with the previous year",
        "vs previous year",
    )
    if any(p in text for p in phrases):
        reading.compare_previous_year = True
        for i, word in enumerate(tokens):
            if word in ("last", "previous", "yoy") or (
                word == "year" and i and tokens[i - 1] in ("last", "previous", "this", "over")
            ):
                reading.spans.add(i)


def _year(word: str) -> int | None:
    if word.isdigit() and len(word) == 4 and 1800 <= int(word) <= 2200:
        return int(word)
    return None


def _count(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)


def _read_periods(tokens: list[str], reading: TimeReading) -> None:  # noqa: C901 - one pass, many shapes
    i = 0
    while i < len(tokens):
        word = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        after = tokens[i + 2] if i + 2 < len(tokens) else ""
        if word in ("last", "past", "previous", "trailing") and _count(nxt) and after in _UNITS:
            reading.periods.append(Period("last_n", start=_count(nxt) or 1, unit=_UNITS[after]))
            reading.spans |= {i, i + 1, i + 2}
            i += 3
            continue
        if word in ("last", "past", "previous") and nxt in _UNITS and not reading.compare_previous_year:
            reading.periods.append(Period("previous", unit=_UNITS[nxt]))
            reading.spans |= {i, i + 1}
            i += 2
            continue
        if word in ("this", "current") and nxt in _UNITS and not reading.compare_previous_year:
            reading.periods.append(Period("this", unit=_UNITS[nxt]))
            reading.spans |= {i, i + 1}
            i += 2
            continue
        if word == "ytd" or (word, nxt, after) == ("year", "to", "date"):
            reading.periods.append(Period("this", unit="year"))
            reading.spans |= {i} if word == "ytd" else {i, i + 1, i + 2}
            i += 1 if word == "ytd" else 3
            continue
        quarter = _quarter(word)
        if quarter and _year(nxt):
            reading.periods.append(Period("quarter", start=_year(nxt) or 0, quarter=quarter))
            reading.spans |= {i, i + 1}
            i += 2
            continue
        if word in ("between", "from") and _year(nxt) and after in ("and", "to", "till", "until", "through"):
            end = _year(tokens[i + 3]) if i + 3 < len(tokens) else None
            if end:
                reading.periods.append(Period("range", start=_year(nxt) or 0, end=end))
                reading.spans |= {i, i + 1, i + 2, i + 3}
                i += 4
                continue
        if word in ("since", "after") and _year(nxt):
            reading.periods.append(Period("since", start=_year(nxt) or 0))
            reading.spans |= {i, i + 1}
            i += 2
            continue
        if word in ("before", "until") and _year(nxt):
            reading.periods.append(Period("before", start=_year(nxt) or 0))
            reading.spans |= {i, i + 1}
            i += 2
            continue
        if _year(word):
            reading.periods.append(Period("year", start=_year(word) or 0))
            reading.spans.add(i)
            if i and tokens[i - 1] in ("in", "for", "during", "of", "only"):
                reading.spans.add(i - 1)
        i += 1


def _quarter(word: str) -> int:
    if len(word) == 2 and word[0] == "q" and word[1] in "1234":
        return int(word[1])
    return 0


def bind_periods(periods: list[Period], column: ColumnInfo, now: date) -> list[Filter]:
    """Filters on `column` for the periods; an integer year column gets plain numbers."""
    filters: list[Filter] = []
    for period in periods:
        if column.is_temporal:
            filters.append(_date_filter(column.name, period, now))
        else:
            bound = _year_number_filter(column, period, now)
            if bound:
                filters.append(bound)
    return filters


def _date_filter(field_name: str, period: Period, now: date) -> Filter:
    if period.kind == "last_n":
        return Filter(field=field_name, op="last_n", value=period.start, unit=period.unit)  # type: ignore[arg-type]
    if period.kind == "this":
        return Filter(field=field_name, op="this_period", unit=period.unit)  # type: ignore[arg-type]
    if period.kind == "previous":
        return Filter(field=field_name, op="previous_period", unit=period.unit)  # type: ignore[arg-type]
    if period.kind == "quarter":
        first = date(period.start, 3 * period.quarter - 2, 1)
        last = _month_end(date(period.start, 3 * period.quarter, 1))
        return Filter(field=field_name, op="between", value=[first.isoformat(), last.isoformat()])
    if period.kind == "range":
        return Filter(field=field_name, op="between", value=[f"{period.start}-01-01", f"{period.end}-12-31"])
    if period.kind == "since":
        return Filter(field=field_name, op="gte", value=f"{period.start}-01-01")
    if period.kind == "before":
        return Filter(field=field_name, op="lt", value=f"{period.start}-01-01")
    return Filter(field=field_name, op="between", value=[f"{period.start}-01-01", f"{period.start}-12-31"])


def _month_end(first: date) -> date:
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _year_number_filter(column: ColumnInfo, period: Period, now: date) -> Filter | None:
    # Datasets often store model years as two digits (70 for 1970): follow the column's own samples.
    two_digit = bool(column.samples) and all(
        isinstance(s, int | float) and 0 <= s <= 99 for s in column.samples if s is not None
    )

    def as_stored(year: int) -> int:
        return year % 100 if two_digit else year

    if period.kind == "year":
        return Filter(field=column.name, op="eq", value=as_stored(period.start))
    if period.kind == "range":
        return Filter(field=column.name, op="between", value=[as_stored(period.start), as_stored(period.end)])
    if period.kind == "since":
        return Filter(field=column.name, op="gte", value=as_stored(period.start))
    if period.kind == "before":
        return Filter(field=column.name, op="lt", value=as_stored(period.start))
    if period.kind == "this" and period.unit == "year":
        return Filter(field=column.name, op="eq", value=as_stored(now.year))
    if period.kind == "previous" and period.unit == "year":
        return Filter(field=column.name, op="eq", value=as_stored(now.year - 1))
    if period.kind == "last_n" and period.unit == "year":
        return Filter(field=column.name, op="gt", value=as_stored(now.year - period.start))
    return None


def compare_start(now: date) -> str:
    """The first day of last year: the range of a this-year-vs-last-year comparison."""
    return date(now.year - 1, 1, 1).isoformat()
