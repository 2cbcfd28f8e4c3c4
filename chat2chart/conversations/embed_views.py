# SPDX-License-Identifier: MIT
"""Embedded chat pages and endpoints, opened by a chat token (`/embed/chat/<token>`): the iframe page,
the conversation's history, asking (Server-Sent Events or JSON) and the web component's script.

Every request verifies its token again, so an expired or rotated-away token stops answering at once.
Requests that change something must come from the product's own origin (the iframe page), with an
`Origin` header: a page elsewhere, or a script without a browser, holding a token cannot ask with it.
Refusals: 403 "This chat is not available." for every token or origin failure (bad signature, expired,
another organisation's audience, no or foreign Origin), 404 only when the token is good but its source
or table no longer exists, 429 for rate and quota refusals.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from chat2chart.charts.registry import chart_types
from chat2chart.conversations import embed, selectors
from chat2chart.conversations.embed_strings import (
    BAD_BODY,
    NOT_AVAILABLE,
    TOO_MANY_QUESTIONS,
    localized,
    strings_for,
)
from chat2chart.conversations.embed_tokens import ChatClaims
from chat2chart.conversations.events import TERMINAL_EVENTS
from chat2chart.conversations.pipeline import drive
from chat2chart.conversations.sse import event_stream, wants_event_stream
from chat2chart.core import hooks
from chat2chart.core.api import error_response
from chat2chart.core.errors import AiserError, NotFound
from chat2chart.dashboards import embedding
from chat2chart.dashboards.tokens import EmbedTokenInvalid

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponseBase]


def _refusal(request: HttpRequest, status: int, *, json_body: bool, locale: str = "en") -> HttpResponse:
    """The same answer for every failed check: nothing tells an attacker which one failed. In English
    unless the token was read (`locale`): a token that cannot be read names no language."""
    response: HttpResponse
    message = localized(locale, NOT_AVAILABLE)
    if json_body:
        response = error_response(status, message, code="not_available")
    else:
        response = render(request, "embed/error.html", {"message": message}, status=status)
        response["Content-Security-Policy"] = embedding.frame_ancestors()
    response["Cache-Control"] = "no-store"
    return response


def _same_origin(request: HttpRequest) -> bool:
    """True when the request may act: a read (GET, HEAD) from anywhere the token went, or a change from
    the product's own origin. A state-changing request without an `Origin` header is refused: the token
    is the only credential, so a script or server holding it must not ask in the end user's name
    (browsers send `Origin` with every POST; the widget sends it even under its no-referrer policy)."""
    if request.method in ("GET", "HEAD"):
        return True
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return False
    # Host and port only: behind a TLS-terminating proxy the request's own scheme may read "http".
    return urlsplit(origin).netloc.lower() == request.get_host().lower()


def chat_token_required(*, json_body: bool) -> Callable[[View], View]:
    """Rate-limit the request (per client address and per token), verify its token, and pass the claims
    on; refusals are a JSON error or the embed error page."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def checked(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            decision = embed.embed_rate_check(token=token, address=request.META.get("REMOTE_ADDR", ""))
            request.aiser_rate_decision = decision  # type: ignore[attr-defined]
            if not decision.allowed:
                message = f"Too many requests. Try again in {decision.retry_after_s} seconds."
                return error_response(429, message, code="rate_limited")
            if not _same_origin(request):
                return _refusal(request, 403, json_body=True)
            try:
                claims = embed.chat_token_verify(token)
            except EmbedTokenInvalid as error:
                logger.info("chat token refused: %s", error)
                return _refusal(request, 403, json_body=json_body)
            return view(request, token, claims, *args, **kwargs)

        return checked

    return decorate


def embed_chat_page_config(token: str, claims: ChatClaims, conversation_id: int) -> dict[str, Any]:
    """The widget's config: its endpoints (the transport's URL scheme with the token in the conversation's
    place), the server's event vocabulary, the token's locale strings, theme and CSV right."""
    language, strings = strings_for(claims.locale)
    return {
        "conversation": token,
        "conversationId": conversation_id,
        "canEditSql": False,
        "canSaveChart": False,
        "csv": claims.csv,
        "language": language,
        "strings": strings,
        "userName": claims.user_name,
        # The framing pages the widget may post its `answer` and `error` events to.
        "parentOrigins": embedding.embed_allowed_origins(),
        "urls": {
            # The transport asks at `<conversations><conversation>/messages/`: here, the token's address.
            "conversations": reverse("embed-chat-ask", args=[token]).removesuffix(f"{token}/messages/"),
            "history": reverse("embed-chat-history", args=[token]),
            "websocket": "/ws/embed/chat/",
        },
        "events": {
            "terminal": sorted(TERMINAL_EVENTS),
            "stages": {stage: strings[stage] for stage in ("planning", "querying", "rendering")},
        },
        "chartTypes": [{"id": t.id, "name": t.name} for t in chart_types()],
    }


@xframe_options_exempt
@require_GET
@chat_token_required(json_body=False)
def embed_chat_page(request: HttpRequest, token: str, claims: ChatClaims) -> HttpResponse:
    try:
        conversation = embed.embed_conversation_open(claims=claims)
    except NotFound:
        return _refusal(request, 404, json_body=False, locale=claims.locale)
    hooks.observe("embed_view", kind="chat")
    config = embed_chat_page_config(token, claims, conversation.pk)
    response = render(
        request,
        "embed/chat.html",
        {
            "config": config,
            "strings": config["strings"],
            "greeting": config["strings"]["greeting"].format(name=claims.user_name),
            "theme": claims.theme or "light",
        },
    )
    response["Content-Security-Policy"] = embedding.frame_ancestors()
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
@chat_token_required(json_body=True)
def embed_chat_history(request: HttpRequest, token: str, claims: ChatClaims) -> HttpResponse:
    try:
        conversation = embed.embed_conversation_open(claims=claims)
    except NotFound:
        return _refusal(request, 404, json_body=True, locale=claims.locale)
    response = JsonResponse(embed.embed_history(conversation, locale=claims.locale))
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # no cookie authenticates this request: the token in its URL does
@require_POST
@chat_token_required(json_body=True)
def embed_chat_ask(request: HttpRequest, token: str, claims: ChatClaims) -> HttpResponseBase:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return error_response(400, localized(claims.locale, BAD_BODY))
    if not isinstance(body, dict):
        return error_response(400, localized(claims.locale, BAD_BODY))
    follows = body.get("follows")
    if follows is not None and (not isinstance(follows, int) or isinstance(follows, bool) or follows < 1):
        return error_response(400, '"follows" must be the id of an answer in this conversation.')
    decision = embed.embed_question_rate_check(claims=claims)
    if not decision.allowed:
        message = localized(claims.locale, TOO_MANY_QUESTIONS, seconds=decision.retry_after_s)
        return error_response(429, message, code="rate_limited")
    try:
        conversation = embed.embed_conversation_open(claims=claims)
    except NotFound:
        return _refusal(request, 404, json_body=True, locale=claims.locale)
    cancelled = threading.Event()
    try:
        events = embed.embed_ask_events(
            claims=claims,
            conversation=conversation,
            content=str(body.get("content") or ""),
            cancel=cancelled.is_set,
            follows=follows,
        )
    except AiserError as error:
        return error_response(error.status, error.message, code=error.code)
    if wants_event_stream(request):
        return event_stream(request, events, cancelled)
    answer = drive(events, None)
    return JsonResponse(embed.embed_message(selectors.message_body(answer), locale=claims.locale), status=201)


@require_GET
def embed_chat_script(request: HttpRequest) -> HttpResponse:
    """`/embed/chat.js`, the one script a customer's page loads: the `<aiser-chat>` web component, at
    its versioned static address."""
    response = HttpResponseRedirect(static("js/embed/aiser-chat.js"))
    response["Cache-Control"] = "public, max-age=300"
    return response
