# SPDX-License-Identifier: MIT
"""Incomplete first and last periods of a dashboard time series, left out and named.

A chart "by month" whose data starts on 30 November shows that month at a fraction of a usual month, and
one whose data runs to today shows the month still under way; a KPI "last month" built on such a series
would report the unfinished month against the whole one before it. So, as the chat narrative does
(`conversations.narrative`), the first and the last period of a calendar grain are dropped when the data
does not cover them from their first day to their last, or when they are not over yet (the workspace's
today), and the widget says which periods were left out and why.

The covered dates come from one small query: min and max of the date column with the widget's filters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from chat2chart.conversations.periodnames import day_name, period_bounds, period_name
from chat2chart.core.errors import AiserError
from chat2chart.sources.results import ResultSet
from chat2chart.sources.semantic import Measure, SemanticQuery

CALENDAR_GRAINS = frozenset({"day", "week", "month", "quarter", "year"})


def leave_out_partial_periods(
    query: SemanticQuery, result: ResultSet, *, run: Callable[[SemanticQuery], ResultSet], today: date
) -> tuple[ResultSet, list[str]]:
    """`result` without the rows of its first and last period when those are incomplete, and a sentence
    naming each period left out.

    `query` is the widget's query (its first calendar-grain dimension is the time axis); `run` runs a
    query with the widget's filters (used once, for the covered dates); `today` is the workspace's date.
    A period is complete when the data covers every day of it and it ended before or on `today`. Results
    without a calendar dimension, or whose dates cannot be read, come back unchanged.
    """
    axis = next((d for d in query.dimensions if d.granularity in CALENDAR_GRAINS), None)
    if axis is None or not result.rows:
        return result, []
    coverage = _coverage(query, axis.field, run)
    if coverage is None:
        return result, []
    first_day, last_day = coverage[0], min(coverage[1], today)
    granularity = str(axis.granularity)
    column = axis.output_name
    if column not in result.names:
        return result, []
    index = result.names.index(column)
    labels = sorted({str(row[index])[:10] for row in result.rows if row[index] is not None})
    dropped: set[str] = set()
    notes: list[str] = []
    for label in dict.fromkeys([labels[0], labels[-1]]) if labels else []:
        bounds = period_bounds(label, granularity)
        if bounds is None:
            continue
        start, end = bounds
        covered_from, covered_to = max(start, first_day), min(end, last_day)
        if covered_from <= start and covered_to >= end:
            continue
        dropped.add(label)
        notes.append(_why(label, granularity, covered_from, covered_to, end, today))
    if not dropped:
        return result, []
    rows = tuple(row for row in result.rows if str(row[index])[:10] not in dropped)
    return replace(result, rows=rows), notes


def _why(label: str, granularity: str, covered_from: date, covered_to: date, end: date, today: date) -> str:
    name = period_name(label, granularity)
    if end > today and covered_from <= covered_to:
        return f"{name} is left out: it is not over yet (data to {day_name(covered_to)})."
    if covered_from > covered_to:
        return f"{name} is left out: it has no data."
    days = (covered_to - covered_from).days + 1
    span = day_name(covered_from) if days == 1 else f"{day_name(covered_from)} to {day_name(covered_to)}"
    return f"{name} is left out: it holds only {days} day{'s' if days != 1 else ''} of data ({span})."


def _coverage(
    query: SemanticQuery, field: str, run: Callable[[SemanticQuery], ResultSet]
) -> tuple[date, date] | None:
    bounds = query.model_copy(
        update={
            "measures": [
                Measure(field=field, agg="min", alias="first_date"),
                Measure(field=field, agg="max", alias="last_date"),
            ],
            "dimensions": [],
            "calculations": [],
            "order": [],
            "limit": None,
            "offset": 0,
        }
    )
    try:
        found = run(bounds)
    except AiserError:
        return None  # the widget itself ran; it is drawn as it is
    if not found.rows or None in found.rows[0]:
        return None
    try:
        first, last = (date.fromisoformat(str(value)[:10]) for value in found.rows[0])
    except ValueError:
        return None
    return first, last
