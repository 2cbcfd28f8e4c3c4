# SPDX-License-Identifier: MIT
"""A new visitor signs up in a real browser, creates an organisation and lands on its host."""

import re
import uuid

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.enterprise]


def test_sign_up_create_organisation_and_land_on_its_host(live_server, page, committed):
    from allauth.account.models import EmailAddress

    from enterprise.tenants.models import Organization

    suffix = uuid.uuid4().hex[:8]
    email = f"founder-{suffix}@example.test"
    slug = f"acme-{suffix}"
    try:
        page.goto(live_server.url(path="/accounts/signup/"))
        page.fill("input[name=email]", email)
        page.fill("input[name=password1]", "a-long-enough-passphrase-9")
        page.fill("input[name=password2]", "a-long-enough-passphrase-9")
        page.click("form button[type=submit]")
        # Email verification is mandatory: the console backend "sends" the mail; verify as the link would.
        page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
        with committed():
            EmailAddress.objects.filter(email=email).update(verified=True)
        page.goto(live_server.url(path="/accounts/login/"))
        page.fill("input[name=login]", email)
        page.fill("input[name=password]", "a-long-enough-passphrase-9")
        page.click("form button[type=submit]")
        page.goto(live_server.url(path="/organizations/new/"))
        page.fill("#id_name", f"Acme {suffix}")
        page.fill("#id_slug", slug)
        page.click("#org-form button[type=submit]")
        page.wait_for_url(f"http://{slug}.localhost:{live_server.port}/", timeout=30_000)
        assert page.locator("h1").inner_text().startswith("Acme")
        assert page.console_errors == []
    finally:
        with committed():
            Organization.objects.filter(slug=slug).delete()
            from chat2chart.accounts.models import User

            User.objects.filter(email=email).delete()
