# SPDX-License-Identifier: MIT
"""The chat page: `/chat/` (pick a source and table, or a conversation) and `/chat/<id>/` (open one).

The page's `json_script` config carries everything the browser would otherwise re-implement: the answer
event names, the query's aggregations, granularities and filter operators, the chart types and the
endpoints. The scripts in `static/js/chat/` read these from the config and keep no copies.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from chat2chart.charts.policy import can_create_chart
from chat2chart.charts.registry import chart_types
from chat2chart.conversations import policy, selectors
from chat2chart.conversations.events import EVENT_TYPES, STAGES, TERMINAL_EVENTS
from chat2chart.core.errors import NotFound
from chat2chart.core.principal import Principal
from chat2chart.semantic import selectors as semantic_selectors
from chat2chart.semantic.policy import can_browse_models
from chat2chart.sources.semantic import AGGREGATIONS, FILTER_OPS, GRANULARITIES

# What each stage of an answer is shown as while it runs.
STAGE_LABELS = {
    "planning": "Understanding the question…",
    "querying": "Running the query…",
    "rendering": "Drawing the chart…",
}
# Filter operators the query editor offers, with their labels; other operators are kept as they are.
EDITOR_FILTER_OPS = {
    "eq": "is",
    "neq": "is not",
    "in": "is one of",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "contains": "contains",
    "between": "between",
}
# Chart types the query editor offers besides the answer's own and its alternatives.
EDITOR_CHART_TYPES = ("column", "bar", "line", "area", "pie", "donut", "scatter", "table", "kpi")


def chat_page_config(principal: Principal, conversation_id: int | None) -> dict[str, Any]:
    """The chat page's config for `principal`: permissions, endpoints and the server's own vocabularies."""
    return {
        "conversation": conversation_id,
        "canEditSql": policy.can_run_own_sql(principal),
        "canSaveChart": can_create_chart(principal),
        "urls": {
            "page": reverse("chat"),
            "conversations": reverse("api-conversation-list"),
            "sources": reverse("api-source-list"),
            "charts": reverse("api-chart-list"),
            "chartPage": reverse("chart_list"),
            "render": reverse("api-chart-render"),
            "eventSchema": reverse("api-conversation-event-schema"),
            "websocket": "/ws/conversations/",
        },
        "events": {
            "types": list(EVENT_TYPES),
            "terminal": sorted(TERMINAL_EVENTS),
            "stages": {stage: STAGE_LABELS[stage] for stage in STAGES},
        },
        "query": {
            "aggregations": list(AGGREGATIONS),
            "granularities": list(GRANULARITIES),
            "filterOps": {op: name for op, name in EDITOR_FILTER_OPS.items() if op in FILTER_OPS},
        },
        "chartTypes": [{"id": t.id, "name": t.name} for t in chart_types()],
        "editorChartTypes": list(EDITOR_CHART_TYPES),
        # The workspace's data models and their members, for the "Data model" builder (model_builder.js).
        "models": semantic_selectors.member_catalogue() if can_browse_models(principal) else [],
    }


@login_required
def chat(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    # Pages answer 404 rather than 403 so they do not reveal what exists.
    principal = Principal.from_request(request)
    if not policy.can_start_conversation(principal):
        raise Http404("not allowed")
    if pk is not None:
        try:
            selectors.conversation_get(conversation_id=pk, principal=principal)
        except NotFound as error:
            raise Http404(error.message) from error
    return render(request, "conversations/chat.html", {"config": chat_page_config(principal, pk)})


@login_required
def embedded_conversations(request: HttpRequest) -> HttpResponse:
    """`/chat/embedded/`: what the customers' end users asked in the embedded chat and what they were
    answered, by end user (read-only; owners and admins; 404 for others, like every page)."""
    principal = Principal.from_request(request)
    if not policy.can_see_embedded_conversations(principal):
        raise Http404("not allowed")
    by_user: dict[str, dict[str, Any]] = {}
    for conversation in selectors.embedded_conversation_list(principal=principal):
        user = by_user.setdefault(
            conversation.embed_user_id,
            {"id": conversation.embed_user_id, "name": conversation.embed_user_name, "conversations": []},
        )
        user["name"] = user["name"] or conversation.embed_user_name
        user["conversations"].append({"conversation": conversation, "turns": _turns(conversation)})
    return render(request, "conversations/embedded.html", {"end_users": list(by_user.values())})


def _turns(conversation: Any) -> list[dict[str, Any]]:
    # Each question with its latest answer (the narrative, or the error the end user saw).
    messages = list(conversation.messages.all())
    answers = {m.reply_to_id: m for m in messages if m.role == "assistant" and m.reply_to_id is not None}
    return [{"question": m, "answer": answers.get(m.pk)} for m in messages if m.role == "user"]
