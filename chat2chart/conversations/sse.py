# SPDX-License-Identifier: MIT
"""Server-Sent Events for the answer pipeline: each event as `event: <type>` + `data: <json>`.

The events arrive already checked and in their JSON form (see `events.py`); an error DRF renders for
this media type is built as an `error` event too.

Under ASGI (daphne) the stream is an async generator that advances the pipeline one step at a time in
the request's own thread (where its workspace is in scope), so events reach the browser as they happen;
a client that goes away cancels the answer at the next step. Under WSGI, and in tests, it is a plain
generator run in the request thread.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, StreamingHttpResponse
from rest_framework.renderers import BaseRenderer

from chat2chart.conversations.events import ErrorEvent, EventJSON, dump_event
from chat2chart.core import hooks

Events = Generator[EventJSON, None, Any]


class EventStreamRenderer(BaseRenderer):
    """Lets DRF's content negotiation accept `Accept: text/event-stream` (the view streams itself)."""

    media_type = "text/event-stream"
    format = "sse"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            code, message = str(error.get("code") or "error"), str(error.get("message") or "")
        else:
            code, message = "error", str(data.get("message", data) if isinstance(data, dict) else data)
        return encode(dump_event(ErrorEvent(code=code, message=message)))


def wants_event_stream(request: HttpRequest) -> bool:
    return "text/event-stream" in request.headers.get("Accept", "")


def encode(event: EventJSON) -> bytes:
    data = json.dumps(event, cls=DjangoJSONEncoder, separators=(",", ":"))
    return f"event: {event.get('type', 'message')}\ndata: {data}\n\n".encode()


def event_stream(request: HttpRequest, events: Events, cancelled: threading.Event) -> StreamingHttpResponse:
    """Stream `events` (created with `cancel=cancelled.is_set`) as Server-Sent Events."""
    steps = _in_workspace(events, hooks.current_workspace())
    django_request = getattr(request, "_request", request)
    content = (
        _async_stream(steps, cancelled) if isinstance(django_request, ASGIRequest) else _sync_stream(steps)
    )
    response = StreamingHttpResponse(content, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # proxies must pass each event on at once
    return response


def _in_workspace(events: Events, workspace: str) -> Iterator[EventJSON]:
    # The stream outlives the view: enter the request's workspace explicitly for every step.
    with hooks.workspace_context(workspace):
        yield from events


def _sync_stream(steps: Iterator[EventJSON]) -> Iterator[bytes]:
    for event in steps:
        yield encode(event)


async def _async_stream(steps: Iterator[EventJSON], cancelled: threading.Event) -> AsyncIterator[bytes]:
    advance = sync_to_async(next, thread_sensitive=True)
    try:
        while True:
            event = await advance(steps, None)
            if event is None:
                return
            yield encode(event)
    except asyncio.CancelledError:
        # The client went away: the pipeline stops at its next step and records the cancellation.
        cancelled.set()
        await sync_to_async(_drain, thread_sensitive=True)(steps)
        raise


def _drain(steps: Iterator[EventJSON]) -> None:
    for _ in steps:
        pass
