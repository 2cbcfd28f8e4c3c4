# SPDX-License-Identifier: MIT
"""A person's signed-in sessions (allauth.usersessions rows): list them, end one or all.

Sessions are per host (an organisation's subdomain keeps its own cookie), so each row records the host
it was made on; an organisation's admins end a member's sessions on their host only.
"""

from __future__ import annotations

from typing import Any

from allauth.usersessions.models import UserSession
from django.http import HttpRequest

from chat2chart.core.errors import NotFound


def usersession_touch(request: HttpRequest) -> None:
    """Create or refresh the row of the request's session (address, user agent, last seen, host)."""
    UserSession.objects.create_from_request(request)
    usersession_mark_host(request)


def usersession_mark_host(request: HttpRequest) -> None:
    """Record on the request's session row which host it belongs to (allauth does not)."""
    host = request.get_host().split(":")[0].lower()
    session = UserSession.objects.filter(session_key=request.session.session_key).first()
    if session is not None and session.data.get("host") != host:
        UserSession.objects.filter(pk=session.pk).update(data={**session.data, "host": host})


def usersession_list(user: Any) -> list[UserSession]:
    """The person's live sessions, most recently seen first (rows of ended sessions are removed)."""
    return sorted(UserSession.objects.purge_and_list(user), key=lambda s: s.last_seen_at, reverse=True)


def usersession_end(*, user: Any, session_id: int) -> None:
    """End one of the person's own sessions: its next request is signed out. Raises `NotFound` for a
    session that is not theirs."""
    session = UserSession.objects.filter(user_id=user.pk, pk=session_id).first()
    if session is None:
        raise NotFound("No such session.")
    session.end()


def usersession_end_all(*, user: Any, host: str | None = None, keep_key: str | None = None) -> int:
    """End the person's sessions (only those on `host` when given; all but `keep_key` when given);
    returns how many were ended."""
    ended = 0
    for session in UserSession.objects.filter(user_id=user.pk):
        if keep_key and session.session_key == keep_key:
            continue
        if host is not None and session.data.get("host") != host:
            continue
        session.end()
        ended += 1
    return ended
