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
``$0,0``     $1,235                 currency: ``$``, ``€`` or ``£`` (USD, EUR, GBP)
``0.0a``     1.2k                   compact: k, M, B, T
===========  =====================  ===========================================

Date formats are tokens joined by ``-``, ``/``, ``.``, ``:``, ``,`` or spaces:
``YYYY``, ``YY``, ``MMMM``, ``MMM``, ``MM``, ``M``, ``DD``, ``D``, ``HH``, ``mm``, ``ss``
(e.g. ``YYYY-MM-DD``, ``DD/MM/YYYY``, ``MMM YYYY``, ``MMM D``). They map onto ECharts' time
axis templates, so no JavaScript function is needed in an option.

Numbers are written in the organisation's locale (CLDR data through Babel: separators, the space
before "%", where a currency sign goes); a currency column (format "currency:EUR") adds its sign or code.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import babel
import babel.numbers

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
    currency: str  # an ISO 4217 code ("EUR") or "" for a plain number
    group: bool
    decimals: int
    suffix: str  # "", "%" or "a"


_SIGN_CODES = {"$": "USD", "€": "EUR", "£": "GBP"}


def parse_number_format(pattern: str) -> NumberFormat:
    """Parse a number format, raising ValueError with the accepted set when it is unknown."""
    match = NUMBER_FORMAT_RE.match(pattern)
    if not match:
        raise ValueError(
            f"unknown number format {pattern!r}; use one like 0, 0,0, 0,0.00, 0%, 0.0%, $0,0 or 0.0a"
        )
    return NumberFormat(
        currency=_SIGN_CODES.get(match["currency"], ""),
        group=bool(match["group"]),
        decimals=len(match["decimals"] or ""),
        suffix=match["suffix"],
    )


@dataclass(frozen=True)
class NumberLocale:
    """How one locale writes numbers: separators, the space before %, and where a currency goes.

    The values come from CLDR through Babel (`number_locale`). The browser receives this as
    `aiser.numberLocale`, so Python (KPI text) and charts.js (axes, tooltips) format with the same rules.
    """

    tag: str
    group: str
    decimal: str
    percent_space: str = ""
    currency_first: bool = True
    currency_space: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "tag": self.tag,
            "group": self.group,
            "decimal": self.decimal,
            "percentSpace": self.percent_space,
            "currencyFirst": self.currency_first,
            "currencySpace": self.currency_space,
        }


DEFAULT_LOCALE = "en-US"
# Locales offered by name; `number_locale` reads any other CLDR tag too.
NUMBER_LOCALES: tuple[str, ...] = (
    "en-US", "en-GB", "en-AU", "en-CA", "en-IE", "en-NZ", "en-ZA",
    "de-DE", "de-AT", "de-CH", "fr-FR", "fr-BE", "fr-CA", "fr-CH", "it-IT", "it-CH", "es-ES", "es-MX",
    "es-AR", "pt-BR", "pt-PT", "nl-NL", "nl-BE", "sv-SE", "da-DK", "nb-NO", "fi-FI", "pl-PL", "cs-CZ",
    "ja-JP", "zh-CN", "ko-KR", "tr-TR",
)  # fmt: skip
# Currencies with a sign every supported locale reads; others are written as their ISO code.
CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_BIDI_MARKS = "\u200e\u200f\u061c"
_NBSP = "\u00a0"


def locale_exists(tag: str) -> bool:
    """Whether `tag` ("de-CH") names a locale with CLDR data (through Babel)."""
    if not isinstance(tag, str) or len(tag) > 35:  # BCP 47 tags in use are far shorter
        return False
    if tag.replace("_", "-").split("-")[0].lower() in ("und", "root"):  # "no language" is not a locale
        return False
    try:
        locale = babel.Locale.parse(tag, sep="-")
    except (ValueError, TypeError, babel.UnknownLocaleError):
        return False
    return bool(locale.language)


@functools.lru_cache(maxsize=256)
def number_locale(tag: str | None) -> NumberLocale:
    """The number conventions of a locale tag ("de-DE") from CLDR, through Babel: group and decimal
    marks, the space before %, and where the currency sign goes (from the locale's standard currency
    pattern, e.g. "#,##0.00 ¤"). en-US for None or a tag CLDR does not know.

    Only three-digit grouping is drawn: a locale that groups by two after the thousands (hi-IN,
    "#,##,##0") is written in three-digit groups with its own marks."""
    if not tag or not locale_exists(tag):
        tag = DEFAULT_LOCALE
    locale = babel.Locale.parse(tag, sep="-")
    percent = (locale.percent_formats[None].pattern or "").split(";")[0].strip(_BIDI_MARKS)
    currency = (locale.currency_formats["standard"].pattern or "").split(";")[0].strip(_BIDI_MARKS)
    before_sign = percent[: percent.find("%")] if "%" in percent else ""
    currency_first = currency.startswith("¤")
    beside = currency[1:2] if currency_first else currency[-2:-1]
    return NumberLocale(
        tag=tag,
        group=babel.numbers.get_group_symbol(locale),
        decimal=babel.numbers.get_decimal_symbol(locale),
        percent_space=before_sign[-1] if before_sign[-1:].isspace() else "",
        currency_first=currency_first,
        currency_space=beside if beside.isspace() else "",
    )


def pattern_for(column_format: str | None) -> str | None:
    """The number format that shows a result column's `format` ("percent", "currency:EUR"), if any.

    Percent values are fractions (0.256 reads 25.6%); a currency gets two decimals and grouping, its
    sign or code comes from `currency_for`.
    """
    if column_format == "percent":
        return "0.0%"
    if column_format and column_format.startswith("currency"):
        return "0,0.00"
    return None


def currency_for(column_format: str | None) -> str | None:
    """The ISO currency code of a "currency:EUR" column format, upper-cased; None otherwise."""
    if column_format and column_format.startswith("currency:"):
        code = column_format.partition(":")[2].strip().upper()
        return code or None
    return None


def format_number(
    value: float | int | None,
    pattern: str | None,
    *,
    locale: str | None = None,
    currency: str | None = None,
) -> str:
    """Format a number for display in `locale` (any CLDR tag, see `number_locale`; en-US by default).

    Without a pattern, integers stay whole and others get 2 decimals. `currency` (an ISO code) adds
    its sign or code where the locale puts it; a pattern's own $, € or £ means USD, EUR or GBP.
    Compact (`0.0a`) divides by the largest of k, M, B, T below the value. None, NaN and infinities
    read as an en dash.
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if not pattern:
        pattern = "0,0" if float(value).is_integer() else "0,0.00"
    fmt = parse_number_format(pattern)
    conventions = number_locale(locale)
    number = float(value)
    unit = ""
    if fmt.suffix == "%":
        number *= 100
        unit = conventions.percent_space + "%"
    elif fmt.suffix == "a":
        for step, letter in _COMPACT_STEPS:
            if abs(number) >= step:
                number /= step
                unit = letter
                break
    # Halves round away from zero on the shortest decimal form of the number, as Intl.NumberFormat
    # (charts.js) does: 1234.5 -> 1235 and 1.005 -> 1.01 on both sides (Python's own rounding is
    # half-to-even on the binary value).
    exact = Decimal(repr(abs(number))).quantize(Decimal(1).scaleb(-fmt.decimals), rounding=ROUND_HALF_UP)
    text = f"{exact:{',' if fmt.group else ''}.{fmt.decimals}f}"
    negative = number < 0 and exact != 0
    text = text.replace(",", "\x00").replace(".", conventions.decimal).replace("\x00", conventions.group)
    text += unit
    code = currency or fmt.currency
    if code:
        sign = CURRENCY_SIGNS.get(code, code)
        # A code ("CHF") is always set apart; a sign only where the locale spaces it ("€ 1,00").
        space = conventions.currency_space or (_NBSP if sign == code else "")
        text = f"{sign}{space}{text}" if conventions.currency_first else f"{text}{space or _NBSP}{sign}"
    return f"-{text}" if negative else text


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
