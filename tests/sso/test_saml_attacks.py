# SPDX-License-Identifier: MIT
"""Forged, tampered, replayed, misdirected and wrapped SAML responses are all refused, and none of
them signs anyone in."""

from __future__ import annotations

import copy

import pytest
from lxml import etree

from tests.sso.conftest import configure_saml, host_client, post_response, signed_in_as, start_login
from tests.sso.saml_idp import SAML, SAMLP, AuthnRequest, SamlIdp, decode, encode

pytestmark = pytest.mark.enterprise


def _refused(client, saml_response: str) -> str:
    response = post_response(client, saml_response)
    assert response.status_code == 403, response.status_code
    assert signed_in_as(client) is None
    return response.content.decode()


@pytest.fixture
def alpha_client(alpha, saml_idp):
    configure_saml(alpha, saml_idp)
    return host_client(alpha)


def test_tampered_assertion_is_refused(alpha_client, saml_idp):
    request = start_login(alpha_client)
    xml = decode(saml_idp.respond(request, name_id="viewer@alpha.test"))
    body = _refused(alpha_client, encode(xml.replace("viewer@alpha.test", "owner@alpha.test")))
    assert "Signature validation failed" in body


def test_assertion_signed_by_another_key_is_refused(alpha_client, saml_idp):
    impostor = SamlIdp(entity_id=saml_idp.entity_id)
    request = start_login(alpha_client)
    _refused(alpha_client, impostor.respond(request, name_id="owner@alpha.test"))


def test_unsigned_response_is_refused(alpha_client, saml_idp):
    request = start_login(alpha_client)
    body = _refused(alpha_client, saml_idp.respond(request, name_id="owner@alpha.test", sign_assertion=False))
    assert "not signed" in body or "No Signature" in body


def test_unsigned_response_is_refused_even_when_no_particular_signature_is_asked(alpha, saml_idp):
    configure_saml(alpha, saml_idp, want_assertions_signed=False, want_responses_signed=False)
    client = host_client(alpha)
    request = start_login(client)
    body = _refused(client, saml_idp.respond(request, name_id="owner@alpha.test", sign_assertion=False))
    assert "No Signature found" in body


def test_wrong_audience_is_refused(alpha_client, saml_idp):
    request = start_login(alpha_client)
    saml_response = saml_idp.respond(request, name_id="owner@alpha.test", audience="https://other.example/sp")
    assert "not a valid audience" in _refused(alpha_client, saml_response)


def test_expired_assertion_is_refused(alpha_client, saml_idp):
    request = start_login(alpha_client)
    saml_response = saml_idp.respond(
        request, name_id="owner@alpha.test", not_before_s=-1200, not_after_s=-600
    )
    _refused(alpha_client, saml_response)


def test_clock_skew_tolerance_is_the_organisations(alpha, saml_idp):
    # The IdP's clock runs a minute ahead: within 120 s of tolerance it signs in, with none it does not.
    idp = configure_saml(alpha, saml_idp, clock_skew_s=120)
    client = host_client(alpha)
    request = start_login(client)
    post_response(client, saml_idp.respond(request, name_id="viewer@alpha.test", not_before_s=60))
    assert signed_in_as(client) == "viewer@alpha.test"
    idp.clock_skew_s = 0
    idp.save()
    client = host_client(alpha)
    request = start_login(client)
    body = _refused(client, saml_idp.respond(request, name_id="viewer@alpha.test", not_before_s=60))
    assert "not valid yet" in body


def test_replayed_response_is_refused(alpha, alpha_client, saml_idp):
    request = start_login(alpha_client)
    saml_response = saml_idp.respond(request, name_id="viewer@alpha.test")
    post_response(alpha_client, saml_response)
    assert signed_in_as(alpha_client) == "viewer@alpha.test"
    # The captured response, posted again from another browser that started its own sign-in.
    attacker = host_client(alpha)
    start_login(attacker)
    _refused(attacker, saml_response)


def test_assertion_id_is_used_only_once(alpha, alpha_client, saml_idp):
    first = start_login(alpha_client)
    post_response(alpha_client, saml_idp.respond(first, name_id="viewer@alpha.test", assertion_id="_same"))
    assert signed_in_as(alpha_client) == "viewer@alpha.test"
    other = host_client(alpha)
    second = start_login(other)
    body = _refused(other, saml_idp.respond(second, name_id="viewer@alpha.test", assertion_id="_same"))
    assert "already used" in body


def test_unsolicited_response_is_refused(alpha_client, saml_idp):
    # An IdP-initiated response (or one for a request made elsewhere): no AuthnRequest of ours.
    made_up = AuthnRequest(
        id="_never_sent",
        acs_url="http://alpha.localhost:8000/accounts/sso/saml/corp/acs/",
        issuer="http://alpha.localhost:8000/accounts/sso/saml/corp/metadata/",
        relay_state="/",
    )
    assert "answers no sign-in" in _refused(
        alpha_client, saml_idp.respond(made_up, name_id="owner@alpha.test")
    )


def test_garbage_is_refused_with_a_reason_not_a_stack_trace(alpha_client):
    start_login(alpha_client)
    for junk in ("not base64 at all!!", encode("<notxml"), encode("<samlp:Response/>"), ""):
        response = post_response(alpha_client, junk)
        assert response.status_code == 403
        assert b"Traceback" not in response.content


def test_assertion_for_one_organisation_never_signs_anyone_into_another(alpha, beta, saml_idp):
    # Both organisations trust the same IdP (one Okta tenant, one signing key).
    configure_saml(alpha, saml_idp)
    configure_saml(beta, saml_idp, domain="shared-corp.test")
    alpha_client, beta_client = host_client(alpha), host_client(beta)
    alpha_request = start_login(alpha_client)
    beta_request = start_login(beta_client)
    for_alpha = saml_idp.respond(alpha_request, name_id="someone@shared-corp.test")
    # Posted as it is to beta's ACS: beta never sent that request.
    _refused(beta_client, for_alpha)
    # Answering beta's request and posted to beta, but the assertion's audience is alpha: refused.
    forged = saml_idp.assertion_xml(
        request=beta_request, name_id="someone@shared-corp.test", audience=alpha_request.issuer
    )
    signed = saml_idp.sign(forged).split("?>", 1)[-1]
    misdirected = saml_idp.response_xml(request=beta_request, assertions=signed)
    assert "not a valid audience" in _refused(beta_client, encode(misdirected))


# --- XML signature wrapping ------------------------------------------------------------------------


def _signed_and_evil(saml_idp, request):
    """A genuinely signed assertion for the viewer, and an unsigned copy rewritten for the owner."""
    signed = etree.fromstring(
        saml_idp.sign(saml_idp.assertion_xml(request=request, name_id="viewer@alpha.test")).encode()
    )
    evil = copy.deepcopy(signed)
    evil.set("ID", "_evil")
    evil.find(f"{{{SAML}}}Subject/{{{SAML}}}NameID").text = "owner@alpha.test"
    return signed, evil


def _response_with(saml_idp, request, *assertions) -> str:
    xml = saml_idp.response_xml(request=request, assertions="")
    root = etree.fromstring(xml.encode())
    for assertion in assertions:
        root.append(assertion)
    return encode(etree.tostring(root).decode())


def test_wrapping_with_an_evil_assertion_beside_the_signed_one_is_refused(alpha_client, saml_idp):
    request = start_login(alpha_client)
    signed, evil = _signed_and_evil(saml_idp, request)
    evil.remove(evil.find("{http://www.w3.org/2000/09/xmldsig#}Signature"))
    _refused(alpha_client, _response_with(saml_idp, request, evil, signed))


def test_wrapping_the_signed_assertion_inside_the_evil_one_is_refused(alpha_client, saml_idp):
    request = start_login(alpha_client)
    signed, evil = _signed_and_evil(saml_idp, request)
    # The evil assertion keeps the signature (which names #legit) and carries the signed original
    # inside it, where a naive verifier would find the referenced element and be satisfied.
    evil.find("{http://www.w3.org/2000/09/xmldsig#}Signature").append(signed)
    _refused(alpha_client, _response_with(saml_idp, request, evil))


def test_wrapping_a_signed_response_in_extensions_is_refused(alpha, saml_idp):
    configure_saml(alpha, saml_idp, want_assertions_signed=False, want_responses_signed=True)
    client = host_client(alpha)
    request = start_login(client)
    genuine = etree.fromstring(
        decode(
            saml_idp.respond(request, name_id="viewer@alpha.test", sign_assertion=False, sign_response=True)
        ).encode()
    )
    evil_assertion = etree.fromstring(
        saml_idp.assertion_xml(request=request, name_id="owner@alpha.test").encode()
    )
    evil = etree.fromstring(saml_idp.response_xml(request=request, assertions="").encode())
    evil.set("ID", genuine.get("ID") + "x")
    extensions = etree.SubElement(evil, f"{{{SAMLP}}}Extensions")
    extensions.append(genuine)
    evil.insert(1, extensions)
    evil.append(evil_assertion)
    _refused(client, encode(etree.tostring(evil).decode()))


def test_response_delivered_to_another_browser_signs_no_one_in(alpha, saml_idp):
    # Login CSRF: the attacker starts a sign-in, gets a genuine response for their own account and
    # makes the victim's browser post it. The victim's session never asked for it.
    configure_saml(alpha, saml_idp)
    attacker, victim = host_client(alpha), host_client(alpha)
    request = start_login(attacker)
    body = _refused(victim, saml_idp.respond(request, name_id="viewer@alpha.test"))
    assert "answers no sign-in started in this browser" in body


def test_parked_response_is_used_once(alpha_client, saml_idp):
    request = start_login(alpha_client)
    posted = alpha_client.post(
        "/accounts/sso/saml/corp/acs/",
        {"SAMLResponse": saml_idp.respond(request, name_id="viewer@alpha.test")},
    )
    assert alpha_client.get(posted["Location"]).status_code == 302
    alpha_client.logout()
    again = alpha_client.get(posted["Location"])
    assert again.status_code == 403
    assert signed_in_as(alpha_client) is None
