# SPDX-License-Identifier: MIT
"""Organisation hosts: members get in, everyone else gets 404, unknown hosts get 404."""

import pytest
from django.test import Client

pytestmark = pytest.mark.enterprise


def test_member_sees_their_organisation_home(alpha):
    response = alpha.client("viewer").get("/")
    assert response.status_code == 200
    assert b"Alpha" in response.content


def test_member_of_one_organisation_gets_404_on_the_other(alpha, beta):
    client = Client(HTTP_HOST=beta.host)
    client.force_login(alpha.users["owner"])
    assert client.get("/").status_code == 404
    response = client.get("/api/v1/me/")
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("not_found", "Not found.")


def test_anonymous_visitor_is_sent_to_sign_in(alpha):
    response = alpha.anonymous_client().get("/sources/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_anonymous_api_call_gets_json_401(alpha):
    response = alpha.anonymous_client().get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_unknown_host_gets_404(db):
    assert Client(HTTP_HOST="nobody.localhost").get("/").status_code == 404


def test_public_host_serves_no_organisation_routes(alpha):
    client = Client(HTTP_HOST="localhost")
    client.force_login(alpha.users["owner"])
    assert client.get("/api/v1/me/").status_code == 404
    assert client.get("/settings/members/").status_code == 404


def test_me_reports_user_and_organisation(alpha):
    body = alpha.client("editor").get("/api/v1/me/").json()
    assert body["user"]["email"] == "editor@alpha.test"
    assert body["organization"]["slug"] == "alpha"
    assert body["organization"]["role"] == "editor"


def test_session_and_csrf_cookies_are_host_only(alpha, settings):
    assert settings.SESSION_COOKIE_DOMAIN is None
    assert settings.CSRF_COOKIE_DOMAIN is None
    client = alpha.anonymous_client()
    response = client.post(
        "/accounts/login/", {"login": "owner@alpha.test", "password": "correct-horse-battery-1"}
    )
    assert response.status_code == 302
    assert response.cookies["sessionid"]["domain"] == ""
