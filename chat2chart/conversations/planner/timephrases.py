# SPDX-License-Identifier: MIT
"""Time phrases: granularities ("monthly", "by weekday") and periods ("last 30 days", "Q3 2024", "YTD").

Periods are read without a column, then bound to the table's time column, because the same words mean a date
range on a date column and a plain number on an integer `year` column.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

from .periods import Period, bind_periods

__all__ = ["GRANULARITY_PHRASES", "NUMBER_WORDS", "Period", "TimeReading", "bind_periods", "read_time"]

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
UNIT_WORDS = {
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


@dataclass
class TimeReading:
    granularity: str | None = None
    periods: list[Period] = field(default_factory=list)
    compare_previous_year: bool = False
    spans: set[int] = field(default_factory=set)
    # Words of a period phrase that never name a column ("date" in "year to date").
    not_columns: set[int] = field(default_factory=set)


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
    if reading.granularity is None:
        # "by region and month", "per region and month": a unit in a list of groupings is the date's
        # granularity.
        for i, token in enumerate(tokens):
            groups = "by" in tokens[:i] or "per" in tokens[:i]
            if token in _GRAIN_WORDS and i and tokens[i - 1] in ("and", ",") and groups:
                reading.granularity = _GRAIN_WORDS[token]
                reading.spans.add(i)
                break


_GRAIN_WORDS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}


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


_PREPOSITIONS = frozenset(
    {
        "in",
        "for",
        "during",
        "of",
        "since",
        "from",
        "between",
        "and",
        "to",
        "until",
        "till",
        "through",
        "before",
        "after",
        "only",
        "over",
        "on",
    }
)
_MONTHS = (
    {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
    | {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
    | {"sept": 9}
)
# Month words that are also ordinary English words count only next to a year, a day or a preposition.
_AMBIGUOUS_MONTHS = frozenset({"may", "march", "mar"})
_RANGE_JOINERS = frozenset({"and", "to", "till", "until", "through", "thru"})


def _read_periods(tokens: list[str], reading: TimeReading) -> None:
    i = 0
    while i < len(tokens):
        found = _relative(tokens, i, reading) or _range_phrase(tokens, i) or _point(tokens, i)
        if found is None:
            i += 1
            continue
        period, used = found
        if tokens[i + used - 1 : i + used] == ["date"] and used == 3:
            reading.not_columns.add(i + 2)
        reading.periods.append(period)
        reading.spans |= set(range(i, i + used))
        if i and tokens[i - 1] in ("in", "for", "during", "of", "only", "on") and period.kind == "calendar":
            reading.spans.add(i - 1)
        i += used


def _relative(tokens: list[str], i: int, reading: TimeReading) -> tuple[Period, int] | None:
    word, nxt, after = _at(tokens, i), _at(tokens, i + 1), _at(tokens, i + 2)
    if word in ("last", "past", "previous", "trailing") and _count(nxt) and after in UNIT_WORDS:
        unit = UNIT_WORDS[after]
        # Days roll up to now; longer units count whole periods, so no month of "last 12 months" is partial.
        return Period("last_n" if unit == "day" else "previous_n", unit=unit, count=_count(nxt) or 1), 3
    if word in ("this", "current", "last", "previous", "next") and (nxt, after) == ("fiscal", "year"):
        offset = {"last": -1, "previous": -1, "next": 1}.get(word, 0)
        return Period("fiscal_year", offset=offset), 3
    relative_kind = {
        "last": "previous",
        "past": "previous",
        "previous": "previous",
        "this": "this",
        "current": "this",
        "next": "next",
    }.get(word)
    if (
        relative_kind
        and nxt in UNIT_WORDS
        and not (reading.compare_previous_year and UNIT_WORDS[nxt] == "year")
    ):
        return Period(relative_kind, unit=UNIT_WORDS[nxt]), 2
    if word in ("ytd", "mtd", "qtd"):
        return Period("this", unit={"ytd": "year", "mtd": "month", "qtd": "quarter"}[word]), 1
    if nxt == "to" and after == "date" and word in ("year", "month", "quarter", "week"):
        return Period("this", unit=word), 3
    if word == "yesterday":
        return Period("previous", unit="day"), 1
    if word == "today":
        return Period("this", unit="day"), 1
    if word == "week" and nxt == "of":
        point = _point(tokens, i + 2)
        if point and point[0].unit == "day":
            day = point[0]
            return Period("calendar", "week", day.year, day.index, day.day), 2 + point[1]
    return None


def _range_phrase(tokens: list[str], i: int) -> tuple[Period, int] | None:
    word = _at(tokens, i)
    if word in ("between", "from"):
        first = _point(tokens, i + 1)
        if first and _at(tokens, i + 1 + first[1]) in _RANGE_JOINERS:
            last = _point(tokens, i + 2 + first[1])
            if last:
                start, end = _align_years(first[0], last[0])
                return Period("between", first=start, last=end), 2 + first[1] + last[1]
    if word in ("since", "after", "from", "before", "until", "till"):
        point = _point(tokens, i + 1)
        if point:
            kind = "since" if word in ("since", "after", "from") else "before"
            return Period(kind, first=point[0]), 1 + point[1]
    return None


def _align_years(first: Period, last: Period) -> tuple[Period, Period]:
    # "between March and June 2025": the first end takes its year from the second.
    if first.year is None and last.year is not None and first.kind == last.kind == "calendar":
        year = last.year if (first.unit, first.index) <= (last.unit, last.index) else last.year - 1
        first = Period("calendar", first.unit, year, first.index, first.day)
    return first, last


def _point(tokens: list[str], i: int) -> tuple[Period, int] | None:
    """One named calendar period at position i and how many words it takes, or None."""
    word, nxt, after = _at(tokens, i), _at(tokens, i + 1), _at(tokens, i + 2)
    previous = _at(tokens, i - 1)
    year = _year(word)
    if year and _month_number(nxt) and _day_number(after):  # 2024-03-03 (ISO, split into words)
        return Period("calendar", "day", year, _month_number(nxt), _day_number(after)), 3
    if year and _quarter(nxt):
        return Period("calendar", "quarter", year, _quarter(nxt)), 2
    if year:
        return Period("calendar", "year", year), 1
    fiscal = _fiscal_year_word(tokens, i)
    if fiscal:
        return fiscal
    if _quarter(word):
        return Period("calendar", "quarter", _year(nxt), _quarter(word)), 2 if _year(nxt) else 1
    if word in ("h1", "h2"):
        return Period("calendar", "half", _year(nxt), int(word[1])), 2 if _year(nxt) else 1
    if word in ("first", "second") and nxt == "half":
        has_year = _at(tokens, i + 2) == "of" and _year(_at(tokens, i + 3))
        year_of = _year(_at(tokens, i + 3)) if has_year else None
        return Period("calendar", "half", year_of, 1 if word == "first" else 2), 4 if has_year else 2
    day = _day_number(word)
    if day and word.isdigit() and _is_month_word(nxt, previous="in", following=after):  # 3 March [2024]
        return _day_with_year(_MONTHS[nxt], day, after, used=2)
    if _is_month_word(word, previous=previous, following=nxt):
        month = _MONTHS[word]
        if _day_number(nxt) and nxt.isdigit() and not _year(nxt):  # March 3[,] [2024]
            return _day_with_year(month, _day_number(nxt), after, used=2)
        if _year(nxt):
            return Period("calendar", "month", _year(nxt), month), 2
        return Period("calendar", "month", None, month), 1
    return None


def _day_with_year(month: int, day: int, maybe_year: str, *, used: int) -> tuple[Period, int]:
    year = _year(maybe_year)
    return Period("calendar", "day", year, month, day), used + (1 if year else 0)


def _fiscal_year_word(tokens: list[str], i: int) -> tuple[Period, int] | None:
    word, nxt, after = _at(tokens, i), _at(tokens, i + 1), _at(tokens, i + 2)
    if word.startswith("fy") and word[2:].isdigit() and len(word) in (4, 6):
        number = int(word[2:])
        return Period("fiscal_year", year=number if number > 99 else 2000 + number), 1
    if word == "fy" and _year(nxt):
        return Period("fiscal_year", year=_year(nxt)), 2
    if (word, nxt) == ("fiscal", "year") and _year(after):
        return Period("fiscal_year", year=_year(after)), 3
    return None


def _is_month_word(word: str, *, previous: str, following: str) -> bool:
    if word not in _MONTHS:
        return False
    if word not in _AMBIGUOUS_MONTHS:
        return True
    return previous in _PREPOSITIONS or bool(_year(following)) or bool(_day_number(following))


def _month_number(word: str) -> int:
    return int(word) if word.isdigit() and len(word) <= 2 and 1 <= int(word) <= 12 else 0


def _day_number(word: str) -> int:
    digits = word[:-2] if word.endswith(("st", "nd", "rd", "th")) else word
    return int(digits) if digits.isdigit() and len(digits) <= 2 and 1 <= int(digits) <= 31 else 0


def _at(tokens: list[str], i: int) -> str:
    return tokens[i] if 0 <= i < len(tokens) else ""


def _quarter(word: str) -> int:
    if len(word) == 2 and word[0] == "q" and word[1] in "1234":
        return int(word[1])
    return 0


def compare_start(now: date) -> str:
    """The first day of last year: the range of a this-year-vs-last-year comparison."""
    return date(now.year - 1, 1, 1).isoformat()
