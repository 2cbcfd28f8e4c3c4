# SPDX-License-Identifier: MIT
"""Embedded chat token claims: what an HS256 JWT signed with the organisation's embedding secret may
carry to open the chat for one end user of a customer's product.

Claims: `resource` ({"chat": {"source": id, "table": name}} or {"chat": {"model": id}}, exactly one of
the two: a table, or a semantic model whose members answer), `user` ({"id": opaque external id,
"name": display name}), `params` (locked row filters, e.g. {"customer_id": 42}), `exp` (required, at
most 24 hours ahead), `aud` (the organisation's id), and optional `locale`, `theme` ("light"/"dark") and
`csv` (true: the end user may download answers as CSV). Signature checks live in
`dashboards.embedding`; this module only turns a decoded payload into `ChatClaims`. No Django here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chat2chart.dashboards.tokens import EmbedTokenInvalid, checked_expiry, checked_theme, locked_params

MAX_USER_ID = 255
MAX_USER_NAME = 200
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True, kw_only=True)
class ChatClaims:
    """A verified chat token. `user_id` is the customer's opaque id of its end user. A token naming a
    semantic model has `model_id`; its `source_id` and `table` are 0 and "" until `embed.chat_token_verify`
    fills in the source and table of the model's main cube (where its conversations are kept)."""

    source_id: int = 0
    table: str = ""
    model_id: int | None = None
    user_id: str
    expires_at: datetime
    user_name: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    locale: str = "en"
    theme: str | None = None
    csv: bool = False


def chat_claims_from_payload(claims: dict[str, Any], *, now: datetime) -> ChatClaims:
    """The typed claims of a decoded (signature-checked) payload, valid at `now`; else EmbedTokenInvalid."""
    expires_at = checked_expiry(claims.get("exp"), now=now)
    source_id, table, model_id = _chat_resource(claims.get("resource"))
    user_id, user_name = _end_user(claims.get("user"))
    csv = claims.get("csv", False)
    if not isinstance(csv, bool):
        raise EmbedTokenInvalid("csv must be true or false")
    return ChatClaims(
        source_id=source_id,
        table=table,
        model_id=model_id,
        user_id=user_id,
        user_name=user_name,
        expires_at=expires_at,
        params=locked_params(claims.get("params")),
        locale=_locale(claims.get("locale")),
        theme=checked_theme(claims.get("theme")),
        csv=csv,
    )


def _chat_resource(resource: Any) -> tuple[int, str, int | None]:
    if not isinstance(resource, dict) or set(resource) != {"chat"} or not isinstance(resource["chat"], dict):
        raise EmbedTokenInvalid(
            "resource must be {'chat': {'source': id, 'table': name}} or {'chat': {'model': id}}"
        )
    chat = resource["chat"]
    if "model" in chat:
        model_id = chat["model"]
        if set(chat) != {"model"}:
            raise EmbedTokenInvalid("resource.chat names a model or a source and table, not both")
        if isinstance(model_id, bool) or not isinstance(model_id, int) or model_id < 1:
            raise EmbedTokenInvalid("resource.chat.model must be a positive integer")
        return 0, "", model_id
    source_id, table = chat.get("source"), chat.get("table")
    if isinstance(source_id, bool) or not isinstance(source_id, int) or source_id < 1:
        raise EmbedTokenInvalid("resource.chat.source must be a positive integer")
    if not isinstance(table, str) or not table.strip():
        raise EmbedTokenInvalid("resource.chat.table must name a table")
    return source_id, table, None


def _end_user(user: Any) -> tuple[str, str]:
    if not isinstance(user, dict):
        raise EmbedTokenInvalid("user must be {'id': ..., 'name': ...}")
    user_id, name = user.get("id"), user.get("name", "")
    if isinstance(user_id, int) and not isinstance(user_id, bool):
        user_id = str(user_id)
    if not isinstance(user_id, str) or not user_id.strip() or len(user_id) > MAX_USER_ID:
        raise EmbedTokenInvalid(f"user.id must be a string of 1 to {MAX_USER_ID} characters")
    if not isinstance(name, str) or len(name) > MAX_USER_NAME:
        raise EmbedTokenInvalid(f"user.name must be a string of at most {MAX_USER_NAME} characters")
    return user_id.strip(), " ".join(name.split())


def _locale(locale: Any) -> str:
    if locale is None:
        return "en"
    if not isinstance(locale, str) or not _LOCALE.match(locale):
        raise EmbedTokenInvalid("locale must be a language tag such as 'en' or 'fr-CA'")
    return locale
