# SPDX-License-Identifier: MIT
"""SSO fixtures: a SAML IdP made in the test, and organisations set up to sign in through it."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.sso.saml_idp import AuthnRequest, SamlIdp

# Single sign-on is an enterprise app: in the core edition these modules (which import it) are not collected.
collect_ignore_glob = [] if settings.ENTERPRISE else ["test_*.py"]


@pytest.fixture(scope="session")
def saml_idp() -> SamlIdp:
    return SamlIdp()


def host_client(workspace: Any, user: Any = None) -> Client:
    """A client on the organisation's host exactly as its URLs name it (with the port), so SAML's
    Destination and Recipient checks see the URL the IdP was given."""
    port = f":{settings.AISER_PORT}" if settings.AISER_PORT else ""
    client = Client(HTTP_HOST=f"{workspace.organization.host}{port}")
    if user is not None:
        client.force_login(user)
    return client


def configure_saml(workspace: Any, idp: SamlIdp, *, domain: str | None = None, **fields: Any) -> Any:
    """Give the organisation a SAML IdP called "corp" (and a verified email domain)."""
    from django.utils import timezone

    from enterprise.sso.models import IdentityProvider, SsoDomain

    if domain:
        SsoDomain.objects.create(
            organization=workspace.organization, domain=domain, verified_at=timezone.now()
        )
    return IdentityProvider.objects.create(
        organization=workspace.organization,
        slug="corp",
        name="Corp IdP",
        protocol="saml",
        idp_entity_id=idp.entity_id,
        idp_sso_url=idp.sso_url,
        idp_slo_url=idp.slo_url,
        idp_x509_cert=idp.cert_body,
        **fields,
    )


def start_login(client: Client, next_url: str = "/") -> AuthnRequest:
    """Start a sign-in on the organisation host; returns the AuthnRequest the IdP receives."""
    response = client.get(f"/accounts/sso/corp/login/?next={next_url}")
    assert response.status_code == 302, response.content[:500]
    return SamlIdp.read_request(response["Location"])


def post_response(client: Client, saml_response: str, relay_state: str = "/") -> Any:
    """Post the response to the ACS as the IdP's form does, and follow the ACS on to the page that
    checks it in this browser's session, as the browser would; returns that page's answer."""
    posted = client.post(
        "/accounts/sso/saml/corp/acs/", {"SAMLResponse": saml_response, "RelayState": relay_state}
    )
    if posted.status_code != 302:
        return posted
    assert posted["Location"].startswith("/accounts/sso/saml/corp/finish/?t=")
    return client.get(posted["Location"])


def signed_in_as(client: Client) -> str | None:
    """The email of the person the client's session belongs to, or None."""
    from django.contrib.auth import get_user_model

    user_id = client.session.get("_auth_user_id")
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return user.email if user else None
