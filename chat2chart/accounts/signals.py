# SPDX-License-Identifier: MIT
"""Sign-in history from allauth's and Django's signals (connected in `AccountsConfig.ready`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from chat2chart.accounts.services import login_event_record
from chat2chart.accounts.sessions import usersession_mark_host


def on_user_logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """allauth's `user_logged_in`: every flow that completes a sign-in (password, SAML, OIDC, passkey),
    after MFA when the person has it."""
    login_event_record(request=request, user=user, succeeded=True)
    # allauth.usersessions made the session's row just before (its app is ready first).
    usersession_mark_host(request)


def on_user_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Django's `user_login_failed`: a wrong password or an unknown address (credentials are cleansed)."""
    email = str(credentials.get("email") or credentials.get("username") or "")
    login_event_record(request=request, user=_user_with(email), email=email, succeeded=False)


def _user_with(email: str) -> Any:
    from django.contrib.auth import get_user_model

    if not email:
        return None
    return get_user_model().objects.filter(email__iexact=email.strip()).first()
