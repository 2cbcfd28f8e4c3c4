# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""SSO pages: start a sign-in (organisation host, or the public site by email domain), SAML
metadata, assertion consumer and logout endpoints."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat2chart.core import hooks
from chat2chart.core.errors import AiserError
from chat2chart.core.principal import Principal
from enterprise.sso import saml, selectors, services
from enterprise.sso.login import safe_next, sso_login
from enterprise.sso.models import IdentityProvider, Protocol

# The IdP posts its response cross-site, and a SameSite=Lax session cookie does not come with that
# POST. So the ACS only parks the response (briefly, in the cache) and redirects the browser to a
# same-site GET, which carries the session: there the response must answer an AuthnRequest started
# in this very browser, so nobody can sign a victim into the attacker's own account (login CSRF).
_PENDING = "aiser_sso_saml_pending"
_PENDING_KEPT = 5
_PARKED_TTL_S = 120
_MAX_RESPONSE_CHARS = 512 * 1024


def _idp_or_404(request: HttpRequest, slug: str, protocol: str | None = None) -> IdentityProvider:
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == "public":
        raise Http404("no organisation")
    idp = selectors.identity_provider(tenant, slug)
    if idp is None or (protocol and idp.protocol != protocol):
        raise Http404("no such identity provider")
    return idp


@require_GET
def sso_start(request: HttpRequest) -> HttpResponse:
    """The organisation's SSO choices; straight to the IdP when there is only one."""
    tenant = request.tenant  # type: ignore[attr-defined]
    idps = selectors.identity_providers(tenant)
    next_url = request.GET.get("next", "")
    if len(idps) == 1:
        return sso_login_start(request, idps[0].slug)
    return render(request, "sso/start.html", {"idps": idps, "next": next_url, "organization": tenant})


@require_GET
def sso_login_start(request: HttpRequest, slug: str) -> HttpResponse:
    """SAML: send the browser to the IdP with an AuthnRequest. OIDC: a button that posts to allauth's
    provider login (a POST, so no other site can start a sign-in in someone's browser)."""
    idp = _idp_or_404(request, slug)
    next_url = safe_next(request, request.GET.get("next", ""))
    if idp.protocol == Protocol.OIDC:
        action = reverse("openid_connect_login", kwargs={"provider_id": idp.social_provider_id})
        return render(request, "sso/oidc_start.html", {"idp": idp, "action": action, "next": next_url})
    url, request_id = saml.login_redirect(idp, request, relay_state=next_url)
    pending = list(request.session.get(_PENDING, []))[-(_PENDING_KEPT - 1) :]
    request.session[_PENDING] = [*pending, [request_id, idp.pk]]
    return redirect(url)


@require_GET
def saml_metadata(request: HttpRequest, slug: str) -> HttpResponse:
    idp = _idp_or_404(request, slug, Protocol.SAML)
    return HttpResponse(saml.sp_metadata(idp), content_type="application/samlmetadata+xml")


@csrf_exempt  # posted by the IdP; the signed response and its InResponseTo are the proof
@require_POST
def saml_acs(request: HttpRequest, slug: str) -> HttpResponse:
    """Park the IdP's response and send the browser on to `saml_finish` (see above)."""
    idp = _idp_or_404(request, slug, Protocol.SAML)
    encoded = request.POST.get("SAMLResponse", "")
    if not encoded or len(encoded) > _MAX_RESPONSE_CHARS:
        return _refused(request, idp, saml.SamlRefused("no usable SAMLResponse was posted"))
    token = secrets.token_urlsafe(24)
    cache.set(
        f"sso:saml:parked:{token}", (idp.pk, encoded, request.POST.get("RelayState", "")), _PARKED_TTL_S
    )
    return redirect(f"{reverse('sso_saml_finish', kwargs={'slug': slug})}?t={token}")


@require_GET
def saml_finish(request: HttpRequest, slug: str) -> HttpResponse:
    """Check the parked response and sign the person in; a refused response shows why, with 403."""
    idp = _idp_or_404(request, slug, Protocol.SAML)
    key = f"sso:saml:parked:{request.GET.get('t', '')}"
    parked = cache.get(key)
    cache.delete(key)
    try:
        if parked is None or parked[0] != idp.pk:
            raise saml.SamlRefused("this sign-in link has expired or was already used; sign in again")
        _, encoded, relay_state = parked
        request_id = saml.response_in_response_to(idp, encoded)
        pending = [list(entry) for entry in request.session.get(_PENDING, [])]
        # Only answers to a request this browser sent to this organisation's IdP, each used once.
        if not request_id or [request_id, idp.pk] not in pending:
            raise saml.SamlRefused("this SAML response answers no sign-in started in this browser")
        request.session[_PENDING] = [entry for entry in pending if entry[0] != request_id]
        assertion = saml.assertion_from_response(idp, encoded, request_id=request_id)
        services.assertion_remember(idp=idp, assertion=assertion)
        user = services.sso_member_resolve(
            idp=idp, claims=services.IdpClaims(subject=assertion.name_id, attributes=assertion.attributes)
        )
    except AiserError as error:
        return _refused(request, idp, error)
    return sso_login(request, user, method="saml", next_url=relay_state)


def _refused(request: HttpRequest, idp: IdentityProvider, error: AiserError) -> HttpResponse:
    context = {"idp": idp, "reason": error.message}
    return render(request, "sso/refused.html", context, status=error.status)


@require_GET
def saml_logout(request: HttpRequest, slug: str) -> HttpResponse:
    """Sign out here, then at the IdP when it has a logout URL."""
    idp = _idp_or_404(request, slug, Protocol.SAML)
    email = request.user.email if request.user.is_authenticated else ""
    logout(request)
    return redirect(saml.logout_redirect(idp, request, name_id=email) or "/")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def saml_slo(request: HttpRequest, slug: str) -> HttpResponse:
    """The IdP's logout request or response: the local session ends either way."""
    _idp_or_404(request, slug, Protocol.SAML)
    logout(request)
    return redirect("account_login")


@require_http_methods(["GET", "POST"])
def sso_find(request: HttpRequest) -> HttpResponse:
    """Public site: find the organisation by the email's verified domain and go to its SSO."""
    email = (request.POST.get("email") or "").strip()
    if request.method == "POST":
        organization = selectors.organization_for_email(email)
        if organization is not None and selectors.identity_providers(organization):
            return redirect(f"{organization.url}/accounts/sso/")
        messages.error(request, "No organisation signs in with SSO for that address.")
    return render(request, "sso/find.html", {"email": email})


@login_required
def sso_settings_page(request: HttpRequest) -> HttpResponse:
    """Admins: the organisation's identity providers, claimed email domains and "require SSO", edited
    through `/api/v1/sso/` by static/js/sso_settings.js (one validation path: the API's)."""
    if not hooks.can(Principal.from_request(request), hooks.MANAGE):
        raise Http404("not allowed")
    return render(request, "sso/settings.html", {"protocols": ("saml", "oidc")})
