# SPDX-License-Identifier: MIT
"""Account security: two-factor sign-in, an organisation requiring it, sessions, sign-in history."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from tests.accounts.totp import totp
from tests.conftest import PASSWORD

pytestmark = pytest.mark.enterprise


def _sign_in(workspace, role="owner", password=PASSWORD, agent="pytest-browser/1"):
    client = Client(HTTP_HOST=workspace.host, HTTP_USER_AGENT=agent)
    response = client.post("/accounts/login/", {"login": workspace.users[role].email, "password": password})
    return client, response


def _enrol_totp(client) -> str:
    # allauth asks for the password again before adding an authenticator.
    reauth = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert reauth.status_code == 302, reauth.content[:300]
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200, page.status_code
    secret = page.context["form"].secret
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp(secret)})
    assert done.status_code == 302, done.content[:500]
    return secret


@pytest.mark.slow
def test_person_enrols_totp_and_then_signs_in_with_a_code(alpha, time_machine):
    from allauth.mfa.models import Authenticator

    client, response = _sign_in(alpha)
    assert response.status_code == 302
    secret = _enrol_totp(client)
    user = alpha.users["owner"]
    assert set(Authenticator.objects.filter(user=user).values_list("type", flat=True)) == {
        "totp",
        "recovery_codes",
    }

    fresh, response = _sign_in(alpha)
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert fresh.get("/api/v1/me/").status_code in (401, 403)  # the password alone is not enough
    time_machine.move_to(time.time() + 31)  # a code is good once: wait for the next one
    wrong = fresh.post(
        "/accounts/2fa/authenticate/", {"code": "000000" if totp(secret) != "000000" else "111111"}
    )
    assert wrong.status_code == 200
    right = fresh.post("/accounts/2fa/authenticate/", {"code": totp(secret)})
    assert right.status_code == 302
    assert fresh.get("/api/v1/me/").status_code == 200


def test_recovery_code_signs_in_once(alpha):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    client, _ = _sign_in(alpha, role="editor")
    _enrol_totp(client)
    codes = RecoveryCodes(Authenticator.objects.get(user=alpha.users["editor"], type="recovery_codes"))
    code = codes.get_unused_codes()[0]
    first, _ = _sign_in(alpha, role="editor")
    assert first.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    again, _ = _sign_in(alpha, role="editor")
    assert again.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 200  # refused


def test_organisation_requiring_mfa_sends_members_without_it_to_enrolment(alpha, beta):
    from chat2chart.core.principal import Principal
    from enterprise.rbac.security import organization_security_update

    with alpha.activate():
        organization_security_update(
            organization=alpha.organization, actor=Principal.for_user(alpha.users["owner"]), require_mfa=True
        )
    client, _ = _sign_in(alpha, role="viewer")
    page = client.get("/dashboards/")
    assert page.status_code == 302
    assert page["Location"] == "/accounts/2fa/totp/activate/"
    api = client.get("/api/v1/me/")
    assert api.status_code == 403
    assert "two-factor" in api.json()["error"]["message"]
    _enrol_totp(client)
    assert client.get("/dashboards/").status_code == 200
    # The other organisation did not ask for it.
    other, _ = _sign_in(beta, role="viewer")
    assert other.get("/dashboards/").status_code == 200


def test_login_history_records_success_and_failure_with_method_address_and_device(alpha):
    from chat2chart.accounts.models import LoginEvent

    _sign_in(alpha, role="editor", password="wrong-password-1", agent="failing-agent")
    _sign_in(alpha, role="editor", agent="good-agent")
    events = list(LoginEvent.objects.filter(email=alpha.users["editor"].email).order_by("created_at", "pk"))
    assert [(e.succeeded, e.method, e.user_agent) for e in events] == [
        (False, "password", "failing-agent"),
        (True, "password", "good-agent"),
    ]
    assert all(e.ip == "127.0.0.1" and e.workspace == alpha.organization.schema_name for e in events)
    assert events[0].user == alpha.users["editor"]
    own_page = alpha.client("editor").get("/accounts/security/")
    assert b"failing-agent" in own_page.content
    assert b"Failed" in own_page.content
    admin_view = alpha.client("admin").get(
        "/api/v1/security/login-history/", {"user": alpha.users["editor"].pk}
    )
    assert [row["succeeded"] for row in admin_view.json()] == [True, False]
    assert alpha.client("viewer").get("/api/v1/security/login-history/").status_code == 403


def test_login_history_of_one_organisation_is_not_shown_to_another(alpha, beta):
    _sign_in(beta, role="editor", agent="beta-agent")
    rows = alpha.client("admin").get("/api/v1/security/login-history/").json()
    assert all(row["user_agent"] != "beta-agent" for row in rows)


def test_person_sees_sessions_and_an_ended_session_is_refused(alpha):
    laptop, _ = _sign_in(alpha, role="editor", agent="laptop")
    phone, _ = _sign_in(alpha, role="editor", agent="phone")
    page = laptop.get("/accounts/security/")
    sessions = page.context["sessions"]
    assert {s.user_agent for s in sessions} == {"laptop", "phone"}
    assert {s.data.get("host") for s in sessions} == {alpha.host}
    phone_session = next(s for s in sessions if s.user_agent == "phone")
    assert laptop.post(f"/accounts/security/sessions/{phone_session.pk}/end/").status_code == 302
    assert phone.get("/dashboards/")["Location"].startswith("/accounts/login/")
    assert phone.get("/api/v1/me/").status_code in (401, 403)
    assert laptop.get("/dashboards/").status_code == 200


def test_sign_out_everywhere_ends_every_session(alpha):
    laptop, _ = _sign_in(alpha, role="editor", agent="laptop")
    phone, _ = _sign_in(alpha, role="editor", agent="phone")
    laptop.post("/accounts/security/sessions/end-all/", {"include_this": "1"})
    for client in (laptop, phone):
        assert client.get("/dashboards/")["Location"].startswith("/accounts/login/")


def test_admin_signs_a_member_out_of_the_organisation(alpha):
    from enterprise.audit.models import AuditEntry

    member, _ = _sign_in(alpha, role="viewer")
    user_id = alpha.users["viewer"].pk
    assert alpha.client("editor").post(f"/api/v1/security/members/{user_id}/sign-out/").status_code == 403
    response = alpha.client("admin").post(f"/api/v1/security/members/{user_id}/sign-out/")
    assert response.status_code == 200
    assert response.json() == {"sessions_ended": 1}
    assert member.get("/dashboards/")["Location"].startswith("/accounts/login/")
    with alpha.activate():
        assert AuditEntry.objects.filter(action="member.sign_out", target_id=str(user_id)).exists()


def test_admin_requires_mfa_from_the_security_page_and_sees_the_history(alpha):
    from enterprise.rbac.models import OrganizationSecurity

    _sign_in(alpha, role="editor", agent="seen-on-page")
    admin = alpha.client("admin")
    page = admin.get("/settings/security/")
    assert b"seen-on-page" in page.content
    assert alpha.client("editor").get("/settings/security/").status_code == 404
    assert admin.post("/settings/security/", {"require_mfa": "on"}).status_code == 302
    assert OrganizationSecurity.objects.get(organization=alpha.organization).require_mfa
