# SPDX-License-Identifier: MIT
"""The person's security page: two-factor status, signed-in sessions (end one or all), sign-in history."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from chat2chart.accounts import sessions
from chat2chart.accounts.models import LoginEvent
from chat2chart.core.errors import NotFound

HISTORY_SHOWN = 50


@login_required
@require_GET
def security(request: HttpRequest) -> HttpResponse:
    user_id = int(request.user.pk or 0)  # login_required: a signed-in person
    context = {
        "authenticators": Authenticator.objects.filter(user_id=user_id).order_by("type"),
        "sessions": sessions.usersession_list(request.user),
        "current_key": request.session.session_key,
        "history": LoginEvent.objects.filter(user_id=user_id)[:HISTORY_SHOWN],
    }
    return render(request, "accounts/security.html", context)


@login_required
@require_POST
def session_end(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        sessions.usersession_end(user=request.user, session_id=pk)
    except NotFound as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Session ended.")
    if not request.session.exists(request.session.session_key or ""):
        logout(request)  # the person ended the session they are using
        return redirect("account_login")
    return redirect("account_security")


@login_required
@require_POST
def sessions_end_all(request: HttpRequest) -> HttpResponse:
    """End every other session; with `include_this=1`, this one too (signed out everywhere)."""
    include_this = request.POST.get("include_this") == "1"
    keep = None if include_this else request.session.session_key
    ended = sessions.usersession_end_all(user=request.user, keep_key=keep)
    if include_this:
        logout(request)
        return redirect("account_login")
    messages.success(request, f"Ended {ended} other session{'s' if ended != 1 else ''}.")
    return redirect("account_security")
