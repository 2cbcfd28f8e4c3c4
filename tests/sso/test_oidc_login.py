# SPDX-License-Identifier: MIT
"""OpenID Connect sign-in (code flow with PKCE) against django-oauth-toolkit's OIDC provider, run as
a separate server process on loopback that requires PKCE."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils import timezone

from enterprise.sso.models import IdentityProvider, SsoDomain
from enterprise.tenants.models import Membership
from tests.sso.conftest import host_client, signed_in_as

pytestmark = pytest.mark.enterprise

CLIENT_ID = "aiser-test-client"
CLIENT_SECRET = "aiser-test-secret-0123456789"  # noqa: S105 - the test provider's throwaway client


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory):
    """The provider's base URL (http://127.0.0.1:<port>), its process stopped at the end."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    env = {
        **os.environ,
        "OIDC_PROVIDER_DB": str(tmp_path_factory.mktemp("oidc") / "provider.sqlite3"),
        "OIDC_PROVIDER_KEY": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        "OIDC_PROVIDER_REDIRECT_PREFIXES": "http://alpha.localhost:,http://beta.localhost:",
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.sso.oidc_provider.serve"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=60)
    try:
        if not lines or not lines[0].startswith("ready "):
            raise RuntimeError(f"the OIDC provider did not start: {lines!r}")
        yield f"http://127.0.0.1:{int(lines[0].split()[1])}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def configure_oidc(workspace, provider_url: str, **fields) -> IdentityProvider:
    return IdentityProvider.objects.create(
        organization=workspace.organization,
        slug="okta",
        name="Okta",
        protocol="oidc",
        server_url=f"{provider_url}/o",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        **fields,
    )


def start(client, idp: IdentityProvider, next_url: str = "/") -> str:
    """Start the sign-in on the organisation host; returns the provider's authorize URL."""
    page = client.get(f"/accounts/sso/{idp.slug}/login/?next={next_url}")
    assert page.status_code == 200
    response = client.post(
        f"/accounts/oidc/{idp.social_provider_id}/login/", {"process": "login", "next": next_url}
    )
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def sign_in_at_provider(provider_url: str, authorize_url: str, *, email: str, groups=(), name="") -> str:
    """The person signs in at the provider, which redirects back with a code; returns that callback URL."""
    parts = urlsplit(authorize_url)
    query = urlencode(
        {"email": email, "name": name, "next": f"{parts.path}?{parts.query}", "group": list(groups)},
        doseq=True,
    )
    with httpx.Client(base_url=provider_url, timeout=10, follow_redirects=False) as browser:
        to_authorize = browser.get(f"/login-as/?{query}")
        assert to_authorize.status_code == 302
        back = browser.get(to_authorize.headers["location"])
        assert back.status_code == 302, back.text[:500]
        return back.headers["location"]


def complete(client, callback_url: str):
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}")


def test_member_signs_in_with_code_flow_and_pkce(alpha, oidc_provider):
    idp = configure_oidc(alpha, oidc_provider)
    client = host_client(alpha)
    authorize_url = start(client, idp, "/dashboards/")
    query = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith(f"{oidc_provider}/o/authorize/")
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    callback = sign_in_at_provider(oidc_provider, authorize_url, email="editor@alpha.test")
    assert callback.startswith(
        f"{alpha.organization.url}/accounts/oidc/{idp.social_provider_id}/login/callback/"
    )
    response = complete(client, callback)
    assert response.status_code == 302, response.content[:800]
    assert response["Location"] == "/dashboards/"
    assert signed_in_as(client) == "editor@alpha.test"
    assert SocialAccount.objects.filter(
        provider=idp.social_provider_id, user__email="editor@alpha.test"
    ).exists()


def test_new_person_is_provisioned_with_the_mapped_role_and_the_method_is_oidc(alpha, oidc_provider):
    from allauth.account.signals import user_logged_in

    SsoDomain.objects.create(
        organization=alpha.organization, domain="alpha-corp.test", verified_at=timezone.now()
    )
    idp = configure_oidc(alpha, oidc_provider, group_roles={"analysts": "editor"}, kept_attributes=["groups"])
    methods = []

    def listener(sender, request, user, **kwargs):
        methods.append(getattr(request, "aiser_login_method", None))

    user_logged_in.connect(listener)
    try:
        client = host_client(alpha)
        authorize_url = start(client, idp)
        callback = sign_in_at_provider(
            oidc_provider, authorize_url, email="ana@alpha-corp.test", groups=["analysts"], name="Ana"
        )
        complete(client, callback)
    finally:
        user_logged_in.disconnect(listener)
    assert signed_in_as(client) == "ana@alpha-corp.test"
    membership = Membership.objects.get(organization=alpha.organization, user__email="ana@alpha-corp.test")
    assert membership.role == "editor"
    assert membership.sso_identity.groups == ["analysts"]
    assert methods == ["oidc"]


def test_person_outside_the_verified_domains_is_refused(alpha, oidc_provider):
    idp = configure_oidc(alpha, oidc_provider)
    client = host_client(alpha)
    callback = sign_in_at_provider(oidc_provider, start(client, idp), email="owner@beta.test")
    response = complete(client, callback)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert signed_in_as(client) is None
    assert not Membership.objects.filter(
        organization=alpha.organization, user__email="owner@beta.test"
    ).exists()


def test_one_organisations_oidc_never_signs_anyone_into_another(alpha, beta, oidc_provider):
    alpha_idp = configure_oidc(alpha, oidc_provider)
    # beta's host knows nothing of alpha's IdP: not on its sign-in page, not at its login URL.
    beta_client = host_client(beta)
    assert b"Okta" not in beta_client.get("/accounts/login/").content
    assert beta_client.post(f"/accounts/oidc/{alpha_idp.social_provider_id}/login/").status_code == 404
    # A code issued for alpha's flow, delivered to beta's host (same provider, same client): refused.
    alpha_client = host_client(alpha)
    callback = sign_in_at_provider(oidc_provider, start(alpha_client, alpha_idp), email="editor@beta.test")
    complete(beta_client, callback.replace(alpha.organization.host, beta.organization.host))
    assert signed_in_as(beta_client) is None


def test_oidc_session_satisfies_require_sso(alpha, oidc_provider):
    from enterprise.sso.models import SsoPolicy

    idp = configure_oidc(alpha, oidc_provider)
    SsoPolicy.objects.create(organization=alpha.organization, require_sso=True)
    client = host_client(alpha)
    complete(client, sign_in_at_provider(oidc_provider, start(client, idp), email="viewer@alpha.test"))
    assert client.get("/").status_code == 200
    assert signed_in_as(client) == "viewer@alpha.test"


def test_deleting_the_idp_removes_the_identities_linked_through_it(alpha, oidc_provider):
    idp = configure_oidc(alpha, oidc_provider)
    client = host_client(alpha)
    complete(client, sign_in_at_provider(oidc_provider, start(client, idp), email="editor@alpha.test"))
    assert SocialAccount.objects.filter(provider=idp.social_provider_id).count() == 1
    admin = host_client(alpha, alpha.users["admin"])
    assert admin.delete(f"/api/v1/sso/providers/{idp.slug}/").status_code == 204
    assert not SocialAccount.objects.filter(provider=idp.social_provider_id).exists()
