# SPDX-License-Identifier: MIT
"""With the service provider's own key pair configured, Aiser signs its AuthnRequests (HTTP-Redirect
binding, RSA-SHA256) and publishes its certificate in the SP metadata; without one it sends them unsigned.
The signature is checked here with `cryptography`, independently of python3-saml."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.sso.conftest import configure_saml, host_client
from tests.sso.saml_idp import _key_and_cert

pytestmark = pytest.mark.enterprise

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


@pytest.fixture
def sp_key_pair(settings):
    key, cert = _key_and_cert("aiser-sp")
    settings.AISER_SAML_SP_KEY, settings.AISER_SAML_SP_CERT = key, cert
    return key, cert


def _login_redirect(alpha) -> str:
    response = host_client(alpha).get("/accounts/sso/corp/login/?next=/")
    assert response.status_code == 302, response.content[:300]
    return response["Location"]


def test_authn_requests_are_signed_with_the_sp_key(alpha, saml_idp, sp_key_pair):
    _, cert_pem = sp_key_pair
    configure_saml(alpha, saml_idp)
    location = _login_redirect(alpha)
    raw_query = urlsplit(location).query
    query = parse_qs(raw_query)
    assert query["SigAlg"] == [RSA_SHA256]
    # The redirect binding signs "SAMLRequest=..&RelayState=..&SigAlg=.." as sent (SAML bindings 3.4.4.1).
    parts = dict(part.split("=", 1) for part in raw_query.split("&"))
    signed = "&".join(
        f"{name}={parts[name]}" for name in ("SAMLRequest", "RelayState", "SigAlg") if name in parts
    )
    public_key = x509.load_pem_x509_certificate(cert_pem.encode()).public_key()
    signature = base64.b64decode(query["Signature"][0])
    public_key.verify(signature, signed.encode(), padding.PKCS1v15(), hashes.SHA256())  # raises if wrong
    tampered = signed.replace("RelayState=", "RelayState=" + quote("/admin", safe=""), 1)
    with pytest.raises(Exception):  # noqa: B017, PT011 - cryptography's InvalidSignature
        public_key.verify(signature, tampered.encode(), padding.PKCS1v15(), hashes.SHA256())


def test_the_sp_metadata_publishes_the_certificate_and_says_requests_are_signed(alpha, saml_idp, sp_key_pair):
    _, cert_pem = sp_key_pair
    configure_saml(alpha, saml_idp)
    metadata = host_client(alpha).get("/accounts/sso/saml/corp/metadata/").content.decode()
    assert 'AuthnRequestsSigned="true"' in metadata
    body = "".join(line for line in cert_pem.splitlines() if "CERTIFICATE" not in line)
    assert body in metadata.replace("\n", "")


def test_without_a_key_pair_requests_are_unsigned(alpha, saml_idp, settings):
    settings.AISER_SAML_SP_KEY = settings.AISER_SAML_SP_CERT = ""
    configure_saml(alpha, saml_idp)
    query = parse_qs(urlsplit(_login_redirect(alpha)).query)
    assert "Signature" not in query
    assert "SAMLRequest" in query
