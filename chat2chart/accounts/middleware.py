# SPDX-License-Identifier: MIT
"""Keep each signed-in session's row (last seen, address, device) fresh, at most once a minute."""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from chat2chart.accounts.sessions import usersession_touch

TOUCH_EVERY_S = 60


class SessionActivityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        key = session.session_key if session is not None else None
        # One cache round trip per request; the database only when the minute has passed.
        if (
            key
            and user is not None
            and user.is_authenticated
            and cache.add(f"session-seen:{key}", 1, TOUCH_EVERY_S)
        ):
            usersession_touch(request)
        return self.get_response(request)
