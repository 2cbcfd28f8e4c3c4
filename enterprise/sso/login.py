# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Signing a person in after SSO, and the require-SSO rule for sessions and passwords.

Every SSO login goes through allauth's `perform_login`, so allauth's `user_logged_in` signal fires
as for a password; `request.aiser_login_method` ("saml" or "oidc") tells listeners (login history)
how. The session then carries `aiser_sso_org`, the organisation whose IdP signed it in: on a host
whose organisation requires SSO, a session without it (a password or a hand-off from the public
site) is ended, except for owners (break-glass).
"""

from __future__ import annotations

from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.signals import user_logged_in
from allauth.account.utils import perform_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from enterprise.sso import selectors
from enterprise.tenants.models import Membership, Organization, Role

SSO_SESSION_KEY = "aiser_sso_org"
SSO_METHODS = ("saml", "oidc")


def safe_next(request: HttpRequest, next_url: str) -> str:
    """`next_url` when it stays on this host, else "/"."""
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return next_url
    return "/"


def sso_login(request: HttpRequest, user: Any, *, method: str, next_url: str) -> HttpResponse:
    """Sign `user` in on this host after `method` ("saml" or "oidc") vouched for them."""
    request.aiser_login_method = method  # type: ignore[attr-defined]
    return perform_login(
        request,
        user,
        email_verification=account_settings.EmailVerificationMethod.NONE,
        redirect_url=safe_next(request, next_url),
    )


@receiver(user_logged_in, dispatch_uid="sso-mark-session")
def _mark_session(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    tenant = getattr(request, "tenant", None)
    if getattr(request, "aiser_login_method", None) in SSO_METHODS and tenant is not None:
        request.session[SSO_SESSION_KEY] = tenant.pk


def password_refused(organization: Organization, user: Any) -> bool:
    """Whether `user` may not use a password (or a non-SSO session) on `organization`'s host: it
    requires SSO and they are a member but not an owner (owners keep a break-glass password)."""
    if not selectors.require_sso(organization):
        return False
    role = (
        Membership.objects.filter(organization=organization, user=user).values_list("role", flat=True).first()
    )
    return role is not None and role != Role.OWNER
