# SPDX-License-Identifier: MIT
"""Content-Security-Policy on every page: scripts only from the site or with the page's nonce.

Three views of the same rule: the header on each page (and embeds keep their own frame-ancestors),
a scan of every template for inline scripts without a nonce or inline event handlers, and the main
pages loaded in Chromium with no policy violation reported.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from chat2chart.core.principal import Principal
from tests.dashboards.conftest import (  # noqa: F401 - `sales` is a fixture
    build_sales_data,
    make_dashboard,
    sales,
    set_up_embedding,
    sign,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PAGES = ["/", "/chat/", "/dashboards/", "/charts/", "/charts/gallery/", "/sources/", "/sources/upload/"]


def directives(response: Any) -> dict[str, str]:
    parts = (part.strip().partition(" ") for part in response["Content-Security-Policy"].split(";"))
    return {name: value for name, _, value in parts}


@pytest.mark.parametrize("path", [*PAGES, "/accounts/login/", "/api/docs/"])
def test_every_page_has_a_policy_that_refuses_inline_scripts(alpha, path):
    response = alpha.client("owner").get(path, follow=True)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"].startswith("'self'")
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"


def test_inline_scripts_carry_the_nonce_of_their_page(alpha, sales):  # noqa: F811
    with alpha.activate():
        dashboard = make_dashboard(sales, widgets=("revenue",))
    response = alpha.client("owner").get(f"/dashboards/{dashboard.pk}/")
    nonce = re.search(r"'nonce-([^']+)'", directives(response)["script-src"]).group(1)
    assert f'nonce="{nonce}"'.encode() in response.content


@pytest.mark.enterprise
def test_the_public_site_has_the_policy_too(db):
    from django.test import Client

    for path in ("/", "/accounts/login/", "/accounts/signup/"):
        response = Client(HTTP_HOST="localhost").get(path)
        assert "'unsafe-inline'" not in directives(response)["script-src"], path


def test_an_embed_keeps_its_own_frame_ancestors_and_gets_the_rest(alpha, sales):  # noqa: F811
    with alpha.activate():
        dashboard = make_dashboard(sales, widgets=("revenue",))
        secret = set_up_embedding(alpha)
    response = alpha.anonymous_client().get(f"/embed/dashboard/{sign(alpha, secret, dashboard.pk)}")
    assert response.status_code == 200
    policy = directives(response)
    assert policy["frame-ancestors"] == "'self'"
    assert "'nonce-" in policy["script-src"]


def test_no_template_has_an_inline_script_without_a_nonce_or_an_inline_handler():
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" in tag or "application/json" in tag or "nonce=" in tag:
                continue
            offenders.append(f"{template.relative_to(TEMPLATES)}: {tag}")
        for handler in re.findall(r"<[^>]*\son[a-z]+\s*=", text):
            offenders.append(f"{template.relative_to(TEMPLATES)}: {handler}")
        if "javascript:" in text:
            offenders.append(f"{template.relative_to(TEMPLATES)}: javascript: URL")
    assert offenders == []


# --- In Chromium ----------------------------------------------------------------------------------

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${where}`);
});
"""


@pytest.fixture
def committed_dashboard(
    workspaces: dict[str, Any], live_server: Any, page: Any, committed: Any, settings, tmp_path
):
    """A committed dashboard with two widgets and an embedding secret (after `page`, so ORM calls
    may run beside Playwright's event loop)."""
    from chat2chart.dashboards.models import EmbedSettings
    from chat2chart.sources import services as source_services

    alpha = workspaces.get("alpha") or workspaces["default"]
    settings.MEDIA_ROOT = Path(live_server.data_dir) / "files"
    with committed(), alpha.activate():
        data = build_sales_data(alpha, tmp_path)
        dashboard = make_dashboard(data, widgets=("revenue", "rows"))
        secret = set_up_embedding(alpha)
        try:
            yield alpha, dashboard, secret
        finally:
            EmbedSettings.objects.all().delete()
            for source in (data.sales, data.targets):
                source_services.source_delete(
                    source=source, principal=Principal.for_user(alpha.users["owner"])
                )
            dashboard.delete()


@pytest.mark.browser
def test_main_pages_load_in_chromium_without_a_policy_violation(
    live_server, page, login, committed_dashboard
):
    alpha, dashboard, secret = committed_dashboard
    page.add_init_script(RECORD_VIOLATIONS)
    login(page, alpha)
    paths = [
        *PAGES,
        f"/dashboards/{dashboard.pk}/",
        f"/dashboards/{dashboard.pk}/edit/",
        "/dashboards/embedding/",
        "/api/docs/",
    ]
    if alpha.organization is not None:
        paths.append("/settings/members/")
    paths.append(f"/embed/dashboard/{sign(alpha, secret, dashboard.pk, minutes=10)}")
    violations = {}
    for path in paths:
        response = page.goto(live_server.url(alpha, path))
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        found = page.evaluate("window.__cspViolations")
        if found:
            violations[path] = found
    assert violations == {}
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
