# SPDX-License-Identifier: MIT
"""The chat page: `/chat/` (pick a source and table, or a conversation) and `/chat/<id>/` (open one)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from chat2chart.charts.policy import can_create_chart
from chat2chart.conversations import policy, selectors
from chat2chart.core.errors import NotFound
from chat2chart.core.principal import Principal


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
    config = {
        "conversation": pk,
        "canEditSql": policy.can_run_own_sql(principal),
        "canSaveChart": can_create_chart(principal),
        "urls": {
            "page": reverse("chat"),
            "conversations": reverse("api-conversation-list"),
            "sources": reverse("api-source-list"),
            "charts": reverse("api-chart-list"),
            "websocket": "/ws/conversations/",
        },
    }
    return render(request, "conversations/chat.html", {"config": config})
