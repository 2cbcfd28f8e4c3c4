# SPDX-License-Identifier: MIT
"""State changes of conversations: start one, ask a question, re-run an answer, delete one.

`ask_events` and `rerun_events` check permission and limits and save the messages at once (so a refusal
is an ordinary error before anything streams), then return the pipeline's event generator; `message_ask`
and `message_rerun` run it to the end, handing each event to `on_event`. See `pipeline.py` for the events.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import pydantic
from django.db import transaction

from chat2chart.charts.titles import query_title
from chat2chart.conversations import broadcast, policy, selectors
from chat2chart.conversations.drawing import draw_as
from chat2chart.conversations.events import MessageBody, QuestionEvent, dump_event
from chat2chart.conversations.model_answers import member_answer_steps, member_plan_for
from chat2chart.conversations.models import Conversation, Message
from chat2chart.conversations.narrative import first_questions
from chat2chart.conversations.pipeline import (
    Cancel,
    Event,
    Steps,
    clarification_steps,
    drive,
    plan_answer_steps,
    plan_event,
    plan_for,
    record_plan,
    run_steps,
    sees_whole_table,
    sql_answer_steps,
    status,
    switch_steps,
    without_samples,
)
from chat2chart.conversations.planner import Clarification, Plan, PlanTurn
from chat2chart.conversations.planner.explain import describe_filter, describe_measure, label
from chat2chart.core import hooks
from chat2chart.core.api import pydantic_message
from chat2chart.core.errors import Forbidden, NotFound, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.sources import selectors as source_selectors
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.querying import query_run, sql_run
from chat2chart.sources.results import ResultSet
from chat2chart.sources.semantic import SemanticQuery

ASK_REFUSED = "You do not have permission to ask questions in this workspace."
MAX_QUESTION_CHARS = 2000
TITLE_CHARS = 120
MODEL_WORDS_ONLY = (
    "I can only answer with this data model's measures and dimensions: name a measure, "
    "for example “total revenue by month”."
)
OnEvent = Callable[[Event], Any]


# --- conversations -----------------------------------------------------------------------------------


def conversation_start(*, principal: Principal, source_id: int, table: str) -> Conversation:
    """A new conversation about `table` of the source; the table must be one of its current tables."""
    _require(policy.can_start_conversation(principal), ASK_REFUSED)
    source = source_selectors.source_get(source_id)
    # A source kept private to others (an edition's object permissions) is not there for this person.
    if not hooks.can(principal, hooks.ASK, source):
        raise NotFound(f"There is no data source {source_id}.")
    names = [t.name for t in source_selectors.source_catalogue(source.pk)]
    if table not in names:
        known = f"choose one of: {', '.join(names[:20])}." if names else "it has no tables yet."
        raise ValidationFailed(f"table: '{table}' is not a table of '{source.name}'; {known}")
    with transaction.atomic():
        conversation = Conversation.objects.create(
            owner=principal.user, api_key_id=principal.api_key_id, source=source, table_name=table
        )
        hooks.record_audit(
            action="conversation.start",
            actor=principal,
            target_type="conversation",
            target_id=conversation.pk,
            data={"source": source.pk, "table": table},
        )
    return conversation


def conversation_first_questions(conversation: Conversation) -> list[str]:
    try:
        return first_questions(selectors.conversation_table(conversation))
    except NotFound:  # the table went away: no suggestions, the conversation still opens
        return []


def conversation_delete(*, conversation: Conversation, principal: Principal) -> None:
    """The owner, or someone who manages the workspace, deletes a conversation and its messages."""
    _require(
        policy.can_delete_conversation(principal, conversation),
        "Only the owner of a conversation or an admin can delete it.",
    )
    with transaction.atomic():
        hooks.record_audit(
            action="conversation.delete",
            actor=principal,
            target_type="conversation",
            target_id=conversation.pk,
            data={"title": conversation.title, "source": conversation.source_id},
        )
        conversation.delete()


# --- asking ------------------------------------------------------------------------------------------


def ask_events(
    *,
    conversation: Conversation,
    principal: Principal,
    content: str,
    cancel: Cancel | None = None,
    follows: int | None = None,
    embed_user: str | None = None,
    model_id: int | None = None,
) -> Generator[Event, None, Message]:
    """Save the question and return the events that answer it (nothing runs until they are iterated).

    `follows`: the id of the answer a follow-up builds on (a suggestion under an older answer); by default
    the latest answers. `embed_user`: the external id of an embedded chat's end user, whose embed
    principal asks in that user's conversations only (its locked values travel with the principal).
    `model_id`: answer only from that semantic model, every locked value a filter on its dimensions
    (an embedded chat whose token names a model); words it cannot read get a question back.

    Raises before saving anything when the user may not ask, the plan's limit is reached, the
    question is empty or the table is gone.
    """
    question = _clean_question(content)
    if embed_user is not None:
        allowed = policy.can_embed_user_ask(principal, conversation, embed_user=embed_user)
    else:
        allowed = policy.can_ask_in_conversation(principal, conversation)
    _require(allowed, ASK_REFUSED)
    hooks.check_limit("question_asked")
    table = selectors.conversation_table(conversation)
    history = selectors.plan_history(conversation, follows=follows)
    with transaction.atomic():
        asked = Message.objects.create(
            conversation=conversation,
            role=Message.Role.USER,
            kind=Message.Kind.QUESTION,
            content=question,
            status=Message.Status.DONE,
        )
        answer = Message.objects.create(
            conversation=conversation,
            role=Message.Role.ASSISTANT,
            reply_to=asked,
            status=Message.Status.RUNNING,
        )
        if not conversation.title:
            conversation.title = _title(question)
        conversation.save()
        hooks.record_audit(
            action="conversation.ask",
            actor=principal,
            target_type="conversation",
            target_id=conversation.pk,
            data={
                "message": asked.pk,
                "question": question[:500],
                # An embedded end user has no account: name them as the customer's token did.
                **({"embed_user": conversation.embed_user_id} if conversation.embed_user_id else {}),
            },
        )
    # The conversation's other websockets show the question before its answer streams in (the asking
    # websocket skips it: it shows the question already).
    broadcast.publish(
        conversation.pk,
        dump_event(
            QuestionEvent(
                message_id=answer.pk, message=MessageBody.model_validate(selectors.message_body(asked))
            )
        ),
    )
    steps = _ask_steps(answer, question, table=table, principal=principal, history=history, model_id=model_id)
    return run_steps(answer, steps, cancel=cancel)


def message_ask(
    *,
    conversation: Conversation,
    principal: Principal,
    content: str,
    on_event: OnEvent | None = None,
    cancel: Cancel | None = None,
    follows: int | None = None,
) -> Message:
    """Answer `content` in `conversation`; returns the finished assistant message (done, error or
    cancelled). A clarifying question is a done message of kind `clarification`, with no chart."""
    events = ask_events(
        conversation=conversation, principal=principal, content=content, cancel=cancel, follows=follows
    )
    return drive(events, on_event)


def _ask_steps(
    message: Message,
    question: str,
    *,
    table: TableInfo,
    principal: Principal,
    history: list[PlanTurn],
    model_id: int | None = None,
) -> Steps:
    yield status("planning", message)
    # None: no model speaks for the table.
    modelled = member_plan_for(question, message.conversation, before=message.pk, model_id=model_id)
    if modelled is not None:
        yield from member_answer_steps(
            message, *modelled, principal=principal, strict_locks=model_id is not None
        )
        return
    if model_id is not None:  # a chat over one model answers in its members only
        yield from clarification_steps(message, Clarification(message=MODEL_WORDS_ONLY))
        return
    # An embedded end user's or a row-limited member's question never sends the table's sample values
    # (read from every row: other customers' or regions' values) to the language model.
    whole = sees_whole_table(principal, message.conversation.source_id)
    plan = plan_for(
        question,
        table,
        source_id=message.conversation.source_id,
        history=history,
        samples_allowed=whole,
        principal=principal,
    )
    if isinstance(plan, Clarification) and not whole:
        # Suggestions drawn without sample values: they are read from every customer's rows.
        plan = plan.model_copy(update={"suggestions": first_questions(without_samples(table))})
    record_plan(message, plan)
    if isinstance(plan, Clarification):
        yield from clarification_steps(message, plan)
        return
    yield plan_event(plan)
    # The pipeline runs the query as the principal (its ASK check takes a principal).
    # The chart's title says what was computed, not what was typed ("Totl amout by regoin").
    yield from plan_answer_steps(
        message,
        plan,
        table=table,
        principal=principal,
        title=plan.title or query_title(plan.query, _labels(table)),
    )


# --- answering again after a node died ----------------------------------------------------------------

INTERRUPTED = "The server answering this stopped before it finished; run it again."
_UNANSWERED: dict[str, Any] = {
    "kind": Message.Kind.ANSWER,
    "status": Message.Status.RUNNING,
    "error": "",
    "plan": None,
    "query": None,
    "sql": "",
    "result": None,
    "chart_spec": None,
    "chart_option": None,
    "alternatives": [],
    "narrative": "",
    "suggestions": [],
}


def answer_resume_events(
    *, message: Message, principal: Principal, cancel: Cancel | None = None
) -> Generator[Event, None, Message]:
    """Answer again, in the same assistant message, a question whose answer was orphaned: the process
    answering it died (see `broadcast.claim_orphan`, which the caller must have won). The events end as an
    ordinary answer's do, so a client that saw the first half receives the finished message by its id.

    An orphaned re-run (an edited query or SQL, not kept apart from the answer) is not run again: it ends
    with an `error` event saying so. Raises Forbidden when `principal` may not ask in the conversation."""
    conversation = message.conversation
    _require(policy.can_ask_in_conversation(principal, conversation), ASK_REFUSED)
    question = message.reply_to
    with transaction.atomic():
        for field, value in _UNANSWERED.items():
            setattr(message, field, list(value) if isinstance(value, list) else value)
        message.save()
        hooks.record_audit(
            action="conversation.answer_resume",
            actor=principal,
            target_type="conversation",
            target_id=conversation.pk,
            data={"message": message.pk},
        )
    if message.rerun_of_id is not None or question is None:
        return run_steps(message, _interrupted_steps(), cancel=cancel)
    earlier = (
        conversation.messages.filter(role=Message.Role.ASSISTANT, pk__lt=message.pk)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    history = selectors.plan_history(conversation, follows=earlier) if earlier else []
    table = selectors.conversation_table(conversation)
    steps = _ask_steps(message, question.content, table=table, principal=principal, history=history)
    return run_steps(message, steps, cancel=cancel)


def _interrupted_steps() -> Steps:
    raise ValidationFailed(INTERRUPTED)
    yield  # a generator: the error surfaces as the answer's `error` event


# --- re-running --------------------------------------------------------------------------------------


def rerun_events(
    *,
    message: Message,
    principal: Principal,
    query: Any = None,
    chart_type: str | None = None,
    sql: str | None = None,
    cancel: Cancel | None = None,
) -> Generator[Event, None, Message]:
    """A new answer from an earlier one: its query edited, its SQL edited (editors), or only its chart
    type switched (drawn from the stored result, without querying again when the result was complete).
    """
    _require(policy.can_ask_in_conversation(principal, message.conversation), ASK_REFUSED)
    if message.role != Message.Role.ASSISTANT or message.kind != Message.Kind.ANSWER:
        raise ValidationFailed("Only an answer can be re-run; ask the question again instead.")
    conversation = message.conversation
    title = selectors.answer_title(message)
    if sql is not None:
        _require(policy.can_run_own_sql(principal), "Only editors can run their own SQL.")
        if not sql.strip():
            raise ValidationFailed("sql: write a SELECT statement to run.")
        steps = partial(
            _sql_steps,
            sql=sql,
            source_id=conversation.source_id,
            principal=principal,
            title=title,
            chart_type=chart_type,
        )
        return _rerun(message, principal, steps, cancel, change="sql")
    if query is not None:
        edited = _edited_plan(message, _own_query(query, conversation), chart_type)
        table = selectors.conversation_table(conversation)
        title = query_title(edited.query, _labels(table))
        steps = partial(_edited_steps, plan=edited, table=table, principal=principal, title=title)
        return _rerun(message, principal, steps, cancel, change="query")
    if not chart_type:
        raise ValidationFailed("Send a changed query, SQL or chart type to re-run this answer.")
    if not message.result or message.chart_spec is None:
        raise ValidationFailed("This answer has no result to draw; ask the question again.")
    if message.result.get("complete", True):
        stored = ResultSet.from_rows(message.result["columns"], message.result["rows"])
        draw_as(chart_type, stored, title=title, previous=message.chart_spec)  # refuse before saving
        steps = partial(_switch_steps, source=message, chart_type=chart_type, title=title)
        return _rerun(message, principal, steps, cancel, change="chart_type")
    # Only the first rows were kept: query again (usually a cache hit) and draw the whole result.
    edited = _edited_plan(message, SemanticQuery.parse(message.query), chart_type)
    table = selectors.conversation_table(conversation)
    steps = partial(_edited_steps, plan=edited, table=table, principal=principal, title=title)
    return _rerun(message, principal, steps, cancel, change="chart_type")


def message_rerun(
    *,
    message: Message,
    principal: Principal,
    query: Any = None,
    chart_type: str | None = None,
    sql: str | None = None,
    on_event: OnEvent | None = None,
    cancel: Cancel | None = None,
) -> Message:
    """Re-run an answer (see `rerun_events`); returns the new assistant message."""
    events = rerun_events(
        message=message, principal=principal, query=query, chart_type=chart_type, sql=sql, cancel=cancel
    )
    return drive(events, on_event)


StepsFor = Callable[[Message], Steps]


def _labels(table: TableInfo) -> dict[str, str]:
    return {column.name: column.label for column in table.columns if column.label}


@transaction.atomic
def answer_chart_switch(*, message: Message, principal: Principal, chart_type: str) -> Message:
    """Draw the answer as `chart_type` in place (the same message, no new answer at the bottom).

    The stored result is redrawn when it is complete; a result kept only in part is queried again (a
    table query as the principal; SQL only for editors). Raises ChartError saying what the type needs
    when the data does not fit it, ValidationFailed for a message that is not a drawn answer.
    """
    _require(policy.can_ask_in_conversation(principal, message.conversation), ASK_REFUSED)
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.role != Message.Role.ASSISTANT or message.kind != Message.Kind.ANSWER:
        raise ValidationFailed("Only an answer's chart can be switched.")
    if not message.result or message.chart_spec is None or message.status != Message.Status.DONE:
        raise ValidationFailed("This answer has no result to draw; ask the question again.")
    data = _whole_result(message, principal)
    previous = dict(message.chart_spec)
    spec, option = draw_as(chart_type, data, title=selectors.answer_title(message), previous=previous)
    alternatives = [t for t in [previous.get("type"), *message.alternatives] if t and t != spec.type]
    message.chart_spec = spec.model_dump(mode="json", exclude_defaults=True)
    message.chart_option = option
    message.alternatives = list(dict.fromkeys(alternatives))
    message.save(update_fields=["chart_spec", "chart_option", "alternatives"])
    hooks.record_audit(
        action="conversation.chart_switch",
        actor=principal,
        target_type="message",
        target_id=message.pk,
        data={"chart_type": {"before": previous.get("type"), "after": spec.type}},
    )
    return message


def _whole_result(message: Message, principal: Principal) -> ResultSet:
    stored = message.result or {}
    if stored.get("complete", True):
        return ResultSet.from_rows(stored["columns"], stored["rows"])
    if message.query and "model" not in message.query:
        return query_run(query=SemanticQuery.parse(message.query), principal=principal)
    if message.sql and not message.query:
        _require(policy.can_run_own_sql(principal), "Only editors can run their own SQL.")
        return sql_run(source_id=message.conversation.source_id, sql=message.sql, principal=principal)
    raise ValidationFailed(
        "Only the first rows of this answer were kept; ask the question again to redraw it."
    )


def _sql_steps(
    message: Message, *, sql: str, source_id: int, principal: Principal, title: str, chart_type: str | None
) -> Steps:
    message.planner = "sql"
    yield status("querying", message)
    response = sql_run(source_id=source_id, sql=sql, principal=principal)
    yield from sql_answer_steps(message, response, title=title, chart_type=chart_type)


def _edited_steps(
    message: Message, *, plan: Plan, table: TableInfo, principal: Principal, title: str
) -> Steps:
    record_plan(message, plan)
    yield plan_event(plan)
    yield from plan_answer_steps(message, plan, table=table, principal=principal, title=title)


def _switch_steps(message: Message, *, source: Message, chart_type: str, title: str) -> Steps:
    message.planner = source.planner
    message.fallback_reason = source.fallback_reason
    yield from switch_steps(message, source, chart_type, title=title)


def _rerun(
    message: Message, principal: Principal, steps_for: StepsFor, cancel: Cancel | None, *, change: str
) -> Generator[Event, None, Message]:
    with transaction.atomic():
        answer = Message.objects.create(
            conversation=message.conversation,
            role=Message.Role.ASSISTANT,
            kind=Message.Kind.ANSWER,
            reply_to=message.reply_to,
            rerun_of=message,
            status=Message.Status.RUNNING,
        )
        message.conversation.save(update_fields=["updated_at"])
        hooks.record_audit(
            action="conversation.rerun",
            actor=principal,
            target_type="conversation",
            target_id=message.conversation_id,
            data={"message": message.pk, "answer": answer.pk, "change": change},
        )
    return run_steps(answer, steps_for(answer), cancel=cancel)


def _own_query(data: Any, conversation: Conversation) -> SemanticQuery:
    """The edited query, always over the conversation's own source and table."""
    if not isinstance(data, dict):
        raise ValidationFailed("query: send the semantic query as a JSON object.")
    merged = {**data, "source": conversation.source_id, "table": conversation.table_name}
    try:
        query = SemanticQuery.parse(merged)
    except pydantic.ValidationError as error:
        raise ValidationFailed(f"The query is not valid: {pydantic_message(error)}") from error
    if not query.measures and not query.dimensions:
        raise ValidationFailed("query: keep at least one measure or grouping.")
    return query


def _edited_plan(message: Message, query: SemanticQuery, chart_type: str | None) -> Plan:
    base = Plan.model_validate(message.plan) if message.plan else None
    same_shape = base is not None and base.query.dimensions == query.dimensions
    return Plan(
        intent=base.intent if base else "comparison",
        query=query,
        chart_type=chart_type or (base.chart_type if base else "column"),
        chart_options=base.chart_options if base and same_shape and not chart_type else {},
        explanation=describe_query(query),
        alternatives=[],
        planner="edited",
    )


def describe_query(query: SemanticQuery) -> str:
    """Edited query: total revenue by region, where region is North."""
    parts = [describe_measure(m).lower() for m in query.measures] or ["rows"]
    text = "Edited query: " + " and ".join(parts)
    if query.dimensions:
        text += " by " + ", ".join(
            label(d.field) + (f" ({d.granularity})" if d.granularity else "") for d in query.dimensions
        )
    if query.filters:
        text += ", where " + " and ".join(describe_filter(f) for f in query.filters)
    if query.limit:
        text += f", first {query.limit}"
    return text


# --- helpers -----------------------------------------------------------------------------------------


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise Forbidden(message)


def _clean_question(content: Any) -> str:
    text = " ".join(str(content or "").split())
    if not text:
        raise ValidationFailed("content: ask a question about the table.")
    if len(text) > MAX_QUESTION_CHARS:
        raise ValidationFailed(f"content: a question can be at most {MAX_QUESTION_CHARS} characters.")
    return text


def _title(question: str) -> str:
    text = question.strip()
    if len(text) <= TITLE_CHARS:
        return text[:1].upper() + text[1:]
    return text[: TITLE_CHARS - 1].rsplit(" ", 1)[0].capitalize() + "…"
