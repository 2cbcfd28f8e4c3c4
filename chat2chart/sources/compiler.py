# SPDX-License-Identifier: MIT
"""The query compiler: a SemanticQuery plus a table's catalogue become one parameterised SELECT.

The SQL is built as a sqlglot tree for DuckDB, PostgreSQL, MySQL/MariaDB or Spark SQL; identifiers are
quoted and every user value travels as a bound parameter, never as SQL text. Validation happens
here too, against the catalogue, so a bad question fails with a message naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import sqlglot
from sqlglot import exp

from chat2chart.core.errors import QueryError
from chat2chart.sources.calculations import with_calculations
from chat2chart.sources.catalogue import ColumnInfo, ColumnType, TableInfo
from chat2chart.sources.filtersql import condition, naive
from chat2chart.sources.semantic import Dimension, Measure, SemanticQuery
from chat2chart.sources.sqlparts import Params, column_of, column_ref, table_ref

Dialect = Literal["duckdb", "postgres", "mysql", "spark"]
DIALECTS: tuple[str, ...] = Dialect.__args__  # type: ignore[attr-defined]

# Dialects whose drivers use the pyformat paramstyle: a literal % must be written %%.
_PYFORMAT = frozenset({"postgres", "mysql"})

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
    "spark": {
        "hour": "DATE_TRUNC('HOUR', CAST(__col AS TIMESTAMP))",
        "day": "CAST(__col AS DATE)",
        "week": "CAST(DATE_TRUNC('WEEK', CAST(__col AS TIMESTAMP)) AS DATE)",
        "month": "CAST(DATE_TRUNC('MONTH', CAST(__col AS TIMESTAMP)) AS DATE)",
        "quarter": "CAST(DATE_TRUNC('QUARTER', CAST(__col AS TIMESTAMP)) AS DATE)",
        "year": "CAST(DATE_TRUNC('YEAR', CAST(__col AS TIMESTAMP)) AS DATE)",
        # WEEKDAY is 0 on Monday; DAYOFWEEK counts from Sunday.
        "weekday": "WEEKDAY(__col) + 1",
        "month_of_year": "CAST(MONTH(__col) AS INT)",
        "hour_of_day": "CAST(HOUR(__col) AS INT)",
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
    tree: exp.Expr | None = field(default=None, repr=False, compare=False)
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
    params = Params()
    moment = naive(now or datetime.now())  # the source's wall clock is what users mean
    selected: list[exp.Expr] = []
    columns: list[dict[str, str]] = []
    groups: list[exp.Expr] = []
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
    _check_unique([c["name"] for c in columns] + [c.output_name for c in query.calculations])

    tree = exp.select(*selected).from_(table_ref(table.name, schema))
    conditions = [condition(f, table, params, moment) for f in query.filters]
    if conditions:
        tree = tree.where(exp.and_(*conditions))
    if groups:
        tree = tree.group_by(*groups)
    if query.calculations:
        tree, columns = with_calculations(tree, query, columns)
    elif any(m.hidden for m in query.measures):
        raise QueryError("a hidden measure only makes sense as part of a calculation")
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

    def inline(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Placeholder) and node.name in values:
            return _literal(values[node.name])
        return node

    return compiled.tree.transform(inline).sql(dialect=compiled.dialect, pretty=True)


# --- select list -------------------------------------------------------------------------------


def _measure(measure: Measure, table: TableInfo, dialect: str) -> tuple[exp.Expr, ColumnType]:
    if measure.field is None:
        if measure.agg != "count":
            raise QueryError(f"the {measure.agg} measure needs a field; only count may omit it")
        return exp.Count(this=exp.Star()), "integer"
    column = column_of(table, measure.field)
    ref = column_ref(column.name)
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


def _median(ref: exp.Expr, column: ColumnInfo, dialect: str) -> exp.Expr:
    if dialect == "mysql":
        # MariaDB only has MEDIAN as a window function and MySQL has none: say so rather than guess.
        raise QueryError(
            f"median is not supported on MySQL/MariaDB sources (field '{column.name}'); "
            "use avg, or import the table to use median"
        )
    if dialect in ("duckdb", "spark"):
        return exp.cast(exp.Median(this=ref), "DOUBLE")
    within = exp.WithinGroup(
        this=exp.PercentileCont(this=exp.Literal.number(0.5)),
        expression=exp.Order(expressions=[exp.Ordered(this=ref)]),
    )
    return exp.cast(within, "DOUBLE")


def _dimension(dimension: Dimension, table: TableInfo, dialect: str) -> tuple[exp.Expr, ColumnType]:
    column = column_of(table, dimension.field)
    ref = column_ref(column.name)
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
        return [exp.Ordered(this=column_ref(n), desc=False, nulls_first=False) for n in names]
    ordered = []
    for item in query.order:
        if item.field not in outputs:
            raise QueryError(
                f"cannot order by '{item.field}': it is not an output column "
                f"(choose one of {', '.join(repr(n) for n in outputs)})"
            )
        ordered.append(exp.Ordered(this=column_ref(item.field), desc=item.dir == "desc", nulls_first=False))
    return ordered


def _render(tree: exp.Expr, dialect: str, params: Params) -> tuple[str, list[Any]]:
    """SQL text in the driver's paramstyle, plus the values in placeholder order.

    Placeholders are rendered as unique markers first and numbered afterwards, so the order of
    `params` follows the SQL text whatever order sqlglot writes the clauses in.
    """

    def prepare(node: exp.Expr) -> exp.Expr:
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


def _literal(value: Any) -> exp.Expr:
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    return exp.convert(value)
