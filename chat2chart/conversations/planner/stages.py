# SPDX-License-Identifier: MIT
"""The rule planner's stages and their typed results; `rules.plan_with_rules` runs them in order.

1. read the words (`words.read_words` -> `Words`): tokens, phrases, idioms, periods, the analytics question;
2. ground them (`ground` -> `Grounding`): columns, values, calculations, dated periods, unresolved words;
3. decide the shape (`decide` -> `Decision` or a `Clarification`): a fresh question, a follow-up of the
   previous plan, or a new analysis of it;
4. build the plan (`finish` -> `Plan`): the query, the chart, the title and the explanation.

Each stage is a function of the previous stage's result, the table and the conversation, with no I/O (the
last date of the data comes in as a callable). A fix that belongs to a stage lands in that stage's module.
See docs/planner.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.semantic import Filter

from .analysisplan import analysis_plan
from .build import build_plan
from .calculated import CalculationRequest, apply_calculation, read_calculation
from .followups import follow_up, shape_from_plan
from .models import Clarification, Plan, PlanTurn
from .periods import bind_periods, has_undated, resolve_undated
from .reading import Reading, ground_words
from .refusals import calculation_refusal, needs_clarification
from .shape import Shape, time_column
from .shaping import carry_grouping, shape_from_reading
from .suggest import first_questions
from .values import value_filters
from .words import Words


@dataclass(frozen=True)
class Grounding:
    """Stage 2: the words grounded in the table.

    `reading` holds the columns, values, roles, aggregations, ranks, numeric filters and dated periods it
    names (no later stage changes it); `calculation` is the calculated measure asked for ("revenue per
    order", "month over month growth"), its words set aside from the columns; `names_columns` says
    whether the words named a column before calculation and analysis words were set aside.
    """

    words: Words
    reading: Reading
    calculation: CalculationRequest | None
    names_columns: bool

    @property
    def unresolved(self) -> tuple[str, ...]:
        """Content words no column, value, phrase or number accounts for (a refusal names them)."""
        return tuple(self.reading.unknown)

    @property
    def period_notes(self) -> tuple[str, ...]:
        """How year-less periods were read ("March 2025, the latest March in the data")."""
        return tuple(self.reading.period_notes)


@dataclass(frozen=True)
class Decision:
    """Stage 3: the shape of the answer and how it was reached.

    route: "fresh" (a question that stands alone), "follow_up" (the previous plan changed by the words),
    or "reanalysis" (the previous analysis asked again another way: "anomalies instead" after a forecast).
    """

    shape: Shape
    route: Literal["fresh", "follow_up", "reanalysis"]
    previous: Plan | None = None


def ground(
    words: Words,
    table: TableInfo,
    *,
    now: date,
    fiscal_year_start_month: int = 1,
    last_date: Callable[[str], date | None] | None = None,
) -> Grounding:
    """Stage 2: ground `words` in `table`; a period named without its year is dated against the data's
    last date (`last_date(column)`, asked only then) and today."""
    reading = ground_words(words, table)
    reading.fiscal_year_start_month = fiscal_year_start_month
    _date_undated_periods(reading, table, now, last_date)
    reading.filters = _filters(reading, table, now)
    calculation = read_calculation(reading.tokens, table)
    names_columns = bool(reading.mentions)
    if calculation is not None:
        _set_aside(reading, calculation.spans)
    if words.analytics is not None:
        _set_aside(reading, set(words.analytics.spans))
    return Grounding(words=words, reading=reading, calculation=calculation, names_columns=names_columns)


def decide(
    grounding: Grounding, table: TableInfo, *, history: Sequence[PlanTurn], now: date
) -> Decision | Clarification:
    """Stage 3: the answer's shape, or a clarifying question when the words cannot be answered honestly.

    Only a question with no calculation or analysis of its own may follow up the previous plan; a
    follow-up the words cannot apply is read as a fresh question.
    """
    reading, request, analytics = grounding.reading, grounding.calculation, grounding.words.analytics
    previous = history[-1] if history else None
    if previous is not None and request is None and analytics is None:
        shape = follow_up(reading, previous.plan, table, now)
        if shape is not None:
            return Decision(shape, "follow_up", previous.plan)
    if (
        analytics is not None
        and previous is not None
        and previous.plan.analysis
        and not grounding.names_columns
    ):
        # "Anomalies instead" after a forecast: another analysis of the measure and filters asked before.
        shape = follow_up(reading, previous.plan, table, now) or shape_from_plan(previous.plan, table)
        return Decision(shape, "reanalysis", previous.plan)
    if request is None and analytics is None and _ARITHMETIC & set(reading.tokens):
        # "revenue minus cost by month": arithmetic the rules cannot build must not become another chart.
        return Clarification(
            message=(
                "I can't combine columns with arithmetic in a question yet. Ask for each number on its own "
                "(\u201ctotal revenue and total cost by month\u201d), or define the calculation as a measure "
                "in a model (Models page) and ask for it by name."
            ),
            suggestions=first_questions(table),
        )
    clarification = needs_clarification(reading, table)
    if clarification is not None and not (analytics and analytics.kind in ("insights", "cycle")):
        return clarification
    shape = shape_from_reading(reading, table, now)
    if previous is not None:
        carry_grouping(shape, previous)
    if request is not None and not apply_calculation(shape, request, table):
        refusal = calculation_refusal(request, table)
        if refusal is not None:
            return refusal
    return Decision(shape, "fresh")


def finish(decision: Decision, grounding: Grounding, table: TableInfo, *, source_id: int, now: date) -> Plan:
    """Stage 4: the Plan (query, chart, title, explanation) for a decided shape. The decision's shape is
    copied, never changed: building fills in granularities on its own copy."""
    reading, analytics, previous = grounding.reading, grounding.words.analytics, decision.previous
    if decision.route == "follow_up" and previous is not None:
        plan = build_plan(decision.shape.copy(), table, source_id=source_id, reading=reading, now=now)
        if reading.chart is None and plan.intent == previous.intent:
            # The chart the user had stays unless the new shape asks for another kind.
            plan = build_plan(
                decision.shape.copy(),
                table,
                source_id=source_id,
                reading=reading,
                now=now,
                explicit_chart=previous.chart_type,
            )
        return _same_analysis(plan, previous, reading)
    shape = decision.shape.copy()
    if analytics is not None:
        return analysis_plan(shape, analytics, table, source_id=source_id, reading=reading, now=now)
    return build_plan(shape, table, source_id=source_id, reading=reading, now=now)


_ARITHMETIC = frozenset({"minus", "plus", "divided", "multiplied"})


def _date_undated_periods(
    reading: Reading, table: TableInfo, today: date, last_date: Callable[[str], date | None] | None
) -> None:
    """ "in March": the latest March in the data (its last date is asked only for a year-less name)."""
    column_name = time_column(table)
    if last_date is None or column_name is None or not has_undated(reading.time.periods):
        return
    column = table.column(column_name)
    if column is None or not column.is_temporal:
        return
    end = last_date(column_name)
    if end is None:
        return
    reading.time.periods, reading.period_notes = resolve_undated(reading.time.periods, end, today)


def _filters(reading: Reading, table: TableInfo, now: date) -> list[Filter]:
    """Numeric conditions, values asked for or left out, and the periods bound to the table's time column."""
    filters: list[Filter] = list(reading.numeric_filters) + value_filters(reading)
    column_name = time_column(table)
    column = table.column(column_name) if column_name else None
    if column is not None and reading.time.periods:
        filters += bind_periods(
            reading.time.periods, column, now, fiscal_start_month=reading.fiscal_year_start_month
        )
    return filters


def _same_analysis(plan: Plan, previous: Plan, reading: Reading) -> Plan:
    """ "And for the West?" after a forecast: the new filters, the same analysis (unless a chart is asked)."""
    if previous.analysis is None or reading.chart is not None:
        return plan
    keep = {"analysis", "analysis_options", "horizon", "horizon_unit", "intent", "chart_type"}
    update = {name: getattr(previous, name) for name in keep}
    words = previous.title.split(":", 1)[0]
    update["explanation"] = f"{words}: {plan.explanation}"
    update["title"] = f"{words}: {plan.title}"
    return plan.model_copy(update=update)


def _set_aside(reading: Reading, spans: set[int]) -> None:
    """Words that name a calculation ("per order", "month over month") are not columns or unknown words."""
    reading.mentions = [m for m in reading.mentions if not set(range(m.start, m.end)) & spans]
    words = {reading.tokens[i] for i in spans if i < len(reading.tokens)}
    reading.unknown = [w for w in reading.unknown if w not in words]
