# SPDX-License-Identifier: MIT
"""Words under the chart: a short offline narrative of a plan's result, and suggested questions.

The narrative names the top and bottom values, the total, the change over the period (first vs last for
a time series) and the leader's share, with numbers formatted for reading rather than for machines.
"""

from __future__ import annotations

import math
from typing import Any

from chat2chart.charts.builders.base import PART_NAMES
from chat2chart.conversations.planner import Plan
from chat2chart.conversations.planner.explain import describe_measure, label
from chat2chart.conversations.planner.suggest import first_questions, suggest_followups
from chat2chart.sources.results import ResultSet

__all__ = ["first_questions", "format_number", "suggest_followups", "write_narrative"]

_ADDITIVE = frozenset({"sum", "count", "count_distinct"})


def format_number(value: float) -> str:
    """1234567 -> 1.23M, 12345 -> 12,345, 3.14159 -> 3.14, 0.0421 -> 0.042."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    magnitude = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if magnitude >= limit:
            return f"{value / limit:.3g}{suffix}"
    if magnitude >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    if magnitude >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.2g}"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def write_narrative(plan: Plan, result: ResultSet) -> str:
    """A few sentences about the result; empty results say so rather than inventing anything."""
    names = result.names
    records = [dict(zip(names, row, strict=True)) for row in result.rows]
    if not records:
        return "No rows match this question; try widening the filters."
    query = plan.query
    dims = [d.output_name for d in query.dimensions]
    if plan.intent == "relationship" and len(dims) >= 2:
        return _relationship(records, dims[0], dims[1])
    if plan.intent == "distribution" and dims:
        return _distribution(records, dims[0], query.measures[0].output_name if query.measures else None)
    if not query.measures:
        return f"{len(records)} rows."
    measure = query.measures[0]
    value_name = measure.output_name
    what = describe_measure(measure)
    if not dims:
        return f"{what}: {format_number(_number(records[0].get(value_name)) or 0)}."
    totals = _totals(records, dims[0], value_name, measure.agg)
    part_names = PART_NAMES.get(query.dimensions[0].granularity or "")
    if part_names:
        totals = [
            (part_names.get(int(float(key)), key) if _number(key) is not None else key, value)
            for key, value in totals
        ]
    if not totals:
        return f"{what} has no values to compare."
    if plan.intent == "trend":
        return _trend(totals, what, query.dimensions[0].granularity, measure.agg)
    return _comparison(totals, what, measure.agg)


def _totals(records: list[dict[str, Any]], key: str, value_name: str, agg: str) -> list[tuple[str, float]]:
    # Series are folded into their x value; averages are only summed when there is one series.
    folded: dict[str, float] = {}
    for record in records:
        number = _number(record.get(value_name))
        if number is None:
            continue
        label_ = str(record.get(key))
        if agg in _ADDITIVE:
            folded[label_] = folded.get(label_, 0.0) + number
        else:
            folded[label_] = max(folded.get(label_, number), number)
    return list(folded.items())


def _comparison(totals: list[tuple[str, float]], what: str, agg: str) -> str:
    ordered = sorted(totals, key=lambda item: item[1], reverse=True)
    top, bottom = ordered[0], ordered[-1]
    text = f"{top[0]} leads with {format_number(top[1])}"
    if len(ordered) > 1:
        text += f"; {bottom[0]} is lowest with {format_number(bottom[1])}"
    text += f" ({what.lower()}, {len(ordered)} groups)."
    if agg in _ADDITIVE and len(ordered) > 1:
        total = sum(v for _, v in ordered)
        text += f" Total: {format_number(total)}."
        if total > 0 and top[1] >= 0:
            text += f" {top[0]} accounts for {100 * top[1] / total:.0f}% of it."
    return text


_PERIOD_NOUNS = {
    "hour": "hours",
    "day": "days",
    "week": "weeks",
    "month": "months",
    "quarter": "quarters",
    "year": "years",
}


def _trend(totals: list[tuple[str, float]], what: str, granularity: str | None, agg: str) -> str:
    ordered = sorted(totals, key=lambda item: item[0])
    (first_label, first), (last_label, last) = ordered[0], ordered[-1]
    text = f"{what} went from {format_number(first)} ({first_label}) to {format_number(last)} ({last_label})"
    if first:
        change = 100 * (last - first) / abs(first)
        text += f", {'+' if change >= 0 else ''}{change:.0f}%"
    text += "."
    peak = max(ordered, key=lambda item: item[1])
    low = min(ordered, key=lambda item: item[1])
    text += f" Highest in {peak[0]} ({format_number(peak[1])}), lowest in {low[0]} ({format_number(low[1])})."
    if agg in _ADDITIVE:
        overall = format_number(sum(v for _, v in ordered))
        periods = _PERIOD_NOUNS.get(granularity or "", "periods")
        text += f" Total over the {len(ordered)} {periods}: {overall}."
    return text


def _relationship(records: list[dict[str, Any]], x: str, y: str) -> str:
    pairs = [(_number(r.get(x)), _number(r.get(y))) for r in records]
    points = [(a, b) for a, b in pairs if a is not None and b is not None]
    if len(points) < 3:
        return f"Only {len(points)} points: too few to read a relationship."
    r = _pearson(points)
    if r is None:
        return f"{len(points)} points; one of the two columns does not vary."
    strength = "strong" if abs(r) >= 0.7 else "moderate" if abs(r) >= 0.4 else "weak"
    direction = "positive" if r > 0 else "negative"
    return (
        f"{len(points)} points. {label(y).capitalize()} and {label(x)} show a {strength} {direction} "
        f"relationship (correlation {r:.2f})."
    )


def _pearson(points: list[tuple[float, float]]) -> float | None:
    n = len(points)
    mean_x = sum(p[0] for p in points) / n
    mean_y = sum(p[1] for p in points) / n
    cov = sum((a - mean_x) * (b - mean_y) for a, b in points)
    var_x = sum((a - mean_x) ** 2 for a, _ in points)
    var_y = sum((b - mean_y) ** 2 for _, b in points)
    if var_x == 0 or var_y == 0:
        return None
    return cov / math.sqrt(var_x * var_y)


def _distribution(records: list[dict[str, Any]], field: str, weight: str | None) -> str:
    values: list[tuple[float, float]] = []
    for record in records:
        value = _number(record.get(field))
        count = _number(record.get(weight)) if weight else 1.0
        if value is not None and count:
            values.append((value, count))
    if not values:
        return f"{label(field).capitalize()} has no numeric values."
    values.sort()
    total = sum(c for _, c in values)
    quartiles = [_weighted_quantile(values, total, q) for q in (0.25, 0.5, 0.75)]
    return (
        f"{label(field).capitalize()} ranges from {format_number(values[0][0])} to "
        f"{format_number(values[-1][0])} over {format_number(total)} rows; the median is "
        f"{format_number(quartiles[1])} and the middle half lies between {format_number(quartiles[0])} "
        f"and {format_number(quartiles[2])}."
    )


def _weighted_quantile(values: list[tuple[float, float]], total: float, q: float) -> float:
    running = 0.0
    for value, count in values:
        running += count
        if running >= q * total:
            return value
    return values[-1][0]
