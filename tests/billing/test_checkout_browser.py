# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""From the billing page through (fake) Stripe Checkout and back, to an upgraded plan, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.billing.fake_stripe import SECRET_KEY, WEBHOOK_SECRET
from tests.conftest import PASSWORD, serve_live

pytestmark = [pytest.mark.enterprise, pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def billing_server(workspaces, fake_stripe_server, tmp_path_factory, committed) -> Any:
    """A server with billing on and Stripe at the fake; paid plans priced, alpha's subscription reset
    (committed, since the server is another process), and restored afterwards."""
    from enterprise.billing.models import Plan, Subscription

    alpha = workspaces["alpha"].organization
    fake_stripe_server.reset()
    with committed():
        for slug in ("team", "business"):
            Plan.objects.filter(slug=slug).update(stripe_price_id=f"price_{slug}")
        Subscription.objects.filter(organization=alpha).delete()
    env = {
        "AISER_BILLING_ENABLED": "true",
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": fake_stripe_server.url,
    }
    try:
        with serve_live(tmp_path_factory, **env) as server:
            fake_stripe_server.webhook_url = f"http://localhost:{server.port}/billing/stripe/webhook/"
            yield server
    finally:
        with committed():
            Subscription.objects.filter(organization=alpha).delete()
            Plan.objects.filter(slug__in=["team", "business"]).update(stripe_price_id="")


def test_owner_upgrades_through_checkout_and_returns_to_the_new_plan(page, billing_server, workspaces):
    alpha = workspaces["alpha"]
    page.goto(f"http://{alpha.host}:{billing_server.port}/accounts/login/")
    page.fill("input[name=login]", alpha.users["owner"].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto(f"http://{alpha.host}:{billing_server.port}/settings/billing/")
    assert "Team" in page.locator("#current-plan").inner_text()
    page.get_by_role("button", name="Upgrade to Business").click()
    page.wait_for_url(lambda url: "/checkout/cs_test_" in url)
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(lambda url: "checkout=done" in url)

    assert "Business" in page.locator("#current-plan").inner_text()
    assert "Active" in page.locator("#current-plan").inner_text()
    assert page.console_errors == []
