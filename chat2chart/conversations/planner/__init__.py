# SPDX-License-Identifier: MIT
"""The chat2chart planner: a question about a table becomes a Plan (semantic query + chart) or a
Clarification. Rules answer offline by default; a configured model answers through LiteLLM, checked
against the catalogue, with the rules as the fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from chat2chart.sources.catalogue import TableInfo

from .models import Clarification, Plan, PlanTurn, Usage
from .rules import plan_with_rules
from .suggest import first_questions, suggest_followups

__all__ = [
    "Clarification",
    "Plan",
    "PlanTurn",
    "Usage",
    "first_questions",
    "plan_question",
    "plan_with_rules",
    "suggest_followups",
]


def plan_question(
    question: str,
    table: TableInfo,
    *,
    source_id: int,
    history: list[PlanTurn] | tuple[PlanTurn, ...] = (),
    now: date | None = None,
    fiscal_year_start_month: int = 1,
    last_date: Callable[[str], date | None] | None = None,
) -> Plan | Clarification:
    """Plan `question` over `table` with the rule planner (see `llm.plan_with_llm` for the model path).

    `now` is today in the workspace's time zone; fiscal years ("FY2025") start in `fiscal_year_start_month`.
    `last_date(column)` is the last date of a date column's data, asked only for a period named without
    its year ("in March": the latest March in the data); None reads such names against today alone.
    """
    return plan_with_rules(
        question,
        table,
        source_id=source_id,
        history=history,
        now=now,
        fiscal_year_start_month=fiscal_year_start_month,
        last_date=last_date,
    )
