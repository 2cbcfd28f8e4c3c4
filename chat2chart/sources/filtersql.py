# SPDX-License-Identifier: MIT
"""WHERE conditions of the semantic query: comparisons, lists, text matches, and date ranges and periods.

A range given in days covers whole days (a half-open interval), relative periods are anchored on `now`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlglot import exp

from chat2chart.core.errors import QueryError
from chat2chart.sources.catalogue import ColumnInfo, TableInfo
from chat2chart.sources.semantic import Filter
from chat2chart.sources.sqlparts import Params, column_of, column_ref

_MAX_IN_VALUES = 1000
_LIKE_ESCAPE = "!"  # not a backslash: MySQL string literals treat backslashes as escapes


def condition(flt: Filter, table: TableInfo, params: Params, now: datetime) -> exp.Expr:
    column = column_of(table, flt.field)
    ref = column_ref(column.name)
    op = flt.op
    if op == "is_null":
        return exp.Is(this=ref, expression=exp.Null())
    if op == "not_null":
        return exp.Not(this=exp.Is(this=ref, expression=exp.Null()))
    if op in ("last_n", "previous_n", "this_period", "previous_period"):
        return _period_condition(flt, column, ref, params, now)
    if op in ("contains", "starts_with"):
        return _like_condition(flt, column, ref, params)
    if op in ("in", "not_in"):
        values = _list_value(flt, column, min_items=1, max_items=_MAX_IN_VALUES)
        condition = ref.isin(*[params.add(v) for v in values])
        return exp.Not(this=condition) if op == "not_in" else condition
    if op == "between":
        if column.is_temporal:
            return _date_range_condition(flt, column, ref, params)
        low, high = _list_value(flt, column, min_items=2, max_items=2)
        return exp.Between(this=ref, low=params.add(low), high=params.add(high))
    if flt.value is None or isinstance(flt.value, list):
        hint = "; use is_null or not_null to test for missing values" if flt.value is None else ""
        raise QueryError(f"the {op} filter on '{column.name}' needs a single value{hint}")
    if column.type == "datetime" and _is_calendar_day(flt.value):
        return _whole_day_comparison(op, ref, params, date.fromisoformat(str(flt.value)))
    if column.type == "boolean" and op not in ("eq", "neq"):
        raise QueryError(f"'{column.name}' is true/false; filter it with eq, neq, in or not_in")
    value = params.add(_coerce(flt.value, column))
    comparisons = {"eq": exp.EQ, "neq": exp.NEQ, "gt": exp.GT, "gte": exp.GTE, "lt": exp.LT, "lte": exp.LTE}
    return comparisons[op](this=ref, expression=value)


def _is_calendar_day(value: Any) -> bool:
    """True for a date without a time of day ("2024-01-31"), which names a whole calendar day."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return True
    return isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()) is not None


def _date_range_condition(flt: Filter, column: ColumnInfo, ref: exp.Expr, params: Params) -> exp.Expr:
    """A date range as the half-open interval `>= start AND < end of the last day`, in every dialect.

    `BETWEEN '2024-01-01' AND '2024-01-31'` on a datetime column stops at 31 January 00:00 and drops
    almost the whole last day; a range given in days means whole days. An end with a time of day is
    kept inclusive, as written.
    """
    raw = flt.value if isinstance(flt.value, list) else []
    low, high = _list_value(flt, column, min_items=2, max_items=2)
    if len(raw) == 2 and _is_calendar_day(raw[1]):
        day_after = date.fromisoformat(str(raw[1]).strip()) + timedelta(days=1)
        end: Any = day_after if column.type == "date" else datetime.combine(day_after, datetime.min.time())
        upper: exp.Expr = exp.LT(this=ref, expression=params.add(end))
    else:
        upper = exp.LTE(this=ref, expression=params.add(high))
    return exp.and_(exp.GTE(this=ref, expression=params.add(low)), upper)


def _whole_day_comparison(op: str, ref: exp.Expr, params: Params, day: date) -> exp.Expr:
    """Compare a date-time column with a calendar day as the whole day [day 00:00, next day 00:00)."""
    start = datetime.combine(day, datetime.min.time())
    end = start + timedelta(days=1)
    if op == "eq":
        return exp.and_(
            exp.GTE(this=ref, expression=params.add(start)), exp.LT(this=ref, expression=params.add(end))
        )
    if op == "neq":
        return exp.or_(
            exp.LT(this=ref, expression=params.add(start)), exp.GTE(this=ref, expression=params.add(end))
        )
    bounds = {"gt": (exp.GTE, end), "gte": (exp.GTE, start), "lt": (exp.LT, start), "lte": (exp.LT, end)}
    comparison, moment = bounds[op]
    return comparison(this=ref, expression=params.add(moment))


def _like_condition(flt: Filter, column: ColumnInfo, ref: exp.Expr, params: Params) -> exp.Expr:
    if column.type != "text":
        raise QueryError(f"{flt.op} filters apply to text; '{column.name}' holds {column.type} values")
    if not isinstance(flt.value, str) or not flt.value:
        raise QueryError(f"the {flt.op} filter on '{column.name}' needs some text to look for")
    escaped = re.sub(r"([!%_])", r"!\1", flt.value.lower())
    pattern = f"%{escaped}%" if flt.op == "contains" else f"{escaped}%"
    like = exp.Like(this=exp.Lower(this=ref), expression=params.add(pattern))
    return exp.Escape(this=like, expression=exp.Literal.string(_LIKE_ESCAPE))


def _period_condition(
    flt: Filter, column: ColumnInfo, ref: exp.Expr, params: Params, now: datetime
) -> exp.Expr:
    if not column.is_temporal:
        raise QueryError(f"{flt.op} filters apply to dates; '{column.name}' holds {column.type} values")
    if flt.unit is None:
        raise QueryError(f"the {flt.op} filter on '{column.name}' needs a unit (day, week, month, ...)")
    as_column_type: Callable[[datetime], date | datetime] = (
        (lambda moment: moment.date()) if column.type == "date" else (lambda moment: moment)
    )
    if flt.op in ("last_n", "previous_n"):
        count = flt.value
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise QueryError(f"the {flt.op} filter on '{column.name}' needs a whole number of at least 1")
        if flt.op == "last_n":  # a rolling window ending now
            return exp.GTE(this=ref, expression=params.add(as_column_type(_shift(now, flt.unit, -count))))
        # The N whole periods before the current one: "last 12 months" starts on the first of a month,
        # so no period in the answer is partial.
        current = _period_start(now, flt.unit)
        return exp.and_(
            exp.GTE(this=ref, expression=params.add(as_column_type(_shift(current, flt.unit, -count)))),
            exp.LT(this=ref, expression=params.add(as_column_type(current))),
        )
    start = _period_start(now, flt.unit)
    if flt.op == "previous_period":
        start = _shift(start, flt.unit, -1)
    end = _shift(start, flt.unit, 1)
    return exp.and_(
        exp.GTE(this=ref, expression=params.add(as_column_type(start))),
        exp.LT(this=ref, expression=params.add(as_column_type(end))),
    )


def _list_value(flt: Filter, column: ColumnInfo, *, min_items: int, max_items: int) -> list[Any]:
    values = flt.value
    if not isinstance(values, list) or not min_items <= len(values) <= max_items:
        size = f"exactly {min_items}" if min_items == max_items else f"{min_items} to {max_items}"
        raise QueryError(f"the {flt.op} filter on '{column.name}' needs a list of {size} values")
    if any(v is None for v in values):
        raise QueryError(f"the {flt.op} filter on '{column.name}' cannot hold null; use is_null")
    return [_coerce(v, column) for v in values]


def _coerce(value: Any, column: ColumnInfo) -> Any:
    """The filter value as the Python type the driver binds for this column, or a clear refusal."""
    kind = column.type
    if kind in ("integer", "decimal") and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "text" and isinstance(value, str):
        return value
    if kind == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    if kind == "datetime" and isinstance(value, str):
        try:
            return naive(datetime.fromisoformat(value))
        except ValueError:
            pass
    expected = {
        "integer": "a number",
        "decimal": "a number",
        "boolean": "true or false",
        "text": "text",
        "date": "an ISO date like 2024-03-31",
        "datetime": "an ISO date-time like 2024-03-31T14:00:00",
    }[kind]
    raise QueryError(f"filter value {value!r} for '{column.name}' must be {expected}")


# --- dates -------------------------------------------------------------------------------------


def naive(moment: datetime) -> datetime:
    # Sources store wall-clock times; an aware value is compared in UTC.
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _period_start(moment: datetime, unit: str) -> datetime:
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())  # weeks start on Monday, as in ISO 8601
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    return day.replace(month=1, day=1)


def _shift(moment: datetime, unit: str, count: int) -> datetime:
    """`moment` moved by `count` units; a month step keeps the day, clamped to the month's last day."""
    step = {"day": relativedelta(days=count), "week": relativedelta(weeks=count)}.get(unit)
    if step is None:
        step = relativedelta(months=count * {"month": 1, "quarter": 3, "year": 12}[unit])
    shifted: datetime = moment + step
    return shifted
