# SPDX-License-Identifier: MIT
"""A saved chart's query as the series an alert judges: its first measure, by its time dimension if any.

The query runs through `query_run` with the principal given (the alert's owner, or a recipient when their
view of the data is checked), never from the result cache, so a check sees the data as it is now.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import pydantic

from chat2chart.alerts.evaluation import Point
from chat2chart.core.errors import ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.dashboards.partial_periods import leave_out_partial_periods
from chat2chart.sources.querying import query_run
from chat2chart.sources.semantic import SemanticQuery
from chat2chart.workspaces.selectors import workspace_clock


@dataclass(frozen=True)
class ChartMeasure:
    """What an alert on a chart measures: the measure's column and the time column (None: one number)."""

    measure: str
    time: str | None


def chart_measure(query_json: Any) -> ChartMeasure:
    """The measure an alert on a chart with this saved query reads. Raises ValidationFailed, with what to
    change, for a chart an alert cannot read: no measure, or grouped by something other than time."""
    if isinstance(query_json, dict) and "model" in query_json:
        raise ValidationFailed(
            "Alerts work for charts of a table only; this chart reads a data model. "
            "Save a chart of the model's table to watch it."
        )
    try:
        query = SemanticQuery.parse(query_json)
    except pydantic.ValidationError as error:
        raise ValidationFailed("This chart's query cannot be read; open and save the chart again.") from error
    names = [m.output_name for m in query.measures if not m.hidden] + [
        c.output_name for c in query.calculations
    ]
    if not names:
        raise ValidationFailed("An alert needs a chart with a number to watch (a measure).")
    times = [
        d for d in query.dimensions if d.granularity in ("hour", "day", "week", "month", "quarter", "year")
    ]
    if len(query.dimensions) > len(times) or len(times) > 1:
        raise ValidationFailed(
            "An alert watches one number or one number over time: this chart is grouped by "
            f"{', '.join(d.output_name for d in query.dimensions)}. Save a chart with no grouping or "
            "grouped by a date only."
        )
    return ChartMeasure(measure=names[0], time=times[0].output_name if times else None)


def _label(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def chart_series(*, query_json: Any, principal: Principal) -> tuple[ChartMeasure, list[Point]]:
    """The chart's measure and its points, oldest first (one point without a time dimension; none when the
    query returns no rows). Periods the data does not fully cover (this month on the 3rd, a first month
    that starts mid-way) are left out, as dashboards leave them out: a month with 3 days of sales is not
    "down 90 %". Raises what `query_run` raises (Forbidden, QueryError) and ValidationFailed."""
    measure = chart_measure(query_json)
    query = SemanticQuery.parse(query_json)
    result = query_run(query=query, principal=principal, use_cache=False)
    if measure.time is not None:
        result, _ = leave_out_partial_periods(
            query,
            result,
            run=lambda covered: query_run(query=covered, principal=principal, use_cache=False),
            today=workspace_clock().today,
        )
    names = [column.name for column in result.columns]
    value_at = names.index(measure.measure)
    if measure.time is None:
        return measure, [Point(label="", value=_number(row[value_at])) for row in result.rows[:1]]
    time_at = names.index(measure.time)
    rows = sorted((row for row in result.rows if row[time_at] is not None), key=lambda row: row[time_at])
    return measure, [Point(label=_label(row[time_at]), value=_number(row[value_at])) for row in rows]
