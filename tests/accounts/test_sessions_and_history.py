# SPDX-License-Identifier: MIT
"""The open core's account security, in either edition: sign-in history and the person's sessions."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD


def _sign_in(workspace, agent: str) -> Client:
    client = Client(HTTP_HOST=workspace.host, HTTP_USER_AGENT=agent)
    response = client.post(
        "/accounts/login/", {"login": workspace.users["viewer"].email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def test_sign_in_is_recorded_and_an_ended_session_signs_that_device_out(alpha):
    from chat2chart.accounts.models import LoginEvent

    desk = _sign_in(alpha, "desk")
    tablet = _sign_in(alpha, "tablet")
    event = LoginEvent.objects.filter(user=alpha.users["viewer"], user_agent="tablet").get()
    assert (event.succeeded, event.method, event.ip) == (True, "password", "127.0.0.1")
    assert event.workspace == alpha.workspace_name
    page = desk.get("/accounts/security/")
    assert page.status_code == 200
    tablet_session = next(s for s in page.context["sessions"] if s.user_agent == "tablet")
    desk.post(f"/accounts/security/sessions/{tablet_session.pk}/end/")
    assert tablet.get("/accounts/security/")["Location"].startswith("/accounts/login/")
    assert desk.get("/accounts/security/").status_code == 200


def test_a_person_cannot_end_someone_elses_session(alpha):
    from allauth.usersessions.models import UserSession

    _sign_in(alpha, "victim")
    theirs = UserSession.objects.get(user=alpha.users["viewer"], user_agent="victim")
    other = alpha.client("editor")
    response = other.post(f"/accounts/security/sessions/{theirs.pk}/end/")
    assert response.status_code == 302
    assert UserSession.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("method", ["saml", "oidc", "something-new"])
def test_the_sign_in_flow_names_its_method(alpha, method, rf):
    from chat2chart.accounts.services import login_event_record

    request = rf.get("/", HTTP_USER_AGENT="idp")
    request.aiser_login_method = method
    event = login_event_record(request=request, user=alpha.users["viewer"], succeeded=True)
    assert event.method == (method if method != "something-new" else "other")
