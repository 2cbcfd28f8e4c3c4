# SPDX-License-Identifier: MIT
"""The query compiler: a SemanticQuery plus a table's catalogue become one parameterised SELECT.

The SQL is built as a sqlglot tree for DuckDB, PostgreSQL or MySQL/MariaDB; identifiers are
quoted and every user value travels as a bound parameter, never as SQL text. Validation happens
here too, against the catalogue, so a bad question fails with a message naming the field.
"""

from __future__ import annotations

import difflib
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import sqlglot
from sqlglot import exp

from chat2chart.core.errors import QueryError
from chat2chart.sources.catalogue import ColumnInfo, ColumnType, TableInfo
from chat2chart.sources.semantic import Dimension, Filter, Measure, SemanticQuery

Dialect = Literal["duckdb", "postgres", "mysql"]
DIALECTS: tuple[str, ...] = Dialect.__args__  # type: ignore[attr-defined]

# Dialects whose drivers use the pyformat paramstyle: a literal % must be written %%.
_PYFORMAT = frozenset({"postgres", "mysql"})
_MAX_IN_VALUES = 1000
_LIKE_ESCAPE = "!"  # not a backslash: MySQL string literals treat backslashes as escapes

# Time truncation and parts, written once per dialect; `__col` is swapped for the real column.
_TIME_SQL: dict[str, dict[str, str]] = {
    "postgres": {
        "hour": "DATE_TRUNC('hour', CAST(__col AS TIMESTAMP))",
        "day": "CAST(__col AS DATE)",
        "week": "CAST(DATE_TRUNC('week', CAST(__col AS TIMESTAMP)) AS DATE)",
        "month": "CAST(DATE_TRUNC('month', CAST(__col AS TIMESTAMP)) AS DATE)",
        "quarter": "CAST(DATE_TRUNC('quarter', CAST(__col AS TIMESTAMP)) AS DATE)",
        "year": "CAST(DATE_TRUNC('year', CAST(__col AS TIMESTAMP)) AS DATE)",
        "weekday": "CAST(EXTRACT(ISODOW FROM __col) AS INTEGER)",
        "month_of_year": "CAST(EXTRACT(MONTH FROM __col) AS INTEGER)",
        "hour_of_day": "CAST(EXTRACT(HOUR FROM __col) AS INTEGER)",
    },
    "duckdb": {
        "hour": "DATE_TRUNC('hour', CAST(__col AS TIMESTAMP))",
        "day": "CAST(__col AS DATE)",
        "week": "CAST(DATE_TRUNC('week', CAST(__col AS TIMESTAMP)) AS DATE)",
        "month": "CAST(DATE_TRUNC('month', CAST(__col AS TIMESTAMP)) AS DATE)",
        "quarter": "CAST(DATE_TRUNC('quarter', CAST(__col AS TIMESTAMP)) AS DATE)",
        "year": "CAST(DATE_TRUNC('year', CAST(__col AS TIMESTAMP)) AS DATE)",
        "weekday": "CAST(ISODOW(__col) AS INTEGER)",
        "month_of_year": "CAST(EXTRACT(MONTH FROM __col) AS INTEGER)",
        "hour_of_day": "CAST(EXTRACT(HOUR FROM __col) AS INTEGER)",
    },
    "mysql": {
        "hour": "CAST(DATE_FORMAT(__col, '%Y-%m-%d %H:00:00') AS DATETIME)",
        "day": "CAST(__col AS DATE)",
        "week": "DATE_SUB(CAST(__col AS DATE), INTERVAL WEEKDAY(__col) DAY)",
        "month": "CAST(DATE_FORMAT(__col, '%Y-%m-01') AS DATE)",
        "quarter": "DATE_ADD(MAKEDATE(YEAR(__col), 1), INTERVAL (QUARTER(__col) - 1) QUARTER)",
        "year": "MAKEDATE(YEAR(__col), 1)",
        "weekday": "WEEKDAY(__col) + 1",
        "month_of_year": "MONTH(__col)",
        "hour_of_day": "HOUR(__col)",
    },
}
_PARTS = frozenset({"weekday", "month_of_year", "hour_of_day"})
_NEEDS_TIME_OF_DAY = frozenset({"hour", "hour_of_day"})
_AGG_VERBS = {
    "sum": "sum",
    "avg": "average",
    "median": "take the median of",
    "min": "take the min of",
    "max": "take the max of",
}


@dataclass
class CompiledQuery:
    """SQL ready for the dialect's driver: `params` bind to its placeholders in order."""

    sql: str
    params: list[Any]
    columns: list[dict[str, str]]
    dialect: Dialect = "duckdb"
    # The tree with named placeholders, kept so explain_sql can render a readable copy.
    tree: exp.Expression | None = field(default=None, repr=False, compare=False)
    named_params: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def compile_query(
    query: SemanticQuery,
    table: TableInfo,
    dialect: Dialect,
    *,
    schema: str | None = None,
    now: datetime | None = None,
    max_rows: int,
) -> CompiledQuery:
    """Compile `query` over `table` (its catalogue entry) for `dialect`.

    The LIMIT is at most max_rows + 1 so the caller can tell a truncated answer from a full one.
    `now` anchors relative date filters (last_n, this_period); it defaults to the local time.
    """
    if dialect not in DIALECTS:
        raise QueryError(f"unknown SQL dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")
    if not query.measures and not query.dimensions:
        raise QueryError("a query needs at least one measure or dimension")
    params = _Params()
    moment = _naive(now or datetime.now())  # the source's wall clock is what users mean
    selected: list[exp.Expression] = []
    columns: list[dict[str, str]] = []
    groups: list[exp.Expression] = []
    for dimension in query.dimensions:
        expression, kind = _dimension(dimension, table, dialect)
        selected.append(exp.alias_(expression, dimension.output_name, quoted=True))
        column = {"name": dimension.output_name, "type": kind}
        if dimension.granularity:
            column["granularity"] = dimension.granularity  # lets a chart name weekdays and months
        columns.append(column)
        groups.append(expression.copy())
    for measure in query.measures:
        expression, kind = _measure(measure, table, dialect)
        selected.append(exp.alias_(expression, measure.output_name, quoted=True))
        # The aggregation travels with the column: a chart may add up sums, never averages.
        columns.append({"name": measure.output_name, "type": kind, "agg": measure.agg})
    _check_unique([c["name"] for c in columns])

    tree = exp.select(*selected).from_(_table(table.name, schema))
    conditions = [_condition(f, table, params, moment) for f in query.filters]
    if conditions:
        tree = tree.where(exp.and_(*conditions))
    if groups:
        tree = tree.group_by(*groups)
    ordering = _ordering(query, [c["name"] for c in columns])
    if ordering:
        tree = tree.order_by(*ordering)
    cap = max_rows + 1
    tree = tree.limit(min(query.limit or cap, cap))
    if query.offset:
        tree = tree.offset(query.offset)
    sql, ordered = _render(tree, dialect, params)
    return CompiledQuery(sql, ordered, columns, dialect, tree, dict(params.values))


def explain_sql(compiled: CompiledQuery) -> str:
    """The SQL with its parameters inlined as literals, for people to READ, never to run."""
    if compiled.tree is None:
        return compiled.sql
    values = compiled.named_params

    def inline(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name in values:
            return _literal(values[node.name])
        return node

    return compiled.tree.transform(inline).sql(dialect=compiled.dialect, pretty=True)


# --- select list -------------------------------------------------------------------------------


def _measure(measure: Measure, table: TableInfo, dialect: str) -> tuple[exp.Expression, ColumnType]:
    if measure.field is None:
        if measure.agg != "count":
            raise QueryError(f"the {measure.agg} measure needs a field; only count may omit it")
        return exp.Count(this=exp.Star()), "integer"
    column = _column(table, measure.field)
    ref = _ref(column.name)
    agg = measure.agg
    if agg == "count":
        return exp.Count(this=ref), "integer"
    if agg == "count_distinct":
        return exp.Count(this=exp.Distinct(expressions=[ref])), "integer"
    numeric_only = agg in ("sum", "avg", "median")
    if (numeric_only and not column.is_numeric) or column.type == "boolean":
        raise QueryError(f"cannot {_AGG_VERBS[agg]} {column.type} column '{column.name}'")
    if agg == "min":
        return exp.Min(this=ref), column.type
    if agg == "max":
        return exp.Max(this=ref), column.type
    if agg == "sum":
        total = exp.Sum(this=ref)
        # Drivers return integer sums as Decimal on MySQL and PostgreSQL; keep them integers.
        return (exp.cast(total, "BIGINT"), "integer") if column.type == "integer" else (total, "decimal")
    if agg == "avg":
        return exp.cast(exp.Avg(this=ref), "DOUBLE"), "decimal"
    return _median(ref, column, dialect), "decimal"


def _median(ref: exp.Expression, column: ColumnInfo, dialect: str) -> exp.Expression:
    if dialect == "mysql":
        # MariaDB only has MEDIAN as a window function and MySQL has none: say so rather than guess.
        raise QueryError(
            f"median is not supported on MySQL/MariaDB sources (field '{column.name}'); "
            "use avg, or import the table to use median"
        )
    if dialect == "duckdb":
        return exp.cast(exp.Median(this=ref), "DOUBLE")
    within = exp.WithinGroup(
        this=exp.PercentileCont(this=exp.Literal.number(0.5)),
        expression=exp.Order(expressions=[exp.Ordered(this=ref)]),
    )
    return exp.cast(within, "DOUBLE")


def _dimension(dimension: Dimension, table: TableInfo, dialect: str) -> tuple[exp.Expression, ColumnType]:
    column = _column(table, dimension.field)
    ref = _ref(column.name)
    grain = dimension.granularity
    if grain is None:
        return ref, column.type
    if not column.is_temporal:
        raise QueryError(
            f"cannot group {column.type} column '{column.name}' by {grain}; "
            "granularities apply to date and datetime columns"
        )
    if grain in _NEEDS_TIME_OF_DAY and column.type == "date":
        raise QueryError(f"'{column.name}' holds dates without a time of day, so it has no {grain}")
    sql = _TIME_SQL[dialect][grain]
    if dialect == "duckdb" and column.type == "date":
        # DuckDB truncates a DATE directly; widening every row to TIMESTAMP first costs ~20 % of a scan.
        sql = sql.replace("CAST(__col AS TIMESTAMP)", "__col")
    template = sqlglot.parse_one(sql, read=dialect)
    expression = template.transform(
        lambda node: ref.copy() if isinstance(node, exp.Column) and node.name == "__col" else node
    )
    if grain in _PARTS:
        return expression, "integer"
    return expression, "datetime" if grain == "hour" else "date"


# --- filters -----------------------------------------------------------------------------------


class _Params:
    """Collects bound values under names no table could contain."""

    def __init__(self) -> None:
        self.prefix = f"aiserp{secrets.token_hex(6)}x"
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> exp.Placeholder:
        name = f"{self.prefix}{len(self.values)}"
        self.values[name] = value
        return exp.Placeholder(this=name)


def _condition(flt: Filter, table: TableInfo, params: _Params, now: datetime) -> exp.Expression:
    column = _column(table, flt.field)
    ref = _ref(column.name)
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


def _date_range_condition(
    flt: Filter, column: ColumnInfo, ref: exp.Expression, params: _Params
) -> exp.Expression:
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
        upper: exp.Expression = exp.LT(this=ref, expression=params.add(end))
    else:
        upper = exp.LTE(this=ref, expression=params.add(high))
    return exp.and_(exp.GTE(this=ref, expression=params.add(low)), upper)


def _whole_day_comparison(op: str, ref: exp.Expression, params: _Params, day: date) -> exp.Expression:
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


def _like_condition(flt: Filter, column: ColumnInfo, ref: exp.Expression, params: _Params) -> exp.Expression:
    if column.type != "text":
        raise QueryError(f"{flt.op} filters apply to text; '{column.name}' holds {column.type} values")
    if not isinstance(flt.value, str) or not flt.value:
        raise QueryError(f"the {flt.op} filter on '{column.name}' needs some text to look for")
    escaped = re.sub(r"([!%_])", r"!\1", flt.value.lower())
    pattern = f"%{escaped}%" if flt.op == "contains" else f"{escaped}%"
    like = exp.Like(this=exp.Lower(this=ref), expression=params.add(pattern))
    return exp.Escape(this=like, expression=exp.Literal.string(_LIKE_ESCAPE))


def _period_condition(
    flt: Filter, column: ColumnInfo, ref: exp.Expression, params: _Params, now: datetime
) -> exp.Expression:
    if not column.is_temporal:
        raise QueryError(f"{flt.op} filters apply to dates; '{column.name}' holds {column.type} values")
    if flt.unit is None:
        raise QueryError(f"the {flt.op} filter on '{column.name}' needs a unit (day, week, month, ...)")
    as_column_type = (lambda moment: moment.date()) if column.type == "date" else (lambda moment: moment)
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
            return _naive(datetime.fromisoformat(value))
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


def _naive(moment: datetime) -> datetime:
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
    if unit == "day":
        return moment + timedelta(days=count)
    if unit == "week":
        return moment + timedelta(weeks=count)
    months = count * {"month": 1, "quarter": 3, "year": 12}[unit]
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    next_month = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return moment.replace(year=year, month=month + 1, day=min(moment.day, last_day))


# --- shared pieces -----------------------------------------------------------------------------


def _column(table: TableInfo, name: str) -> ColumnInfo:
    column = table.column(name)
    if column is not None:
        return column
    names = [c.name for c in table.columns]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise QueryError(f"unknown field '{name}' in table '{table.name}'{hint}", details={"field": name})


def _ref(name: str) -> exp.Column:
    return exp.Column(this=exp.to_identifier(name, quoted=True))


def _table(name: str, schema: str | None) -> exp.Table:
    db = exp.to_identifier(schema, quoted=True) if schema else None
    return exp.Table(this=exp.to_identifier(name, quoted=True), db=db)


def _check_unique(names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise QueryError(f"two output columns are both called '{name}'; give one an alias")
        seen.add(name)


def _ordering(query: SemanticQuery, outputs: list[str]) -> list[exp.Ordered]:
    if not query.order:
        # A stable default so that row caps and pages cut the same rows every time.
        names = [d.output_name for d in query.dimensions]
        return [exp.Ordered(this=_ref(n), desc=False, nulls_first=False) for n in names]
    ordered = []
    for item in query.order:
        if item.field not in outputs:
            raise QueryError(
                f"cannot order by '{item.field}': it is not an output column "
                f"(choose one of {', '.join(repr(n) for n in outputs)})"
            )
        ordered.append(exp.Ordered(this=_ref(item.field), desc=item.dir == "desc", nulls_first=False))
    return ordered


def _render(tree: exp.Expression, dialect: str, params: _Params) -> tuple[str, list[Any]]:
    """SQL text in the driver's paramstyle, plus the values in placeholder order.

    Placeholders are rendered as unique markers first and numbered afterwards, so the order of
    `params` follows the SQL text whatever order sqlglot writes the clauses in.
    """

    def prepare(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder):
            return exp.Var(this=node.name)
        if dialect in _PYFORMAT and isinstance(node, exp.Identifier) and "%" in node.name:
            return exp.Identifier(this=node.name.replace("%", "%%"), quoted=node.quoted)
        if dialect in _PYFORMAT and isinstance(node, exp.Literal) and node.is_string and "%" in node.name:
            return exp.Literal.string(node.name.replace("%", "%%"))
        return node

    text = tree.transform(prepare).sql(dialect=dialect)
    ordered: list[Any] = []

    def bind(match: re.Match[str]) -> str:
        ordered.append(params.values[match.group(0)])
        return "%s" if dialect in _PYFORMAT else "?"

    text = re.sub(re.escape(params.prefix) + r"\d+\b", bind, text)
    if len(ordered) != len(params.values):
        raise QueryError("internal error: the query's parameters did not line up; please report this")
    return text, ordered


def _literal(value: Any) -> exp.Expression:
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    return exp.convert(value)
