# SPDX-License-Identifier: MIT
"""The plan of an analytics question: the query whose result the engine reads, and what else it needs.

Forecast, anomalies, trend and a day-of-week pattern read the measure over time; "why did it change" and
"what drives high values" read the measure over time too (the evidence of the change) and carry the period
and the dimensions to break it down by; a concentration reads the measure by one dimension; the insights feed
reads the table itself (conversations.analysis runs its grouped queries). No Django here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.semantic import Measure

from .analytics import AnalyticsQuestion
from .build import build_plan
from .grounding import column_kind
from .models import Plan
from .reading import Reading
from .shape import Dim, Shape, default_agg, time_column

# The most distinct values a dimension may have to be broken down by (a change split over 10 000 customer
# ids says nothing a person can read).
MAX_DIMENSION_VALUES = 200
MAX_DIMENSIONS = 6
_TIME_SERIES = frozenset({"forecast", "anomalies", "trend", "drivers", "associations", "cycle", "insights"})
_BREAKDOWNS = frozenset({"drivers", "associations", "insights"})
_WORDS = {
    "forecast": "Forecast",
    "anomalies": "Unusual values",
    "trend": "Trend",
    "drivers": "What changed",
    "associations": "What drives",
    "cycle": "Pattern",
    "concentration": "Concentration",
    "insights": "What is interesting",
}


def breakdown_dimensions(table: TableInfo, *, exclude: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Category columns with 2..MAX_DIMENSION_VALUES values, fewest values first, at most MAX_DIMENSIONS."""
    found = []
    for column in table.columns:
        if column.name in exclude or column_kind(column, table.row_count) != "category":
            continue
        values = column.distinct_count or len(column.samples)
        if 2 <= values <= MAX_DIMENSION_VALUES:
            found.append((values, column.name))
    return [name for _, name in sorted(found)][:MAX_DIMENSIONS]


def numeric_measures(table: TableInfo) -> list[str]:
    """Numeric columns that are measured (not keys, years or few-valued codes), in table order."""
    return [c.name for c in table.columns if column_kind(c, table.row_count) == "numeric"]


def _default_measure(shape: Shape, table: TableInfo) -> None:
    """ "Which day of the week sells most?": no column named, so the table's first additive measure."""
    if any(m.field for m in shape.measures) or shape.calculations:
        return
    numbers = numeric_measures(table)
    additive = [n for n in numbers if default_agg(n, table) == "sum"]
    candidates = additive or numbers
    if candidates:
        chosen = candidates[0]
        shape.measures = [Measure(field=chosen, agg="sum" if chosen in additive else "avg")]


def analysis_plan(
    shape: Shape,
    analytics: AnalyticsQuestion,
    table: TableInfo,
    *,
    source_id: int,
    reading: Reading | None,
    now: date,
) -> Plan:
    """The plan for an analytics question whose words gave `shape` (measures and filters)."""
    column = time_column(table)
    _default_measure(shape, table)
    period = next((f for f in shape.filters if f.field == column), None)
    options: dict[str, Any] = {}
    kind = analytics.kind
    if kind in _TIME_SERIES and column is not None:
        grouped = [d for d in shape.dims if d.field != column][:1]
        shape.dims = [Dim(column, None, "group")]
        if kind == "drivers" and period is not None:
            options["period"] = period.model_dump(mode="json", exclude_defaults=True)
        if kind in _BREAKDOWNS:
            options["dimensions"] = breakdown_dimensions(table, exclude={column}) or [
                d.field for d in grouped
            ]
            options["numeric"] = [n for n in numeric_measures(table) if n != _measure_field(shape)]
        else:
            shape.dims += [Dim(d.field, None, "series") for d in grouped if kind not in _SINGLE_SERIES]
        # A forecast or trend keeps the whole history; a "why" keeps it too (the change in its context).
        shape.filters = [f for f in shape.filters if f.field != column]
        shape.rank = None
        shape.dims[0].granularity = _grain(kind, analytics, reading)
    elif kind in ("concentration", "insights"):
        named = [d for d in shape.dims if d.field != column]
        dimension = named[0].field if named else _widest(table, column)
        if dimension is not None:
            shape.dims = [Dim(dimension, None, "group")]
            shape.sort = "desc"
            options["dimension"] = dimension
        if kind == "insights":
            options["dimensions"] = breakdown_dimensions(table)
            options["numeric"] = [n for n in numeric_measures(table) if n != _measure_field(shape)]
    if analytics.cycle:
        options["cycle"] = analytics.cycle
    plan = build_plan(shape, table, source_id=source_id, reading=reading, now=now)
    words = _WORDS[kind]
    return plan.model_copy(
        update={
            "analysis": kind,
            "analysis_options": options,
            "horizon": analytics.horizon,
            "horizon_unit": analytics.horizon_unit,
            "explanation": f"{words}: {plan.explanation}",
            "title": f"{words}: {plan.title}",
            **({"intent": "trend", "chart_type": "line"} if kind in _TIME_SERIES else {}),
        }
    )


_SINGLE_SERIES = frozenset({"forecast", "anomalies", "trend", "cycle"})


def _measure_field(shape: Shape) -> str | None:
    return next((m.field for m in shape.measures if m.field), None)


def _grain(kind: str, analytics: AnalyticsQuestion, reading: Reading | None) -> str:
    """The grain the words name ("weekly anomalies", "next 8 weeks"), else the grain the analysis needs:
    days for unusual values and weekly cycles (enough points to learn what is usual), hours for an
    hour-of-day cycle, months otherwise (a business series' usual grain)."""
    if analytics.cycle == "hour_of_day":
        return "hour"
    if kind == "cycle":
        return "day"
    named = reading.time.granularity if reading is not None else None
    if named in ("hour", "day", "week", "month", "quarter", "year") and kind not in _BREAKDOWNS:
        return named
    unit = {"quarter": "month", "year": "month"}.get(analytics.horizon_unit or "", analytics.horizon_unit)
    return unit or ("day" if kind == "anomalies" else "month")


def _widest(table: TableInfo, time_name: str | None) -> str | None:
    """The category column with the most values (up to a readable number): the one a Pareto speaks of."""
    candidates = breakdown_dimensions(table, exclude={time_name} if time_name else set())
    return candidates[-1] if candidates else None
