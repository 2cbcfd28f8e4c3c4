# SPDX-License-Identifier: MIT
"""Narratives of answers that are not one value per group: a relationship between two numbers, and the
spread of one number (a histogram's counts). No Django here."""

from __future__ import annotations

import math
import statistics
from typing import Any

from chat2chart.conversations.planner.explain import label


def format_number(value: float | None) -> str:
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


def number_of(value: Any) -> float | None:
    """A cell as a finite float; None for empty cells, booleans and text."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def relationship(records: list[dict[str, Any]], x: str, y: str) -> str:
    pairs = [(number_of(r.get(x)), number_of(r.get(y))) for r in records]
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
    """Pearson's r of the points; None when either coordinate does not vary."""
    try:
        return statistics.correlation([p[0] for p in points], [p[1] for p in points])
    except statistics.StatisticsError:
        return None


def distribution(records: list[dict[str, Any]], field: str, weight: str | None) -> str:
    values: list[tuple[float, float]] = []
    for record in records:
        value = number_of(record.get(field))
        count = number_of(record.get(weight)) if weight else 1.0
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
