# SPDX-License-Identifier: MIT
"""Numbers written the way people in different countries write them, read with pyarrow compute.

A number format names its decimal mark and thousands separator by example, the way a user
recognises it: "1,234.56" (en), "1.234,56" (de), "1 234,56" (fr, with a space, no-break space or
narrow no-break space), "1'234.56" (ch) and "12,34,567.89" (Indian grouping).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_NUMBER_FORMAT = "1,234.56"


@dataclass(frozen=True)
class NumberFormat:
    key: str  # the format by example, e.g. "1.234,56"
    decimal: str  # the decimal mark
    groups: str  # a regex class matching the thousands separator(s)
    separators: tuple[str, ...]  # the thousands separator characters, for removal
    indian: bool = False  # lakh grouping: the last group has three digits, the others two


NUMBER_FORMATS: dict[str, NumberFormat] = {
    fmt.key: fmt
    for fmt in (
        NumberFormat("1,234.56", ".", ",", (",",)),
        NumberFormat("1.234,56", ",", r"\.", (".",)),
        NumberFormat("1 234,56", ",", "[ \u00a0\u202f]", (" ", "\u00a0", "\u202f")),
        NumberFormat("1'234.56", ".", "['\u2019]", ("'", "\u2019")),
        NumberFormat("12,34,567.89", ".", ",", (",",), indian=True),
    )
}
# When a column's values fit several formats, the first of these that fits names the reading.
_PREFERENCE = {
    ".": ("1,234.56", "1'234.56", "12,34,567.89"),
    ",": ("1.234,56", "1 234,56"),
}

_CURRENCY = "[$€£¥₹]"
_TRIMMED = "$€£¥₹%() \u00a0\u202f"


def _grouped(fmt: NumberFormat) -> str:
    g = fmt.groups
    if fmt.indian:
        return rf"[1-9]\d?(?:{g}\d{{2}})*{g}\d{{3}}"
    return rf"[1-9]\d{{0,2}}(?:{g}\d{{3}})+"


def _signed(body: str, suffix: str = "") -> str:
    # One sign, before or after an optional currency sign: "-$5", "$-5", "5 €"; accounting "(5)".
    space = "[\\s\u00a0\u202f]?"
    one = rf"(?:[+-]?{space}{_CURRENCY}?|{_CURRENCY}?{space}[+-]?){space}{body}{space}{_CURRENCY}?{suffix}"
    return rf"^(?:{one}|\({one}\))$"


def integer_pattern(fmt: NumberFormat) -> str:
    """A regex for whole numbers in `fmt`; leading zeros ("00721") mark codes, so they do not match."""
    return _signed(rf"(?:0|{_grouped(fmt)}|[1-9]\d{{0,17}})")


def decimal_pattern(fmt: NumberFormat) -> str:
    """A regex for numbers with an optional fraction, exponent and trailing percent sign in `fmt`."""
    mark = "\\" + fmt.decimal
    body = rf"(?:(?:0|{_grouped(fmt)}|[1-9]\d*)(?:{mark}\d*)?|{mark}\d+)(?:[eE][+-]?\d+)?"
    return _signed(body, r"\s?%?")


def number_format(key: str | None) -> NumberFormat:
    """The format named `key` (the default one for None); raises KeyError for an unknown key."""
    return NUMBER_FORMATS[key or DEFAULT_NUMBER_FORMAT]


def preferred_format(fitting: list[str], decimal: str | None) -> str | None:
    """Of the formats every value fits, the one to read with, preferring decimal mark `decimal`."""
    marks = [decimal, *(m for m in _PREFERENCE if m != decimal)] if decimal else list(_PREFERENCE)
    for mark in marks:
        for key in _PREFERENCE[mark]:
            if key in fitting:
                return key
    return None


def read_numbers(
    trimmed: pa.Array, readable: pa.BooleanArray, fmt: NumberFormat, *, integer: bool
) -> pa.Array:
    """`trimmed` text as int64 or float64 under `fmt`, where `readable` (the pattern matched).

    "12%" is the number 0.12, as spreadsheets store it, and "(5)" is -5.
    """
    candidates = pc.if_else(readable, trimmed, pa.scalar(None, pa.string()))
    for separator in fmt.separators:
        if pc.any(pc.match_substring(candidates, separator)).as_py():
            candidates = pc.replace_substring(candidates, separator, "")
    if fmt.decimal == ",":
        candidates = pc.replace_substring(candidates, ",", ".")
    digits = pc.utf8_trim(candidates, characters=_TRIMMED)
    target = pa.int64() if integer else pa.float64()
    try:
        numbers = pc.cast(digits, target)
    except pa.ArrowInvalid:
        # Odd placements such as "-$5" or "$ -5" keep a sign apart from the digits.
        numbers = pc.cast(pc.replace_substring_regex(candidates, r"[^0-9eE.\-]", ""), target)
    if not integer:
        numbers = pc.if_else(pc.ends_with(trimmed, "%"), pc.divide(numbers, 100.0), numbers)
    return pc.if_else(pc.starts_with(trimmed, "("), pc.negate(numbers), numbers)
