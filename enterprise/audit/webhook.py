# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Stream audit entries to an organisation's webhook: a signed JSON body, one entry per request.

Signature: `X-Aiser-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>." + body)>` with the Unix time
in `X-Aiser-Timestamp`; receivers recompute it and refuse timestamps older than a few minutes (replay).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from django.conf import settings

from chat2chart.core.errors import ConnectionFailed
from chat2chart.core.secrets import decrypt_secret
from chat2chart.sources.netsafety import resolve_public_address
from enterprise.audit.models import AuditEntry, AuditSettings

TIMEOUT_S = 10.0


class DeliveryFailed(Exception):
    """The webhook did not accept the entry (network error or a non-2xx answer); the task retries."""


def entry_payload(entry: AuditEntry, workspace: str) -> dict[str, Any]:
    """The JSON form of an entry, as the webhook, the JSON Lines export and the API give it."""
    return {
        "id": entry.pk,
        "organization": workspace,
        "created_at": entry.created_at.isoformat(),
        "actor_id": entry.actor_id,
        "actor": entry.actor_label,
        "api_key_id": entry.api_key_id,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "changes": entry.changes,
        "data": entry.data,
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "request_id": entry.request_id,
    }


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Aiser-Signature` value for `body` sent at `timestamp` (Unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def deliver(entry: AuditEntry, stored: AuditSettings, workspace: str) -> int:
    """POST the entry to the webhook; returns the HTTP status. Raises `DeliveryFailed` on a network error
    or a non-2xx answer, and `ConnectionFailed` when the URL points at a private address in production."""
    url = stored.webhook_url
    parts = urlsplit(url)
    resolve_public_address(
        parts.hostname or "",
        parts.port or (443 if parts.scheme == "https" else 80),
        allow_private=settings.AISER_ALLOW_PRIVATE_SOURCES,
    )
    secret = str(decrypt_secret(stored.webhook_secret).get("secret", ""))
    if not secret:
        raise ConnectionFailed("The audit webhook has no secret; save the webhook again.")
    body = orjson.dumps(entry_payload(entry, workspace))
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "X-Aiser-Timestamp": str(timestamp),
        "X-Aiser-Signature": sign(secret, timestamp, body),
        "X-Aiser-Event": entry.action,
    }
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT_S, follow_redirects=False)
    except httpx.HTTPError as error:
        raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"the webhook answered {response.status_code}")
    return response.status_code
