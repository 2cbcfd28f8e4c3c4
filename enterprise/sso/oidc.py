# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""OpenID Connect through allauth's `openid_connect` provider, one app per organisation IdP.

allauth asks the socialaccount adapter for its apps on every request; this one answers with the
OIDC IdPs of the organisation whose host the request came to (none on the public site), so an
organisation's sign-in page shows only its own IdPs and a callback on one host can never complete
with another organisation's client. Code flow with PKCE (S256) always. Before allauth logs anyone
in, `pre_social_login` runs the same mapping and just-in-time rules as SAML.
"""

from __future__ import annotations

from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import redirect

from chat2chart.core.errors import AiserError
from enterprise.sso import selectors
from enterprise.sso.models import IdentityProvider, Protocol
from enterprise.sso.services import IdpClaims, sso_member_resolve


def _organization(request: HttpRequest | None) -> Any:
    tenant = getattr(request, "tenant", None)
    return tenant if tenant is not None and tenant.schema_name != "public" else None


def social_app(idp: IdentityProvider) -> SocialApp:
    """allauth's (unsaved) app for an OIDC IdP."""
    return SocialApp(
        provider="openid_connect",
        provider_id=idp.social_provider_id,
        name=idp.name,
        client_id=idp.client_id,
        secret=idp.client_secret,
        settings={"server_url": idp.server_url, "oauth_pkce_enabled": True},
    )


def claims_from(extra_data: dict[str, Any], subject: str) -> IdpClaims:
    """Claims as attribute lists: the userinfo answer over the ID token's claims."""
    merged = {**(extra_data.get("id_token") or {}), **(extra_data.get("userinfo") or {})}
    attributes = {
        str(name): [str(v) for v in value] if isinstance(value, list) else [str(value)]
        for name, value in merged.items()
        if value is not None
    }
    return IdpClaims(subject=subject, attributes=attributes)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request: HttpRequest, provider: Any = None, client_id: Any = None) -> list[SocialApp]:
        organization = _organization(request)
        if organization is None:
            return []
        apps = [social_app(idp) for idp in selectors.identity_providers(organization, protocol=Protocol.OIDC)]
        if provider:
            apps = [app for app in apps if provider in (app.provider_id, app.provider)]
        if client_id:
            apps = [app for app in apps if app.client_id == client_id]
        return apps

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # Accounts are made in pre_social_login by the organisation's JIT rules, never by allauth's signup.
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        organization = _organization(request)
        idp = (
            selectors.oidc_provider_by_social_id(organization, sociallogin.account.provider)
            if organization
            else None
        )
        if idp is None:
            raise ImmediateHttpResponse(redirect("account_login"))
        try:
            user = sso_member_resolve(
                idp=idp, claims=claims_from(sociallogin.account.extra_data, sociallogin.account.uid)
            )
        except AiserError as error:
            messages.error(request, error.message)
            raise ImmediateHttpResponse(redirect("account_login")) from None
        if sociallogin.is_existing and sociallogin.user.pk != user.pk:
            messages.error(request, "This identity is linked to another account; ask an admin.")
            raise ImmediateHttpResponse(redirect("account_login"))
        request.aiser_login_method = "oidc"  # type: ignore[attr-defined]
        if not sociallogin.is_existing:
            sociallogin.connect(request, user)
