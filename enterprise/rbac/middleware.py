# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""An organisation that requires two-factor authentication sends members without it to enrolment."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from chat2chart.core.api import error_response
from enterprise.rbac.models import OrganizationSecurity

# Where a member without MFA may still go: enrolment itself, signing out, static files, health.
ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/readyz")
_CACHE_S = 300


def mfa_required(organization_id: int) -> bool:
    """Whether the organisation requires MFA (cached; `organization_security_update` clears it)."""
    key = f"rbac:require-mfa:{organization_id}"
    required = cache.get(key)
    if required is None:
        required = OrganizationSecurity.objects.filter(
            organization_id=organization_id, require_mfa=True
        ).exists()
        cache.set(key, required, _CACHE_S)
    return bool(required)


class RequireMfaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        if (
            tenant is None
            or tenant.schema_name == "public"
            or user is None
            or not user.is_authenticated
            or request.path.startswith(ALLOWED_PREFIXES)
            or not mfa_required(tenant.pk)
            or request.session.get("aiser_mfa_enrolled")
        ):
            return self.get_response(request)
        if is_mfa_enabled(user):
            # Remembered for this session; removing the last authenticator signs the person out of
            # nothing, but the next sign-in checks again.
            request.session["aiser_mfa_enrolled"] = True
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return error_response(
                403, "This organisation requires two-factor authentication; set it up first."
            )
        return redirect("mfa_activate_totp")
