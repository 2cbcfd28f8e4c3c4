# SPDX-License-Identifier: MIT
"""Signing in on the public site takes a person into their organisation; "find your organisation"
mails the list; an invitation fills in and confirms the invited address."""

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.enterprise


def _sign_in_on_public_site(email: str) -> tuple[Client, object]:
    client = Client(HTTP_HOST="localhost")
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    return client, response


def test_signing_in_on_the_public_site_hands_off_into_the_only_organisation(alpha):
    client, response = _sign_in_on_public_site(alpha.users["viewer"].email)
    assert response["Location"] == "/organizations/pick/"
    handoff = client.get("/organizations/pick/")
    location = urlsplit(handoff["Location"])
    assert location.netloc == f"{alpha.host}:8000"
    assert location.path == "/accounts/handoff/"
    org_client = Client(HTTP_HOST=alpha.host)
    landed = org_client.get(location.path, {"token": parse_qs(location.query)["token"][0]})
    assert landed["Location"] == "/"
    home = org_client.get("/")
    assert home.status_code == 200
    assert alpha.users["viewer"].email in home.content.decode()


def test_a_member_of_two_organisations_picks_one(alpha, beta):
    from enterprise.tenants.models import Membership

    person = alpha.users["editor"]
    Membership.objects.create(user=person, organization=beta.organization, role="viewer")
    client, _ = _sign_in_on_public_site(person.email)
    assert client.get("/organizations/pick/")["Location"] == "/organizations/"
    listing = client.get("/organizations/").content.decode()
    assert "/organizations/alpha/enter/" in listing
    assert "/organizations/beta/enter/" in listing
    entered = client.get("/organizations/beta/enter/")
    assert urlsplit(entered["Location"]).netloc == f"{beta.host}:8000"


def test_nobody_can_enter_an_organisation_they_are_not_a_member_of(alpha, beta):
    client, _ = _sign_in_on_public_site(alpha.users["owner"].email)
    assert client.get("/organizations/beta/enter/").status_code == 404


def test_an_organisations_sign_in_page_links_to_find_your_organisation(alpha):
    page = alpha.anonymous_client().get("/accounts/login/").content.decode()
    assert "Sign in to Alpha" in page
    assert "http://localhost:8000/organizations/find/" in page


def test_find_your_organisation_mails_the_list_and_answers_the_same_for_strangers(alpha, beta):
    client = Client(HTTP_HOST="localhost")
    known = client.post("/organizations/find/", {"email": alpha.users["admin"].email})
    stranger = client.post("/organizations/find/", {"email": "nobody@example.test"})
    assert known.status_code == stranger.status_code == 200
    assert "we have emailed it" in known.content.decode()
    assert known.content.decode().replace(
        alpha.users["admin"].email, "X"
    ) == stranger.content.decode().replace("nobody@example.test", "X")
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert mail.outbox[0].to == [alpha.users["admin"].email]
    assert f"Alpha: http://{alpha.host}:8000/accounts/login/" in body
    assert "Beta" not in body


def test_find_your_organisation_mails_an_address_at_most_three_times_an_hour(alpha):
    client = Client(HTTP_HOST="localhost")
    for _ in range(5):
        assert client.post("/organizations/find/", {"email": alpha.users["viewer"].email}).status_code == 200
    assert len(mail.outbox) == 3


def test_find_your_organisation_refuses_a_malformed_address(db):
    response = Client(HTTP_HOST="localhost").post("/organizations/find/", {"email": "not-an-address"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert mail.outbox == []


def _invite(workspace, email):
    from enterprise.tenants.models import Invitation

    workspace.client("admin").post("/settings/members/", {"email": email, "role": "editor"})
    return Invitation.objects.get(email=email)


def test_an_invitation_email_names_the_inviter_and_the_organisation(alpha):
    invitation = _invite(alpha, "colleague@example.test")
    body = mail.outbox[-1].body
    assert "admin@alpha.test has invited you to join Alpha on Aiser as editor." in body
    assert f"/invitations/{invitation.token}/" in body


def test_an_invited_person_signs_up_with_the_address_filled_in_and_already_confirmed(alpha):
    from enterprise.tenants.models import Membership

    invitation = _invite(alpha, "newcomer@example.test")
    client = Client(HTTP_HOST="localhost")
    to_signup = client.get(f"/invitations/{invitation.token}/")
    assert to_signup.status_code == 302
    signup = client.get(to_signup["Location"]).content.decode()
    assert "Join Alpha" in signup
    assert 'value="newcomer@example.test"' in signup
    mail.outbox.clear()
    created = client.post(
        to_signup["Location"],
        {
            "email": "newcomer@example.test",
            "password1": "a-long-enough-passphrase-9",
            "password2": "a-long-enough-passphrase-9",
        },
    )
    # No "confirm your address" detour: straight back to the invitation, signed in.
    assert created["Location"] == f"/invitations/{invitation.token}/"
    assert EmailAddress.objects.get(email="newcomer@example.test").verified
    assert not [m for m in mail.outbox if "Confirm" in m.subject]
    accepted = client.post(f"/invitations/{invitation.token}/")
    assert urlsplit(accepted["Location"]).netloc == f"{alpha.host}:8000"
    assert (
        Membership.objects.get(user__email="newcomer@example.test", organization=alpha.organization).role
        == "editor"
    )


def test_signing_up_with_another_address_after_an_invitation_still_needs_confirmation(alpha):
    invitation = _invite(alpha, "invited@example.test")
    client = Client(HTTP_HOST="localhost")
    client.get(f"/invitations/{invitation.token}/")
    client.post(
        "/accounts/signup/",
        {
            "email": "someone-else@example.test",
            "password1": "a-long-enough-passphrase-9",
            "password2": "a-long-enough-passphrase-9",
        },
    )
    assert not EmailAddress.objects.get(email="someone-else@example.test").verified
