# SPDX-License-Identifier: MIT
"""A member sets up an authenticator app in a real browser, from their security page."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.accounts.totp import totp
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.enterprise]


def test_member_enrols_an_authenticator_app_from_the_security_page(live_server, page, committed, workspaces):
    from chat2chart.accounts.services import user_ensure_verified
    from enterprise.tenants.models import Membership

    # Not the `alpha` fixture: it needs `db`, which pytest-django makes transactional next to a
    # `live_server` and then flushes every table (organisations included) after the test.
    alpha = workspaces["alpha"]
    email = f"mfa-{uuid.uuid4().hex[:8]}@alpha.test"
    with committed():
        user = user_ensure_verified(email=email, password=PASSWORD)
        Membership.objects.create(user=user, organization=alpha.organization, role="viewer")
    try:
        page.goto(live_server.url(alpha, "/accounts/login/"))
        page.fill("input[name=login]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        page.goto(live_server.url(alpha, "/accounts/security/"))
        assert "Not set up" in page.locator("main").inner_text()
        page.click("#manage-mfa")
        page.click("a[href='/accounts/2fa/totp/activate/']")
        # allauth asks for the password again before adding an authenticator.
        page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
        secret = page.input_value("#authenticator_secret")
        page.fill("input[name=code]", totp(secret))
        page.click("form button[type=submit]")
        page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))
        page.goto(live_server.url(alpha, "/accounts/security/"))
        listed = page.locator("main").inner_text()
        assert "TOTP Authenticator" in listed
        assert "Recovery codes" in listed
        assert page.console_errors == []
    finally:
        with committed():
            user.delete()
