# SPDX-License-Identifier: MIT
"""API keys: scopes beside the role, first use in the sign-in history, keys of removed members,
expiry reminders by email (received by a real SMTP server started here)."""

from __future__ import annotations

import email.header
import socket
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.enterprise


def _key(workspace, *, role="editor", creator="owner", **extra):
    response = workspace.client(creator).post(
        "/api/v1/api-keys/", {"name": "ci", "role": role, **extra}, content_type="application/json"
    )
    return response


def _bearer(workspace, raw, agent="robot/1"):
    return Client(HTTP_HOST=workspace.host, HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_USER_AGENT=agent)


def test_read_key_can_read_but_cannot_query_or_write(alpha):
    created = _key(alpha, role="admin", scopes=["read"])
    assert created.status_code == 201
    assert created.json()["scopes"] == ["read"]
    client = _bearer(alpha, created.json()["key"])
    assert client.get("/api/v1/sources/").status_code == 200
    assert client.post("/api/v1/conversations/", {}, content_type="application/json").status_code == 403
    assert client.post("/api/v1/query/", {}, content_type="application/json").status_code == 403
    assert client.post("/api/v1/sources/", {}, content_type="application/json").status_code == 403
    assert client.post("/api/v1/api-keys/", {"name": "x"}, content_type="application/json").status_code == 403


def test_query_key_may_ask_but_not_write(alpha):
    client = _bearer(alpha, _key(alpha, scopes=["read", "query"]).json()["key"])
    # Past the permission check: the empty body is refused as invalid, not as forbidden.
    assert client.post("/api/v1/conversations/", {}, content_type="application/json").status_code == 400
    assert client.post("/api/v1/sources/", {}, content_type="application/json").status_code == 403


def test_scopes_never_lift_a_key_above_its_role(alpha):
    client = _bearer(alpha, _key(alpha, role="viewer", scopes=["read", "write", "admin"]).json()["key"])
    assert client.post("/api/v1/sources/", {}, content_type="application/json").status_code == 403
    assert client.get("/api/v1/api-keys/").status_code == 403


def test_unknown_or_empty_scopes_are_refused_with_a_clear_error(alpha):
    unknown = _key(alpha, scopes=["read", "delete-everything"])
    assert unknown.status_code == 400
    assert "error" in unknown.json()
    assert _key(alpha, scopes=[]).status_code == 400


def test_key_of_a_removed_member_stops_at_once(alpha):
    from enterprise.tenants.models import Membership

    raw = _key(alpha, role="admin", creator="admin").json()["key"]
    client = _bearer(alpha, raw)
    assert client.get("/api/v1/me/").status_code == 200  # now cached
    Membership.objects.filter(user=alpha.users["admin"], organization=alpha.organization).delete()
    assert client.get("/api/v1/me/").status_code == 401


def test_first_use_of_a_key_is_in_its_creators_sign_in_history_once(alpha):
    from chat2chart.accounts.models import LoginEvent

    raw = _key(alpha, creator="admin", role="viewer").json()["key"]
    client = _bearer(alpha, raw, agent="nightly-export/2")
    for _ in range(3):
        assert client.get("/api/v1/me/").status_code == 200
    events = LoginEvent.objects.filter(user=alpha.users["admin"], method="api_key")
    assert [(e.succeeded, e.user_agent, e.workspace) for e in events] == [
        (True, "nightly-export/2", alpha.organization.schema_name)
    ]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on loopback; Django sends to it over SMTP."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list = []

    class Collect(Message):
        def handle_message(self, message) -> None:
            received.append(message)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 10
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield received
    controller.stop()


def test_creator_is_reminded_by_email_once_before_the_key_expires(alpha, smtp_server):
    from enterprise.rbac.tasks import api_key_expiry_reminders

    soon = (timezone.now() + timedelta(days=3)).isoformat()
    later = (timezone.now() + timedelta(days=60)).isoformat()
    _key(alpha, creator="admin", expires_at=soon, name="expiring")
    _key(alpha, creator="admin", expires_at=later)
    assert api_key_expiry_reminders.delay().get() == 1
    assert api_key_expiry_reminders.delay().get() == 0  # once per key
    [mail] = smtp_server
    assert mail["To"] == alpha.users["admin"].email
    subject = str(email.header.make_header(email.header.decode_header(mail["Subject"])))
    assert subject == "[Aiser] API key “expiring” expires soon"
    assert f"{alpha.organization.url}/settings/api-keys/" in mail.get_payload(decode=True).decode()
