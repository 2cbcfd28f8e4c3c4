# SPDX-License-Identifier: MIT
"""Sign-up continues into creating an organisation, which lands the owner on its own host."""

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.enterprise


@pytest.fixture
def new_person(db):
    from chat2chart.accounts.services import user_ensure_verified

    return user_ensure_verified(email="new@example.test", password="a-long-enough-passphrase-9")


def test_sign_up_sends_a_verification_email(db):
    client = Client(HTTP_HOST="localhost")
    response = client.post(
        "/accounts/signup/",
        {
            "email": "Someone@Example.test",
            "password1": "a-long-enough-passphrase-9",
            "password2": "a-long-enough-passphrase-9",
        },
    )
    assert response.status_code == 302
    assert EmailAddress.objects.filter(email__iexact="someone@example.test", verified=False).exists()
    assert len(mail.outbox) == 1
    assert "confirm" in mail.outbox[0].body.lower()


def test_sign_up_is_refused_on_an_organisation_host(alpha):
    response = alpha.anonymous_client().get("/accounts/signup/")
    assert b"closed" in response.content.lower() or response.status_code != 200


def test_creating_an_organisation_makes_its_schema_and_hands_off_to_its_host(new_person, django_db_blocker):
    from enterprise.tenants.models import Membership, Organization

    client = Client(HTTP_HOST="localhost")
    client.force_login(new_person)
    response = client.post("/organizations/new/", {"name": "Gamma Ltd", "slug": "gamma-ltd"})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.netloc == "gamma-ltd.localhost:8000"
    organization = Organization.objects.get(slug="gamma-ltd")
    assert Membership.objects.get(organization=organization, user=new_person).role == "owner"

    token = parse_qs(location.query)["token"][0]
    org_client = Client(HTTP_HOST="gamma-ltd.localhost")
    landed = org_client.get(location.path, {"token": token})
    assert landed.status_code == 302
    assert landed["Location"] == "/"
    assert org_client.get("/").status_code == 200
    # The link works once.
    again = Client(HTTP_HOST="gamma-ltd.localhost").get(location.path, {"token": token})
    assert again["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("ab", "3 to 40"),
        ("Has_Caps", "lowercase"),
        ("admin", "reserved"),
        ("www", "reserved"),
        ("-dash", "starting and ending"),
        ("alpha", "already taken"),
    ],
)
def test_bad_or_taken_addresses_are_refused_with_a_reason(alpha, new_person, slug, message):
    from enterprise.tenants.models import Organization

    client = Client(HTTP_HOST="localhost")
    client.force_login(new_person)
    response = client.post("/organizations/new/", {"name": "Whatever", "slug": slug})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Organization.objects.filter(slug=slug).count() == (1 if slug == "alpha" else 0)


def test_slug_is_suggested_from_the_name(new_person):
    client = Client(HTTP_HOST="localhost")
    client.force_login(new_person)
    assert client.get("/organizations/new/", {"suggest": "Café Crème & Co"}).json() == {
        "slug": "cafe-creme-co"
    }


def test_password_reset_asked_on_an_organisation_host_mails_a_link_on_the_public_site(alpha, settings):
    # Issue "Security": reset links point to the public site, never to the host the request came in on.
    response = alpha.anonymous_client().post("/accounts/password/reset/", {"email": "viewer@alpha.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "http://alpha.localhost" not in mail.outbox[0].body
    assert f"{settings.AISER_PUBLIC_URL}/accounts/password/reset/key/" in mail.outbox[0].body


def test_a_member_can_add_another_email_address(alpha):
    client = alpha.client("editor")
    assert client.get("/accounts/email/").status_code == 200
    client.post("/accounts/email/", {"email": "second@alpha.test", "action_add": ""})
    assert EmailAddress.objects.filter(user=alpha.users["editor"], email="second@alpha.test").exists()
