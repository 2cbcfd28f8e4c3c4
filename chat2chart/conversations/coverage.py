# SPDX-License-Identifier: MIT
"""Which dates an answer's rows cover: one small query (min and max of the date column, with the answer's
filters), so the narrative can name incomplete first and last periods and say where the data stops."""

from __future__ import annotations

from datetime import date

from chat2chart.conversations.narrative import Coverage
from chat2chart.conversations.planner import Plan
from chat2chart.core.errors import AiserError
from chat2chart.core.principal import Principal
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.querying import query_run
from chat2chart.sources.semantic import Measure, SemanticQuery


def data_coverage(plan: Plan, table: TableInfo, *, principal: Principal) -> Coverage | None:
    """The first and last date of the data the plan's answer draws from (its filters applied, except those on
    the date column), so the narrative can name incomplete periods and say where the data stops; None
    without a date column."""
    dated = [d.field for d in plan.query.dimensions if d.granularity in _CALENDAR_GRAINS]
    dated += [f.field for f in plan.query.filters]
    column = next(
        (c for c in (table.column(name) for name in dated) if c is not None and c.is_temporal), None
    )
    if column is None:
        return None
    bounds = plan.query.model_copy(
        update={
            "measures": [
                Measure(field=column.name, agg="min", alias="first_date"),
                Measure(field=column.name, agg="max", alias="last_date"),
            ],
            "dimensions": [],
            # Where the data itself starts and stops (other filters kept): a March with no orders on its
            # last days is still a whole month of data when the data runs on into April.
            "filters": [f for f in plan.query.filters if f.field != column.name],
            "calculations": [],
            "order": [],
            "limit": None,
        }
    )
    try:
        result = query_run(query=bounds, principal=principal)
    except AiserError:
        return None  # the answer itself ran; its narrative just says less
    if not result.rows or None in result.rows[0]:
        return None
    first, last = (date.fromisoformat(str(value)[:10]) for value in result.rows[0])
    return Coverage(first=first, last=last)


def last_date_of(column: str, table: TableInfo, *, source_id: int, principal: Principal) -> date | None:
    """The last date of `column` in the rows `principal` may see (one max() query), for a period named
    without its year ("in March": the latest March in the data); None when the column is empty or the
    query fails (the planner then reads the name against today)."""
    query = SemanticQuery(
        source=source_id, table=table.name, measures=[Measure(field=column, agg="max", alias="last_date")]
    )
    try:
        result = query_run(query=query, principal=principal)
    except AiserError:
        return None
    if not result.rows or result.rows[0][0] is None:
        return None
    try:
        return date.fromisoformat(str(result.rows[0][0])[:10])
    except ValueError:
        return None


_CALENDAR_GRAINS = frozenset({"day", "week", "month", "quarter", "year"})
