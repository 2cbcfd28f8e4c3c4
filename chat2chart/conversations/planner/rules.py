# SPDX-License-Identifier: MIT
"""The rule planner: offline, deterministic, milliseconds. A question goes through four stages
(`stages.py`): its words are read, grounded in the table's columns, values and periods, given a shape,
and built into a plan (query, chart, title, explanation) or a clarifying question. docs/planner.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from chat2chart.sources.catalogue import TableInfo

from .models import Clarification, Plan, PlanTurn
from .stages import decide, finish, ground
from .words import read_words


def plan_with_rules(
    question: str,
    table: TableInfo,
    *,
    source_id: int,
    history: list[PlanTurn] | tuple[PlanTurn, ...] = (),
    now: date | None = None,
    fiscal_year_start_month: int = 1,
    last_date: Callable[[str], date | None] | None = None,
) -> Plan | Clarification:
    """Plan `question` over `table` without a model; follow-ups modify the last plan of `history`.

    `last_date(column)` gives the last date of a date column's data (a query the caller runs); it is asked
    only when the question names a month, quarter or day without its year ("in March"), which then means
    the latest such period in the data.
    """
    today = now or date.today()
    words = read_words(question)
    grounding = ground(
        words, table, now=today, fiscal_year_start_month=fiscal_year_start_month, last_date=last_date
    )
    decision = decide(grounding, table, history=history, now=today)
    if isinstance(decision, Clarification):
        return decision
    return finish(decision, grounding, table, source_id=source_id, now=today)
