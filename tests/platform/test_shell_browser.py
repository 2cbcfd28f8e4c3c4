# SPDX-License-Identifier: MIT
"""The product shell in a real browser at 1440 and 390 px: account pages, the phone menu, home's
first-run checklist, branded 404, and the data pages' progress, removal and times."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from tests.conftest import PASSWORD
from tests.pagecheck import check_page

pytestmark = pytest.mark.browser


def _alpha(workspaces):
    return workspaces.get("alpha") or workspaces["default"]


def test_account_pages_look_like_the_product(live_server, page, workspaces):
    alpha = _alpha(workspaces)
    page.goto(live_server.url(alpha, "/accounts/login/"))
    assert page.locator("h1").inner_text() in ("Sign in to Alpha", "Sign in to Aiser")
    check_page(page, "shell-sign-in")
    page.goto(
        live_server.url(path="/accounts/signup/")
        if settings.ENTERPRISE
        else live_server.url(alpha, "/accounts/signup/")
    )
    assert page.locator("h1").inner_text() == "Create your Aiser account"
    check_page(page, "shell-sign-up")
    page.goto(live_server.url(alpha, "/accounts/password/reset/"))
    check_page(page, "shell-password-reset")
    page.goto(live_server.url(path="/no-such-page/"))
    assert page.locator("h1").inner_text() == "We can’t find that page"
    check_page(page, "shell-404")
    # The one "error" is the 404 answer itself.
    assert [e for e in page.console_errors if "status of 404" not in e] == []


def test_phone_width_folds_the_navigation_behind_a_menu_button(live_server, page, login, workspaces):
    alpha = _alpha(workspaces)
    login(page, alpha, "owner")
    page.set_viewport_size({"width": 1440, "height": 900})
    menu = page.get_by_role("button", name="Menu")
    data_link = page.locator("#main-nav a", has_text="Data")
    assert not menu.is_visible()
    assert data_link.is_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    assert menu.is_visible()
    assert not data_link.is_visible()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert data_link.is_visible()
    page.keyboard.press("Escape")
    assert not data_link.is_visible()
    menu.click()
    data_link.click()
    page.wait_for_url(re.compile(r"/sources/$"))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []


def test_chat_page_at_phone_width_starts_at_the_top(live_server, page, login, workspaces):
    alpha = _alpha(workspaces)
    login(page, alpha, "editor")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url(alpha, "/chat/"))
    page.wait_for_function("() => !document.querySelector('#chat-source').textContent.includes('Loading')")
    assert page.evaluate("() => window.scrollY") == 0
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    start = page.locator("#chat-start").bounding_box()
    assert start is not None
    assert start["y"] + start["height"] <= 844, "the Start button is below the first screen"
    check_page(page, "shell-chat")


def _delete_sources(workspace, committed, *names):
    from chat2chart.core.principal import Principal
    from chat2chart.sources import services
    from chat2chart.sources.models import Source

    with committed(), workspace.activate():
        for source in Source.objects.filter(name__in=names):
            services.source_delete(source=source, principal=Principal.for_user(workspace.users["owner"]))


def test_home_checklist_and_the_one_click_sample_dataset(live_server, page, login, committed, workspaces):
    from chat2chart.sources import demo
    from chat2chart.sources.models import Source

    alpha = _alpha(workspaces)
    with committed(), alpha.activate():
        ready = list(Source.objects.filter(status=Source.Status.READY).values_list("name", flat=True))
    _delete_sources(alpha, committed, *ready)  # a new organisation has no data
    login(page, alpha, "owner")
    try:
        page.goto(live_server.url(alpha, "/"))
        step = page.locator("[data-step=data]")
        assert step.get_attribute("data-done") == "false"
        check_page(page, "shell-home-first-run")
        page.set_viewport_size({"width": 1440, "height": 900})
        page.click("[data-sample-data]")
        page.wait_for_url(re.compile(r"/sources/\d+/$"))
        assert page.locator("h1").inner_text() == demo.SAMPLE_FOR_NEW_WORKSPACES
        page.goto(live_server.url(alpha, "/"))
        assert step.get_attribute("data-done") == "true"
        assert page.locator("[data-recent]").inner_text().count(demo.SAMPLE_FOR_NEW_WORKSPACES) == 1
        check_page(page, "shell-home-recent")
        assert page.console_errors == []
    finally:
        _delete_sources(alpha, committed, demo.SAMPLE_FOR_NEW_WORKSPACES)


def test_upload_ends_at_100_percent_and_a_rejected_file_leaves_nothing(
    live_server, page, login, committed, workspaces
):
    from chat2chart.sources.models import Source

    alpha = _alpha(workspaces)
    login(page, alpha, "editor")
    rows = "region,revenue\n" + "".join(f"R{i % 4},{i}\n" for i in range(500))
    try:
        page.goto(live_server.url(alpha, "/sources/upload/"))
        page.fill("#upload-name", "Shell good upload")
        page.set_input_files(
            "#upload-file", {"name": "good.csv", "mimeType": "text/csv", "buffer": rows.encode()}
        )
        page.click("form[data-upload-form] button[type=submit]")
        page.wait_for_selector("[data-progress][data-state=ready]")
        assert page.locator("[data-progress-percent]").inner_text() == "100 %"
        assert page.locator("[data-progress-bar]").get_attribute("aria-valuenow") == "100"
        assert page.locator("[data-progress-detail]").inner_text() == "500 rows in 1 table."
        check_page(page, "shell-upload-ready")

        page.goto(live_server.url(alpha, "/sources/upload/"))
        page.fill("#upload-name", "Shell rejected upload")
        page.set_input_files(
            "#upload-file", {"name": "broken.json", "mimeType": "application/json", "buffer": b"{not json"}
        )
        page.click("form[data-upload-form] button[type=submit]")
        page.wait_for_selector("[data-progress][data-state=failed]")
        detail = "document.querySelector('[data-progress-detail]').textContent"
        page.wait_for_function(f"() => {detail}.startsWith('Nothing was saved')")
        assert page.locator("[data-progress-error]").inner_text() != ""
        with committed(), alpha.activate():
            assert not Source.objects.filter(name="Shell rejected upload").exists()

        page.goto(live_server.url(alpha, "/sources/"))
        row = page.locator("tr", has_text="Shell good upload")
        assert row.locator("time").inner_text() == "just now"
        assert "Shell rejected upload" not in page.content()
        assert page.console_errors == []
    finally:
        _delete_sources(alpha, committed, "Shell good upload", "Shell rejected upload")


def test_a_failed_source_can_be_removed_from_the_list(live_server, page, login, committed, workspaces):
    from model_bakery import baker

    from chat2chart.sources.models import Source

    alpha = _alpha(workspaces)
    with committed(), alpha.activate():
        baker.make(
            Source,
            name="Shell failed source",
            kind="file",
            status="failed",
            error="The file is empty.",
            owner=alpha.users["editor"],
        )
    try:
        login(page, alpha, "editor")
        page.goto(live_server.url(alpha, "/sources/"))
        row = page.locator("tr", has_text="Shell failed source")
        assert "The file is empty." in row.inner_text()
        check_page(page, "shell-sources-failed")
        page.set_viewport_size({"width": 1440, "height": 900})
        row.get_by_role("button", name="Remove Shell failed source").click()
        row.wait_for(state="detached")
        with committed(), alpha.activate():
            assert not Source.objects.filter(name="Shell failed source").exists()
    finally:
        _delete_sources(alpha, committed, "Shell failed source")


@pytest.mark.enterprise
def test_signing_in_on_the_public_site_lands_in_the_organisation(live_server, page, workspaces):
    alpha = workspaces["alpha"]
    page.goto(live_server.url(path="/accounts/login/"))
    check_page(page, "shell-public-sign-in")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.fill("input[name=login]", alpha.users["viewer"].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"http://{alpha.host}:{live_server.port}/")
    assert page.locator(".who").inner_text() == alpha.users["viewer"].email
    page.goto(live_server.url(path="/organizations/find/"))
    check_page(page, "shell-find-organisation")
