# SPDX-License-Identifier: MIT
"""Sign-in limits hold across organisation hosts, and a host never confirms a non-member's password.

Two organisations (alpha, beta): failed attempts on one host count on the other; the lock-out reads
the same whether or not the account exists; organisations created per account per day are capped.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.enterprise

LOCKED = "Too many failed sign-in attempts"
ATTEMPTS = 3  # per account (AISER_LOGIN_ATTEMPTS); few, because every attempt hashes a password
WRONG = "The email address and/or password you specified are not correct."


def _page_shape(page: str, email: str) -> str:
    """The page without what differs on every request (CSRF token, CSP nonce) or the typed address."""
    page = re.sub(r'(name="csrfmiddlewaretoken" value|nonce)="[^"]*"', r'\1=""', page)
    return page.replace(email, "")


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": f"20/m/ip,{ATTEMPTS}/300s/key"}


def _sign_in(host: str, email: str, password: str, ip: str = "203.0.113.7") -> tuple[Client, str]:
    client = Client(HTTP_HOST=host, REMOTE_ADDR=ip)
    response = client.post("/accounts/login/", {"login": email, "password": password})
    return client, response.content.decode()


@pytest.fixture
def in_both(alpha, beta):
    """A person who is a member of both organisations."""
    from enterprise.tenants.models import Membership

    person = alpha.users["editor"]
    Membership.objects.create(user=person, organization=beta.organization, role="editor")
    return person


def test_failed_attempts_on_one_host_count_on_another(alpha, beta, in_both):
    for _ in range(ATTEMPTS):
        _, page = _sign_in(alpha.host, in_both.email, "wrong-password-1")
        assert WRONG in page
    client, page = _sign_in(beta.host, in_both.email, PASSWORD)
    assert LOCKED in page
    assert "_auth_user_id" not in client.session


def test_the_address_limit_holds_across_hosts(alpha, beta, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "4/m/ip,9/300s/key"}
    for host, email in [(alpha.host, "a@x.test"), (beta.host, "b@x.test")] * 2:
        _, page = _sign_in(host, email, "wrong-password-1")
        assert WRONG in page
    _, page = _sign_in(alpha.host, alpha.users["viewer"].email, PASSWORD)
    assert LOCKED in page
    # Another address is not affected.
    client, _ = _sign_in(alpha.host, alpha.users["viewer"].email, PASSWORD, ip="198.51.100.9")
    assert "_auth_user_id" in client.session


def test_the_lock_out_does_not_reveal_whether_the_account_exists(alpha):
    pages = {}
    for email in (alpha.users["viewer"].email, "nobody-here@alpha.test"):
        for _ in range(ATTEMPTS):
            _sign_in(alpha.host, email, "wrong-password-1", ip=f"198.51.100.{len(pages) + 1}")
        _, pages[email] = _sign_in(alpha.host, email, "wrong-password-1", ip=f"198.51.100.{len(pages) + 1}")
    existing, missing = pages.values()
    assert LOCKED in existing
    assert LOCKED in missing
    assert _page_shape(existing, alpha.users["viewer"].email) == _page_shape(
        missing, "nobody-here@alpha.test"
    )


def test_a_host_where_the_person_is_not_a_member_does_not_confirm_their_password(alpha, beta):
    outsider = alpha.users["viewer"]  # not a member of beta
    client, right = _sign_in(beta.host, outsider.email, PASSWORD)
    assert "_auth_user_id" not in client.session
    _, wrong = _sign_in(beta.host, outsider.email, "wrong-password-1", ip="198.51.100.20")
    assert WRONG in right
    assert _page_shape(right, outsider.email) == _page_shape(wrong, outsider.email)
    # On their own organisation's host the same password signs them in.
    client, _ = _sign_in(alpha.host, outsider.email, PASSWORD, ip="198.51.100.21")
    assert "_auth_user_id" in client.session


def test_guesses_on_a_foreign_host_count_as_failures(alpha, beta):
    outsider = alpha.users["viewer"]
    for _ in range(ATTEMPTS):
        _sign_in(beta.host, outsider.email, PASSWORD)
    _, page = _sign_in(alpha.host, outsider.email, PASSWORD)
    assert LOCKED in page


def test_password_reset_links_point_to_the_public_site(alpha, settings):
    response = Client(HTTP_HOST=alpha.host).post(
        "/accounts/password/reset/", {"email": alpha.users["viewer"].email}
    )
    assert response.status_code == 302
    body = mail.outbox[-1].body
    assert f"{settings.AISER_PUBLIC_URL}/accounts/password/reset/key/" in body
    assert alpha.host not in body


def test_organisations_created_per_account_per_day_are_capped(db, settings):
    from chat2chart.accounts.services import user_ensure_verified
    from enterprise.tenants.models import Organization

    settings.AISER_MAX_ORGS_PER_DAY = 1
    founder = user_ensure_verified(email="founder@cap.test", password="a-long-enough-passphrase-9")
    client = Client(HTTP_HOST="localhost")
    client.force_login(founder)
    first = client.post("/organizations/new/", {"name": "Cap One", "slug": "cap-one"})
    assert first.status_code == 302
    second = client.post("/organizations/new/", {"name": "Cap Two", "slug": "cap-two"})
    assert second.status_code == 200
    assert "1 organisations in the last 24 hours" in second.content.decode()
    assert not Organization.objects.filter(slug="cap-two").exists()
