# SPDX-License-Identifier: MIT
"""In a real browser: the organisation's sign-in page → its SAML IdP (a loopback server made here,
which signs its response) → the assertion posted cross-site to the ACS → signed in on the host."""

from __future__ import annotations

import html
import http.server
import threading
from urllib.parse import urlsplit

import pytest

from tests.sso.saml_idp import SamlIdp

pytestmark = [pytest.mark.browser, pytest.mark.enterprise]


def _idp_server(idp: SamlIdp, name_id: str) -> http.server.ThreadingHTTPServer:
    """The IdP's sign-in page: reads the AuthnRequest, answers with a form that posts the signed
    response to the ACS the request named (the person clicks Continue)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            if "SAMLRequest=" not in self.path:  # the browser's favicon request
                self.send_response(204)
                self.end_headers()
                return
            request = SamlIdp.read_request(self.path)
            saml_response = idp.respond(request, name_id=name_id)
            body = (
                "<!doctype html><title>Test IdP</title>"
                f'<form method="post" action="{html.escape(request.acs_url)}">'
                f'<input type="hidden" name="SAMLResponse" value="{saml_response}">'
                f'<input type="hidden" name="RelayState" value="{html.escape(request.relay_state)}">'
                f'<button type="submit">Continue as {html.escape(name_id)}</button></form>'
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)


def test_member_signs_in_with_saml_from_the_organisation_sign_in_page(
    live_server, page, committed, workspaces
):
    from enterprise.sso.models import IdentityProvider

    alpha = workspaces["alpha"]
    idp = SamlIdp()
    server = _idp_server(idp, "editor@alpha.test")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    idp.sso_url = f"http://127.0.0.1:{server.server_port}/sso"
    try:
        with committed():
            IdentityProvider.objects.create(
                organization=alpha.organization,
                slug="browser-idp",
                name="Corp Login",
                protocol="saml",
                idp_entity_id=idp.entity_id,
                idp_sso_url=idp.sso_url,
                idp_x509_cert=idp.cert_body,
            )
        page.goto(live_server.url(alpha, "/accounts/login/"))
        page.get_by_role("link", name="Sign in with Corp Login").click()
        page.wait_for_url(f"{idp.sso_url}**")
        page.get_by_role("button", name="Continue as editor@alpha.test").click()
        page.wait_for_url(live_server.url(alpha, "/"))
        assert urlsplit(page.url).hostname == alpha.organization.host
        assert page.console_errors == []
        # The session is the browser's own on the organisation host (page.request cannot resolve it).
        me = page.goto(live_server.url(alpha, "/api/v1/me/"))
        assert me.status == 200
        assert "editor@alpha.test" in me.text()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with committed():
            IdentityProvider.objects.filter(organization=alpha.organization, slug="browser-idp").delete()
