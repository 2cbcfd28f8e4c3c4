# SPDX-License-Identifier: MIT
"""`ws/embed/chat/<token>/`: the embedded chat's websocket, the conversation websocket's protocol with a
chat token in place of a session.

The token is verified at the handshake (refused before anything is sent) and again for every question,
so a token that expires or whose secret is rotated mid-conversation gets no further answer. Events
reach the end user without SQL or queries (see `embed.py`). The same-origin check of the websocket
stack (`SameOriginMiddleware`) keeps pages elsewhere from opening it with a token.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from chat2chart.conversations import embed, selectors
from chat2chart.conversations.consumers import REFUSED, ConversationConsumer
from chat2chart.conversations.embed_strings import NOT_AVAILABLE, UNEXPECTED, localized
from chat2chart.conversations.embed_tokens import ChatClaims
from chat2chart.conversations.events import (
    ConversationBody,
    ErrorEvent,
    EventJSON,
    HistoryEvent,
    MessageBody,
    dump_event,
)
from chat2chart.conversations.models import Conversation
from chat2chart.conversations.pipeline import drive
from chat2chart.core.asyncdb import in_scope
from chat2chart.core.errors import AiserError, NotFound
from chat2chart.core.ratelimit import RateDecision
from chat2chart.dashboards.tokens import EmbedTokenInvalid

logger = logging.getLogger(__name__)


class EmbedChatConsumer(ConversationConsumer):
    async def connect(self) -> None:
        self.token = str(self.scope["url_route"]["kwargs"]["token"])
        self.answering = None
        self.answer_ended = False
        self.cancelled = threading.Event()
        self.closed = False
        history = await in_scope(self.scope, self._history)()
        if history is None:
            await self.close(code=REFUSED)
            return
        await self.accept()
        await self.send_json(history)

    # --- in the organisation's schema ------------------------------------------------------------

    def _claims(self) -> ChatClaims | None:
        try:
            return embed.chat_token_verify(self.token)
        except EmbedTokenInvalid as error:
            logger.info("chat token refused on the websocket: %s", error)
            return None

    @staticmethod
    def _open(claims: ChatClaims) -> Conversation | None:
        try:
            return embed.embed_conversation_open(claims=claims)
        except NotFound:
            return None

    def _check_rate(self) -> RateDecision:
        address = self.scope.get("client", [""])[0] or ""
        decision = embed.embed_rate_check(token=self.token, address=address)
        claims = self._claims()
        if not decision.allowed or claims is None:
            return decision  # an invalid token is refused by `_ask`, with the plain message
        return embed.embed_question_rate_check(claims=claims)

    def _history(self) -> EventJSON | None:
        claims = self._claims()
        conversation = self._open(claims) if claims else None
        if conversation is None:
            return None
        history = dump_event(
            HistoryEvent(
                conversation=ConversationBody.model_validate(selectors.conversation_body(conversation)),
                messages=[
                    MessageBody.model_validate(selectors.message_body(m))
                    for m in selectors.message_list(conversation)
                ],
            )
        )
        locale = claims.locale if claims else "en"
        return {**history, "messages": [embed.embed_message(m, locale=locale) for m in history["messages"]]}

    def _ask(self, text: str, cancelled: threading.Event, emit: Any, follows: int | None = None) -> None:
        claims: ChatClaims | None = None
        try:
            claims = self._claims()
            conversation = self._open(claims) if claims else None
            if claims is None or conversation is None:
                message = localized(claims.locale if claims else "en", NOT_AVAILABLE)
                emit(dump_event(ErrorEvent(code="not_available", message=message, message_id=None)))
                return
            events = embed.embed_ask_events(
                claims=claims,
                conversation=conversation,
                content=text,
                cancel=cancelled.is_set,
                follows=follows,
            )
            drive(events, emit)
        except AiserError as error:
            emit(dump_event(ErrorEvent(code=error.code, message=error.message, message_id=None)))
        except Exception:
            logger.exception("answering in an embedded chat failed")
            message = localized(claims.locale if claims else "en", UNEXPECTED)
            emit(dump_event(ErrorEvent(code="server_error", message=message, message_id=None)))
