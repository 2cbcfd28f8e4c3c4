# SPDX-License-Identifier: MIT
"""Reads of conversations: who may see which, their messages, and the history a follow-up builds on.

A conversation is visible to its owner and to those who may manage the workspace (admins); to anyone
else it does not exist (NotFound rather than Forbidden, so ids reveal nothing).
"""

from __future__ import annotations

from typing import Any

import pydantic
from django.db.models import Prefetch, QuerySet

from chat2chart.charts.titles import clean_title, query_title, result_title
from chat2chart.conversations import policy
from chat2chart.conversations.models import Conversation, Message
from chat2chart.conversations.planner import Plan, PlanTurn
from chat2chart.core.errors import NotFound
from chat2chart.core.principal import Principal
from chat2chart.sources import selectors as source_selectors
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.semantic import SemanticQuery

HISTORY_TURNS = 6


def conversation_list(*, principal: Principal, everyone: bool = False) -> QuerySet[Conversation]:
    """The principal's own conversations; `everyone` lists all of them for those who manage the workspace."""
    conversations = Conversation.objects.select_related("source")
    return policy.visible_conversations(principal, conversations, everyone=everyone)


def embedded_conversation_list(*, principal: Principal, limit: int = 200) -> list[Conversation]:
    """The embedded chats' conversations (newest first, at most `limit`) with their messages prefetched,
    for those who may see them (`policy.can_see_embedded_conversations`); [] for anyone else."""
    if not policy.can_see_embedded_conversations(principal):
        return []
    conversations = (
        Conversation.objects.exclude(embed_user_id="")
        .select_related("source")
        .prefetch_related(Prefetch("messages", queryset=Message.objects.order_by("created_at", "pk")))
        .order_by("-updated_at", "-pk")
    )
    return list(conversations[:limit])


def conversation_find(conversation_id: int) -> Conversation:
    """The conversation with this id, whoever may see it: callers ask the policy (see conversation_get)."""
    conversation = Conversation.objects.select_related("source").filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound(f"There is no conversation {conversation_id}.")
    return conversation


def conversation_get(*, conversation_id: int, principal: Principal) -> Conversation:
    """The conversation if the principal may see it; NotFound otherwise, so ids reveal nothing."""
    conversation = conversation_find(conversation_id)
    if not policy.can_view_conversation(principal, conversation):
        raise NotFound(f"There is no conversation {conversation_id}.")
    return conversation


def message_list(conversation: Conversation) -> QuerySet[Message]:
    return conversation.messages.select_related("reply_to").order_by("created_at", "pk")


def message_get(*, conversation: Conversation, message_id: int) -> Message:
    message = conversation.messages.filter(pk=message_id).first()
    if message is None:
        raise NotFound(f"There is no message {message_id} in this conversation.")
    return message


def plan_history(conversation: Conversation, *, follows: int | None = None) -> list[PlanTurn]:
    """The earlier questions answered with a plan, oldest first: what "now by region" refers to.

    `follows` (an assistant message id) ends the history at that answer: a suggestion under an older answer
    builds on that answer, not on whatever was asked last. Raises NotFound when it is not in the conversation.
    """
    answers = conversation.messages.filter(
        role=Message.Role.ASSISTANT,
        kind=Message.Kind.ANSWER,
        status=Message.Status.DONE,
        plan__isnull=False,
    )
    if follows is not None:
        if not conversation.messages.filter(pk=follows, role=Message.Role.ASSISTANT).exists():
            raise NotFound(f"There is no answer {follows} in this conversation.")
        answers = answers.filter(pk__lte=follows)
    answers = answers.select_related("reply_to").order_by("-created_at", "-pk")[:HISTORY_TURNS]
    turns = []
    for answer in reversed(list(answers)):
        question = answer.reply_to.content if answer.reply_to else ""
        try:
            turns.append(PlanTurn(question=question, plan=Plan.model_validate(answer.plan)))
        except ValueError:  # a plan stored by an older planner: skip it rather than fail the question
            continue
    return turns


def conversation_table(conversation: Conversation) -> TableInfo:
    """The current catalogue of the table the conversation is about."""
    for table in source_selectors.source_catalogue(conversation.source_id):
        if table.name == conversation.table_name:
            return table
    raise NotFound(
        f"The table '{conversation.table_name}' is no longer in '{conversation.source.name}'; "
        "start a new conversation on one of its current tables."
    )


# --- what clients see --------------------------------------------------------------------------------


def message_body(message: Message) -> dict[str, Any]:
    """One message as the API, SSE and the websocket show it."""
    plan = message.plan or {}
    result = message.result
    body: dict[str, Any] = {
        "id": message.pk,
        "conversation": message.conversation_id,
        "role": message.role,
        "kind": message.kind,
        "status": message.status,
        "content": message.content,
        "error": message.error,
        "reply_to": message.reply_to_id,
        "rerun_of": message.rerun_of_id,
        "created_at": message.created_at.isoformat() if message.created_at else None,
    }
    if message.role == Message.Role.USER:
        return body
    chart = None
    if message.chart_option is not None:
        chart = {
            "type": (message.chart_spec or {}).get("type"),
            "option": message.chart_option,
            "spec": message.chart_spec,
            "alternatives": message.alternatives,
        }
    body.update(
        {
            "question": message.reply_to.content if message.reply_to else "",
            # What a saved chart of this answer is called unless the person renames it.
            "title": answer_title(message) if message.kind == Message.Kind.ANSWER else "",
            "explanation": plan.get("explanation", ""),
            "intent": plan.get("intent"),
            "planner": message.planner,
            "fallback_reason": message.fallback_reason,
            "query": message.query,
            "query_outputs": _query_outputs(message.query),
            "sql": message.sql,
            "data": _data(result),
            "chart": chart,
            "narrative": message.narrative,
            "suggestions": message.suggestions,
            "clarification": (
                {"message": message.content, "suggestions": message.suggestions}
                if message.kind == Message.Kind.CLARIFICATION
                else None
            ),
            "usage": {
                "prompt_tokens": message.prompt_tokens,
                "completion_tokens": message.completion_tokens,
                "cost_usd": float(message.cost_usd),
                "latency_ms": message.latency_ms,
            },
        }
    )
    return body


def answer_title(message: Message) -> str:
    """The chart title of an answer: the one it was drawn with (the plan's, from what was computed),
    else one made from its query or result columns; never the question as typed."""
    drawn = (message.chart_spec or {}).get("title")
    if drawn:
        return clean_title(drawn)
    plan_title = (message.plan or {}).get("title")
    if plan_title:
        return clean_title(plan_title)
    if message.query and "model" not in message.query:
        try:
            return query_title(SemanticQuery.parse(message.query))
        except pydantic.ValidationError:
            pass  # a query stored by an older version: fall back to the result's columns
    return result_title((message.result or {}).get("columns", []))


def _query_outputs(query: dict[str, Any] | None) -> dict[str, list[str]] | None:
    """Each measure's and grouping's output column name, so clients never derive one themselves."""
    try:
        parsed = SemanticQuery.parse(query) if query else None
    except ValueError:  # a query stored by an older version: no names rather than a failed page
        return None
    if parsed is None:
        return None
    return {
        "measures": [m.output_name for m in parsed.measures],
        "dimensions": [d.output_name for d in parsed.dimensions],
    }


def _data(result: dict[str, Any] | None) -> dict[str, Any] | None:
    if not result:
        return None
    return {
        "columns": result.get("columns", []),
        "rows": result.get("rows", []),
        "row_count": result.get("row_count", len(result.get("rows", []))),
        "truncated": bool(result.get("truncated")) or not result.get("complete", True),
    }


def conversation_body(
    conversation: Conversation, *, first_questions: list[str] | None = None
) -> dict[str, Any]:
    body = {
        "id": conversation.pk,
        "title": conversation.display_title,
        "source": conversation.source_id,
        "source_name": conversation.source.name,
        "table": conversation.table_name,
        "owner": conversation.owner_id,
        "created_at": conversation.created_at.isoformat(),
        "updated_at": conversation.updated_at.isoformat(),
    }
    if conversation.embed_user_id:
        # An embedded chat's end user (no account): who it was, as the customer's token named them.
        body["embed_user"] = {"id": conversation.embed_user_id, "name": conversation.embed_user_name}
    if first_questions is not None:
        body["first_questions"] = first_questions
    return body
