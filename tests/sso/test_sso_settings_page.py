# SPDX-License-Identifier: MIT
"""The single sign-on settings page, in Chromium: an admin adds a SAML identity provider (with a group →
role mapping), sees the URLs to enter at the IdP, changes and removes it, claims an email domain and
requires SSO; a bad mapping line is explained, not saved. Viewers do not get the page."""

from __future__ import annotations

import contextlib

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.pagecheck import check_page
from tests.sso.saml_idp import SamlIdp

pytestmark = pytest.mark.enterprise


def test_only_admins_get_the_sso_settings_page(alpha):
    assert alpha.client("admin").get("/settings/sso/").status_code == 200
    assert alpha.client("owner").get("/settings/sso/").status_code == 200
    assert alpha.client("editor").get("/settings/sso/").status_code == 404
    assert alpha.client("viewer").get("/settings/sso/").status_code == 404


def _forget(organization) -> None:
    from enterprise.sso.models import IdentityProvider, SsoDomain, SsoPolicy

    IdentityProvider.objects.filter(organization=organization).delete()
    SsoDomain.objects.filter(organization=organization).delete()
    SsoPolicy.objects.filter(organization=organization).delete()


@pytest.mark.browser
def test_an_admin_sets_up_saml_a_domain_and_requires_sso_from_the_page(
    live_server, page, login, committed, workspaces
):
    from enterprise.sso.models import IdentityProvider, SsoDomain, SsoPolicy

    beta = workspaces["beta"]
    idp = SamlIdp()
    with committed():
        _forget(beta.organization)
        IdentityProvider.objects.create(
            organization=beta.organization,
            slug="old",
            name="Old Login",
            protocol="oidc",
            server_url="https://old.example.test",
            client_id="old-client",
        )
    try:
        login(page, beta, "admin")
        page.goto(live_server.url(beta, "/settings/sso/"))
        page.locator("#sso-providers tr[data-slug=old]").wait_for()
        check_page(page, "sso-settings")
        page.set_viewport_size({"width": 1440, "height": 900})

        page.get_by_label("Short name (in URLs)").fill("corp")
        page.get_by_label("Name shown on the sign-in page").fill("Corp Login")
        page.get_by_label("Entity ID").fill(idp.entity_id)
        page.get_by_label("Single sign-on URL").fill("https://idp.example.test/sso")
        page.get_by_label("Signing certificate (PEM)").fill(idp.cert_body)
        page.get_by_label("Groups to roles").fill("analysts = editor")
        page.get_by_label("Attributes, one per line").fill("this line has no equals sign")
        page.get_by_role("button", name="Save identity provider").click()
        page.get_by_role("alert").get_by_text('write each line as "name = value"').wait_for()
        with committed():
            assert not IdentityProvider.objects.filter(organization=beta.organization, slug="corp").exists()

        page.get_by_label("Attributes, one per line").fill("email = mail")
        page.get_by_role("button", name="Save identity provider").click()
        page.get_by_role("status").get_by_text("Saved Corp Login.").wait_for()
        row = page.locator("#sso-providers tr[data-slug=corp]")
        assert "acs" in row.inner_text().lower()
        assert "/accounts/sso/saml/corp/metadata/" in row.inner_text()
        with committed():
            saved = IdentityProvider.objects.get(organization=beta.organization, slug="corp")
            assert (saved.name, saved.protocol, saved.group_roles) == (
                "Corp Login",
                "saml",
                {"analysts": "editor"},
            )
            assert saved.attribute_map == {"email": "mail"}

        row.get_by_role("button", name="Change Corp Login").click()
        assert page.get_by_label("Short name (in URLs)").input_value() == "corp"
        assert page.get_by_label("Groups to roles").input_value() == "analysts = editor"
        page.get_by_label("Name shown on the sign-in page").fill("Corp SSO")
        page.get_by_role("button", name="Save identity provider").click()
        page.get_by_role("status").get_by_text("Saved Corp SSO.").wait_for()

        page.get_by_label("Domain", exact=True).fill("beta-corp.test")
        page.get_by_role("button", name="Claim domain").click()
        domain_row = page.locator("#sso-domains tr[data-domain='beta-corp.test']")
        domain_row.wait_for()
        assert "_aiser-verification.beta-corp.test" in domain_row.inner_text()
        assert "Waiting for verification" in domain_row.inner_text()

        page.once("dialog", lambda dialog: dialog.accept())
        page.locator("#sso-providers tr[data-slug=old]").get_by_role(
            "button", name="Remove Old Login"
        ).click()
        page.get_by_role("status").get_by_text("Removed Old Login.").wait_for()
        with committed():
            assert list(
                IdentityProvider.objects.filter(organization=beta.organization).values_list("slug", flat=True)
            ) == ["corp"]

        page.get_by_label("Require single sign-on for every member").check()
        page.get_by_role("status").get_by_text("Single sign-on is now required.").wait_for()
        with committed():
            assert SsoPolicy.objects.get(organization=beta.organization).require_sso is True
            assert SsoDomain.objects.filter(organization=beta.organization, domain="beta-corp.test").exists()
            assert (
                IdentityProvider.objects.get(organization=beta.organization, slug="corp").name == "Corp SSO"
            )

        # Signed in with a password, this admin is now sent to sign in through the identity provider.
        # (The IdP's host does not resolve here: the navigation ends in a network error after the redirect.)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        with contextlib.suppress(PlaywrightError):
            page.reload()
        assert any(url.startswith("https://idp.example.test/sso?SAMLRequest=") for url in requested), (
            requested
        )
        assert page.console_errors == []
    finally:
        with committed():
            _forget(beta.organization)
