# SPDX-License-Identifier: MIT
"""Answers from a semantic model: when a model of the workspace has a cube on the conversation's table
and the planner resolves the question to its members (`planner/members.py`), the model query runs on
the source and the answer is drawn and described with the model's titles and formats. Without such a
model, or when the words are not all members, the table's planner answers as before."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pydantic

from chat2chart.analytics.findings import AnalyticsError
from chat2chart.conversations.analysis import analyse
from chat2chart.conversations.drawing import draw, recommended
from chat2chart.conversations.events import PlanEvent, SuggestionsEvent
from chat2chart.conversations.member_bridge import MemberBridge
from chat2chart.conversations.model_questions import AskedPlan, read_model_question
from chat2chart.conversations.models import Conversation, Message
from chat2chart.conversations.narrative_shapes import format_number, number_of
from chat2chart.conversations.pipeline import Steps, chart_step, narrative_steps, result_steps, status
from chat2chart.conversations.planner import Plan
from chat2chart.conversations.planner.members import MemberPlan, member_values, model_cube_for_table
from chat2chart.core.errors import AiserError, Forbidden
from chat2chart.core.principal import Principal
from chat2chart.dashboards.filters import locked_filters
from chat2chart.dashboards.member_widgets import dimension_member
from chat2chart.semantic import selectors as semantic_selectors
from chat2chart.semantic import services as semantic_services
from chat2chart.semantic.model import Model
from chat2chart.semantic.models import SemanticModel
from chat2chart.semantic.query import ModelQuery
from chat2chart.semantic.results import titled_result
from chat2chart.semantic.yaml_io import load_model
from chat2chart.sources import selectors as source_selectors
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.results import ResultSet
from chat2chart.sources.semantic import Filter
from chat2chart.workspaces.selectors import workspace_clock

logger = logging.getLogger(__name__)
_ADDITIVE = frozenset({"sum", "count", "count_distinct"})
LOCKED_MEMBER_MISSING = "This chat is not available."


def member_plan_for(
    question: str, conversation: Conversation, *, before: int | None = None, model_id: int | None = None
) -> tuple[SemanticModel, Model, AskedPlan] | None:
    """The first model (by name) with a cube on the conversation's table that plans `question` from
    its members (with its periods, its analysis, or as a follow-up of the conversation's last answer
    when that answer, before message `before`, came from the same model); None when no model covers
    the table or none resolves every word. `model_id`: only that model is asked (an embedded chat
    whose token names a model)."""
    tables: dict[str, TableInfo] | None = None
    last = _last_answer(conversation, before)
    stored_models = semantic_selectors.semantic_model_list()
    if model_id is not None:
        stored_models = stored_models.filter(pk=model_id)
    for stored in stored_models:
        model = usable_model(stored)
        if model is None:
            continue
        cube = model_cube_for_table(model, source_id=conversation.source_id, table=conversation.table_name)
        if cube is None:
            continue
        if tables is None:  # read once, and only when a model covers the table
            tables = {t.name: t for t in source_selectors.source_catalogue(conversation.source_id)}
        values = member_values(model, tables, source_id=conversation.source_id)
        previous = _previous_plan(last, stored)
        plan = read_model_question(
            question, model, cube=cube, values=values, previous=previous, today=workspace_clock().today
        )
        if plan is not None:
            return stored, model, plan
    return None


def _last_answer(conversation: Conversation, before: int | None) -> Message | None:
    answers = conversation.messages.filter(role=Message.Role.ASSISTANT, status=Message.Status.DONE)
    if before is not None:
        answers = answers.filter(pk__lt=before)
    return answers.order_by("-pk").first()


def _previous_plan(last: Message | None, stored: SemanticModel) -> AskedPlan | None:
    """The last answer's plan when it came from `stored` (a follow-up builds on it), else None."""
    if last is None or not isinstance(last.plan, dict) or last.plan.get("model") != stored.pk:
        return None
    try:
        return AskedPlan.model_validate({k: v for k, v in last.plan.items() if k != "model"})
    except pydantic.ValidationError:  # a plan of an older shape: the question stands alone
        return None


def usable_model(stored: SemanticModel) -> Model | None:
    """The stored model with its sources as ids (a source may be named), or None when it is invalid."""
    try:
        model = load_model(stored.yaml)
    except AiserError:  # a model that no longer validates answers nothing; the table planner does
        logger.info("semantic model %s is not valid; the table planner answers", stored.pk)
        return None
    sources = {s.name: s.pk for s in source_selectors.source_list().only("pk", "name")}

    def as_id(value: int | str | None) -> int | str | None:
        return sources.get(value, value) if isinstance(value, str) else value

    cubes = [c.model_copy(update={"source": as_id(c.source)}) for c in model.cubes]
    return model.model_copy(update={"source": as_id(model.source), "cubes": cubes})


def locked_member_filters(model: Model, locked: Mapping[str, Any], *, strict: bool) -> list[Filter]:
    """The principal's locked values (an embed token's params) that name a dimension of `model` (a
    member `cube.dim`, or a dimension name exactly one cube has) as member filters, so they limit every
    measure through the model's joins. `strict`: a locked name that is no dimension of the model
    refuses (`Forbidden`) rather than leaving the answer unrestricted; otherwise it is left to the
    row filters of the tables that have that column (`sources.rowaccess.model_row_filters`)."""
    filters: list[Filter] = []
    for name, value in sorted(locked.items()):
        member = dimension_member(model, name)
        if member is None:
            if strict:
                raise Forbidden(LOCKED_MEMBER_MISSING, code="locked_field_missing")
            continue
        filters += locked_filters({member: value})
    return filters


def member_answer_steps(
    message: Message,
    stored: SemanticModel,
    model: Model,
    plan: AskedPlan,
    *,
    principal: Principal,
    strict_locks: bool = False,
) -> Steps:
    """Run `plan`'s model query as `principal`, then draw and describe it with the model's words (or
    hand the series to the analytics engine when the plan asks for an analysis). The principal's locked
    values that are dimensions of the model filter every query it runs (`locked_member_filters`;
    `strict_locks`: every locked value must be one)."""
    extra = locked_member_filters(model, principal.locked, strict=strict_locks)
    query = plan.query.model_dump(mode="json", exclude_defaults=True)
    message.planner = plan.planner
    message.plan = {**plan.model_dump(mode="json"), "model": stored.pk}
    message.query = {**query, "model": stored.pk}
    yield PlanEvent(
        explanation=plan.explanation,
        intent=plan.intent,
        chart_type=plan.chart_type or ("line" if plan.intent == "trend" else "bar"),
        planner=plan.planner,
        fallback_reason="",
        query=message.query,
    )
    yield status("querying", message)
    if plan.analysis is not None:
        yield from _analysis_steps(message, stored, model, plan, principal=principal, extra=extra)
        return
    limited = plan.query.model_copy(update={"filters": [*plan.query.filters, *extra]})
    answer = semantic_services.semantic_query_run(
        model=stored, query=limited.model_dump(mode="json", exclude_defaults=True), principal=principal
    )
    response = titled_result(answer, model, plan.query)
    yield from result_steps(message, response)
    yield status("rendering", message)
    alternatives = recommended(response, plan.intent)
    first = [plan.chart_type] if plan.chart_type else ["line"] if plan.intent == "trend" else []
    spec, option = draw(response, preferred=None, fallbacks=[*first, *alternatives], title=plan.title)
    yield chart_step(message, spec, option, alternatives)
    yield from narrative_steps(message, member_narrative(plan, response))
    message.suggestions = []
    yield SuggestionsEvent(suggestions=[])


def _analysis_steps(
    message: Message,
    stored: SemanticModel,
    model: Model,
    plan: AskedPlan,
    *,
    principal: Principal,
    extra: list[Filter],
) -> Steps:
    """The measure's series drawn by the analytics engine (forecast, unusual values, trend, what
    changed), every query it runs answered through the model (`MemberBridge`)."""

    def answer(model_query: ModelQuery) -> dict[str, Any]:
        return semantic_services.semantic_query_run(
            model=stored, query=model_query.model_dump(mode="json"), principal=principal
        )

    others = [ref.member for ref in plan.query.dimensions if ref.granularity is None]
    if plan.analysis in ("drivers", "insights") and not others:
        others = _breakdown_members(model, plan)
    bridge = MemberBridge(
        model, plan.query, label=stored.name, answer=answer, extra=extra, also=tuple(others)
    )
    table_query = bridge.table_query()
    timed = next(d for d in table_query.dimensions if d.granularity is not None)
    series = table_query.model_copy(
        update={"measures": table_query.measures[:1], "dimensions": [timed], "order": [], "limit": None}
    )
    engine_plan = Plan(
        intent="trend",
        query=series,
        chart_type="line",
        explanation=plan.explanation,
        title=plan.title,
        analysis=plan.analysis,  # type: ignore[arg-type]
        analysis_options={"dimensions": [bridge.title_of(m) for m in others], "numeric": []},
        horizon=plan.horizon,
        horizon_unit=plan.horizon_unit,
    )
    response = bridge.run(series)
    yield from result_steps(message, response)
    yield status("rendering", message)
    spec, option = draw(response, preferred=None, fallbacks=["line"], title=plan.title)
    try:
        analysed = analyse(engine_plan, response, today=workspace_clock().today, run=bridge.run)
        option, narrative = (analysed.option or option), analysed.sentence
    except AnalyticsError as error:
        narrative = f"{error.message} The chart shows the series as it is."
    yield chart_step(message, spec, option, [])
    yield from narrative_steps(message, narrative)
    message.suggestions = []
    yield SuggestionsEvent(suggestions=[])


def _breakdown_members(model: Model, plan: AskedPlan) -> list[str]:
    """The text dimensions of the measure's cube and the cubes it joins to directly, to break a
    change down by when the question names none."""
    home = model.cube(plan.query.measures[0].split(".")[0])
    if home is None:
        return []
    cubes = [home, *(c for j in home.joins if (c := model.cube(j.name)) is not None)]
    return [
        f"{c.name}.{d.name}" for c in cubes for d in c.dimensions if d.type == "string" and not d.primary_key
    ]


def member_narrative(plan: MemberPlan, result: ResultSet) -> str:
    """The value of a total; for groups, the highest and lowest and (for measures that add up) the
    total and the leader's share when nothing is negative."""
    if not result.rows:
        return "No rows match this question."
    value = next(c for c in result.columns if c.role == "measure")
    numbers = result.numbers(value.name)
    dims = [c for c in result.columns if c.role != "measure"]
    if not dims:
        return f"{value.name}: {_show(numbers[0])}."
    if plan.intent == "trend":
        first, last = numbers[0], numbers[-1]
        labels = result.values(dims[0].name)
        return f"{value.name} went from {_show(first)} in {labels[0]} to {_show(last)} in {labels[-1]}."
    pairs = [(v, n) for v, n in zip(result.values(dims[0].name), numbers, strict=True) if n is not None]
    if not pairs:
        return f"{value.name} has no values in these rows."
    top = max(pairs, key=lambda p: p[1])
    bottom = min(pairs, key=lambda p: p[1])
    text = f"{top[0]} has the highest {value.name.lower()} ({_show(top[1])})"
    text += f"; {bottom[0]} the lowest ({_show(bottom[1])})." if len(pairs) > 1 else "."
    if value.aggregation in _ADDITIVE and all(n >= 0 for _, n in pairs) and len(dims) == 1:
        total = sum(n for _, n in pairs)
        share = f", {100 * top[1] / total:.0f}% of it from {top[0]}" if total else ""
        text += f" Together {_show(total)}{share}."
    return text


def _show(value: float | None) -> str:
    number = number_of(value)
    return "no value" if number is None else format_number(number)
