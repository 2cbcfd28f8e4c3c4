# SPDX-License-Identifier: MIT
"""Drill-through: the rows behind one element of a widget (a bar, a slice, a point), read through the
normal query path so the viewer's permissions and row-level access apply as they do to the widget.

The widget's own filters, the dashboard's picked filters and an embed's locked values stay; the clicked
value of one of the widget's dimensions is added (a whole period for a dimension truncated to a month,
quarter...). The rows are the table's rows grouped by every column, with a `rows` count, so identical
rows are shown once with their number rather than silently folded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from chat2chart.core.errors import ValidationFailed
from chat2chart.dashboards.filters import Picked
from chat2chart.dashboards.models import Widget
from chat2chart.dashboards.widget_data import Audience, _plan, _query_run, member_query_of
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.models import SourceTable
from chat2chart.sources.semantic import Dimension, Filter, Measure, OrderBy, SemanticQuery

DRILL_LIMIT = 500
ROWS_COLUMN = "rows"
_PERIODS = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True)
class DrillRows:
    """The rows behind a clicked element: columns as the query service describes them, the rows, and
    whether there were more than `DRILL_LIMIT` distinct rows."""

    columns: list[dict[str, Any]]
    rows: list[list[Any]]
    truncated: bool
    filters: list[dict[str, Any]]


def drill_rows(
    *, widget: Widget, audience: Audience, picked: Mapping[str, Picked], field_name: str, value: Any
) -> DrillRows:
    """The rows of `widget`'s table where `field_name` (one of its dimensions) is `value`, with every
    filter the widget is drawn with. Raises ValidationFailed for text widgets, widgets of a data model
    and fields the widget does not group by."""
    if member_query_of(widget) is not None:
        raise ValidationFailed("The rows behind a widget of a data model cannot be listed yet.")
    job = _plan(widget, audience, picked)
    if job is None:
        raise ValidationFailed("A text widget has no rows behind it.")
    query = job.query
    dimension = next((d for d in query.dimensions if d.field == field_name), None)
    if dimension is None:
        names = ", ".join(d.field for d in query.dimensions) or "nothing"
        raise ValidationFailed(f"This widget groups by {names}, not {field_name!r}.")
    clicked = clicked_filter(dimension, value)
    columns = _table_columns(query)
    rows_query = SemanticQuery(
        source=query.source,
        table=query.table,
        dimensions=[Dimension(field=name) for name in columns],
        measures=[Measure(agg="count", alias=ROWS_COLUMN)],
        filters=list(query.filters),
        order=[OrderBy(field=name) for name in columns[:3]],
        limit=DRILL_LIMIT,
    )
    extra = [*job.extra_filters, *clicked]
    result = _query_run(rows_query, audience, extra)
    return DrillRows(
        columns=result.columns_json(),
        rows=[list(row) for row in result.rows],
        truncated=result.truncated or len(result.rows) >= DRILL_LIMIT,
        filters=[f.model_dump(mode="json", exclude_none=True) for f in [*query.filters, *extra]],
    )


def clicked_filter(dimension: Dimension, value: Any) -> list[Filter]:
    """The filters a clicked value of `dimension` becomes: equality, or the whole period it starts
    (from its first moment up to, not including, the next period's, so times on the last day count)."""
    if value is None:
        return [Filter(field=dimension.field, op="is_null")]
    if dimension.granularity not in _PERIODS:
        return [Filter(field=dimension.field, op="eq", value=value)]
    try:
        start = date.fromisoformat(str(value)[:10])
    except ValueError as error:
        raise ValidationFailed(f"{value!r} is not the start of a {dimension.granularity}.") from error
    following = _next_period(start, str(dimension.granularity))
    return [
        Filter(field=dimension.field, op="gte", value=start.isoformat()),
        Filter(field=dimension.field, op="lt", value=following.isoformat()),
    ]


def _next_period(start: date, granularity: str) -> date:
    if granularity in ("day", "week"):
        return start + timedelta(days=1 if granularity == "day" else 7)
    months = {"month": 1, "quarter": 3, "year": 12}[granularity]
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def _table_columns(query: SemanticQuery) -> list[str]:
    table = SourceTable.objects.filter(source_id=query.source, name=query.table, is_current=True).first()
    if table is None or not table.catalogue:
        raise ValidationFailed("The table this widget reads no longer exists.")
    return [column.name for column in TableInfo.from_dict(table.catalogue).columns]
