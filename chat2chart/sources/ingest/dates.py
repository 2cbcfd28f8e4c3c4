# SPDX-License-Identifier: MIT
"""Dates written in the common non-ISO ways, read with pyarrow compute.

A date layout is one of: "YMD" (2024/03/14), "DMY" (14.03.2024, 14-03-24), "MDY" (3/14/19),
"D MON Y" (3 Mar 2024, 03-Mar-2024), "MON D, Y" (March 3, 2024) and "ISO week" (2024-W10-1).
Numeric layouts take dashes, dots or slashes, two- or four-digit years and an optional time
("02:01", "02:01:00", "2:05 PM"). Two-digit years follow POSIX: 69-99 are 1900s, 00-68 2000s.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

DAY_ORDERS = ("DMY", "MDY", "YMD")  # the layouts a user may choose between for numeric dates

_TIME = (
    r"(?:(?:[ T]|\s+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d{1,6})?)?"
    r"(?:\s?(?P<p>[AaPp]\.?[Mm]\.?))?)?"
)
_SEP = r"[-./]"
_YEAR = r"(?P<y>\d{4}|\d{2})"
_MONTH_NAME = r"(?P<mon>[A-Za-z]{3,9})\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
LAYOUTS: dict[str, str] = {
    "YMD": rf"^(?P<y>\d{{4}}){_SEP}(?P<m>\d{{1,2}}){_SEP}(?P<d>\d{{1,2}}){_TIME}$",
    "DMY": rf"^(?P<d>\d{{1,2}}){_SEP}(?P<m>\d{{1,2}}){_SEP}{_YEAR}{_TIME}$",
    "MDY": rf"^(?P<m>\d{{1,2}}){_SEP}(?P<d>\d{{1,2}}){_SEP}{_YEAR}{_TIME}$",
    "D MON Y": rf"^(?P<d>\d{{1,2}}){_ORDINAL}[ -]?{_MONTH_NAME},?[ -]?{_YEAR}{_TIME}$",
    "MON D, Y": rf"^{_MONTH_NAME}[ -](?P<d>\d{{1,2}}){_ORDINAL},?[ -](?P<y>\d{{4}}){_TIME}$",
    "ISO week": r"^(?P<y>\d{4})-?W(?P<w>\d{2})(?:-?(?P<wd>[1-7]))?$",
}
_TIME_PRESENT = r"\d:\d{2}"

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_FULL = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
         "october", "november", "december"]  # fmt: skip
_MONTH_WORDS = pa.array([*_MONTHS, *_FULL, "sept"])
_MONTH_NUMBERS = pa.array([*range(1, 13), *range(1, 13), 9], pa.int64())


def matches(trimmed: pa.Array, layout: str) -> pa.BooleanArray:
    """Which values have the shape of `layout` (their calendar is checked by `read_dates`)."""
    return pc.match_substring_regex(trimmed, LAYOUTS[layout])


def has_time(trimmed: pa.Array) -> bool:
    """Whether any value carries a time of day."""
    return bool(pc.any(pc.match_substring_regex(trimmed, _TIME_PRESENT)).as_py())


def read_dates(trimmed: pa.Array, readable: pa.BooleanArray, layout: str) -> pa.Array:
    """`trimmed` text as timestamp[s] (wall clock) under `layout`, where `readable`.

    Impossible dates (Feb 30, month 13, week 54) and times (25:00) come back null.
    """
    candidates = pc.if_else(readable, trimmed, pa.scalar(None, pa.string()))
    parts = pc.extract_regex(candidates, LAYOUTS[layout])
    if layout == "ISO week":
        return _week_dates(parts)
    year = _year(pc.struct_field(parts, "y"))
    if layout in ("D MON Y", "MON D, Y"):
        index = pc.index_in(pc.utf8_lower(pc.struct_field(parts, "mon")), value_set=_MONTH_WORDS)
        month = pc.take(_MONTH_NUMBERS, index)
    else:
        month = _int(pc.struct_field(parts, "m"))
    day = _int(pc.struct_field(parts, "d"))
    hour, minute, second = _clock(parts)
    text = pc.binary_join_element_wise(
        _padded(year, 4), "-", _padded(month, 2), "-", _padded(day, 2), " ",
        _padded(hour, 2), ":", _padded(minute, 2), ":", _padded(second, 2), "",
    )  # fmt: skip
    parsed = pc.strptime(text, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
    # strptime rolls impossible dates over (Feb 30 becomes Mar 1); the written day and month must survive.
    same = pc.and_(pc.equal(pc.day(parsed), day), pc.equal(pc.month(parsed), month))
    return pc.if_else(pc.fill_null(same, False), parsed, pa.scalar(None, pa.timestamp("s")))


def _int(values: pa.Array) -> pa.Array:
    return pc.cast(pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values), pa.int64())


def _padded(values: pa.Array, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(values, pa.string()), width=width, padding="0")


def _year(values: pa.Array) -> pa.Array:
    years = _int(values)
    short = pc.equal(pc.utf8_length(values), 2)
    century = pc.if_else(pc.less(years, 69), 2000, 1900)
    return pc.if_else(short, pc.add(years, century), years)


def _clock(parts: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    hour = pc.fill_null(_int(pc.struct_field(parts, "H")), 0)
    minute = pc.fill_null(_int(pc.struct_field(parts, "M")), 0)
    second = pc.fill_null(_int(pc.struct_field(parts, "S")), 0)
    period = pc.utf8_lower(pc.replace_substring(pc.struct_field(parts, "p"), ".", ""))
    twelve = pc.greater(hour, 12)
    # "12 AM" is midnight and "1 PM" is 13:00; an hour over 12 with AM/PM is not a time.
    hour = pc.if_else(pc.and_(pc.equal(period, "am"), pc.equal(hour, 12)), 0, hour)
    hour = pc.if_else(pc.and_(pc.equal(period, "pm"), pc.less(hour, 12)), pc.add(hour, 12), hour)
    invalid = pc.and_(pc.not_equal(period, ""), twelve)
    hour = pc.if_else(invalid, pa.scalar(None, pa.int64()), hour)
    return hour, minute, second


def _week_dates(parts: pa.Array) -> pa.Array:
    year = _int(pc.struct_field(parts, "y"))
    week = _int(pc.struct_field(parts, "w"))
    weekday = pc.fill_null(_int(pc.struct_field(parts, "wd")), 1)
    jan4 = pc.strptime(
        pc.binary_join_element_wise(_padded(year, 4), "-01-04", ""),
        format="%Y-%m-%d",
        unit="s",
        error_is_null=True,
    )
    # ISO week 1 is the week holding January 4th; weeks start on Monday.
    monday = pc.subtract(pc.cast(pc.cast(jan4, pa.date32()), pa.int32()), pc.day_of_week(jan4))
    days = pc.add(
        pc.cast(monday, pa.int64()), pc.add(pc.multiply(pc.subtract(week, 1), 7), pc.subtract(weekday, 1))
    )
    dates = pc.cast(pc.cast(days, pa.int32()), pa.date32())
    stamps = pc.cast(dates, pa.timestamp("s"))
    # Week 53 exists only in some years; a week that spills into the next ISO year is not one.
    same = pc.and_(pc.equal(pc.iso_week(stamps), week), pc.equal(pc.iso_year(stamps), year))
    return pc.if_else(pc.fill_null(same, False), stamps, pa.scalar(None, pa.timestamp("s")))
