# SPDX-License-Identifier: MIT
"""Embedding settings of a workspace: its secret (Fernet-encrypted at rest), the token audience,
the origins allowed to frame embeds, and the one place embed tokens are signed and verified."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import jwt
from django.db import transaction
from django.utils import timezone

from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden
from chat2chart.core.principal import Principal
from chat2chart.core.secrets import SecretUnreadable, decrypt_secret, encrypt_secret, rotate_secret
from chat2chart.dashboards.models import Dashboard, EmbedSettings
from chat2chart.dashboards.tokens import EmbedClaims, EmbedTokenInvalid, claims_from_payload
from chat2chart.workspaces.selectors import workspace_settings
from chat2chart.workspaces.services import workspace_settings_update

ALGORITHM = "HS256"


class EmbedResourceMissing(EmbedTokenInvalid):
    """A well-signed token for a dashboard that no longer exists."""


def clock() -> datetime:
    """The time tokens are checked against; tests replace it to move past a token's expiry."""
    return timezone.now()


def embed_audience() -> str:
    """The `aud` every token of this workspace carries: the workspace's id."""
    return hooks.current_workspace()


def embed_settings() -> EmbedSettings | None:
    return EmbedSettings.objects.order_by("pk").first()


def embed_secret() -> str | None:
    """The workspace's current secret, or None when embedding was never set up (or its key is gone)."""
    stored = embed_settings()
    if stored is None or not stored.secret:
        return None
    try:
        return decrypt_secret(stored.secret).get("secret")
    except SecretUnreadable:
        return None


def embed_secret_reencrypt() -> bool:
    """The same embedding secret encrypted with the first Fernet key (key rotation); tokens keep working."""
    stored = embed_settings()
    if stored is None or not stored.secret:
        return False
    EmbedSettings.objects.filter(pk=stored.pk).update(secret=rotate_secret(stored.secret))
    return True


@transaction.atomic
def embed_secret_rotate(*, actor: Principal) -> str:
    """A new secret, returned once; tokens signed with the old one stop working at once."""
    if not hooks.can(actor, hooks.MANAGE):
        raise Forbidden("Only admins can change the embedding secret.")
    secret = secrets.token_urlsafe(32)
    stored = EmbedSettings.objects.select_for_update().order_by("pk").first() or EmbedSettings()
    first_time = stored.secret is None
    stored.secret = encrypt_secret({"secret": secret})
    stored.rotated_at = timezone.now()
    stored.save()
    hooks.record_audit(
        action="embedding.secret_create" if first_time else "embedding.secret_rotate",
        actor=actor,
        target_type="embedding",
        target_id=stored.pk,
    )
    return secret


def embed_allowed_origins() -> list[str]:
    """Origins allowed to frame this workspace's embeds (its `WorkspaceSettings`)."""
    return [str(origin) for origin in workspace_settings().embed_allowed_origins]


def embed_origins_update(*, actor: Principal, origins: Any) -> list[str]:
    """Replace the allowed origins (a list, or a string separated by spaces); returns them cleaned.

    Raises `Forbidden` for non-admins, `ValidationFailed` for anything that is not scheme://host[:port].
    """
    if not hooks.can(actor, hooks.MANAGE):
        raise Forbidden("Only admins can change where dashboards may be embedded.")
    return list(
        workspace_settings_update(principal=actor, embed_allowed_origins=origins).embed_allowed_origins
    )


def frame_ancestors() -> str:
    """The CSP directive for embed pages: the workspace's own host plus its allowed origins."""
    return " ".join(["frame-ancestors", "'self'", *embed_allowed_origins()])


def sign_embed_token(
    *,
    secret: str,
    audience: str,
    dashboard_id: int,
    expires_at: datetime,
    params: dict[str, Any] | None = None,
    theme: str | None = None,
    bordered: bool = True,
    titled: bool = True,
    drill: bool = False,
) -> str:
    """What a customer's server does; the API's embed-url endpoint and the tests use it too."""
    claims: dict[str, Any] = {
        "resource": {"dashboard": dashboard_id},
        "params": params or {},
        "aud": audience,
        "exp": int(expires_at.timestamp()),
        "bordered": bordered,
        "titled": titled,
    }
    if drill:
        claims["drill"] = True
    if theme:
        claims["theme"] = theme
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_embed_token(token: str, *, secret: str, audience: str, now: datetime | None = None) -> EmbedClaims:
    """The claims of a token signed with `secret` for `audience`, valid at `now`; else EmbedTokenInvalid."""
    payload = decode_embed_token(token, secret=secret, audience=audience)
    return claims_from_payload(payload, now=now or datetime.now(UTC))


def decode_embed_token(token: str, *, secret: str, audience: str) -> dict[str, Any]:
    """The payload of any embed token (dashboard or chat) whose signature and audience check out;
    its expiry is left to the caller, who checks it against its `now` (so tests can move the clock)."""
    try:
        return jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            options={"require": ["exp", "aud", "resource"], "verify_exp": False},
        )
    except jwt.PyJWTError as error:
        raise EmbedTokenInvalid(f"token rejected: {type(error).__name__}") from error


def verify_request_token(token: str, *, now: datetime | None = None) -> tuple[EmbedClaims, Dashboard]:
    """The claims and dashboard of an embed request; EmbedTokenInvalid for anything else.

    Called on every embed request, the page and each data request alike, so an expired or
    rotated-away token stops serving data at once.
    """
    secret = embed_secret()
    if secret is None:
        raise EmbedTokenInvalid("embedding is not set up in this workspace")
    claims = verify_embed_token(token, secret=secret, audience=embed_audience(), now=now or clock())
    dashboard = Dashboard.objects.filter(pk=claims.dashboard_id).first()
    if dashboard is None:
        raise EmbedResourceMissing("no such dashboard")
    return claims, dashboard
