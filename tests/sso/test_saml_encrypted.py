# SPDX-License-Identifier: MIT
"""Encrypted assertions: with the service provider's key pair configured, an IdP may encrypt its signed
assertion to the SP certificate (XML Encryption, RSA-OAEP + AES-CBC) and the member signs in through the
real ACS; an assertion encrypted to another key is refused with a message naming the cause; an IdP set to
require encryption refuses a plain assertion."""

from __future__ import annotations

import pytest

from tests.sso.conftest import configure_saml, host_client, post_response, signed_in_as, start_login
from tests.sso.saml_idp import _key_and_cert, decode

pytestmark = pytest.mark.enterprise


@pytest.fixture
def sp_key_pair(settings):
    key, cert = _key_and_cert("aiser-sp")
    settings.AISER_SAML_SP_KEY, settings.AISER_SAML_SP_CERT = key, cert
    return key, cert


def test_a_member_signs_in_with_an_encrypted_signed_assertion(alpha, saml_idp, sp_key_pair):
    _, sp_cert = sp_key_pair
    configure_saml(alpha, saml_idp)
    client = host_client(alpha)
    request = start_login(client, "/dashboards/")
    saml_response = saml_idp.respond(request, name_id="editor@alpha.test", encrypt_to=sp_cert)
    xml = decode(saml_response)
    assert "EncryptedAssertion" in xml
    assert "editor@alpha.test" not in xml  # the name travels encrypted
    response = post_response(client, saml_response, "/dashboards/")
    assert response.status_code == 302, response.content.decode()[-800:]
    assert response["Location"] == "/dashboards/"
    assert signed_in_as(client) == "editor@alpha.test"


def test_an_assertion_encrypted_to_another_key_is_refused_with_a_clear_message(alpha, saml_idp, sp_key_pair):
    _, other_cert = _key_and_cert("someone-else")
    configure_saml(alpha, saml_idp)
    client = host_client(alpha)
    request = start_login(client)
    response = post_response(
        client, saml_idp.respond(request, name_id="owner@alpha.test", encrypt_to=other_cert)
    )
    assert response.status_code == 403
    assert "encrypted to another key" in response.content.decode()
    assert signed_in_as(client) is None


def test_an_idp_that_must_encrypt_has_a_plain_assertion_refused(alpha, saml_idp, sp_key_pair):
    _, sp_cert = sp_key_pair
    configure_saml(alpha, saml_idp, want_assertions_encrypted=True)
    client = host_client(alpha)
    request = start_login(client)
    refused = post_response(client, saml_idp.respond(request, name_id="viewer@alpha.test"))
    assert refused.status_code == 403
    assert "encrypted" in refused.content.decode()
    assert signed_in_as(client) is None
    request = start_login(client)
    accepted = post_response(
        client, saml_idp.respond(request, name_id="viewer@alpha.test", encrypt_to=sp_cert)
    )
    assert accepted.status_code == 302, accepted.content.decode()[-800:]
    assert signed_in_as(client) == "viewer@alpha.test"


def test_an_encrypted_assertion_without_a_key_pair_says_so(alpha, saml_idp, settings):
    _, some_cert = _key_and_cert("aiser-sp")
    settings.AISER_SAML_SP_KEY = settings.AISER_SAML_SP_CERT = ""
    configure_saml(alpha, saml_idp)
    client = host_client(alpha)
    request = start_login(client)
    response = post_response(
        client, saml_idp.respond(request, name_id="owner@alpha.test", encrypt_to=some_cert)
    )
    assert response.status_code == 403
    assert "no key pair to decrypt" in response.content.decode()


def test_admins_require_encryption_in_the_sso_settings_only_with_a_key_pair(alpha, saml_idp, settings):
    client = host_client(alpha, alpha.users["admin"])
    body = {
        "name": "Okta",
        "protocol": "saml",
        "metadata_xml": saml_idp.metadata(),
        "want_assertions_encrypted": True,
    }
    settings.AISER_SAML_SP_KEY = settings.AISER_SAML_SP_CERT = ""
    refused = client.put("/api/v1/sso/providers/okta/", body, content_type="application/json")
    assert refused.status_code == 400
    assert "key pair" in refused.content.decode()
    settings.AISER_SAML_SP_KEY, settings.AISER_SAML_SP_CERT = _key_and_cert("aiser-sp")
    saved = client.put("/api/v1/sso/providers/okta/", body, content_type="application/json")
    assert saved.status_code == 200, saved.content
    assert saved.json()["want_assertions_encrypted"] is True
    assert 'name="want_assertions_encrypted"' in client.get("/settings/sso/").content.decode()
