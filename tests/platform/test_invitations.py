# SPDX-License-Identifier: MIT
"""Owners and admins invite by email with a role; the link works once and expires after 7 days."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.enterprise


@pytest.fixture
def invitee(db):
    from chat2chart.accounts.services import user_ensure_verified

    return user_ensure_verified(email="invitee@example.test", password="a-long-enough-passphrase-9")


def _invite(workspace, role="editor", inviter="admin"):
    from enterprise.tenants.models import Invitation

    response = workspace.client(inviter).post(
        "/settings/members/", {"email": "invitee@example.test", "role": role}
    )
    return response, Invitation.objects.filter(email="invitee@example.test").first()


def _public_client(user):
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def test_admin_invites_and_the_invitee_joins_with_that_role(alpha, invitee):
    from enterprise.tenants.models import Membership

    response, invitation = _invite(alpha)
    assert response.status_code == 200
    assert invitation.role == "editor"
    assert invitation.token in mail.outbox[-1].body
    accepted = _public_client(invitee).post(f"/invitations/{invitation.token}/")
    assert accepted.status_code == 302
    assert Membership.objects.get(user=invitee, organization=alpha.organization).role == "editor"


def test_invitation_link_works_once(alpha, invitee):
    _, invitation = _invite(alpha)
    client = _public_client(invitee)
    client.post(f"/invitations/{invitation.token}/")
    assert client.post(f"/invitations/{invitation.token}/").status_code == 404


def test_invitation_expires_after_seven_days(alpha, invitee):
    from enterprise.tenants.models import Invitation, Membership

    _, invitation = _invite(alpha)
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=7, minutes=1)
    )
    assert _public_client(invitee).post(f"/invitations/{invitation.token}/").status_code == 404
    assert not Membership.objects.filter(user=invitee, organization=alpha.organization).exists()


def test_viewer_and_editor_cannot_invite(alpha, invitee):
    for role in ("viewer", "editor"):
        response, invitation = _invite(alpha, inviter=role)
        assert response.status_code == 404
        assert invitation is None


def test_nobody_can_be_invited_as_owner(alpha):
    response, invitation = _invite(alpha, role="owner", inviter="owner")
    assert invitation is None
    assert b"Select a valid choice" in response.content


def test_anonymous_invitee_is_asked_to_sign_up_first(alpha):
    _, invitation = _invite(alpha)
    response = Client(HTTP_HOST="localhost").get(f"/invitations/{invitation.token}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/signup/")
