# SPDX-License-Identifier: MIT
"""Where a request came from, as sign-in history, sessions and the audit trail record it."""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest

USER_AGENT_MAX = 400


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the server saw it (`REMOTE_ADDR`; the ASGI server sets it from a trusted
    proxy's header), or None when there is none or it is not an IP address."""
    if request is None:
        return None
    raw = str(request.META.get("REMOTE_ADDR") or "").strip()
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def user_agent(request: HttpRequest | None) -> str:
    """The request's User-Agent, cut to what the tables keep."""
    if request is None:
        return ""
    return str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX]
