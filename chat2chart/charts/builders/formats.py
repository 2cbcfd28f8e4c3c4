# SPDX-License-Identifier: MIT
"""Number and date display formats shared by the spec (validation), the builders (text drawn
from Python, such as KPI values and table cells) and `static/js/charts.js` (axes and tooltips).

Number formats are a small numeral.js-like set, written as
``[currency]0[,0][.0…][%|a]``:

===========  =====================  ===========================================
format       1234.567 / 0.256 as    meaning
===========  =====================  ===========================================
``0``        1235                   integer, no grouping
``0,0``      1,235                  thousands separators
``0.0``      1234.6                 fixed decimals (one per ``0`` after the dot)
``0,0.00``   1,234.57               grouping and fixed decimals
``0%``       26%                    value x 100 with a percent sign
``0.0%``     25.6%                  the same with decimals
``$0,0``     $1,235                 currency prefix: ``$``, ``€`` or ``£``
``0.0a``     1.2k                   compact: k, M, B, T
===========  =====================  ===========================================

Date formats are tokens joined by ``-``, ``/``, ``.``, ``:``, ``,`` or spaces:
``YYYY``, ``YY``, ``MMMM``, ``MMM``, ``MM``, ``M``, ``DD``, ``D``, ``HH``, ``mm``, ``ss``
(e.g. ``YYYY-MM-DD``, ``DD/MM/YYYY``, ``MMM YYYY``, ``MMM D``). They map onto ECharts' time
axis templates, so no JavaScript function is needed in an option.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime

NUMBER_FORMAT_RE = re.compile(
    r"^(?P<currency>[$€£]?)0(?P<group>,0)?(?:\.(?P<decimals>0+))?(?P<suffix>[%a]?)$"
)
DATE_TOKEN_RE = re.compile(r"YYYY|YY|MMMM|MMM|MM|M|DD|D|HH|mm|ss|[-/.:, ]")

_STRFTIME_DATE_TOKENS = {
    "YYYY": "%Y",
    "YY": "%y",
    "MMMM": "%B",
    "MMM": "%b",
    "MM": "%m",
    "M": "%-m",
    "DD": "%d",
    "D": "%-d",
    "HH": "%H",
    "mm": "%M",
    "ss": "%S",
}
_COMPACT_STEPS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


@dataclass(frozen=True)
class NumberFormat:
    currency: str
    group: bool
    decimals: int
    suffix: str  # "", "%" or "a"


def parse_number_format(pattern: str) -> NumberFormat:
    """Parse a number format, raising ValueError with the accepted set when it is unknown."""
    match = NUMBER_FORMAT_RE.match(pattern)
    if not match:
        raise ValueError(
            f"unknown number format {pattern!r}; use one like 0, 0,0, 0,0.00, 0%, 0.0%, $0,0 or 0.0a"
        )
    return NumberFormat(
        currency=match["currency"],
        group=bool(match["group"]),
        decimals=len(match["decimals"] or ""),
        suffix=match["suffix"],
    )


_CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£"}


def pattern_for(column_format: str | None) -> str | None:
    """The number format that shows a result column's `format` ("percent", "currency:EUR"), if any.

    Percent values are fractions (0.256 reads 25.6%); a currency without a sign here gets none.
    """
    if column_format == "percent":
        return "0.0%"
    if column_format and column_format.startswith("currency:"):
        sign = _CURRENCY_SIGNS.get(column_format.partition(":")[2].upper())
        return f"{sign}0,0.00" if sign else "0,0.00"
    return None


def format_number(value: float | int | None, pattern: str | None) -> str:
    """Format a number for display; without a pattern, integers stay whole and others get 2 decimals."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if not pattern:
        pattern = "0,0" if float(value).is_integer() else "0,0.00"
    fmt = parse_number_format(pattern)
    number = float(value)
    unit = ""
    if fmt.suffix == "%":
        number *= 100
        unit = "%"
    elif fmt.suffix == "a":
        for step, letter in _COMPACT_STEPS:
            if abs(number) >= step:
                number /= step
                unit = letter
                break
    grouping = "," if fmt.group else ""
    text = f"{abs(number):{grouping}.{fmt.decimals}f}"
    sign = "-" if number < 0 and float(text.replace(",", "")) != 0 else ""
    return f"{sign}{fmt.currency}{text}{unit}"


def _date_tokens(pattern: str) -> list[str]:
    tokens = DATE_TOKEN_RE.findall(pattern)
    if "".join(tokens) != pattern:
        raise ValueError(
            f"unknown date format {pattern!r}; build it from YYYY, MMM, MM, DD, D, HH, mm "
            "joined by - / . : or spaces, e.g. YYYY-MM-DD or MMM YYYY"
        )
    return tokens


def validate_date_format(pattern: str) -> str:
    _date_tokens(pattern)
    return pattern


def parse_temporal(value: object) -> datetime | None:
    """Read an ISO date/datetime string (or a date object) as a datetime; None when unreadable."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def default_date_format(values: list[object]) -> str | None:
    """The coarsest format that tells the values apart: years, months, days or times."""
    moments = [m for m in (parse_temporal(v) for v in values) if m is not None]
    if not moments:
        return None
    if any(m.hour or m.minute or m.second for m in moments):
        return "YYYY-MM-DD HH:mm"
    if all(m.day == 1 for m in moments):
        return "YYYY" if all(m.month == 1 for m in moments) and len(moments) > 1 else "MMM YYYY"
    return "YYYY-MM-DD"


def format_date(value: object, pattern: str | None) -> str:
    """Format an ISO date string for a category label; unreadable values are shown as they are."""
    moment = parse_temporal(value)
    if moment is None:
        return "(blank)" if value is None else str(value)
    if not pattern:
        has_time = (isinstance(value, str) and "T" in value) or bool(moment.hour or moment.minute)
        return moment.strftime("%Y-%m-%d %H:%M" if has_time else "%Y-%m-%d")
    return moment.strftime("".join(_STRFTIME_DATE_TOKENS.get(t, t) for t in _date_tokens(pattern)))
