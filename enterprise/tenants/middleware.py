# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Request routing by host: the organisation's schema, and 404 for people who are not its members."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware

from chat2chart.core.api import error_response
from enterprise.rbac.cached import member_role
from enterprise.tenants.hosts import organization_for_host

# Paths on an organisation host that someone who is not (yet) a member may reach.
OPEN_PREFIXES = (
    "/accounts/",
    "/static/",
    "/healthz",
    "/readyz",
    "/embed/",
    "/public/",
    "/api/schema",
    "/api/docs",
)


class OrganizationMiddleware(TenantMainMiddleware):
    """django-tenants' host → schema routing, the organisation from the cache; unknown hosts get 404."""

    @staticmethod
    def hostname_from_request(request: HttpRequest) -> str:
        return request.get_host().split(":")[0].lower()

    def get_tenant(self, domain_model: Any, hostname: str) -> Any:
        # From the cache (enterprise.tenants.hosts): no database round trip to route a request.
        return organization_for_host(hostname)


# --- Suspended organisations (h/console) ---
# Paths a suspended organisation still serves: assets, probes, signing in and out.
SUSPENDED_OPEN_PREFIXES = ("/static/", "/healthz", "/readyz", "/accounts/")
# Paths answered with a JSON error rather than the page when suspended: the API, embeds, public links.
SUSPENDED_JSON_PREFIXES = ("/api/", "/embed/", "/public/")
SUSPENDED_MESSAGE = "This organisation is suspended. Its data is kept; contact support to reactivate it."


def suspended_response(request: HttpRequest, organization: Any) -> HttpResponse | None:
    """The refusal for a request to a suspended organisation, or None when it is active (or the path
    stays open). A JSON 403 (`organization_suspended`) for the API and embeds, else a page saying so."""
    if not organization.is_suspended or request.path.startswith(SUSPENDED_OPEN_PREFIXES):
        return None
    if request.path.startswith(SUSPENDED_JSON_PREFIXES):
        response: HttpResponse = error_response(403, SUSPENDED_MESSAGE, code="organization_suspended")
    else:
        response = render(
            request,
            "tenants/suspended.html",
            {"organization": organization, "message": SUSPENDED_MESSAGE},
            status=403,
        )
    response["Cache-Control"] = "no-store"
    return response


def _is_member(request: HttpRequest, organization: Any) -> bool:
    user = request.user
    return bool(user.is_authenticated and member_role(user_id=user.pk, organization=organization) is not None)


# --- end h/console


class MembershipMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == "public":
            return self.get_response(request)
        refused = suspended_response(request, tenant)  # h/console: before anything reads its data
        if refused is not None and (
            request.path.startswith(SUSPENDED_JSON_PREFIXES) or _is_member(request, tenant)
        ):
            return refused  # (people who are not members get the usual 404 or sign-in page below)
        user = request.user
        is_api = request.path.startswith("/api/")
        if user.is_authenticated:
            role = member_role(user_id=user.pk, organization=tenant)  # cached, invalidated on change
            if role is not None:
                user.aiser_role = role
            elif not request.path.startswith(OPEN_PREFIXES):
                if is_api:
                    return error_response(404, "Not found.")
                raise Http404("not a member")
        elif not is_api and not request.path.startswith(OPEN_PREFIXES):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)
