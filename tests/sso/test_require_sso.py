# SPDX-License-Identifier: MIT
"""Require SSO: members stop using passwords on the organisation's host; owners keep a break-glass
password; other organisations are unaffected."""

from __future__ import annotations

import pytest

from enterprise.sso.models import SsoPolicy
from tests.conftest import PASSWORD
from tests.sso.conftest import configure_saml, host_client, post_response, signed_in_as, start_login

pytestmark = pytest.mark.enterprise


def _password_login(client, email: str):
    return client.post("/accounts/login/", {"login": email, "password": PASSWORD})


@pytest.fixture
def alpha_requires_sso(alpha, saml_idp):
    configure_saml(alpha, saml_idp)
    SsoPolicy.objects.create(organization=alpha.organization, require_sso=True)
    return alpha


def test_member_password_is_refused_where_sso_is_required(alpha_requires_sso):
    client = host_client(alpha_requires_sso)
    response = _password_login(client, "editor@alpha.test")
    assert response.status_code == 200  # the form again, with an error
    assert signed_in_as(client) is None


def test_owner_keeps_a_break_glass_password(alpha_requires_sso):
    client = host_client(alpha_requires_sso)
    assert _password_login(client, "owner@alpha.test").status_code == 302
    assert signed_in_as(client) == "owner@alpha.test"
    assert client.get("/api/v1/me/").status_code == 200


def test_a_session_not_made_by_sso_is_ended(alpha_requires_sso):
    # Signed in before SSO was required, or handed off from the public site.
    client = host_client(alpha_requires_sso, alpha_requires_sso.users["editor"])
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sso/"
    assert signed_in_as(client) is None


def test_an_api_call_on_a_session_not_made_by_sso_gets_a_json_error(alpha_requires_sso):
    client = host_client(alpha_requires_sso, alpha_requires_sso.users["viewer"])
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "sso_required"


def test_a_session_made_by_sso_works(alpha_requires_sso, saml_idp):
    client = host_client(alpha_requires_sso)
    request = start_login(client)
    post_response(client, saml_idp.respond(request, name_id="editor@alpha.test"))
    assert client.get("/").status_code == 200
    assert signed_in_as(client) == "editor@alpha.test"


def test_another_organisation_keeps_passwords(alpha_requires_sso, beta):
    client = host_client(beta)
    assert _password_login(client, "editor@beta.test").status_code == 302
    assert signed_in_as(client) == "editor@beta.test"


def test_requiring_sso_without_an_enabled_idp_locks_no_one_out(alpha_requires_sso):
    alpha_requires_sso.organization.identity_providers.update(enabled=False)
    from django.core.cache import cache
    from django_tenants.utils import schema_context

    with schema_context(alpha_requires_sso.organization.schema_name):
        cache.clear()  # update() sends no signal; a real change goes through the API's save
    client = host_client(alpha_requires_sso)
    assert _password_login(client, "editor@alpha.test").status_code == 302
