# SPDX-License-Identifier: MIT
"""SAML sign-in against an IdP made in the test, which signs its own responses."""

from __future__ import annotations

import pytest

from enterprise.sso.models import SsoIdentity
from enterprise.tenants.models import Membership
from tests.sso.conftest import configure_saml, host_client, post_response, signed_in_as, start_login

pytestmark = pytest.mark.enterprise


def test_member_signs_in_with_a_signed_assertion(alpha, saml_idp):
    configure_saml(alpha, saml_idp)
    client = host_client(alpha)
    request = start_login(client, "/dashboards/")
    assert request.acs_url.endswith("/accounts/sso/saml/corp/acs/")
    response = post_response(client, saml_idp.respond(request, name_id="editor@alpha.test"), "/dashboards/")
    assert response.status_code == 302, response.content.decode()[-800:]
    assert response["Location"] == "/dashboards/"
    assert signed_in_as(client) == "editor@alpha.test"
    assert client.get("/api/v1/me/").status_code == 200


def test_signed_response_is_accepted_when_responses_must_be_signed(alpha, saml_idp):
    configure_saml(alpha, saml_idp, want_assertions_signed=False, want_responses_signed=True)
    client = host_client(alpha)
    request = start_login(client)
    saml_response = saml_idp.respond(
        request, name_id="viewer@alpha.test", sign_assertion=False, sign_response=True
    )
    assert post_response(client, saml_response).status_code == 302
    assert signed_in_as(client) == "viewer@alpha.test"


def test_new_person_in_a_verified_domain_is_provisioned_with_the_mapped_role(alpha, saml_idp):
    configure_saml(
        alpha,
        saml_idp,
        domain="alpha-corp.test",
        group_roles={"analysts": "editor", "it-admins": "admin"},
        kept_attributes=["department"],
    )
    client = host_client(alpha)
    request = start_login(client)
    attributes = {
        "email": ["New.Person@alpha-corp.test"],
        "name": ["New Person"],
        "groups": ["analysts", "unrelated"],
        "department": ["Finance"],
    }
    post_response(client, saml_idp.respond(request, name_id="np-123", attributes=attributes))
    assert signed_in_as(client) == "new.person@alpha-corp.test"
    membership = Membership.objects.get(
        organization=alpha.organization, user__email="new.person@alpha-corp.test"
    )
    assert membership.role == "editor"
    assert membership.user.name == "New Person"
    assert not membership.user.has_usable_password()
    identity = SsoIdentity.objects.get(membership=membership)
    assert identity.subject == "np-123"
    assert identity.groups == ["analysts", "unrelated"]
    assert identity.attributes == {"department": ["Finance"]}


def test_group_mapping_changes_a_members_role_on_the_next_sign_in_but_never_an_owners(alpha, saml_idp):
    configure_saml(alpha, saml_idp, group_roles={"it-admins": "admin"})
    for email in ("viewer@alpha.test", "owner@alpha.test"):
        client = host_client(alpha)
        request = start_login(client)
        post_response(client, saml_idp.respond(request, name_id=email, attributes={"groups": ["it-admins"]}))
        assert signed_in_as(client) == email
    roles = dict(
        Membership.objects.filter(organization=alpha.organization).values_list("user__email", "role")
    )
    assert roles["viewer@alpha.test"] == "admin"
    assert roles["owner@alpha.test"] == "owner"


def test_without_jit_an_unknown_person_is_refused(alpha, saml_idp):
    configure_saml(alpha, saml_idp, domain="alpha-corp.test", jit_provisioning=False)
    client = host_client(alpha)
    request = start_login(client)
    response = post_response(client, saml_idp.respond(request, name_id="stranger@alpha-corp.test"))
    assert response.status_code == 403
    assert b"ask an admin to invite you" in response.content
    assert signed_in_as(client) is None


def test_an_idp_cannot_sign_in_an_account_outside_its_verified_domains(alpha, beta, saml_idp):
    # alpha's IdP asserts the address of beta's owner: not alpha's member, not alpha's domain.
    configure_saml(alpha, saml_idp, domain="alpha-corp.test")
    client = host_client(alpha)
    request = start_login(client)
    response = post_response(client, saml_idp.respond(request, name_id="owner@beta.test"))
    assert response.status_code == 403
    assert signed_in_as(client) is None
    assert not Membership.objects.filter(
        organization=alpha.organization, user__email="owner@beta.test"
    ).exists()


def test_sp_metadata_names_the_acs_and_entity_of_the_organisation_host(alpha, beta, saml_idp):
    configure_saml(alpha, saml_idp)
    body = host_client(alpha).get("/accounts/sso/saml/corp/metadata/").content.decode()
    assert f"{alpha.organization.url}/accounts/sso/saml/corp/acs/" in body
    assert 'entityID="' + f"{alpha.organization.url}/accounts/sso/saml/corp/metadata/" in body
    # beta has no IdP called corp: its host answers 404, not alpha's metadata.
    assert host_client(beta).get("/accounts/sso/saml/corp/metadata/").status_code == 404


def test_sign_in_page_offers_the_organisations_idp_only(alpha, beta, saml_idp):
    configure_saml(alpha, saml_idp)
    assert b"Sign in with Corp IdP" in host_client(alpha).get("/accounts/login/").content
    assert b"Sign in with Corp IdP" not in host_client(beta).get("/accounts/login/").content


def test_login_method_is_observable_by_login_listeners(alpha, saml_idp):
    from allauth.account.signals import user_logged_in

    seen = []

    def listener(sender, request, user, **kwargs):
        seen.append((user.email, getattr(request, "aiser_login_method", None)))

    user_logged_in.connect(listener)
    try:
        configure_saml(alpha, saml_idp)
        client = host_client(alpha)
        request = start_login(client)
        post_response(client, saml_idp.respond(request, name_id="admin@alpha.test"))
    finally:
        user_logged_in.disconnect(listener)
    assert seen == [("admin@alpha.test", "saml")]


def test_logout_signs_out_here_and_then_at_the_idp(alpha, saml_idp):
    configure_saml(alpha, saml_idp)
    client = host_client(alpha)
    request = start_login(client)
    post_response(client, saml_idp.respond(request, name_id="editor@alpha.test"))
    assert signed_in_as(client) == "editor@alpha.test"
    response = client.get("/accounts/sso/saml/corp/logout/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"{saml_idp.slo_url}?SAMLRequest=")
    assert signed_in_as(client) is None
    # The IdP's logout (request or response) coming back ends any session that is left.
    again = host_client(alpha, alpha.users["editor"])
    assert again.get("/accounts/sso/saml/corp/slo/?SAMLResponse=x").status_code == 302
    assert signed_in_as(again) is None


def test_an_address_verified_on_an_existing_account_signs_in_to_that_account(alpha, saml_idp):
    from allauth.account.models import EmailAddress

    configure_saml(alpha, saml_idp, domain="alpha-corp.test")
    EmailAddress.objects.create(
        user=alpha.users["admin"], email="boss@alpha-corp.test", verified=True, primary=False
    )
    client = host_client(alpha)
    request = start_login(client)
    post_response(client, saml_idp.respond(request, name_id="boss@alpha-corp.test"))
    assert signed_in_as(client) == "admin@alpha.test"
    assert EmailAddress.objects.filter(user=alpha.users["admin"], primary=True).count() == 1


def test_mapped_sso_attributes_become_member_attributes_for_row_access(alpha, saml_idp):
    from enterprise.rbac.attributes import member_attributes

    configure_saml(alpha, saml_idp, attribute_map={"email": "email", "attribute:region": "salesRegion"})
    client = host_client(alpha)
    request = start_login(client)
    attributes = {"email": ["viewer@alpha.test"], "salesRegion": ["North", "East"]}
    post_response(client, saml_idp.respond(request, name_id="viewer@alpha.test", attributes=attributes))
    assert signed_in_as(client) == "viewer@alpha.test"
    user_id = alpha.users["viewer"].pk
    assert member_attributes(organization_id=alpha.organization.pk, user_id=user_id) == {
        "region": ["East", "North"]
    }
    # The next assertion replaces them: the IdP is the source of truth for what it maps.
    client = host_client(alpha)
    request = start_login(client)
    attributes = {"email": ["viewer@alpha.test"], "salesRegion": ["South"]}
    post_response(client, saml_idp.respond(request, name_id="viewer@alpha.test", attributes=attributes))
    assert member_attributes(organization_id=alpha.organization.pk, user_id=user_id) == {"region": ["South"]}
