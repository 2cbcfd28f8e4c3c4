# SPDX-License-Identifier: MIT
"""Sign-in, sign-up and password pages speak as the product; account emails name the product and the
organisation, never "Hello from localhost:8000!"; 404 and 500 pages are the product's own."""

import re

from django.conf import settings
from django.core import mail
from django.test import RequestFactory
from django.views.defaults import server_error


def test_sign_in_page_is_styled_and_worded_as_the_product(alpha):
    page = alpha.anonymous_client().get("/accounts/login/").content.decode()
    assert re.search(r"<h1>Sign in to (Alpha|Aiser)</h1>", page)
    assert "Sign In" not in page  # allauth's capitalised default
    assert '<button class="button" type="submit">Sign in</button>' in page
    assert '<label for="id_login">Email</label>' in page
    assert "/accounts/password/reset/" in page
    assert "Remember Me" not in page


def test_sign_up_page_is_styled_and_worded_as_the_product(db):
    host = "localhost" if settings.ENTERPRISE else "testserver"
    from django.test import Client

    page = Client(HTTP_HOST=host).get("/accounts/signup/").content.decode()
    assert "<h1>Create your Aiser account</h1>" in page
    assert "Sign Up" not in page
    assert '<button class="button" type="submit">Create account</button>' in page


def test_password_reset_email_names_the_product_and_the_organisation(alpha):
    response = alpha.anonymous_client().post(
        "/accounts/password/reset/", {"email": alpha.users["editor"].email}
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.subject == "[Aiser] Reset your password"
    assert "Hello from" not in message.body
    assert "localhost:8000!" not in message.body
    assert "your Aiser account" in message.body
    if settings.ENTERPRISE:
        assert "— Aiser, for Alpha" in message.body
        assert "from Alpha's sign-in page" in message.body
    assert "/accounts/password/reset/key/" in message.body


def test_unknown_page_is_the_branded_404(alpha):
    response = alpha.client("viewer").get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "We can’t find that page" in body
    assert 'class="topbar"' in body  # the product's frame, with its navigation
    assert "Technical 500" not in body
    assert "Page not found (404)" not in body


def test_server_error_is_the_branded_500(db):
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "/static/css/aiser.css" in body or "aiser" in body.lower()


def test_debug_is_off_outside_development():
    assert settings.AISER_ENV == "test"
    assert settings.DEBUG is False


def test_password_pages_use_sentence_case(alpha):
    client = alpha.anonymous_client()
    page = client.get("/accounts/password/reset/").content.decode()
    assert re.search(r"<h1>\s*Reset your password\s*</h1>", page)
    assert re.search(r'<button class="button" type="submit">\s*Email me a reset link\s*</button>', page)
    done = client.get("/accounts/password/reset/done/").content.decode()
    assert re.search(r"<h1>\s*Reset your password\s*</h1>", done)
    assert "Password Reset" not in page + done
