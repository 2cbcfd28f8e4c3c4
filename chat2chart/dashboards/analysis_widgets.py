# SPDX-License-Identifier: MIT
"""Analysis widgets: a forecast, an anomaly-marked series, a driver breakdown and an insight, drawn from the
widget's query by the analytics engine, with the dashboard's filters and an embed's locked values applied to
every query the analysis runs (so a viewer sees the analysis of exactly the data the other widgets show).

The widget's query says what to analyse: its measure, its time dimension (with a granularity) for the series,
and its other dimensions to break a change down by (drivers) or look across (insight). A forecast looks the
grain's usual horizon ahead (6 months, 8 weeks, 14 days); a breakdown explains the latest whole month
against the month before; an insight is the best-scoring finding of the insights feed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from chat2chart.analytics.findings import AnalyticsError
from chat2chart.conversations.analysis import analyse
from chat2chart.conversations.analysis_feed import insights_feed
from chat2chart.conversations.planner import Plan
from chat2chart.sources.results import ResultSet
from chat2chart.sources.semantic import SemanticQuery

ANALYSIS_KINDS = {
    "forecast": "forecast",
    "anomalies": "anomalies",
    "drivers": "drivers",
    "insight": "insights",
}
_TIME_GRAINS = ("hour", "day", "week", "month", "quarter", "year")


def analysis_widget(
    kind: str, query: SemanticQuery, *, run: Callable[[SemanticQuery], ResultSet], today: date
) -> dict[str, Any]:
    """The widget's body: `option` (the engine's chart), `insight` (its sentence) and `data` (the series
    read). `run` answers a query with the dashboard's and embed's filters ANDed in. Raises AnalyticsError
    with the engine's reason when the widget's data cannot be analysed."""
    if not query.measures:
        raise AnalyticsError("An analysis widget needs a measure in its query (e.g. the sum of revenue).")
    timed = [d for d in query.dimensions if d.granularity in _TIME_GRAINS]
    others = [d.field for d in query.dimensions if d.granularity is None]
    if not timed:
        raise AnalyticsError("An analysis widget needs its measure over time: group the query by a date.")
    grain = "month" if kind in ("drivers", "insight") else timed[0].granularity
    series_query = query.model_copy(
        update={
            "measures": query.measures[:1],
            "calculations": [],
            "dimensions": [timed[0].model_copy(update={"granularity": grain})],
            "order": [],
            "limit": None,
            "offset": 0,
        }
    )
    plan = Plan(
        intent="trend",
        query=series_query,
        chart_type="line",
        explanation="",
        analysis=ANALYSIS_KINDS[kind],  # type: ignore[arg-type]
        analysis_options={"dimensions": others, "numeric": []},
    )
    result = run(series_query)
    if kind == "insight":
        answer = insights_feed(plan, today=today, run=run, top=1)
        sentence = answer.sentence.split("\n", 1)[-1].removeprefix("1. ")
    else:
        answer = analyse(plan, result, today=today, run=run)
        sentence = answer.sentence
    return {
        "option": answer.option,
        "insight": sentence,
        "data": {
            "columns": result.columns_json(),
            "rows": [list(row) for row in result.rows],
            "truncated": result.truncated,
            "cached": result.cache.hit,
        },
    }
