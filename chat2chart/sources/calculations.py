# SPDX-License-Identifier: MIT
"""Calculated measures of the semantic query, compiled over the grouped answer.

The grouped query (dimensions and measures) becomes a CTE named `base`; each calculation is an
expression over `base`'s columns in the outer SELECT, so ratios divide totals (never add up per-row
ratios), shares divide by the answer's own total, and period comparisons join each row to the row of
the period before by its date (not by position, so a missing month gives an empty value instead of a
comparison with the wrong month). Written with sqlglot expressions, so one tree serves DuckDB,
PostgreSQL and MySQL (8 / MariaDB 10.2+, for CTEs and window functions).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlglot
from sqlglot import exp

from chat2chart.core.errors import QueryError
from chat2chart.sources.catalogue import ColumnType
from chat2chart.sources.semantic import Calculation, SemanticQuery

BASE = "base"
PREVIOUS = "previous"
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Neg, exp.Paren)
_COMPARISONS = frozenset({"difference", "percent_change"})
# Granularities that a date step can reach; time parts (weekday, month of year) have no "period before".
_STEPS = {
    "hour": ("HOUR", 1),
    "day": ("DAY", 1),
    "week": ("WEEK", 1),
    "month": ("MONTH", 1),
    "quarter": ("MONTH", 3),
    "year": ("YEAR", 1),
}
_STEPS_PER_YEAR = {
    "day": ("DAY", 364),
    "week": ("WEEK", 52),
    "month": ("MONTH", 12),
    "quarter": ("MONTH", 12),
}


def with_calculations(
    base: exp.Select,
    query: SemanticQuery,
    columns: list[dict[str, str]],
) -> tuple[exp.Select, list[dict[str, str]]]:
    """Wrap the grouped `base` query and add the query's calculations as output columns.

    `columns` describes `base`'s outputs (name, type, granularity, agg), in order. Returns the outer
    SELECT (without ORDER BY or LIMIT, which the caller adds) and the answer's columns: the visible
    dimensions and measures, then the calculations. Raises QueryError naming the calculation that
    cannot be computed.
    """
    measure_names = [m.output_name for m in query.measures]
    hidden = {m.output_name for m in query.measures if m.hidden}
    time_name, time_grain = _time_dimension(query, columns)
    other_dims = [d.output_name for d in query.dimensions if d.output_name != time_name]
    selected: list[exp.Expr] = [
        exp.alias_(_base_column(c["name"]), c["name"], quoted=True)
        for c in columns
        if c["name"] not in hidden
    ]
    result = [c for c in columns if c["name"] not in hidden]
    needs_previous = False
    for calculation in query.calculations:
        expression, kind = _calculation(calculation, measure_names, time_name, time_grain, other_dims)
        needs_previous = needs_previous or calculation.kind in _COMPARISONS
        selected.append(exp.alias_(expression, calculation.output_name, quoted=True))
        column = {"name": calculation.output_name, "type": kind, "calculation": calculation.kind}
        fmt = calculation.format or (
            "percent" if calculation.kind in ("share_of_total", "percent_change") else None
        )
        if fmt:
            column["format"] = fmt
        result.append(column)
    outer = exp.select(*selected).from_(exp.to_table(BASE)).with_(BASE, as_=base)
    if needs_previous:
        outer = _join_previous(outer, query, time_name, time_grain, other_dims)
    return outer, result


def _time_dimension(query: SemanticQuery, columns: list[dict[str, str]]) -> tuple[str | None, str | None]:
    for dimension in query.dimensions:
        if dimension.granularity in _STEPS:
            return dimension.output_name, dimension.granularity
    for column in columns:
        if column.get("type") in ("date", "datetime") and "agg" not in column:
            return column["name"], None
    return None, None


def _calculation(
    calculation: Calculation,
    measure_names: Sequence[str],
    time_name: str | None,
    time_grain: str | None,
    other_dims: Sequence[str],
) -> tuple[exp.Expr, ColumnType]:
    name = calculation.output_name
    if calculation.kind == "formula":
        if not calculation.formula:
            raise QueryError(f"the calculation '{name}' needs a formula, e.g. revenue / count")
        return _formula(calculation.formula, name, measure_names), "decimal"
    of = calculation.of
    if of is None or of not in measure_names:
        choices = ", ".join(repr(n) for n in measure_names) or "none: add a measure first"
        raise QueryError(f"the calculation '{name}' needs `of`: one of the query's measures ({choices})")
    value = _base_column(of)
    if calculation.kind == "share_of_total":
        total = exp.Window(this=exp.Sum(this=value.copy()))
        return _safe_divide(value, total), "decimal"
    if time_name is None:
        raise QueryError(
            f"the calculation '{name}' ({calculation.kind.replace('_', ' ')}) needs a date dimension "
            "with a granularity (day, week, month, quarter or year) to run along"
        )
    if calculation.kind == "running_total":
        window = exp.Window(
            this=exp.Sum(this=value.copy()),
            partition_by=[_base_column(d) for d in other_dims] or None,
            order=exp.Order(expressions=[exp.Ordered(this=_base_column(time_name))]),
            spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING"),
        )
        return window, "decimal"
    if time_grain is None:
        raise QueryError(
            f"the calculation '{name}' compares periods: group the date by day, week, month, ..."
        )
    if (
        calculation.compare_to == "previous_year"
        and time_grain not in _STEPS_PER_YEAR
        and time_grain != "year"
    ):
        raise QueryError(f"the calculation '{name}' cannot compare {time_grain}s with the year before")
    before = exp.column(of, table=PREVIOUS, quoted=True)
    difference = exp.Sub(this=value.copy(), expression=before.copy())
    if calculation.kind == "difference":
        return difference, "decimal"
    return _safe_divide(exp.Paren(this=difference), before), "decimal"


def _formula(text: str, name: str, measure_names: Sequence[str]) -> exp.Expr:
    try:
        tree = sqlglot.parse_one(text)
    except sqlglot.errors.ParseError as error:
        raise QueryError(f"the formula of '{name}' is not arithmetic: {text!r}") from error
    for node in tree.walk():
        if not isinstance(node, (*_ARITHMETIC, exp.Column, exp.Identifier, exp.Literal)) or (
            isinstance(node, exp.Literal) and not node.is_number
        ):
            raise QueryError(
                f"the formula of '{name}' may use measures, numbers, + - * / and parentheses only"
            )
        if isinstance(node, exp.Column) and (node.table or node.name not in measure_names):
            choices = ", ".join(repr(n) for n in measure_names)
            raise QueryError(
                f"the formula of '{name}' names {node.sql()!r}, which is not a measure ({choices})"
            )
    return _rewrite(tree)


def _rewrite(node: exp.Expr) -> exp.Expr:
    """Measures become base columns and every division a safe one, innermost first."""
    if isinstance(node, exp.Column):
        return _base_column(node.name)
    if isinstance(node, exp.Div):
        return _safe_divide(_rewrite(node.this), _rewrite(node.expression))
    if isinstance(node, exp.Neg | exp.Paren):
        return node.__class__(this=_rewrite(node.this))
    if isinstance(node, exp.Add | exp.Sub | exp.Mul):
        return node.__class__(this=_rewrite(node.this), expression=_rewrite(node.expression))
    return node.copy()


def _safe_divide(numerator: exp.Expr, denominator: exp.Expr) -> exp.Expr:
    # Dividing doubles avoids integer division on PostgreSQL; NULLIF turns a zero denominator into an
    # empty value instead of an error (PostgreSQL) or infinity (DuckDB).
    return exp.Div(
        this=exp.cast(numerator, "DOUBLE"),
        expression=exp.Nullif(this=denominator, expression=exp.Literal.number(0)),
    )


def _base_column(name: str) -> exp.Column:
    return exp.column(name, table=BASE, quoted=True)


def _join_previous(
    outer: exp.Select,
    query: SemanticQuery,
    time_name: str | None,
    time_grain: str | None,
    other_dims: Sequence[str],
) -> exp.Select:
    assert time_name is not None
    assert time_grain is not None
    years_back = any(c.compare_to == "previous_year" for c in query.calculations if c.kind in _COMPARISONS)
    periods_back = any(
        c.compare_to == "previous_period" for c in query.calculations if c.kind in _COMPARISONS
    )
    if years_back and periods_back:
        raise QueryError("compare with the previous period or with the previous year in one answer, not both")
    unit, count = _STEPS_PER_YEAR.get(time_grain, ("YEAR", 1)) if years_back else _STEPS[time_grain]
    # The row of the period before is the one whose date, moved forward one step, is this row's date.
    moved = exp.DateAdd(
        this=exp.column(time_name, table=PREVIOUS, quoted=True),
        expression=exp.Literal.number(count),
        unit=exp.Var(this=unit),
    )
    conditions: list[exp.Expr] = [exp.EQ(this=_base_column(time_name), expression=moved)]
    for name in other_dims:
        mine, theirs = _base_column(name), exp.column(name, table=PREVIOUS, quoted=True)
        both_empty = exp.and_(
            exp.Is(this=mine, expression=exp.Null()), exp.Is(this=theirs.copy(), expression=exp.Null())
        )
        conditions.append(exp.or_(exp.EQ(this=mine.copy(), expression=theirs.copy()), both_empty))
    return outer.join(exp.to_table(BASE).as_(PREVIOUS), on=exp.and_(*conditions), join_type="left")
