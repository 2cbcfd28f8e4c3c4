# SPDX-License-Identifier: MIT
"""Suggested questions, worded so the rule planner can answer every one of them."""

from __future__ import annotations

from chat2chart.sources.catalogue import TableInfo

from .explain import label
from .grounding import column_kind
from .models import Plan
from .shape import default_agg, time_column

_AGG_WORD = {"sum": "total", "avg": "average"}


def _columns_by_kind(table: TableInfo) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {}
    for column in table.columns:
        kinds.setdefault(column_kind(column, table.row_count), []).append(column.name)
    return kinds


def _measure_phrase(name: str, table: TableInfo) -> str:
    return f"{_AGG_WORD.get(default_agg(name, table), 'total')} {label(name)}"


def first_questions(table: TableInfo) -> list[str]:
    """Three or four first questions drawn from the table's columns."""
    kinds = _columns_by_kind(table)
    measures = kinds.get("numeric", [])
    categories = kinds.get("category", []) + kinds.get("discrete", [])
    time = time_column(table)
    questions: list[str] = []
    if measures and time:
        questions.append(f"{_measure_phrase(measures[0], table).capitalize()} over time")
    if measures and categories:
        questions.append(f"{_measure_phrase(measures[0], table).capitalize()} by {label(categories[0])}")
    if categories:
        questions.append(f"Number of rows by {label(categories[-1])}")
    if len(measures) >= 2:
        questions.append(f"{label(measures[1]).capitalize()} vs {label(measures[0])}")
    elif measures:
        questions.append(f"Distribution of {label(measures[0])}")
    return questions[:4]


def suggest_followups(plan: Plan, table: TableInfo) -> list[str]:
    """Three follow-ups to the plan, each a change the follow-up planner understands."""
    used = {d.field for d in plan.query.dimensions}
    kinds = _columns_by_kind(table)
    categories = [c for c in kinds.get("category", []) + kinds.get("discrete", []) if c not in used]
    measures = [m for m in kinds.get("numeric", []) if m not in {x.field for x in plan.query.measures}]
    time = time_column(table)
    suggestions: list[str] = []
    if plan.intent in ("comparison", "ranking", "composition") and plan.query.dimensions:
        suggestions.append("Top 5 instead" if not plan.query.limit else "Show all of them")
        if plan.chart_type not in ("pie", "donut"):
            suggestions.append("As a pie")
    if plan.intent == "trend":
        suggestions.append("Monthly instead" if plan.query.dimensions[0].granularity != "month" else "Weekly")
    if categories:
        suggestions.append(
            f"Color by {label(categories[0])}" if plan.query.dimensions else f"By {label(categories[0])}"
        )
    if time and time not in used and plan.intent not in ("relationship", "distribution"):
        suggestions.append("Over time")
    if measures and plan.intent not in ("relationship", "distribution"):
        suggestions.append(f"What about {label(measures[0])}?")
    table_sample = _a_value(table)
    if table_sample:
        suggestions.append(f"Only {table_sample}")
    return suggestions[:3]


def _a_value(table: TableInfo) -> str | None:
    for column in table.columns:
        if column.type == "text" and column_kind(column, table.row_count) == "category" and column.samples:
            return str(column.samples[0])
    return None
