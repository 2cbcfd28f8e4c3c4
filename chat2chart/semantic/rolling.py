# SPDX-License-Identifier: MIT
"""Rolling-window measures: per time bucket, an aggregate over the rows whose time lies in the bucket's
window (the 7 days ending with the bucket, everything before its end, the month up to its end)."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from chat2chart.semantic.model import RollingWindow
from chat2chart.sources.compiler import _TIME_SQL, Dialect
from chat2chart.sources.sqlparts import column_ref

ROWS = "rows_"  # the CTE of the cube's rows: time `t`, dimensions `d<i>`, the measure's argument `m0`
_BUCKETS = "buckets"
_STEPS = {
    "day": ("DAY", 1),
    "week": ("DAY", 7),
    "month": ("MONTH", 1),
    "quarter": ("MONTH", 3),
    "year": ("YEAR", 1),
    "hour": ("HOUR", 1),
}


def rolling_select(
    rows: exp.Select,
    *,
    width: int,
    at: int,
    grain: str | None,
    window: RollingWindow,
    value: exp.Expr,
    name: str,
    dialect: Dialect,
) -> exp.Select:
    """SELECT d0..d<width-1>, `value` AS `name`: the buckets (`d<at>`, at `grain`) that have rows,
    each joined to the rows inside its window and grouped by every dimension."""
    bucket = exp.column(f"d{at}", _BUCKETS, quoted=True)
    moment = exp.column("t", ROWS, quoted=True)
    upper = shift(bucket, grain, 1)
    tests: list[exp.Expr] = [exp.LT(this=moment, expression=upper)]
    if window.type == "to_date":
        template = sqlglot.parse_one(_TIME_SQL[dialect][window.granularity or "month"], read=dialect)
        start = template.transform(
            lambda n: bucket.copy() if isinstance(n, exp.Column) and n.name == "__col" else n
        )
        tests.append(exp.GTE(this=moment, expression=start))
    elif window.trailing != "unbounded":
        count, unit = (window.trailing or "").split()
        tests.append(exp.GTE(this=moment, expression=shift(upper.copy(), unit.rstrip("s"), -int(count))))
    columns: list[exp.Expr] = []
    groups: list[exp.Expr] = []
    for i in range(width):
        ref = bucket.copy() if i == at else exp.column(f"d{i}", ROWS, quoted=True)
        columns.append(exp.alias_(ref, f"d{i}", quoted=True))
        groups.append(ref.copy())
    columns.append(exp.alias_(value, name, quoted=True))
    spine = exp.select(column_ref(f"d{at}")).distinct().from_(exp.to_table(ROWS, quoted=True))
    return (
        exp.select(*columns)
        .from_(exp.alias_(exp.Subquery(this=spine), _BUCKETS, quoted=True))
        .join(exp.to_table(ROWS, quoted=True), on=exp.and_(*tests), join_type="inner")
        .group_by(*groups)
        .with_(exp.to_identifier(ROWS, quoted=True), as_=rows)
    )


def shift(moment: exp.Expr, unit: str | None, count: int) -> exp.Expr:
    """`moment` moved by `count` units (day, week, month, quarter, year, hour) in any dialect."""
    name, size = _STEPS[unit or "day"]
    return exp.DateAdd(this=moment, expression=exp.Literal.number(count * size), unit=exp.Var(this=name))
