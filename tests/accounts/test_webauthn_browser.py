# SPDX-License-Identifier: MIT
"""A member adds a security key (WebAuthn) from the browser, then signs in with password + key. Chromium's
virtual authenticator (DevTools protocol) plays the key, so the real allauth/fido2 ceremony runs."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.enterprise]


def _virtual_key(page) -> None:
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    session.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


def _password_sign_in(page, live_server, workspace, email: str) -> None:
    page.goto(live_server.url(workspace, "/accounts/login/"))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_member_adds_a_security_key_and_signs_in_with_it(live_server, page, committed, workspaces):
    from allauth.mfa.models import Authenticator

    from chat2chart.accounts.services import user_ensure_verified
    from enterprise.tenants.models import Membership

    alpha = workspaces["alpha"]
    email = f"key-{uuid.uuid4().hex[:8]}@alpha.test"
    with committed():
        user = user_ensure_verified(email=email, password=PASSWORD)
        Membership.objects.create(user=user, organization=alpha.organization, role="viewer")
    try:
        _virtual_key(page)
        _password_sign_in(page, live_server, alpha, email)
        page.goto(live_server.url(alpha, "/accounts/2fa/webauthn/add/"))
        if "/accounts/reauthenticate/" in page.url:  # allauth asks for the password again first
            page.fill("input[name=password]", PASSWORD)
            page.click("form button[type=submit]")
            page.wait_for_url(re.compile(r"/accounts/2fa/webauthn/add/"))
        page.fill("input[name=name]", "Desk key")
        page.click("#mfa_webauthn_add")
        page.wait_for_url(lambda url: "/accounts/2fa/webauthn/add/" not in url)
        with committed():
            keys = Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN)
            assert keys.count() == 1
            assert keys.get().wrap().name == "Desk key"

        page.context.clear_cookies()
        _password_sign_in(page, live_server, alpha, email)
        assert "/accounts/2fa/authenticate/" in page.url  # the key is now required
        page.click("#mfa_webauthn_authenticate")
        page.wait_for_url(lambda url: "/accounts/2fa/" not in url)
        me = page.goto(live_server.url(alpha, "/api/v1/me/"))
        assert me.ok
        assert email in me.text()
        assert page.console_errors == []
    finally:
        with committed():
            user.delete()
