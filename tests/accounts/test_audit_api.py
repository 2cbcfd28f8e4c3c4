# SPDX-License-Identifier: MIT
"""`/api/v1/audit/`: the audit log read through the API — filters, a cursor that returns every entry once,
who may read it (the "audit.view" permission; an API key needs the admin scope), and one organisation
never reading another's entries."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.rbac.helpers import add_member, create_role, membership_id, send

pytestmark = pytest.mark.enterprise


def _make_keys(workspace, count: int, **extra) -> list[dict]:
    made = []
    for number in range(count):
        response = send(
            workspace.client("owner"), "post", "/api/v1/api-keys/", {"name": f"k{number}", **extra}
        )
        assert response.status_code == 201, response.content
        made.append(response.json())
    return made


def test_the_owner_pages_through_every_entry_once_newest_first(alpha):
    from enterprise.audit.models import AuditEntry

    _make_keys(alpha, 5)
    with alpha.activate():
        expected = list(AuditEntry.objects.order_by("-pk").values_list("pk", flat=True))
    seen, before = [], None
    client = alpha.client("owner")
    while True:
        query = {"limit": 2, **({"before": before} if before else {})}
        body = client.get("/api/v1/audit/", query).json()
        seen += [entry["id"] for entry in body["entries"]]
        before = body["next_before"]
        if before is None:
            break
    assert seen == expected
    assert len(expected) >= 5


def test_filters_by_action_and_person(alpha):
    keys = _make_keys(alpha, 2)
    body = alpha.client("owner").get("/api/v1/audit/", {"action": "api_key"}).json()
    assert {entry["target_id"] for entry in body["entries"]} >= {str(key["id"]) for key in keys}
    assert all(entry["action"].startswith("api_key.") for entry in body["entries"])
    owner_email = alpha.users["owner"].email
    mine = alpha.client("owner").get("/api/v1/audit/", {"person": owner_email}).json()["entries"]
    assert mine
    assert all(owner_email in entry["actor"] for entry in mine)
    nobody = alpha.client("owner").get("/api/v1/audit/", {"person": "nobody@elsewhere.test"}).json()
    assert nobody == {"entries": [], "next_before": None}


def test_bad_parameters_get_a_clear_message(alpha):
    client = alpha.client("owner")
    bad_date = client.get("/api/v1/audit/", {"since": "29/11/2026"})
    assert bad_date.status_code == 400
    assert "YYYY-MM-DD" in bad_date.json()["error"]["message"]
    bad_limit = client.get("/api/v1/audit/", {"limit": "5000"})
    assert bad_limit.status_code == 400
    assert "between 1 and 1000" in bad_limit.json()["error"]["message"]


def test_only_those_who_may_view_the_audit_log_read_it(alpha):
    assert alpha.client("admin").get("/api/v1/audit/").status_code == 200
    assert alpha.client("viewer").get("/api/v1/audit/").status_code == 403
    assert alpha.client("editor").get("/api/v1/audit/").status_code == 403
    auditor_role = create_role(alpha, "Auditor", ["sources.view", "audit.view"]).json()
    user, auditor = add_member(alpha, "auditor@alpha.test")
    send(
        alpha.client("owner"),
        "patch",
        f"/api/v1/members/{membership_id(alpha, user)}/",
        {"custom_role": auditor_role["id"]},
    )
    assert auditor.get("/api/v1/audit/").status_code == 200
    assert auditor.get("/settings/audit/").status_code == 200


def test_an_api_key_needs_the_admin_scope(alpha):
    read_only, admin = (
        _make_keys(alpha, 1, role="admin", scopes=["read"])[0],
        _make_keys(alpha, 1, role="admin", scopes=["read", "admin"])[0],
    )
    refused = Client(HTTP_HOST=alpha.host, HTTP_AUTHORIZATION=f"Bearer {read_only['key']}").get(
        "/api/v1/audit/"
    )
    assert refused.status_code == 403
    allowed = Client(HTTP_HOST=alpha.host, HTTP_AUTHORIZATION=f"Bearer {admin['key']}").get("/api/v1/audit/")
    assert allowed.status_code == 200
    assert allowed.json()["entries"]


def test_one_organisation_never_reads_anothers_entries(alpha, beta):
    beta_keys = _make_keys(beta, 2)
    beta_owner = beta.users["owner"].email
    entries = alpha.client("owner").get("/api/v1/audit/", {"limit": 1000}).json()["entries"]
    assert entries
    assert not [entry for entry in entries if beta_owner in (entry["actor"] or "")]
    beta_entries = beta.client("owner").get("/api/v1/audit/", {"action": "api_key"}).json()["entries"]
    assert {entry["target_id"] for entry in beta_entries} >= {str(key["id"]) for key in beta_keys}
    assert all(beta_owner in entry["actor"] for entry in beta_entries)
