# SPDX-License-Identifier: MIT
"""The insights feed in chat, "what is interesting in this table?": the data plane groups the table (the
measures per day, per value of each dimension, and per combination of dimensions for the last two whole
months), the engine scores what it finds, and the answer lists the top findings, each a numbered sentence
with its chart in a grid of small charts.

Grouping in SQL keeps the cost independent of the table's size; a time budget covers queries and analyses
together (checked between steps, so one step may overrun it). No Django here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd

from chat2chart.analytics.findings import AnalyticsError
from chat2chart.analytics.insights import grouped_insights
from chat2chart.conversations import analysis_charts as charts
from chat2chart.conversations.analysis import AnalysisAnswer, Run
from chat2chart.conversations.planner import Plan
from chat2chart.sources.semantic import Dimension, Filter, Measure, SemanticQuery

FEED_SIZE = 4
BUDGET_S = 2.5
MAX_MEASURES = 3
# Distinct values of a measure's column read for its distribution over rows (value, rows per value); a
# column with more distinct values is left out of the distribution findings rather than sampled.
MAX_DISTINCT_VALUES = 20_000
MAX_SHAPE_DIMENSIONS = 2  # dimensions whose segments are checked for unusual zeros or outliers
# Distribution findings rank after the tested ones, so their queries (the plan's measure only) run only
# while less than this share of the budget is spent: they must not crowd out the groupings the rest need.
SHAPE_BUDGET_SHARE = 0.5


def insights_feed(
    plan: Plan,
    *,
    today: date,
    run: Run,
    top: int = FEED_SIZE,
    budget_s: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> AnalysisAnswer:
    """The top `top` findings over the plan's table (its filters applied), within `budget_s` seconds
    (BUDGET_S when None, read at call time)."""
    from chat2chart.conversations.analysis_tables import frame_of

    budget_s = BUDGET_S if budget_s is None else budget_s
    started = clock()
    measures = _measures(plan)
    names = [m.alias or "" for m in measures]
    dimensions = list(plan.analysis_options.get("dimensions") or [])
    time_field = (
        plan.query.dimensions[0].field
        if plan.query.dimensions and plan.query.dimensions[0].granularity
        else None
    )
    filters = [f for f in plan.query.filters if f.field != time_field]

    def query(
        dims: list[Dimension], extra: list[Filter] | None = None, of: list[Measure] | None = None
    ) -> pd.DataFrame | None:
        limit = MAX_DISTINCT_VALUES + 1 if of else None
        answer = run(
            SemanticQuery(
                source=plan.query.source,
                table=plan.query.table,
                measures=of or measures,
                dimensions=dims,
                filters=filters + (extra or []),
                limit=limit,
            )
        )
        if answer.truncated or (limit and len(answer.rows) >= limit):
            return None
        return frame_of(answer)

    daily = change = None
    if time_field is not None:
        daily = query([Dimension(field=time_field, granularity="day", alias="time")])
        if daily is not None:
            daily = daily[pd.to_datetime(daily["time"]).dt.date < today]  # today is not over
        change = _last_two_months(daily, time_field, dimensions, query)
    by_dimension = {}
    for dimension in dimensions:
        if clock() - started > budget_s:
            break
        grouped = query([Dimension(field=dimension)])
        if grouped is not None:
            by_dimension[dimension] = grouped
    value_counts, value_counts_by = _value_counts(
        measures[:1], dimensions, query, lambda: clock() - started > SHAPE_BUDGET_SHARE * budget_s
    )
    found = grouped_insights(
        measures=names,
        daily=daily,
        by_dimension=by_dimension,
        change=change,
        dimensions=dimensions,
        value_counts=value_counts,
        value_counts_by=value_counts_by,
        top=top,
        budget_s=max(0.1, budget_s - (clock() - started)),
        clock=clock,
    )
    if not found:
        raise AnalyticsError(
            "Nothing stood out: no trend, unusual day, weekly pattern, concentration or outlier passed its "
            "test in this table."
        )
    lines = [f"{i}. {f.sentence}" for i, f in enumerate(found, start=1)]
    text = f"{len(found)} things stand out in {plan.query.table}:\n" + "\n".join(lines)
    return AnalysisAnswer(
        charts.feed_option(found, columns=1 if len(found) == 1 else 2),
        text,
        [f.model_dump(mode="json", exclude={"chart"}) for f in found],
    )


def _measures(plan: Plan) -> list[Measure]:
    """The plan's measure first, then the table's other numeric columns (summed), named by their fields."""
    first = plan.query.measures[0]
    chosen = [first.model_copy(update={"alias": (first.field or "rows") if first.agg != "count" else "rows"})]
    for name in plan.analysis_options.get("numeric") or []:
        if len(chosen) >= MAX_MEASURES:
            break
        if name != first.field:
            chosen.append(Measure(field=name, agg="sum", alias=name))
    return chosen


def _value_counts(
    measures: list[Measure],
    dimensions: list[str],
    query: Callable[..., pd.DataFrame | None],
    over_budget: Callable[[], bool],
) -> tuple[dict[str, pd.DataFrame], dict[tuple[str, str], pd.DataFrame]]:
    """Rows per distinct value of each measure's column (`value`, `rows`), and per (value, dimension) for
    the first MAX_SHAPE_DIMENSIONS dimensions: the distribution over rows, grouped in SQL. A column with
    more than MAX_DISTINCT_VALUES distinct values (or combinations) is left out; so is a row count. Stops
    when `over_budget()` says so (checked before each query)."""
    rows = [Measure(agg="count", alias="rows")]
    overall: dict[str, pd.DataFrame] = {}
    by: dict[tuple[str, str], pd.DataFrame] = {}
    for measure in measures:
        if measure.field is None or measure.agg == "count" or over_budget():
            continue
        name = measure.alias or measure.field
        try:
            counts = query([Dimension(field=measure.field, alias="value")], of=rows)
        except AnalyticsError:
            # The distribution is an extra: a source that cannot count rows per value (a data model
            # counts only through its own count measure) gets the other findings without it.
            return overall, by
        if counts is None:
            continue
        overall[name] = counts.dropna(subset=["value"])
        for dimension in dimensions[:MAX_SHAPE_DIMENSIONS]:
            if over_budget():
                break
            try:
                grouped = query(
                    [Dimension(field=measure.field, alias="value"), Dimension(field=dimension)], of=rows
                )
            except AnalyticsError:
                break
            if grouped is not None:
                by[(name, dimension)] = grouped.dropna(subset=["value"])
    return overall, by


def _last_two_months(
    daily: pd.DataFrame | None,
    time_field: str,
    dimensions: list[str],
    query: Callable[[list[Dimension], list[Filter] | None], pd.DataFrame | None],
) -> tuple[pd.DataFrame, pd.DataFrame, str, str] | None:
    """Totals per combination of the dimensions in the latest whole month of data and the month before."""
    if daily is None or daily.empty or not dimensions:
        return None
    last_day = pd.to_datetime(daily["time"]).max().date()
    end = last_day.replace(day=1) - timedelta(days=1)  # the latest month that the data covers whole
    if (last_day + timedelta(days=1)).day == 1:
        end = last_day
    start = end.replace(day=1)
    before_end = start - timedelta(days=1)
    before_start = before_end.replace(day=1)
    dims = [Dimension(field=d) for d in dimensions]
    after = query(dims, [Filter(field=time_field, op="between", value=[start.isoformat(), end.isoformat()])])
    before = query(
        dims,
        [Filter(field=time_field, op="between", value=[before_start.isoformat(), before_end.isoformat()])],
    )
    if after is None or before is None:
        return None
    return before, after, before_start.strftime("%B %Y"), start.strftime("%B %Y")
