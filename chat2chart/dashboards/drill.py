# SPDX-License-Identifier: MIT
"""Drill-through: the rows behind one element of a widget (a bar, a slice, a point), read through the
normal query path so the viewer's permissions and row-level access apply as they do to the widget.

The widget's own filters, the dashboard's picked filters and an embed's locked values stay; the clicked
value of one of the widget's dimensions is added (a whole period for a dimension truncated to a month,
quarter...). The rows are the table's rows grouped by every column, with a `rows` count, so identical
rows are shown once with their number rather than silently folded.

A widget of a data model (`member_widgets`) lists the rows of the cube that owns its first measure (for
a `number` measure, the cube of the first measure it combines), joined as the model joins: the cube's
dimensions, the clicked dimension, and a count of rows, asked through the semantic layer's query path
(`semantic_query_run`), so row-level access applies as it does to the widget. Only the columns the
model exposes as dimensions of that cube can be listed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from chat2chart.core.errors import ValidationFailed
from chat2chart.dashboards.filters import Picked
from chat2chart.dashboards.member_widgets import (
    dimension_member,
    is_member_query,
    member_filters,
    member_query_parse,
)
from chat2chart.dashboards.models import Widget
from chat2chart.dashboards.widget_data import Audience, _plan, _query_run
from chat2chart.semantic import selectors as semantic_selectors
from chat2chart.semantic import services as semantic_services
from chat2chart.semantic.model import Cube, Model
from chat2chart.semantic.model import Measure as ModelMeasure
from chat2chart.semantic.query import DimensionRef, ModelQuery, find_member
from chat2chart.semantic.refs import references
from chat2chart.semantic.results import titled_result
from chat2chart.semantic.yaml_io import dump_model, load_model
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
    filter the widget is drawn with (for a widget of a data model, see `member_drill_rows`). Raises
    ValidationFailed for text widgets and fields the widget does not group by."""
    if is_member_query(widget.query):
        return member_drill_rows(
            query=dict(widget.query or {}),
            audience=audience,
            picked=picked,
            field_name=field_name,
            value=value,
        )
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


def member_drill_rows(
    *, query: dict[str, Any], audience: Audience, picked: Mapping[str, Picked], field_name: str, value: Any
) -> DrillRows:
    """The rows behind a clicked element of a widget of a data model (`query` is its model query).

    `field_name` is one of the widget's dimensions, as a member (`customers.region`) or a bare name one
    cube has. The rows are those of the cube owning the widget's first measure, joined as the model
    joins, with the widget's filters and segments, the picked and locked values (`member_filters`: a
    locked field the model lacks refuses) and the clicked value (`clicked_filter`: a whole period for a
    time dimension with a granularity). Columns: the cube's dimensions, the clicked dimension when
    another cube's, and `rows`, the number of identical rows (a count measure added to the cube for
    this query only). At most DRILL_LIMIT kinds of row. Raises ValidationFailed when the widget has no
    measure, groups by no such field, or its measure combines no measure of a cube."""
    stored = semantic_selectors.semantic_model_get(model_id=query["model"])
    model = load_model(stored.yaml)
    parsed = member_query_parse({k: v for k, v in query.items() if k != "model"})
    if not parsed.measures:
        raise ValidationFailed("This widget has no measure, so it has no rows behind it.")
    member = dimension_member(model, field_name) if field_name else None
    clicked_ref = next((d for d in parsed.dimensions if d.member == member), None)
    if clicked_ref is None:
        names = ", ".join(d.member for d in parsed.dimensions) or "nothing"
        raise ValidationFailed(f"This widget groups by {names}, not {field_name!r}.")
    cube = _measure_cube(model, parsed.measures[0])
    extra, _ = member_filters(model, audience.locked, picked)
    clicked = clicked_filter(Dimension(field=clicked_ref.member, granularity=clicked_ref.granularity), value)
    refs = [DimensionRef(member=f"{cube.name}.{d.name}") for d in cube.dimensions]
    if all(ref.member != clicked_ref.member for ref in refs):
        refs.append(clicked_ref)
    counted, count_name = _with_row_count(model, cube)
    filters = [*parsed.filters, *extra, *clicked]
    rows_query = ModelQuery(
        measures=[f"{cube.name}.{count_name}"],
        dimensions=refs,
        segments=list(parsed.segments),
        filters=filters,
        order=[OrderBy(field=ref.output_name) for ref in refs[:3]],
        limit=DRILL_LIMIT,
    )
    record = copy.copy(stored)  # never saved: the model with the row count, for this query only
    record.yaml = dump_model(counted)
    answer = semantic_services.semantic_query_run(
        model=record,
        query=rows_query.model_dump(mode="json"),
        principal=audience.principal,
        use_rollups=False,
    )
    result = titled_result(answer, counted, rows_query)
    return DrillRows(
        columns=result.columns_json(),
        rows=[list(row) for row in result.rows],
        truncated=result.truncated or len(result.rows) >= DRILL_LIMIT,
        filters=[f.model_dump(mode="json", exclude_none=True) for f in filters],
    )


def _measure_cube(model: Model, name: str, depth: int = 0) -> Cube:
    """The cube whose rows are behind measure `name`: its own, or for a `number` measure the cube of
    the first measure it combines (followed through nested number measures)."""
    cube, measure = find_member(model, name)
    if not isinstance(measure, ModelMeasure):
        raise ValidationFailed(f"{name!r} is not a measure.")
    if measure.type != "number":
        return cube
    found = [r for r in references(measure.sql or "", cube.name, cube.member_names) if r.member]
    if not found or depth > 8:
        raise ValidationFailed(
            f"The rows behind {name!r} cannot be listed: it combines no measure of one table."
        )
    return _measure_cube(model, f"{found[0].cube}.{found[0].member}", depth + 1)


def _with_row_count(model: Model, cube: Cube) -> tuple[Model, str]:
    """`model` with a count measure titled `rows` added to `cube`, and that measure's name."""
    name = next(
        n for n in (ROWS_COLUMN, *(f"{ROWS_COLUMN}_{i}" for i in range(1, 100))) if n not in cube.member_names
    )
    measure = ModelMeasure(name=name, type="count", title=ROWS_COLUMN)
    cubes = [
        c.model_copy(update={"measures": [*c.measures, measure]}) if c.name == cube.name else c
        for c in model.cubes
    ]
    return model.model_copy(update={"cubes": cubes}), name
