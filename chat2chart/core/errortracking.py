# SPDX-License-Identifier: MIT
"""Error reports to a Sentry-compatible service (Sentry, GlitchTip, ...), only when SENTRY_DSN is set.

Nothing personal leaves the server: the SDK is told not to send personal data (`send_default_pii`
off: no user address, IP, cookies or request bodies), and `scrub_event` removes what could still
slip through in an error's text or a header: email addresses, API keys and bearer tokens, the
Authorization and Cookie headers, cookies and query strings. A person appears as their id only. Frames
carry no local variables and there are no Redis breadcrumbs (cache keys name sessions).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from sentry_sdk.types import Breadcrumb, BreadcrumbHint, Event, Hint

SCRUBBED = "[scrubbed]"
_SECRET_HEADERS = {"authorization", "cookie", "set-cookie", "x-api-key", "proxy-authorization", "x-csrftoken"}
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Aiser API keys (`ak_<prefix>_<secret>`), bearer tokens and Sentry-style secrets in URLs or messages.
_TOKENS = re.compile(r"\bak_[0-9a-f]{8}_[A-Za-z0-9_-]+|(?i:bearer)\s+[A-Za-z0-9._~+/=-]+")


def sentry_init(*, dsn: str, environment: str | None, traces_sample_rate: float = 0.0) -> None:
    """Start reporting errors to `dsn` (Django, logging and Celery integrations), with `scrub_event`
    applied to every event and breadcrumb. Logged errors (level ERROR) become events."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.redis import RedisIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # Redis breadcrumbs carry cache keys, and those name session keys; a frame's local
        # variables may hold a customer's rows or a person's details.
        disabled_integrations=[RedisIntegration()],
        include_local_variables=False,
        before_send=_before_send,
        before_breadcrumb=_before_breadcrumb,
        max_request_body_size="never",
    )


def _before_send(event: Event, hint: Hint) -> Event | None:
    return cast("Event", scrub_event(dict(event)))


def _before_breadcrumb(crumb: Breadcrumb, hint: BreadcrumbHint) -> Breadcrumb | None:
    return scrub_event(dict(crumb))


def scrub_event(event: dict[str, Any]) -> dict[str, Any]:
    """`event` (a Sentry event or breadcrumb) with secret headers, cookies, query strings and the
    user's identity other than their id removed, and emails and API keys masked in every string."""
    request = event.get("request")
    if isinstance(request, dict):
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: SCRUBBED if name.lower() in _SECRET_HEADERS else value
                for name, value in headers.items()
            }
        for field in ("cookies", "data", "query_string"):
            if field in request:
                request[field] = SCRUBBED
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    return _mask(event)


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return _TOKENS.sub(SCRUBBED, _EMAIL.sub(SCRUBBED, value))
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(item) for item in value]
    return value
