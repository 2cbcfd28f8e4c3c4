# SPDX-License-Identifier: MIT
"""Embed token claims: what an HS256 JWT signed with the workspace's embedding secret may carry.

Claims: `resource` ({"dashboard": id}), `params` (locked filter values), `exp` (required, at most
24 hours ahead), `aud` (the workspace's id, so a token only opens dashboards on its own host),
and optional `theme` ("light"/"dark"), `bordered` and `titled`. The clock is a parameter so that
expiry can be tested without sleeping. Signing and signature checks live in `embedding.py`; this
module only turns a decoded payload into `EmbedClaims`. No Django here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chat2chart.core.errors import ValidationFailed
from chat2chart.dashboards.filters import parse_locked

MAX_LIFETIME = timedelta(hours=24)
CLOCK_SKEW = timedelta(seconds=60)  # a customer's server clock may run a little ahead of ours
THEMES = ("light", "dark")


class EmbedTokenInvalid(Exception):
    """Why a token was refused; for logs only, never for the viewer."""


@dataclass(frozen=True)
class EmbedClaims:
    dashboard_id: int
    expires_at: datetime
    params: dict[str, Any] = field(default_factory=dict)
    theme: str | None = None
    bordered: bool = True
    titled: bool = True
    # Drill-through lists the rows behind a chart element (inside the locked values): only when the
    # customer's server asks for it, since a dashboard's viewers may be meant to see totals only.
    drill: bool = False


def claims_from_payload(claims: dict[str, Any], *, now: datetime) -> EmbedClaims:
    """The typed claims of a decoded (signature-checked) payload, valid at `now`; else EmbedTokenInvalid."""
    expires_at = checked_expiry(claims.get("exp"), now=now)
    return EmbedClaims(
        dashboard_id=_dashboard_id(claims.get("resource")),
        expires_at=expires_at,
        params=locked_params(claims.get("params")),
        theme=checked_theme(claims.get("theme")),
        bordered=_flag(claims, "bordered"),
        titled=_flag(claims, "titled"),
        drill=_flag(claims, "drill", default=False),
    )


def checked_expiry(value: Any, *, now: datetime) -> datetime:
    """The `exp` claim as a time after `now` and at most 24 hours ahead (every embed token kind)."""
    expires_at = _expiry(value)
    if expires_at <= now:
        raise EmbedTokenInvalid("token expired")
    if expires_at > now + MAX_LIFETIME + CLOCK_SKEW:
        raise EmbedTokenInvalid("token lives longer than 24 hours")
    return expires_at


def _expiry(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EmbedTokenInvalid("exp is not a number")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise EmbedTokenInvalid("exp is out of range") from error


def _dashboard_id(resource: Any) -> int:
    if not isinstance(resource, dict) or set(resource) != {"dashboard"}:
        raise EmbedTokenInvalid("resource must be {'dashboard': id}")
    dashboard_id = resource["dashboard"]
    if isinstance(dashboard_id, bool) or not isinstance(dashboard_id, int) or dashboard_id < 1:
        raise EmbedTokenInvalid("resource.dashboard must be a positive integer")
    return dashboard_id


def locked_params(params: Any) -> dict[str, Any]:
    """The `params` claim: locked filter values by column name (see `filters.parse_locked`)."""
    try:
        return parse_locked(params)
    except ValidationFailed as error:
        raise EmbedTokenInvalid(error.message) from error


def checked_theme(theme: Any) -> str | None:
    if theme is None:
        return None
    if theme not in THEMES:
        raise EmbedTokenInvalid("unknown theme")
    return theme


def _flag(claims: dict[str, Any], name: str, *, default: bool = True) -> bool:
    value = claims.get(name, default)
    if not isinstance(value, bool):
        raise EmbedTokenInvalid(f"{name} must be true or false")
    return value
