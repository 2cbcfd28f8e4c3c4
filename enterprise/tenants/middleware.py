# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Request routing by host: the organisation's schema, and 404 for people who are not its members."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
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


class MembershipMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == "public":
            return self.get_response(request)
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
