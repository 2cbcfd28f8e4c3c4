# SPDX-License-Identifier: MIT
"""`/api/v1/conversations/`: start, list, open and delete conversations; ask (JSON or Server-Sent Events)
and re-run answers. Conversations are visible to their owner and to admins; asking needs ASK."""

from __future__ import annotations

import threading
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat2chart.conversations import selectors, services
from chat2chart.conversations.events import StreamedAnswerEvent, event_json_schema
from chat2chart.conversations.models import Conversation
from chat2chart.conversations.policy import RULES as CONVERSATION_RULES
from chat2chart.conversations.sse import EventStreamRenderer, event_stream, wants_event_stream
from chat2chart.core import hooks
from chat2chart.core.api import WorkspaceObjectView
from chat2chart.core.errors import NotFound
from chat2chart.core.principal import Principal

_STREAMED = (
    "With `Accept: text/event-stream` the answer streams as Server-Sent Events, each `event: <type>` "
    "with `data:` one answer event: status, plan, sql, data, chart, token…, suggestions, then done, "
    "error or cancelled. Their JSON Schema is at `/api/v1/conversations/events/schema/`."
)


class ConversationInput(serializers.Serializer):
    source = serializers.IntegerField(min_value=1)
    table = serializers.CharField(max_length=255)


class AskInput(serializers.Serializer):
    content = serializers.CharField(max_length=services.MAX_QUESTION_CHARS, trim_whitespace=True)
    follows = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="The answer this question follows up (a suggestion under it); default: the latest.",
    )


class RerunInput(serializers.Serializer):
    query = serializers.JSONField(required=False, allow_null=True)
    chart_type = serializers.CharField(required=False, allow_blank=True, max_length=50)
    sql = serializers.CharField(required=False, allow_blank=True, max_length=100_000, trim_whitespace=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("query") is None and not attrs.get("chart_type") and attrs.get("sql") is None:
            raise serializers.ValidationError("Send a changed query, SQL or chart type.")
        if attrs.get("query") is not None and attrs.get("sql") is not None:
            raise serializers.ValidationError("Send either a changed query or SQL, not both.")
        return attrs


def _validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class _ConversationView(WorkspaceObjectView):
    """A conversation: seen only by its owner and admins; to anyone else it does not exist (404)."""

    policy = CONVERSATION_RULES
    hide_denied = True

    def safely_get_object(self, *, pk: int, **url_kwargs: Any) -> Conversation:
        return selectors.conversation_find(pk)

    def not_found(self, *, pk: int, **url_kwargs: Any) -> NotFound:
        return NotFound(f"There is no conversation {pk}.")


class ConversationListView(APIView):
    actions = {"POST": hooks.ASK}

    @extend_schema(
        request=None,
        responses=OpenApiTypes.OBJECT,
        operation_id="conversations_list",
        summary="Your conversations, newest first (admins: ?all=1 for everyone's)",
    )
    def get(self, request: Request) -> Response:
        everyone = request.query_params.get("all") in ("1", "true")
        conversations = selectors.conversation_list(
            principal=Principal.from_request(request), everyone=everyone
        )
        return Response({"conversations": [selectors.conversation_body(c) for c in conversations[:200]]})

    @extend_schema(
        request=ConversationInput,
        responses={201: OpenApiTypes.OBJECT},
        operation_id="conversations_start",
        summary="Start a conversation about one table of a source",
    )
    def post(self, request: Request) -> Response:
        given = _validated(ConversationInput, request.data)
        conversation = services.conversation_start(
            principal=Principal.from_request(request), source_id=given["source"], table=given["table"]
        )
        body = selectors.conversation_body(
            conversation, first_questions=services.conversation_first_questions(conversation)
        )
        return Response(body, status=status.HTTP_201_CREATED)


class ConversationDetailView(_ConversationView):
    @extend_schema(
        request=None,
        responses=OpenApiTypes.OBJECT,
        operation_id="conversations_retrieve",
        summary="One conversation with its messages and suggested first questions",
    )
    def get(self, request: Request, pk: int) -> Response:
        conversation = self.object
        body = selectors.conversation_body(
            conversation, first_questions=services.conversation_first_questions(conversation)
        )
        body["messages"] = [selectors.message_body(m) for m in selectors.message_list(conversation)]
        return Response(body)

    @extend_schema(
        request=None,
        responses={204: None},
        operation_id="conversations_destroy",
        summary="Delete a conversation and its messages",
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.conversation_delete(conversation=self.object, principal=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessageListView(_ConversationView):
    object_actions = {"POST": "ask"}
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(
        request=None,
        responses=OpenApiTypes.OBJECT,
        operation_id="conversations_messages_list",
        summary="The messages of a conversation, oldest first",
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            {"messages": [selectors.message_body(m) for m in selectors.message_list(self.object)]}
        )

    @extend_schema(
        request=AskInput,
        responses={
            (201, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="The finished assistant message."
            ),
            (200, "text/event-stream"): OpenApiResponse(StreamedAnswerEvent, description=_STREAMED),
        },
        operation_id="conversations_messages_ask",
        summary="Ask a question; the answer as JSON, or streamed as Server-Sent Events",
    )
    def post(self, request: Request, pk: int) -> HttpResponse:
        conversation = self.object
        given = _validated(AskInput, request.data)
        if wants_event_stream(request):
            cancelled = threading.Event()
            events = services.ask_events(
                conversation=conversation,
                principal=self.principal,
                content=given["content"],
                cancel=cancelled.is_set,
                follows=given.get("follows"),
            )
            return event_stream(request, events, cancelled)
        answer = services.message_ask(
            conversation=conversation,
            principal=self.principal,
            content=given["content"],
            follows=given.get("follows"),
        )
        return Response(selectors.message_body(answer), status=status.HTTP_201_CREATED)


class MessageRerunView(_ConversationView):
    object_actions = {"POST": "ask"}
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(
        request=RerunInput,
        responses={
            (201, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="The finished assistant message."
            ),
            (200, "text/event-stream"): OpenApiResponse(StreamedAnswerEvent, description=_STREAMED),
        },
        operation_id="conversations_messages_rerun",
        summary="Re-run an answer with an edited query, edited SQL (editors) or another chart type",
    )
    def post(self, request: Request, pk: int, mid: int) -> HttpResponse:
        message = selectors.message_get(conversation=self.object, message_id=mid)
        given = _validated(RerunInput, request.data)
        changes = {
            "query": given.get("query"),
            "chart_type": given.get("chart_type") or None,
            "sql": given.get("sql"),
        }
        if wants_event_stream(request):
            cancelled = threading.Event()
            events = services.rerun_events(
                message=message, principal=self.principal, cancel=cancelled.is_set, **changes
            )
            return event_stream(request, events, cancelled)
        answer = services.message_rerun(message=message, principal=self.principal, **changes)
        return Response(selectors.message_body(answer), status=status.HTTP_201_CREATED)


class ChartSwitchInput(serializers.Serializer):
    chart_type = serializers.CharField(max_length=50)


class MessageChartView(_ConversationView):
    object_actions = {"POST": "ask"}

    @extend_schema(
        request=ChartSwitchInput,
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The answer, redrawn.")},
        operation_id="conversations_messages_chart_switch",
        summary="Draw an answer as another chart type, in place (the same message)",
    )
    def post(self, request: Request, pk: int, mid: int) -> Response:
        message = selectors.message_get(conversation=self.object, message_id=mid)
        given = _validated(ChartSwitchInput, request.data)
        answer = services.answer_chart_switch(
            message=message, principal=self.principal, chart_type=given["chart_type"]
        )
        return Response(selectors.message_body(answer))


class AnswerEventSchemaView(APIView):
    @extend_schema(
        request=None,
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="A JSON Schema document.")},
        operation_id="conversations_events_schema",
        summary="The JSON Schema of the answer stream's events (websocket and Server-Sent Events)",
    )
    def get(self, request: Request) -> Response:
        return Response(event_json_schema())
