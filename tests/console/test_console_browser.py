# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""A staff member in a real browser: signs in on the public site, finds the organisations in the
console, suspends one (its API refuses at once, the other's works) and reactivates it."""

from __future__ import annotations

import json
import urllib.request

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.enterprise]

EMAIL = "browser-staff@platform.test"
PASSWORD = "a-long-staff-passphrase-9"


def _status_of(live_server, workspace) -> str:
    """The error code (or "ok") of an anonymous API call on the organisation's host."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{live_server.port}/api/v1/me/", headers={"Host": workspace.host}
    )
    try:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - loopback
    except urllib.error.HTTPError as error:
        return json.loads(error.read())["error"]["code"]
    return "ok"


def test_staff_list_suspend_and_reactivate_in_the_browser(live_server, page, committed, workspaces):
    # The session's organisations, not the `alpha`/`beta` fixtures: those open a test transaction,
    # which beside `live_server` turns into a transactional test that empties every table afterwards.
    alpha, beta = workspaces["alpha"], workspaces["beta"]
    from chat2chart.accounts.models import User
    from chat2chart.accounts.services import user_ensure_verified
    from enterprise.console.models import StaffAction
    from enterprise.tenants.models import Organization

    with committed():
        staff = user_ensure_verified(email=EMAIL, password=PASSWORD)
        User.objects.filter(pk=staff.pk).update(is_staff=True)
    try:
        page.goto(live_server.url(path="/accounts/login/"))
        page.fill("input[name=login]", EMAIL)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        page.click("nav >> text=Console")
        page.wait_for_selector("#console-organizations")
        assert page.locator("#console-organizations tr[data-slug=alpha]").count() == 1
        assert page.locator("#console-organizations tr[data-slug=beta]").count() == 1
        page.wait_for_selector("#console-daily-chart canvas")  # ECharts drew the totals

        page.click("#console-organizations tr[data-slug=alpha] a")
        page.wait_for_selector("#console-suspend")
        page.fill("#suspend-reason", "Unpaid for three months")
        page.click("#console-suspend button[type=submit]")
        page.wait_for_selector("#console-reactivate")
        assert page.locator("#console-status").inner_text() == "Suspended"
        assert "organization.suspend" in page.locator("#console-audit").inner_text()
        # Signed out, an active organisation's API asks for credentials; a suspended one refuses outright.
        assert _status_of(live_server, alpha) == "organization_suspended"
        assert _status_of(live_server, beta) == "not_authenticated"

        page.click("#console-reactivate button[type=submit]")
        page.wait_for_selector("#console-suspend")
        assert page.locator("#console-status").inner_text() == "Active"
        assert _status_of(live_server, alpha) == "not_authenticated"
        assert page.console_errors == []
    finally:
        with committed():
            Organization.objects.filter(pk=alpha.organization.pk).update(status="active", suspended_reason="")
            StaffAction.objects.filter(actor_email=EMAIL).delete()
            User.objects.filter(email=EMAIL).delete()
