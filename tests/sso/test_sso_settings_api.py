# SPDX-License-Identifier: MIT
"""`/api/v1/sso/`: admins configure SSO (metadata pasted or fetched through the outbound guard);
every change is audited; others are refused; bad input gets a JSON error."""

from __future__ import annotations

import http.server
import threading

import pytest

from enterprise.audit.models import AuditEntry
from enterprise.sso.models import IdentityProvider, SsoDomain
from tests.sso.conftest import configure_saml, host_client

pytestmark = pytest.mark.enterprise


def _audit_actions(workspace, after: int = 0) -> list[str]:
    """The organisation's SSO audit actions after entry `after` (browser tests commit entries that stay)."""
    with workspace.activate():
        return list(
            AuditEntry.objects.filter(action__startswith="sso.", pk__gt=after)
            .order_by("pk")
            .values_list("action", flat=True)
        )


def _last_entry(workspace) -> int:
    with workspace.activate():
        return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_admin_configures_saml_from_pasted_metadata(alpha, saml_idp):
    client = host_client(alpha, alpha.users["admin"])
    response = client.put(
        "/api/v1/sso/providers/okta/",
        {
            "name": "Okta",
            "protocol": "saml",
            "metadata_xml": saml_idp.metadata(),
            "group_roles": {"bi": "editor"},
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["idp_entity_id"] == saml_idp.entity_id
    assert body["idp_sso_url"] == saml_idp.sso_url
    assert body["sp"]["acs"] == f"{alpha.organization.url}/accounts/sso/saml/okta/acs/"
    idp = IdentityProvider.objects.get(organization=alpha.organization, slug="okta")
    assert idp.idp_x509_cert.replace("\n", "") == saml_idp.cert_body
    assert _audit_actions(alpha) == ["sso.idp.create"]


def test_metadata_url_is_fetched_through_the_outbound_guard(alpha, saml_idp, settings):
    metadata = saml_idp.metadata().encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "application/samlmetadata+xml")
            self.end_headers()
            self.wfile.write(metadata)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/metadata"
        client = host_client(alpha, alpha.users["admin"])
        payload = {"name": "Keycloak", "protocol": "saml", "metadata_url": url}
        ok = client.put("/api/v1/sso/providers/kc/", payload, content_type="application/json")
        assert ok.status_code == 200, ok.content
        assert ok.json()["idp_entity_id"] == saml_idp.entity_id
        # In production private addresses are refused, with a reason.
        settings.AISER_ALLOW_PRIVATE_SOURCES = False
        refused = client.put("/api/v1/sso/providers/kc2/", payload, content_type="application/json")
        assert refused.status_code == 400
        assert "private addresses are not allowed" in refused.json()["error"]["message"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_bad_metadata_gets_a_json_error(alpha):
    client = host_client(alpha, alpha.users["admin"])
    for junk in ("<not-xml", "<EntityDescriptor/>", "x" * 100):
        response = client.put(
            "/api/v1/sso/providers/okta/",
            {"name": "Okta", "protocol": "saml", "metadata_xml": junk},
            content_type="application/json",
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid"
    assert not IdentityProvider.objects.filter(organization=alpha.organization).exists()


def test_groups_cannot_map_to_owner(alpha, saml_idp):
    client = host_client(alpha, alpha.users["admin"])
    response = client.put(
        "/api/v1/sso/providers/okta/",
        {
            "name": "Okta",
            "protocol": "saml",
            "metadata_xml": saml_idp.metadata(),
            "group_roles": {"x": "owner"},
        },
        content_type="application/json",
    )
    assert response.status_code == 400


def test_editor_cannot_change_sso(alpha, saml_idp):
    client = host_client(alpha, alpha.users["editor"])
    response = client.put(
        "/api/v1/sso/providers/okta/",
        {"name": "Okta", "protocol": "saml", "metadata_xml": saml_idp.metadata()},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert (
        client.patch("/api/v1/sso/", {"require_sso": True}, content_type="application/json").status_code
        == 403
    )


def test_require_sso_and_domains_are_audited_and_stay_in_their_organisation(alpha, beta, saml_idp):
    # The owner: a password session survives "require SSO" (break-glass); an admin's would end.
    client = host_client(alpha, alpha.users["owner"])
    alpha_before, beta_before = _last_entry(alpha), _last_entry(beta)
    # With no identity provider, requiring SSO would lock every member but the owners out.
    refused = client.patch("/api/v1/sso/", {"require_sso": True}, content_type="application/json")
    assert refused.status_code == 400
    assert "identity provider first" in refused.json()["error"]["message"]
    configure_saml(alpha, saml_idp)
    assert (
        client.patch("/api/v1/sso/", {"require_sso": True}, content_type="application/json").status_code
        == 200
    )
    added = client.post(
        "/api/v1/sso/domains/", {"domain": "Alpha-Corp.test"}, content_type="application/json"
    )
    assert added.status_code == 201
    assert added.json()["verified"] is False
    assert added.json()["verification_token"].startswith("aiser-domain-verification=")
    # beta cannot claim alpha's domain, and sees none of alpha's settings.
    beta_client = host_client(beta, beta.users["admin"])
    taken = beta_client.post(
        "/api/v1/sso/domains/", {"domain": "alpha-corp.test"}, content_type="application/json"
    )
    assert taken.status_code == 400
    assert beta_client.get("/api/v1/sso/").json() == {"require_sso": False, "providers": [], "domains": []}
    assert [p["slug"] for p in client.get("/api/v1/sso/").json()["providers"]] == ["corp"]
    assert client.delete("/api/v1/sso/domains/alpha-corp.test/").status_code == 204
    assert _audit_actions(alpha, alpha_before) == ["sso.policy.update", "sso.domain.add", "sso.domain.remove"]
    assert _audit_actions(beta, beta_before) == []


def test_domain_is_verified_only_with_its_token(alpha):
    from django.core.management import CommandError, call_command

    entry = SsoDomain.objects.create(organization=alpha.organization, domain="alpha-corp.test")
    with pytest.raises(CommandError):
        call_command("sso_verify_domain", "alpha-corp.test", "aiser-domain-verification=wrong")
    call_command("sso_verify_domain", "alpha-corp.test", entry.verification_token)
    entry.refresh_from_db()
    assert entry.verified
    assert "sso.domain.verify" in _audit_actions(alpha)


def test_public_site_finds_the_organisation_by_verified_domain(alpha, saml_idp):
    from django.test import Client
    from django.utils import timezone

    from tests.sso.conftest import configure_saml

    configure_saml(alpha, saml_idp)
    entry = SsoDomain.objects.create(organization=alpha.organization, domain="alpha-corp.test")
    public = Client(HTTP_HOST="localhost")
    assert public.post("/accounts/sso/", {"email": "a@alpha-corp.test"}).status_code == 200  # unverified
    entry.verified_at = timezone.now()
    entry.save()
    response = public.post("/accounts/sso/", {"email": "a@alpha-corp.test"})
    assert response.status_code == 302
    assert response["Location"] == f"{alpha.organization.url}/accounts/sso/"


def test_require_sso_must_be_a_boolean(alpha):
    client = host_client(alpha, alpha.users["admin"])
    response = client.patch("/api/v1/sso/", {"require_sso": "maybe"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_oidc_server_on_a_private_address_is_refused_in_production(alpha, settings):
    settings.AISER_ALLOW_PRIVATE_SOURCES = False
    client = host_client(alpha, alpha.users["admin"])
    payload = {
        "name": "Keycloak",
        "protocol": "oidc",
        "server_url": "http://127.0.0.1:8080/realms/x",
        "client_id": "a",
    }
    response = client.put("/api/v1/sso/providers/kc/", payload, content_type="application/json")
    assert response.status_code == 400
    assert "private addresses are not allowed" in response.json()["error"]["message"]
    settings.AISER_ALLOW_PRIVATE_SOURCES = True
    ok = client.put("/api/v1/sso/providers/kc/", payload, content_type="application/json")
    assert ok.status_code == 200
    assert ok.json()["sp"]["redirect_uri"].endswith("/login/callback/")
    assert "client_secret" not in ok.json()
