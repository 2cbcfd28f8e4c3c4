# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Ends sessions not made by SSO on hosts whose organisation requires it (see enterprise.sso.login)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from chat2chart.core.api import error_response
from enterprise.sso.login import SSO_SESSION_KEY, password_refused

_EXEMPT = ("/accounts/sso/", "/accounts/logout/", "/static/", "/healthz", "/readyz")


class RequireSsoMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        if (
            tenant is not None
            and tenant.schema_name != "public"
            and user is not None
            and user.is_authenticated
            and request.session.get(SSO_SESSION_KEY) != tenant.pk
            and not request.path.startswith(_EXEMPT)
            and password_refused(tenant, user)
        ):
            logout(request)
            message = f"{tenant.name} signs in with single sign-on."
            if request.path.startswith("/api/"):
                return error_response(401, message + " Sign in again at /accounts/sso/.", code="sso_required")
            messages.info(request, message)
            return redirect("sso_start")
        return self.get_response(request)
