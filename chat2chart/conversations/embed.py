# SPDX-License-Identifier: MIT
"""Embedded chat: a customer's end user, holding a chat token its backend signed, asks questions about
one table, or one semantic model, inside the rows the token locks.

The token is verified on the page, on every request and on every websocket message (`chat_token_verify`),
like dashboard embeds. Its end user acts as an embed principal (`embed_principal`) carrying the locked
values; the query service ANDs them into every query the conversation runs (row access is enforced
centrally, not here). A token naming a model answers only from that model's members, each locked value
a filter on the model's dimension of that name, carried through the joins to every measure
(`model_answers.locked_member_filters`). Conversations are kept per external user id, so a later token
for the same id continues them; the organisation's admins see them with the members' conversations.
"""

from __future__ import annotations

import dataclasses
import hashlib
import zoneinfo
from collections.abc import Generator, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from chat2chart.conversations import selectors, services
from chat2chart.conversations.embed_strings import QUESTIONS_USED_UP, YOUR_QUESTIONS_USED_UP, localized
from chat2chart.conversations.embed_tokens import ChatClaims, chat_claims_from_payload
from chat2chart.conversations.model_answers import usable_model
from chat2chart.conversations.models import Conversation, Message
from chat2chart.conversations.narrative import first_questions
from chat2chart.conversations.pipeline import Cancel, Event, without_samples
from chat2chart.core import hooks
from chat2chart.core.errors import AiserError, LimitExceeded, NotFound
from chat2chart.core.principal import Principal
from chat2chart.core.ratelimit import RateDecision, check_rate
from chat2chart.dashboards import embedding
from chat2chart.dashboards.member_widgets import dimension_member
from chat2chart.dashboards.tokens import EmbedTokenInvalid
from chat2chart.semantic import selectors as semantic_selectors
from chat2chart.semantic.joins import JoinGraph
from chat2chart.semantic.model import Cube, Model
from chat2chart.sources import selectors as source_selectors
from chat2chart.workspaces.selectors import workspace_settings

# What an end user never receives: the SQL, the semantic query (the editor's input) and the model's
# usage. Events of these types are dropped; these keys are removed from message bodies.
HIDDEN_EVENTS = frozenset({"sql"})
HIDDEN_MESSAGE_KEYS = ("sql", "query", "query_outputs", "usage", "planner")


def chat_token_verify(token: str, *, now: datetime | None = None) -> ChatClaims:
    """The claims of a chat token signed with the organisation's embedding secret for its audience and
    valid at `now` (default: the embedding clock); else `EmbedTokenInvalid` (for logs only)."""
    secret = embedding.embed_secret()
    if secret is None:
        raise EmbedTokenInvalid("embedding is not set up in this workspace")
    payload = embedding.decode_embed_token(token, secret=secret, audience=embedding.embed_audience())
    claims = chat_claims_from_payload(payload, now=now or embedding.clock())
    return claims if claims.model_id is None else _model_claims(claims, claims.model_id)


def _model_claims(claims: ChatClaims, model_id: int) -> ChatClaims:
    """A model token's claims with the source and table of the model's main cube (where the end user's
    conversations are kept). Refused (`EmbedTokenInvalid`) when the model does not exist in this
    organisation or no longer validates, or when a locked param is not a dimension of the model (a
    member `cube.dim`, or a dimension name exactly one cube has): never an unrestricted answer.
    Checked on every request, so a model edited to drop a locked dimension stops answering at once."""
    stored = semantic_selectors.semantic_model_list().filter(pk=model_id).first()
    model = usable_model(stored) if stored is not None else None
    if model is None:
        raise EmbedTokenInvalid(f"semantic model {model_id} does not exist here or is not valid")
    missing = sorted(name for name in claims.params if dimension_member(model, name) is None)
    if missing:
        raise EmbedTokenInvalid(f"locked params that are no dimension of the model: {', '.join(missing)}")
    home = main_cube(model)
    source = home.source if home is not None and home.source is not None else model.source
    if home is None or home.sql_table is None or not isinstance(source, int):
        raise EmbedTokenInvalid(f"semantic model {model_id} has no table cube on a known source")
    return dataclasses.replace(claims, source_id=source, table=home.sql_table)


def main_cube(model: Model) -> Cube | None:
    """The cube a model chat is asked from: of the cubes reading a table (`sql_table`), the one that
    reaches the most other cubes through the model's joins, then the one with the most measures, then
    the first; None when no cube reads a table."""
    graph = JoinGraph(model)

    def reach(cube: Cube) -> tuple[int, int]:
        reached = sum(1 for c in model.cubes if graph.shortest_paths(cube.name, c.name, limit=1))
        return reached, len(cube.measures)

    tables = [c for c in model.cubes if c.sql_table is not None]
    return max(tables, key=reach, default=None)  # max keeps the first of equals


def sign_chat_token(
    *,
    secret: str,
    audience: str,
    source_id: int | None = None,
    table: str | None = None,
    model_id: int | None = None,
    user_id: str,
    expires_at: datetime,
    user_name: str = "",
    params: dict[str, Any] | None = None,
    **optional: Any,
) -> str:
    """What a customer's server does (the tests and the docs' examples do the same): a chat over
    `table` of `source_id`, or over the semantic model `model_id`. `optional`: `locale`, `theme`, `csv`."""
    import jwt

    chat: dict[str, Any] = (
        {"model": model_id} if model_id is not None else {"source": source_id, "table": table}
    )
    claims: dict[str, Any] = {
        "resource": {"chat": chat},
        "user": {"id": user_id, "name": user_name},
        "params": params or {},
        "aud": audience,
        "exp": int(expires_at.timestamp()),
        **{key: value for key, value in optional.items() if value is not None},
    }
    return jwt.encode(claims, secret, algorithm=embedding.ALGORITHM)


def embed_principal(claims: ChatClaims) -> Principal:
    """The end user's principal: no account, VIEW and ASK only (never EDIT: no SQL, no query editor),
    limited to the rows the token locks."""
    return Principal.for_embed(
        locked=claims.params, scopes=frozenset({hooks.VIEW, hooks.ASK}), embed_user=claims.user_id
    )


def embed_conversation_open(*, claims: ChatClaims) -> Conversation:
    """The end user's latest conversation about the token's table, else a new one.

    Raises `NotFound` when the source or table named by the token does not exist (any more)."""
    found = embed_conversation_find(claims=claims)
    if found is not None:
        return found
    source = source_selectors.source_get(claims.source_id)
    if claims.table not in {t.name for t in source_selectors.source_catalogue(source.pk)}:
        raise NotFound(localized(claims.locale, "This chat is not available."))
    with transaction.atomic():
        conversation = Conversation.objects.create(
            owner=None,
            source=source,
            table_name=claims.table,
            embed_user_id=claims.user_id,
            embed_user_name=claims.user_name,
        )
        hooks.record_audit(
            action="conversation.start",
            actor=embed_principal(claims),
            target_type="conversation",
            target_id=conversation.pk,
            data={"source": source.pk, "table": claims.table, "embed_user": claims.user_id},
        )
    return conversation


def embed_conversation_find(*, claims: ChatClaims) -> Conversation | None:
    """The end user's latest conversation about the token's table, or None."""
    return (
        Conversation.objects.filter(
            embed_user_id=claims.user_id, source_id=claims.source_id, table_name=claims.table
        )
        .select_related("source")
        .order_by("-updated_at", "-pk")
        .first()
    )


def embed_history(conversation: Conversation, *, locale: str = "en") -> dict[str, Any]:
    """The conversation and its messages as the widget shows them (without SQL or queries), their fixed
    sentences in `locale`'s language."""
    try:
        first = first_questions(without_samples(selectors.conversation_table(conversation)))
    except NotFound:  # the table went away: no suggestions, the conversation still opens
        first = []
    body = selectors.conversation_body(conversation, first_questions=first)
    body["messages"] = [
        embed_message(selectors.message_body(m), locale=locale) for m in selectors.message_list(conversation)
    ]
    return body


def embed_ask_events(
    *,
    claims: ChatClaims,
    conversation: Conversation,
    content: str,
    cancel: Cancel | None = None,
    follows: int | None = None,
) -> Generator[Event, None, Message]:
    """Save the end user's question and return the events that answer it, as the widget receives them.

    Counted in usage (`embed_question_asked`, with the external id) and checked against the
    organisation's question limit like a member's question."""
    try:
        embed_monthly_quota_check(claims=claims)
        events = services.ask_events(
            conversation=conversation,
            principal=embed_principal(claims),
            content=content,
            cancel=cancel,
            follows=follows,
            embed_user=claims.user_id,
            model_id=claims.model_id,
        )
    except LimitExceeded as error:
        # The end user is not the organisation's member: no plan details, only what happened.
        mine = error.message == YOUR_QUESTIONS_USED_UP
        raise LimitExceeded(
            localized(claims.locale, YOUR_QUESTIONS_USED_UP if mine else QUESTIONS_USED_UP)
        ) from error
    except AiserError as error:
        error.message = localized(claims.locale, error.message)
        raise
    hooks.record_usage("embed_question_asked", 1, embed_user=claims.user_id)
    return _embed_events(events, locale=claims.locale)


def embed_questions_this_month(*, user_id: str, now: datetime | None = None) -> int:
    """How many questions the end user `user_id` asked in this organisation's embedded chats during the
    calendar month of `now` (default: now) in the organisation's time zone, whatever table or token."""
    start, end = _calendar_month(now or timezone.now())
    return Message.objects.filter(
        conversation__embed_user_id=user_id,
        role=Message.Role.USER,
        created_at__gte=start,
        created_at__lt=end,
    ).count()


def embed_monthly_quota_check(*, claims: ChatClaims) -> None:
    """Raise `LimitExceeded` (with a message for the end user) when the organisation's monthly questions
    per end user (`embed_questions_per_user_month`) are used up for the token's user; no limit when unset.

    Counted from the questions saved in the database (durable, exact per calendar month); two questions
    sent at the same instant by the same end user may both pass at the last unit."""
    quota = workspace_settings().embed_questions_per_user_month
    if quota is None:
        return
    if embed_questions_this_month(user_id=claims.user_id) >= quota:
        hooks.observe("limit_refused", limit="embed_questions_per_user_month")
        raise LimitExceeded(YOUR_QUESTIONS_USED_UP)


def _calendar_month(now: datetime) -> tuple[datetime, datetime]:
    """[first instant of `now`'s month, first instant of the next) in the organisation's time zone."""
    local = now.astimezone(zoneinfo.ZoneInfo(workspace_settings().timezone))
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    # Arithmetic within one ZoneInfo is wall-clock arithmetic: the next month's midnight gets its own UTC
    # offset (a month that starts in summer time may end in winter time).
    return start, (start + timedelta(days=32)).replace(day=1)


def _embed_events(events: Generator[Event, None, Message], *, locale: str) -> Generator[Event, None, Message]:
    try:
        while True:
            event = next(events)
            if event.get("type") not in HIDDEN_EVENTS:
                yield embed_event(event, locale=locale)
    except StopIteration as stop:
        return stop.value
    finally:
        events.close()


def embed_event(event: Event, *, locale: str = "en") -> Event:
    """An answer event as the widget receives it: message bodies without SQL, query or usage; an error's
    message and the fixed sentences of a message in `locale`'s language (see `embed_strings`)."""
    message = event.get("message")
    if isinstance(message, dict):
        return {**event, "message": embed_message(message, locale=locale)}
    if event.get("type") == "error" and isinstance(message, str):
        return {**event, "message": localized(locale, message)}
    return event


def embed_message(body: dict[str, Any], *, locale: str = "en") -> dict[str, Any]:
    """A message body without SQL, query or usage; its narrative, content and error translated to
    `locale`'s language when they are one of the fixed sentences (see `embed_strings`)."""
    shown = {key: value for key, value in body.items() if key not in HIDDEN_MESSAGE_KEYS}
    for key in ("narrative", "content", "error"):
        if isinstance(shown.get(key), str) and shown[key]:
            shown[key] = localized(locale, shown[key])
    return shown


def visible_events(events: Iterator[Event]) -> Iterator[Event]:
    """`events` without those an end user never receives (for already-made event streams)."""
    return (embed_event(e) for e in events if e.get("type") not in HIDDEN_EVENTS)


def token_key(token: str) -> str:
    """A short name of a token for rate-limit counters (never the token itself in a cache key)."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def embed_rate_check(*, token: str, address: str) -> RateDecision:
    """One embed chat request (page, history, question): the client address's and the token's budgets
    (`AISER_EMBED_RATE` each). The first refusal is returned."""
    for caller in (address, f"token:{token_key(token)}"):
        decision = check_rate(caller, "embed")
        if not decision.allowed:
            return decision
    return decision


def embed_question_rate_check(*, claims: ChatClaims) -> RateDecision:
    """One question of an end user: `AISER_EMBED_CHAT_RATE` per external id (whatever token it holds)."""
    return check_rate(f"end-user:{claims.user_id}", "embed_chat")
