# SPDX-License-Identifier: MIT
"""The audit trail: who, what, when and from where; append-only in the database; its page, exports,
retention and webhook; one organisation never sees another's entries."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

pytestmark = pytest.mark.enterprise


def _make_key(workspace, name="ci", **extra):
    response = workspace.client("owner").post(
        "/api/v1/api-keys/",
        {"name": name, "role": "editor", **extra},
        content_type="application/json",
        HTTP_USER_AGENT="audit-test/1.0",
        HTTP_X_REQUEST_ID="req-0123456789",
    )
    assert response.status_code == 201, response.content
    return response


def test_change_writes_an_entry_with_who_what_and_where(alpha):
    from enterprise.audit.models import AuditEntry

    response = _make_key(alpha, name="reporting")
    assert response["X-Request-ID"] == "req-0123456789"
    with alpha.activate():
        entry = AuditEntry.objects.get(action="api_key.create", target_id=str(response.json()["id"]))
    assert entry.actor_id == alpha.users["owner"].pk
    assert entry.actor_label == alpha.users["owner"].email
    assert entry.ip == "127.0.0.1"
    assert entry.user_agent == "audit-test/1.0"
    assert entry.request_id == "req-0123456789"
    assert entry.data["name"] == "reporting"


def test_change_made_with_an_api_key_names_the_key(alpha):
    from django.test import Client

    from enterprise.audit.models import AuditEntry

    key = _make_key(alpha, name="robot", role="admin")
    bearer = Client(HTTP_HOST=alpha.host, HTTP_AUTHORIZATION=f"Bearer {key.json()['key']}")
    made = bearer.post("/api/v1/api-keys/", {"name": "child"}, content_type="application/json")
    assert made.status_code == 201
    with alpha.activate():
        entry = AuditEntry.objects.get(action="api_key.create", target_id=str(made.json()["id"]))
    assert entry.api_key_id == key.json()["id"]
    assert entry.actor_label == f"{alpha.users['owner'].email} (API key robot)"


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_auditentry SET action = 'x'", "DELETE FROM audit_auditentry"]
)
def test_database_refuses_to_change_or_delete_entries(alpha, statement):
    from enterprise.audit.models import AuditEntry

    _make_key(alpha)
    with alpha.activate():
        before = AuditEntry.objects.count()
        refused = pytest.raises(DatabaseError, match="cannot be changed or deleted")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
        assert AuditEntry.objects.count() == before


def test_retention_deletes_only_entries_older_than_the_setting(alpha):
    from enterprise.audit.models import AuditEntry
    from enterprise.audit.services import audit_retention_apply

    _make_key(alpha)
    with alpha.activate():
        kept = AuditEntry.objects.count()
        assert audit_retention_apply(now=timezone.now() + timedelta(days=364)) == 0
        assert audit_retention_apply(now=timezone.now() + timedelta(days=366)) == kept
        assert AuditEntry.objects.count() == 0
        # The permission ended with the job's transaction.
        AuditEntry.objects.create(action="x.y", target_type="x", target_id="1")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEntry.objects.all().delete()


def test_audit_page_of_one_organisation_never_shows_the_others(alpha, beta):
    _make_key(alpha, name="alpha-only-key")
    _make_key(beta, name="beta-only-key")
    page = alpha.client("admin").get("/settings/audit/")
    assert page.status_code == 200
    assert b"api_key.create" in page.content
    assert beta.users["owner"].email.encode() not in page.content
    exported = alpha.client("admin").get("/settings/audit/export.jsonl")
    rows = [json.loads(line) for line in b"".join(exported.streaming_content).splitlines()]
    assert rows
    assert {row["organization"] for row in rows} == {alpha.organization.schema_name}
    assert all(row["data"] is None or row["data"].get("name") != "beta-only-key" for row in rows)


def test_viewer_cannot_see_the_audit_page(alpha):
    assert alpha.client("viewer").get("/settings/audit/").status_code == 404
    assert alpha.client("editor").get("/settings/audit/export.csv").status_code == 404


def test_filters_and_csv_export_escape_formula_cells(alpha):
    _make_key(alpha, name='=HYPERLINK("http://evil")')
    _make_key(alpha, name="plain")
    client = alpha.client("owner")
    response = client.get("/settings/audit/export.csv", {"action": "api_key", "person": "owner@alpha"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {row["action"] for row in rows} == {"api_key.create"}
    evil = next(row for row in rows if "HYPERLINK" in row["data"])
    assert not evil["data"].startswith("=")
    names = [json.loads(row["data"].lstrip("'"))["name"] for row in rows]
    assert "plain" in names
    none_match = client.get("/settings/audit/", {"action": "dashboard.delete"})
    assert b"No entries match." in none_match.content
    bad_date = client.get("/settings/audit/export.csv", {"since": "yesterday"})
    assert bad_date.status_code == 400


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    fail_first = True

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        status = 503 if type(self).fail_first and len(type(self).received) == 1 else 204
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def webhook_receiver():
    _Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", _Receiver
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_webhook_receives_each_entry_signed_and_retried_after_a_failure(
    alpha, webhook_receiver, django_capture_on_commit_callbacks
):
    from aiser.celery import app
    from chat2chart.core.principal import Principal
    from enterprise.audit.services import audit_settings_update

    url, receiver = webhook_receiver
    with alpha.activate():
        principal = Principal.for_user(alpha.users["owner"])
        _, secret = audit_settings_update(actor=principal, retention_days=90, webhook_url=url)
    assert secret
    receiver.received.clear()
    # Eager tasks retry in place (as a worker would, without the wait) when errors are not propagated.
    app.conf.task_eager_propagates = False
    try:
        with django_capture_on_commit_callbacks(execute=True):
            _make_key(alpha, name="streamed")
    finally:
        app.conf.task_eager_propagates = True
    assert len(receiver.received) == 2  # refused once (503), accepted on the retry
    headers, body = receiver.received[-1]
    payload = json.loads(body)
    assert payload["action"] == "api_key.create"
    assert payload["data"]["name"] == "streamed"
    expected = hmac.new(secret.encode(), f"{headers['X-Aiser-Timestamp']}.".encode() + body, hashlib.sha256)
    assert headers["X-Aiser-Signature"] == f"v1={expected.hexdigest()}"
