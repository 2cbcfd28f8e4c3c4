# SPDX-License-Identifier: MIT
"""`ws/conversations/<id>/`: ask questions in a conversation and receive the answer as it is made.

Client → server: `{"type": "ask", "content": "...", "follows": <answer id, optional>}` or
`{"type": "cancel"}`.
Server → client: first a `history` event (the conversation and its messages), then for each ask the
pipeline's events, ending with `done`, `error` or `cancelled`; every one is a typed model of
`events.py`, sent in its checked JSON form.

A person who may not see the conversation (another organisation, another owner, signed out) is refused
during the handshake, before anything is sent. Every database call runs through `in_scope`, in the
connection's organisation; the pipeline runs in a thread of its own and its events are forwarded through
an asyncio queue. Closing the socket does not cancel the answer: a reconnect shows it finished.

With several web nodes (docs/scaling.md) the connection also joins its conversation's channel-layer group:
answers asked elsewhere (another node, the HTTP API) stream to it as they are made (broadcast.py), and an
answer orphaned by a node that died is answered again by the first connection that opens the
conversation after its lease lapsed, in the same message, so the client receives the finished answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from chat2chart.conversations import broadcast, selectors, services
from chat2chart.conversations.events import (
    ConversationBody,
    ErrorEvent,
    EventJSON,
    HistoryEvent,
    MessageBody,
    dump_event,
)
from chat2chart.conversations.models import Message
from chat2chart.conversations.pipeline import UNEXPECTED
from chat2chart.core.asyncdb import in_scope
from chat2chart.core.errors import AiserError, NotFound
from chat2chart.core.principal import Principal
from chat2chart.core.ratelimit import RateDecision, check_rate

logger = logging.getLogger(__name__)

REFUSED = 4403
_END = object()


class ConversationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["pk"])
        self.answering: asyncio.Task[None] | None = None
        self.answer_ended = False  # the current answer's terminal event has been sent
        self.cancelled = threading.Event()
        self.closed = False
        # Joined before the history is read, so an answer finishing in between is seen by one or the other.
        self.group = await in_scope(self.scope, broadcast.group_name)(self.conversation_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        history = await in_scope(self.scope, self._history)()
        if history is None:
            self.closed = True
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.close(code=REFUSED)  # before accept: the handshake is refused, nothing is sent
            return
        await self.accept()
        await self.send_json(history)
        orphan = await in_scope(self.scope, self._claim_orphan)()
        if orphan is not None:
            self.cancelled = threading.Event()
            self.answering = asyncio.create_task(self._answer(partial(self._resume, orphan)))

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        self.closed = True
        if self.answering is not None:
            # Let the answer finish and be saved, so the next connection shows it.
            await asyncio.shield(self.answering)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            content = json.loads(text_data or "")
        except ValueError:
            await self._send(_error("invalid", "Send JSON messages."))
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "cancel":
            self.cancelled.set()
            return
        if kind != "ask":
            await self._send(_error("invalid", 'Send {"type": "ask"} or "cancel".'))
            return
        if self.answering is not None and not self.answering.done():
            if not self.answer_ended:
                await self._send(_error("busy", "Wait for the current answer, or cancel it first."))
                return
            # The answer's last event is out and its task is only tidying up: a question sent the moment
            # the answer appeared (a suggestion clicked) waits for it rather than being refused.
            await self.answering
        decision = await in_scope(self.scope, self._check_rate)()
        if not decision.allowed:
            message = f"Too many requests. Try again in {decision.retry_after_s} seconds."
            await self._send({"type": "error", "code": "rate_limited", "message": message})
            return
        follows = content.get("follows")
        if follows is not None and (not isinstance(follows, int) or isinstance(follows, bool) or follows < 1):
            await self._send(_error("invalid", '"follows" must be the id of an answer in this conversation.'))
            return
        self.cancelled = threading.Event()
        self.answer_ended = False
        question = str(content.get("content") or "")
        self.answering = asyncio.create_task(
            self._answer(lambda cancelled, emit: self._ask(question, cancelled, emit, follows))
        )

    async def answer_event(self, message: dict[str, Any]) -> None:
        """An answer event published to the conversation's group (broadcast.py), unless this connection
        asked the question itself (it already sent it)."""
        if message.get("origin") != self.channel_name:
            await self._send(message["event"])

    # --- in the organisation's schema ------------------------------------------------------------

    def _principal(self) -> Principal | None:
        # Made once per connection, in the connection's organisation, and kept in the scope.
        if "principal" not in self.scope:
            user = self.scope.get("user")
            signed_in = user is not None and user.is_authenticated
            self.scope["principal"] = Principal.for_user(user) if signed_in else None
        return self.scope["principal"]

    def _check_rate(self) -> RateDecision:
        # A question counts against the same budget as the caller's API requests.
        user = self.scope.get("user")
        signed_in = user is not None and user.is_authenticated
        return check_rate(user if signed_in else self.scope.get("client", [""])[0], "api")

    def _history(self) -> EventJSON | None:
        principal = self._principal()
        if principal is None:
            return None
        try:
            conversation = selectors.conversation_get(
                conversation_id=self.conversation_id, principal=principal
            )
        except NotFound:
            return None
        history = HistoryEvent(
            conversation=ConversationBody.model_validate(selectors.conversation_body(conversation)),
            messages=[
                MessageBody.model_validate(selectors.message_body(m))
                for m in selectors.message_list(conversation)
            ],
        )
        return dump_event(history)

    def _claim_orphan(self) -> int | None:
        """The conversation's latest answer, when a dead process left it unfinished and this connection
        won the claim to answer it again."""
        principal = self._principal()
        if principal is None:
            return None
        conversation = selectors.conversation_get(conversation_id=self.conversation_id, principal=principal)
        latest = selectors.message_list(conversation).filter(role=Message.Role.ASSISTANT).last()
        if latest is not None and broadcast.claim_orphan(latest):
            return latest.pk
        return None

    def _resume(self, message_id: int, cancelled: threading.Event, emit: Any) -> None:
        try:
            principal = self._principal()
            if principal is None:
                raise NotFound("Sign in again to see this answer.")
            conversation = selectors.conversation_get(
                conversation_id=self.conversation_id, principal=principal
            )
            message = selectors.message_get(conversation=conversation, message_id=message_id)
            events = services.answer_resume_events(
                message=message, principal=principal, cancel=cancelled.is_set
            )
            for event in events:
                emit(event)
        except AiserError as error:
            emit(dump_event(ErrorEvent(code=error.code, message=error.message, message_id=message_id)))
        except Exception:
            logger.exception("answering again on conversation %s failed", self.conversation_id)
            emit(dump_event(ErrorEvent(code="server_error", message=UNEXPECTED, message_id=message_id)))

    def _ask(self, text: str, cancelled: threading.Event, emit: Any, follows: int | None = None) -> None:
        try:
            principal = self._principal()
            if principal is None:
                raise NotFound("Sign in again to ask questions.")
            conversation = selectors.conversation_get(
                conversation_id=self.conversation_id, principal=principal
            )
            services.message_ask(
                conversation=conversation,
                principal=principal,
                content=text,
                on_event=emit,
                cancel=cancelled.is_set,
                follows=follows,
            )
        except AiserError as error:
            emit(dump_event(ErrorEvent(code=error.code, message=error.message, message_id=None)))
        except Exception:
            logger.exception("answering on conversation %s failed", self.conversation_id)
            emit(dump_event(ErrorEvent(code="server_error", message=UNEXPECTED, message_id=None)))

    # --- forwarding ------------------------------------------------------------------------------

    async def _answer(self, work: Callable[[threading.Event, Any], None]) -> None:
        """Run `work(cancelled, emit)` (asking or answering again) in a thread of its own and forward its
        events to the socket."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()

        def emit(event: Any) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, event)

        def run() -> None:
            broadcast.origin.set(self.channel_name)  # this connection sends the events itself
            try:
                work(cancelled, emit)
            finally:
                emit(_END)

        cancelled = self.cancelled
        # A thread for this answer alone, so a slow model never holds up other connections' calls.
        async with ThreadSensitiveContext():
            running = asyncio.create_task(in_scope(self.scope, run)())
            while (event := await queue.get()) is not _END:
                self.answer_ended = event.get("type") in ("done", "error", "cancelled")
                await self._send(event)
            await running

    async def _send(self, event: EventJSON) -> None:
        if not self.closed:
            await self.send_json(event)


def _error(code: str, message: str) -> EventJSON:
    """An error about the client's message itself, before any answer was started."""
    return dump_event(ErrorEvent(code=code, message=message))
