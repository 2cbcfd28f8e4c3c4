# SPDX-License-Identifier: MIT
"""Who may do what with conversations: the only place these rules live.

A conversation is private to its owner; those who manage the workspace (admins) see and delete every
one. Its owner may delete it whatever their role, a viewer too. Asking needs ASK, running one's own SQL
needs EDIT. An embedded chat's end user has no account: it asks only in its own embed conversations
(`can_embed_user_ask`) and never runs SQL (an embed principal never holds EDIT). An API key has an
owner's rights only with its own role (see `Principal.owns`), except over the conversations it started
itself (they record the key), which it always sees and uses.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from chat2chart.core import hooks
from chat2chart.core.principal import OWNERSHIP, Principal


def can_view_conversation(principal: Principal, conversation: Any) -> bool:
    if not hooks.can(principal, hooks.VIEW, conversation):
        return False
    return principal.owns(conversation) or hooks.can(principal, hooks.MANAGE, "conversation")


def can_see_embedded_conversations(principal: Principal) -> bool:
    """The organisation's embedded chats' conversations (its customers' end users): those who manage
    conversations (owners and admins), read-only."""
    return hooks.can(principal, hooks.VIEW) and hooks.can(principal, hooks.MANAGE, "conversation")


def can_delete_conversation(principal: Principal, conversation: Any) -> bool:
    # Stated on purpose: the owner may delete their own conversation even as a viewer.
    return can_view_conversation(principal, conversation)


def can_start_conversation(principal: Principal) -> bool:
    return hooks.can(principal, hooks.ASK, "conversation")


def can_ask_in_conversation(principal: Principal, conversation: Any) -> bool:
    """Ask a question or re-run an answer in the conversation."""
    return can_view_conversation(principal, conversation) and hooks.can(principal, hooks.ASK, conversation)


def can_embed_user_ask(principal: Principal, conversation: Any, *, embed_user: str) -> bool:
    """An embedded chat's end user (an embed principal made from a verified chat token) asks only in the
    conversations kept for the external id its token names; never in a member's conversation."""
    return (
        principal.kind == "embed"
        and hooks.ASK in principal.scopes
        and bool(embed_user)
        and getattr(conversation, "embed_user_id", "") == embed_user
    )


def can_run_own_sql(principal: Principal) -> bool:
    return hooks.can(principal, hooks.EDIT, "sql")


def visible_conversations(principal: Principal, conversations: QuerySet, *, everyone: bool) -> QuerySet:
    """The principal's own conversations; `everyone`: all of them, for those who manage the workspace."""
    if not hooks.can(principal, hooks.VIEW):
        return conversations.none()
    if everyone and hooks.can(principal, hooks.MANAGE, "conversation"):
        return conversations.all()
    if principal.user_id is None:
        return conversations.none()
    if OWNERSHIP not in principal.scopes:
        if principal.api_key_id is None:
            return conversations.none()
        return conversations.filter(owner_id=principal.user_id, api_key_id=principal.api_key_id)
    return conversations.filter(owner_id=principal.user_id)


RULES = {
    "view": can_view_conversation,
    "delete": can_delete_conversation,
    "ask": can_ask_in_conversation,
}
