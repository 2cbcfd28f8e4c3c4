# SPDX-License-Identifier: MIT
"""The answer pipeline as a generator of events: plan → query → chart → narrative → suggestions.

Each step yields the event that shows its result, so one pipeline serves the JSON API (collect the events),
Server-Sent Events and the websocket (forward them). `run_steps` wraps a step generator: it checks
`cancel()` between steps, turns domain errors into an `error` event with the message a user can act on
(never a stack trace), and saves the assistant message's final status, usage and latency.

Steps yield the typed events of `events.py` (status, plan or clarification, sql, data, chart, token…,
suggestions); `run_steps` adds exactly one terminal event (done | error | cancelled) and hands each on in
its checked JSON form.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction

from chat2chart.analytics.findings import AnalyticsError
from chat2chart.charts.spec import ChartSpec
from chat2chart.conversations import broadcast, selectors
from chat2chart.conversations.analysis import AnalysisAnswer, analyse
from chat2chart.conversations.analysis_words import reworded
from chat2chart.conversations.coverage import data_coverage, last_date_of
from chat2chart.conversations.drawing import draw, draw_as, plan_spec, recommended
from chat2chart.conversations.events import (
    CancelledEvent,
    ChartEvent,
    ClarificationEvent,
    DataEvent,
    DoneEvent,
    ErrorEvent,
    EventJSON,
    EventModel,
    MessageBody,
    PlanEvent,
    SqlEvent,
    Stage,
    StatusEvent,
    SuggestionsEvent,
    TokenEvent,
    dump_event,
)
from chat2chart.conversations.models import RESULT_SNAPSHOT_ROWS, Message
from chat2chart.conversations.narrative import suggest_followups, write_narrative
from chat2chart.conversations.planner import Clarification, Plan, PlanTurn, Usage, plan_question
from chat2chart.core import hooks
from chat2chart.core.errors import AiserError, LimitExceeded
from chat2chart.core.principal import Principal
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.querying import query_run
from chat2chart.sources.results import ResultSet
from chat2chart.workspaces.selectors import llm_choice, workspace_clock

logger = logging.getLogger(__name__)

Event = EventJSON  # an answer event as the transports send it (see events.py)
Cancel = Callable[[], bool]
Steps = Generator[EventModel, None, None]
_TOKEN = re.compile(r"\S+\s*")
UNEXPECTED = "Something went wrong on our side while answering. The error has been logged; try again."


class Cancelled(Exception):
    """The person asking cancelled; raised between steps."""


# --- planning ------------------------------------------------------------------------------------------


def plan_for(
    question: str,
    table: TableInfo,
    *,
    source_id: int,
    history: Sequence[PlanTurn],
    samples_allowed: bool = True,
    principal: Principal | None = None,
) -> Plan | Clarification:
    """The LLM planner when a model is configured (it falls back to the rules itself), else the rules.
    `samples_allowed=False` keeps the table's sample values out of the prompt whatever the settings say
    (embedded chats: samples may hold rows outside the end user's locked slice). With `principal`, a
    period named without its year ("in March") is the latest such period in the rows they may see."""
    llm = llm_choice()
    clock = workspace_clock()
    capped = _llm_allowance_spent() if llm.model else None
    if not llm.model or capped:

        def last_date(column: str) -> dt.date | None:
            if principal is None:
                return None
            return last_date_of(column, table, source_id=source_id, principal=principal)

        plan = plan_question(
            question,
            table,
            source_id=source_id,
            history=list(history),
            now=clock.today,
            fiscal_year_start_month=clock.fiscal_year_start_month,
            last_date=last_date,
        )
        plan = _unless_unchanged(plan, question, table, source_id=source_id, history=history)
        return plan.model_copy(update={"fallback_reason": capped}) if capped else plan
    from chat2chart.conversations.planner.llm import plan_with_llm  # loads LiteLLM: only when configured

    return plan_with_llm(
        question,
        table,
        source_id=source_id,
        model=llm.model,
        history=list(history),
        now=clock.today,
        timeout_s=float(settings.AISER_LLM_TIMEOUT_S),
        max_retries=int(settings.AISER_LLM_MAX_RETRIES),
        include_samples=llm.send_samples and samples_allowed,
        api_base=llm.api_base,
        api_key=llm.api_key,
    )


def _llm_allowance_spent() -> str | None:
    """Why the language model may not be used now (fair use: the organisation's tokens for today, or its
    plan's, are spent; asked of the limits hook), or None. Never an error: the rules answer instead."""
    try:
        hooks.check_limit("llm_tokens")
    except LimitExceeded as refusal:
        return refusal.message
    return None


def _unless_unchanged(
    plan: Plan | Clarification,
    question: str,
    table: TableInfo,
    *,
    source_id: int,
    history: Sequence[PlanTurn],
) -> Plan | Clarification:
    """A follow-up that changed nothing was not understood as one ("how happy are our employees" after a
    chart): read it as a new question, which asks for clarification when it cannot be grounded."""
    if not history or not isinstance(plan, Plan):
        return plan
    previous = history[-1].plan
    if plan.query != previous.query or plan.chart_type != previous.chart_type:
        return plan
    fresh = plan_question(question, table, source_id=source_id, history=[])
    return fresh if isinstance(fresh, Clarification) else plan


def fallback_notice(reason: str | None) -> str:
    return f"{reason} The rule planner answered instead." if reason else ""


# --- steps -------------------------------------------------------------------------------------------


def status(stage: Stage, message: Message) -> StatusEvent:
    return StatusEvent(stage=stage, message_id=message.pk)


def plan_event(plan: Plan) -> PlanEvent:
    return PlanEvent(
        explanation=plan.explanation,
        intent=plan.intent,
        chart_type=plan.chart_type,
        planner=plan.planner,
        fallback_reason=fallback_notice(plan.fallback_reason),
        query=plan.query.model_dump(mode="json", exclude_defaults=True),
    )


def record_plan(message: Message, plan: Plan | Clarification) -> None:
    usage = plan.usage or Usage()
    message.planner = plan.planner
    message.fallback_reason = fallback_notice(plan.fallback_reason)
    message.prompt_tokens = usage.prompt_tokens
    message.completion_tokens = usage.completion_tokens
    message.cost_usd = round(usage.cost_usd, 6)
    if isinstance(plan, Plan):
        message.plan = plan.model_dump(mode="json")
        message.query = plan.query.model_dump(mode="json", exclude_defaults=True)


def clarification_steps(message: Message, clarification: Clarification) -> Steps:
    message.kind = Message.Kind.CLARIFICATION
    message.content = clarification.message
    message.suggestions = list(clarification.suggestions)
    yield ClarificationEvent(message=clarification.message, suggestions=list(clarification.suggestions))


def plan_answer_steps(
    message: Message,
    plan: Plan,
    *,
    table: TableInfo,
    principal: Principal,
    title: str,
    response: ResultSet | None = None,
) -> Steps:
    """Query (unless `response` is given), draw and describe `plan`'s answer."""
    if response is None:
        yield status("querying", message)
        response = query_run(query=plan.query, principal=principal)
    yield from result_steps(message, response)
    yield status("rendering", message)
    preferred = plan_spec(plan, title)
    alternatives = plan.alternatives or recommended(response, plan.intent)
    spec, option = draw(
        response, preferred=preferred, fallbacks=[plan.chart_type, *alternatives], title=title
    )
    analysed = analysis_answer(plan, response, principal=principal)
    if analysed is not None and analysed.option:
        option = analysed.option
    yield chart_step(message, spec, option, alternatives)
    if analysed is not None:
        narrative = analysed.sentence
    else:
        narrative = write_narrative(plan, response, coverage=data_coverage(plan, table, principal=principal))
    yield from narrative_steps(message, narrative)
    message.suggestions = suggest_followups(
        plan, table if sees_whole_table(principal, message.conversation.source_id) else without_samples(table)
    )
    yield SuggestionsEvent(suggestions=message.suggestions)


def sees_whole_table(principal: Principal, source_id: int) -> bool:
    """Whether `principal` may be shown values read from every row of the source's tables (sample values,
    for the language model and for suggestions): not an embedded end user, and not a member limited by
    row-level access, whose samples would name rows outside their slice."""
    if principal.kind == "embed" or principal.locked:
        return False
    from chat2chart.sources import rowaccess, selectors

    return not rowaccess.is_restricted(principal, selectors.source_get(source_id))


def without_samples(table: TableInfo) -> TableInfo:
    """`table` with no sample values: what an embedded chat's suggestions are drawn from, since samples
    are read from every row (another customer's region must not be suggested to this one)."""
    return dataclasses.replace(table, columns=[dataclasses.replace(c, samples=[]) for c in table.columns])


def analysis_answer(plan: Plan, response: ResultSet, *, principal: Principal) -> AnalysisAnswer | None:
    """The analytics engine's answer when the plan asks for one (its extra queries run as `principal`);
    its reason when it cannot analyse."""
    if plan.analysis is None:
        return None
    try:
        answer = analyse(
            plan,
            response,
            today=workspace_clock().today,
            run=lambda query: query_run(query=query, principal=principal),
        )
        return reworded(answer)
    except AnalyticsError as error:
        return AnalysisAnswer(option={}, sentence=f"{error.message} The chart shows the series as it is.")


def sql_answer_steps(
    message: Message, response: ResultSet, *, title: str, chart_type: str | None = None
) -> Steps:
    """An editor's SQL: its result drawn as `chart_type` or the best-fitting chart; no plan, no follow-ups."""
    yield from result_steps(message, response)
    yield status("rendering", message)
    alternatives = recommended(response, None)
    fallbacks = [chart_type, *alternatives] if chart_type else alternatives
    spec, option = draw(response, preferred=None, fallbacks=fallbacks, title=title)
    yield chart_step(message, spec, option, [a for a in alternatives if a != spec.type][:6])
    count = response.row_count
    text = f"Your SQL returned {count} row{'s' if count != 1 else ''}"
    yield from narrative_steps(message, text + (" (cut at the row limit)." if response.truncated else "."))
    message.suggestions = []
    yield SuggestionsEvent(suggestions=[])


def switch_steps(message: Message, source: Message, chart_type: str, *, title: str) -> Steps:
    """Draw the stored result of `source` as `chart_type` without querying again."""
    data = ResultSet.from_rows(source.result["columns"], source.result["rows"])
    message.query = source.query
    message.plan = source.plan
    message.sql = source.sql
    message.result = source.result
    yield SqlEvent(sql=source.sql)
    yield data_event(source.result)
    yield status("rendering", message)
    spec, option = draw_as(chart_type, data, title=title, previous=source.chart_spec)
    alternatives = [t for t in [source.chart_spec.get("type"), *source.alternatives] if t and t != chart_type]
    yield chart_step(message, spec, option, list(dict.fromkeys(alternatives)))
    yield from narrative_steps(message, source.narrative)
    message.suggestions = list(source.suggestions)
    yield SuggestionsEvent(suggestions=message.suggestions)


def result_steps(message: Message, response: ResultSet) -> Iterator[EventModel]:
    message.sql = response.sql
    yield SqlEvent(sql=response.sql)
    message.result = {
        "columns": response.columns_json(),
        "rows": [list(row) for row in response.rows[:RESULT_SNAPSHOT_ROWS]],
        "row_count": response.row_count,
        "complete": response.row_count <= RESULT_SNAPSHOT_ROWS,
        "truncated": response.truncated,
    }
    yield data_event(message.result)


def data_event(result: dict[str, Any]) -> DataEvent:
    return DataEvent(
        columns=result["columns"],
        rows=result["rows"],
        row_count=result.get("row_count", len(result["rows"])),
        truncated=result.get("truncated", False) or not result.get("complete", True),
    )


def chart_step(
    message: Message, spec: ChartSpec, option: dict[str, Any], alternatives: list[str]
) -> ChartEvent:
    message.chart_spec = spec.model_dump(mode="json", exclude_defaults=True)
    message.chart_option = option
    message.alternatives = [a for a in alternatives if a != spec.type]
    return ChartEvent(
        chart_type=spec.type,
        option=option,
        spec=message.chart_spec,
        alternatives=message.alternatives,
    )


def narrative_steps(message: Message, text: str) -> Iterator[EventModel]:
    message.narrative = text
    message.content = text
    for piece in _TOKEN.findall(text):
        yield TokenEvent(text=piece)


# --- running -----------------------------------------------------------------------------------------


def run_steps(
    message: Message, steps: Steps, *, cancel: Cancel | None = None
) -> Generator[Event, None, Message]:
    """Yield `steps`' events in their checked JSON form, checking `cancel()` between them; finish with
    one terminal event.

    The assistant message is saved with its final status (done, error or cancelled), whatever the
    steps filled in, its latency and what the model cost. While it runs the answer holds its lease, and
    each event is also published to the conversation's group, for websockets on other nodes
    (broadcast.py).
    """
    with broadcast.lease(message.pk):
        events = _checked_events(message, steps, cancel=cancel)
        try:
            while True:
                try:
                    event = next(events)
                except StopIteration as stop:
                    answered: Message = stop.value
                    return answered
                broadcast.publish(message.conversation_id, event)
                yield event
        finally:
            events.close()


def _checked_events(
    message: Message, steps: Steps, *, cancel: Cancel | None = None
) -> Generator[Event, None, Message]:
    started = time.perf_counter()
    try:
        if cancel and cancel():
            raise Cancelled
        for event in steps:
            yield dump_event(event)
            if cancel and cancel():
                raise Cancelled
    except Cancelled:
        _finish(message, Message.Status.CANCELLED, started, error="Cancelled.")
        yield dump_event(CancelledEvent(message_id=message.pk, message=_body(message)))
        return message
    except GeneratorExit:
        # Nobody listens any more (closed before its end): the answer must not stay "running".
        _finish(message, Message.Status.CANCELLED, started, error="Cancelled.")
        raise
    except AiserError as error:
        _finish(message, Message.Status.ERROR, started, error=error.message)
        yield dump_event(ErrorEvent(code=error.code, message=error.message, message_id=message.pk))
        return message
    except Exception:
        logger.exception("answering message %s failed", message.pk)
        _finish(message, Message.Status.ERROR, started, error=UNEXPECTED)
        yield dump_event(ErrorEvent(code="server_error", message=UNEXPECTED, message_id=message.pk))
        return message
    finally:
        steps.close()
    _finish(message, Message.Status.DONE, started)
    yield dump_event(DoneEvent(message_id=message.pk, message=_body(message)))
    return message


def _body(message: Message) -> MessageBody:
    return MessageBody.model_validate(selectors.message_body(message))


def _finish(message: Message, final: str, started: float, *, error: str = "") -> None:
    message.status = final
    message.error = error
    message.latency_ms = round((time.perf_counter() - started) * 1000)
    with transaction.atomic():
        message.save()
        message.conversation.save(update_fields=["updated_at"])
    if message.rerun_of_id is not None:
        return  # a re-run is no new question; its query counts as a query run
    hooks.record_usage(
        "question_asked",
        1,
        user_id=message.conversation.owner_id,
        status=final,
        planner=message.planner,
        prompt_tokens=message.prompt_tokens,
        completion_tokens=message.completion_tokens,
        cost_usd=float(message.cost_usd),
        kind=message.kind,  # kind, fell_back and latency_s: for the operators' metrics (outcome, latency)
        fell_back=bool(message.fallback_reason),
        latency_s=message.latency_ms / 1000,
    )
    tokens = (message.prompt_tokens or 0) + (message.completion_tokens or 0)
    if tokens:
        # Model spend per organisation and month, next to the question count.
        hooks.record_usage(
            "llm_tokens", tokens, user_id=message.conversation.owner_id, planner=message.planner
        )
        hooks.record_usage("llm_cost_microusd", round(float(message.cost_usd or 0) * 1_000_000))


def drive(events: Generator[Event, None, Message], on_event: Callable[[Event], Any] | None) -> Message:
    """Run a pipeline to its end, handing each event to `on_event`; returns the assistant message."""
    while True:
        try:
            event = next(events)
        except StopIteration as stop:
            return stop.value
        if on_event is not None:
            on_event(event)
