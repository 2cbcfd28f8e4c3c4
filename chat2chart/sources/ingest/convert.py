# SPDX-License-Identifier: MIT
"""Vectorised conversion of a column of text into one catalogue type, with pyarrow compute.

Every converter reports which present values it could not read, so inference can try a type on
a sample and the writer can notice a value further down that does not fit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

import pyarrow as pa
import pyarrow.compute as pc

from chat2chart.sources.catalogue import ColumnType
from chat2chart.sources.ingest.dates import matches, read_dates
from chat2chart.sources.ingest.numbers import (
    decimal_pattern,
    integer_pattern,
    number_format,
    read_numbers,
)

# In a typed column these mean "no value" (stray markers); in a text column only an empty cell does.
# Spreadsheet error values count as missing too, so one "#DIV/0!" does not turn numbers into text.
NULL_TOKENS = pa.array(
    [
        "null",
        "none",
        "n/a",
        "na",
        "n.a.",
        "n.a",
        "nan",
        "unknown",
        "-",
        "--",
        "\u2014",  # em dash
        "\u2013",  # en dash
        "#n/a",
        "#div/0!",
        "#value!",
        "#ref!",
        "#name?",
        "#num!",
        "#null!",
    ]
)
TRUE_WORDS = pa.array(["true", "yes", "y", "t", "1"])
FALSE_WORDS = pa.array(["false", "no", "n", "f", "0"])

INTEGER_PATTERN = integer_pattern(number_format(None))
DECIMAL_PATTERN = decimal_pattern(number_format(None))

ISO_DATE = "ISO"  # a date layout: YYYY-MM-DD, read by Arrow's own strict parser
_PROBE_ROWS = 2048
_ZONE = r"(?:Z|[+-]\d{2}(?::?\d{2})?)"
DATETIME_PATTERN = rf"^\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d{{1,6}})?)?{_ZONE}?)?$"
ZONE_SUFFIX_PATTERN = rf":\d{{2}}(?:\.\d{{1,6}})?{_ZONE}$"


@dataclass(frozen=True)
class ColumnPlan:
    """How one column is read and stored."""

    name: str  # the column's name in the Parquet file
    type: ColumnType
    date_format: str | None = None  # date and datetime columns: ISO_DATE or a key of dates.LAYOUTS
    number_format: str | None = None  # integer and decimal columns: a key of numbers.NUMBER_FORMATS
    tz_aware: bool = False  # datetime columns: stored as UTC instants rather than wall-clock times
    forced: bool = False  # the user chose the type: unreadable values become empty instead of widening

    def with_type(self, type_: ColumnType, **changes: object) -> ColumnPlan:
        return replace(self, type=type_, **changes)  # type: ignore[arg-type]


@dataclass
class Converted:
    array: pa.Array
    failed: pa.BooleanArray  # a value was present but not readable as the type
    markers: int = 0  # stray markers ("n/a", "-", "unknown") read as empty in a typed column
    marker_example: str | None = None
    empty: int = 0  # cells that were empty or only whitespace

    @property
    def failures(self) -> int:
        return pc.sum(self.failed).as_py() or 0

    def failing_values(self, source: pa.Array, limit: int = 1000) -> pa.Array:
        return pc.unique(pc.filter(source, self.failed))[:limit]


def arrow_type(plan: ColumnPlan) -> pa.DataType:
    if plan.type == "datetime":
        return pa.timestamp("us", tz="UTC") if plan.tz_aware else pa.timestamp("us")
    return {
        "integer": pa.int64(),
        "decimal": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "text": pa.string(),
    }[plan.type]


class _Prepared:
    """A column's text, trimmed, with the costlier views computed only when a converter needs them."""

    def __init__(self, values: pa.Array) -> None:
        self.raw = pc.fill_null(values, "") if values.null_count else values
        # ASCII trimming is ~10x faster than Unicode; an odd no-break space is left to the patterns.
        self.trimmed = pc.ascii_trim_whitespace(self.raw)
        self.empty = pc.equal(self.trimmed, "")
        self.present = _null_where_not(pc.invert(self.empty), self.trimmed)
        self._null_words: pa.BooleanArray | None = None

    @property
    def null_words(self) -> pa.BooleanArray:
        if self._null_words is None:
            self._null_words = pc.is_in(pc.ascii_lower(self.trimmed), value_set=NULL_TOKENS)
        return self._null_words

    @property
    def missing(self) -> pa.BooleanArray:
        return pc.or_(self.empty, self.null_words)


def prepare(values: pa.Array) -> _Prepared:
    """A column's text ready for checking: trimmed, with its empty and null-word cells known."""
    return _Prepared(values)


def convert_column(values: pa.Array, plan: ColumnPlan) -> Converted:
    """`values` (text) as `plan.type`; unreadable values come back empty and flagged in `failed`."""
    prepared = _Prepared(values)
    converter = {
        "text": _to_text,
        "integer": _to_integer,
        "decimal": _to_decimal,
        "boolean": _to_boolean,
        "date": _to_date,
        "datetime": _to_datetime,
    }[plan.type]
    array = converter(prepared, plan)
    unread = pc.and_(pc.invert(prepared.empty), pc.is_null(array))
    # Null words are only looked for among values that did not convert, which is usually none.
    markers, example = 0, None
    if plan.type != "text" and pc.any(unread).as_py():
        marked = pc.and_(unread, prepared.null_words)
        markers = pc.sum(marked).as_py() or 0
        if markers:
            example = pc.filter(prepared.trimmed, marked)[0].as_py()
        unread = pc.and_(unread, pc.invert(prepared.null_words))
    empty = pc.sum(prepared.empty).as_py() or 0 if plan.forced else 0
    return Converted(array, unread, markers, example, empty)


def _null_where_not(mask: pa.BooleanArray, values: pa.Array) -> pa.Array:
    return pc.if_else(mask, values, pa.scalar(None, values.type))


def _fast_then_exact(
    p: _Prepared, fast: Callable[[pa.Array], pa.Array], exact: Callable[[_Prepared], pa.Array]
) -> pa.Array:
    """Try a plain Arrow cast of the whole chunk first; most columns are clean and it is by far the
    quickest. Null words, currency signs and the like fail it and go through the exact patterns."""
    try:
        # A failing cast costs ~1 µs per value; a small probe keeps obviously dirty chunks from paying it.
        fast(p.present[:_PROBE_ROWS])
        return fast(p.present)
    except pa.ArrowInvalid:
        pass
    if pc.any(p.null_words).as_py():
        try:
            return fast(_null_where_not(pc.invert(p.null_words), p.present))
        except pa.ArrowInvalid:
            pass
    return exact(p)


def _leading_zeros(values: pa.Array) -> bool:
    zero_led = pc.and_(pc.starts_with(values, "0"), pc.greater(pc.binary_length(values), 1))
    return bool(pc.any(pc.and_(zero_led, pc.invert(pc.starts_with(values, "0.")))).as_py())


def _to_text(p: _Prepared, plan: ColumnPlan) -> pa.Array:
    # Text is kept exactly as written (formula-like cells included); only empty cells become null.
    return _null_where_not(pc.invert(p.empty), p.raw)


def _to_integer(p: _Prepared, plan: ColumnPlan) -> pa.Array:
    def fast(values: pa.Array) -> pa.Array:
        if _leading_zeros(values):
            raise pa.ArrowInvalid("leading zeros")  # "00721" is a code, not 721
        return pc.cast(values, pa.int64())

    return _fast_then_exact(p, fast, lambda q: _exact_number(q, plan, integer=True))


def _to_decimal(p: _Prepared, plan: ColumnPlan) -> pa.Array:
    fmt = number_format(plan.number_format)

    def fast(values: pa.Array) -> pa.Array:
        if _leading_zeros(values):
            raise pa.ArrowInvalid("leading zeros")
        if fmt.decimal != "." and pc.any(pc.match_substring(values, ".")).as_py():
            raise pa.ArrowInvalid("a dot is not the decimal mark here")
        numbers = pc.cast(values, pa.float64())
        return _null_where_not(pc.invert(pc.is_nan(numbers)), numbers)  # "NaN" is a missing value

    return _fast_then_exact(p, fast, lambda q: _exact_number(q, plan, integer=False))


def _exact_number(p: _Prepared, plan: ColumnPlan, *, integer: bool) -> pa.Array:
    fmt = number_format(plan.number_format)
    pattern = integer_pattern(fmt) if integer else decimal_pattern(fmt)
    readable = pc.and_(pc.match_substring_regex(p.trimmed, pattern), pc.invert(p.missing))
    return read_numbers(p.trimmed, readable, fmt, integer=integer)


def _to_boolean(p: _Prepared, plan: ColumnPlan) -> pa.Array:
    lowered = pc.ascii_lower(p.trimmed)
    is_true = pc.is_in(lowered, value_set=TRUE_WORDS)
    is_false = pc.is_in(lowered, value_set=FALSE_WORDS)
    return pc.if_else(is_true, True, pc.if_else(is_false, False, pa.scalar(None, pa.bool_())))


def _to_date(p: _Prepared, plan: ColumnPlan) -> pa.Array:
    if plan.date_format in (None, ISO_DATE):
        # Arrow's own ISO parser is strict (no Feb 30) and quick.
        return _fast_then_exact(
            p, lambda values: pc.cast(values, pa.date32()), lambda q: _exact_layout(q, "YMD", time=False)
        )
    return _exact_layout(p, plan.date_format, time=False)


def _exact_layout(p: _Prepared, layout: str, *, time: bool) -> pa.Array:
    readable = pc.and_(matches(p.trimmed, layout), pc.invert(p.missing))
    stamps = read_dates(p.trimmed, readable, layout)
    if time:
        return pc.cast(stamps, pa.timestamp("us"))
    # A date column holds no times; a value with one is not a plain date.
    midnight = pc.equal(pc.cast(stamps, pa.date32()).cast(pa.timestamp("s")), stamps)
    dates = pc.cast(stamps, pa.date32())
    return pc.if_else(pc.fill_null(midnight, False), dates, pa.scalar(None, pa.date32()))


def _to_datetime(p: _Prepared, plan: ColumnPlan) -> pa.Array:
    if plan.date_format not in (None, ISO_DATE):
        return _exact_layout(p, plan.date_format, time=True)
    target = pa.timestamp("us", tz="UTC") if plan.tz_aware else pa.timestamp("us")

    return _fast_then_exact(p, lambda values: pc.cast(values, target), lambda q: _exact_datetime(q, plan))


def _exact_datetime(p: _Prepared, plan: ColumnPlan) -> pa.Array:
    readable = pc.and_(pc.match_substring_regex(p.trimmed, DATETIME_PATTERN), pc.invert(p.missing))
    zoned = pc.match_substring_regex(p.trimmed, ZONE_SUFFIX_PATTERN)
    utc = pa.timestamp("us", tz="UTC")
    aware = _cast_or_null(_null_where_not(pc.and_(readable, zoned), p.trimmed), utc)
    # Wall-clock times without an offset are taken as UTC.
    naive = _cast_or_null(_null_where_not(pc.and_(readable, pc.invert(zoned)), p.trimmed), pa.timestamp("us"))
    instants = pc.coalesce(aware, pc.cast(naive, utc))
    return instants if plan.tz_aware else pc.cast(instants, pa.timestamp("us"))


def _cast_or_null(values: pa.Array, target: pa.DataType) -> pa.Array:
    try:
        return pc.cast(values, target)
    except pa.ArrowInvalid:
        # Only calendar-impossible values ("2024-02-30T10:00") get past the pattern; rare, so this
        # slow path is taken for a chunk that holds one and never otherwise.
        return pa.array([_parse_iso(v) for v in values.to_pylist()], type=target)


def _parse_iso(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed
