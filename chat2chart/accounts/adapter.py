# SPDX-License-Identifier: MIT
"""allauth adapter: where a new account goes next, sign-in limits, and links in account emails.

Sign-in limits count per account (the address typed) and per client address, the same on every
host: the cache keys are global (`aiser.cache_keys`), and the account's key leaves out the host.
A host where the person may not work (an organisation they are not a member of) answers a correct
password exactly as a wrong one, so it never confirms a password. Password-reset links always point
to the public site.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import ratelimit
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from chat2chart.accounts.services import login_event_record
from chat2chart.core import hooks
from chat2chart.core.principal import Principal


def on_workspace_host(request: HttpRequest) -> bool:
    """Whether the request came to one organisation's host (enterprise), not the public site or the
    core edition's single workspace."""
    tenant = getattr(request, "tenant", None)
    return tenant is not None and tenant.schema_name != "public"


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": (
            "Too many failed sign-in attempts for this address or from your network. "
            "Wait a few minutes, or reset your password."
        ),
    }

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        return reverse(settings.ACCOUNT_SIGNUP_REDIRECT_URL)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # In the enterprise edition people sign up on the public site, not on an organisation's host;
        # an organisation's members arrive by invitation.
        return not on_workspace_host(request)

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth's default adds the host: one allowance per organisation host. One per account instead.
        return str(credentials.get("email", credentials.get("username", ""))).strip().lower()

    def authenticate(self, request: HttpRequest, **credentials: Any) -> Any:
        user = super().authenticate(request, **credentials)
        if user is None or not on_workspace_host(request) or hooks.can(Principal.for_user(user), hooks.VIEW):
            return user
        # Not a member here: the same answer as a wrong password, and it counts as a failed attempt.
        login_event_record(request=request, user=user, succeeded=False)
        ratelimit.consume(
            request,
            action="login_failed",
            key=self._get_login_attempts_cache_key(request, **credentials),
        )
        return None

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Account emails speak for the product, never "localhost:8000" (the host that asked), and
        # name the organisation whose sign-in page the person used, if any.
        site = SimpleNamespace(name="Aiser", domain=settings.AISER_BASE_DOMAIN)
        request = getattr(self, "request", None)
        tenant = (
            getattr(request, "tenant", None) if request is not None and on_workspace_host(request) else None
        )
        extra = {
            "current_site": site,
            "public_url": settings.AISER_PUBLIC_URL,
            "organization_name": getattr(tenant, "name", ""),
        }
        super().send_mail(template_prefix, email, {**context, **extra})

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """After signing in: on the enterprise public site, into the person's organisation (or the
        list of them); sessions are per host, so the public site's own pages are not where work is."""
        tenant = getattr(request, "tenant", None)
        if tenant is not None and tenant.schema_name == "public":
            return reverse("organization_pick")
        return super().get_login_redirect_url(request)

    def get_reset_password_from_key_url(self, key: str) -> str:
        """The link in a password-reset email: on the public site, whatever host asked for it."""
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return settings.AISER_PUBLIC_URL + path.replace("UID-KEY", quote(key))
