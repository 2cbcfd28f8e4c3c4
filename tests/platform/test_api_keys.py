# SPDX-License-Identifier: MIT
"""API keys: shown once, hashed at rest, scoped to their organisation and role, revocable, expiring."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.enterprise


def _create_key(workspace, role="viewer", creator="owner", **extra):
    response = workspace.client(creator).post(
        "/api/v1/api-keys/", {"name": "ci", "role": role, **extra}, content_type="application/json"
    )
    return response


def _bearer(workspace, key):
    return Client(HTTP_HOST=workspace.host, HTTP_AUTHORIZATION=f"Bearer {key}")


def test_key_is_shown_once_and_stored_only_as_hash(alpha):
    from enterprise.rbac.models import ApiKey

    response = _create_key(alpha, role="editor")
    assert response.status_code == 201
    raw = response.json()["key"]
    stored = ApiKey.objects.get(pk=response.json()["id"])
    assert raw not in (stored.key_hash, stored.prefix)
    assert raw.startswith(f"ak_{stored.prefix}_")
    listed = alpha.client().get("/api/v1/api-keys/").json()
    assert all("key" not in item for item in listed)


def test_key_authenticates_on_its_own_organisation(alpha):
    raw = _create_key(alpha, role="editor").json()["key"]
    body = _bearer(alpha, raw).get("/api/v1/me/").json()
    assert body["auth"] == "api_key"
    assert body["organization"]["role"] == "editor"


def test_key_of_one_organisation_is_refused_on_the_other(alpha, beta):
    raw = _create_key(alpha).json()["key"]
    response = _bearer(beta, raw).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_viewer_cannot_create_keys(alpha):
    response = _create_key(alpha, creator="viewer")
    assert response.status_code == 403
    assert alpha.client("viewer").get("/settings/api-keys/").status_code == 404


def test_key_role_cannot_exceed_creator_role(alpha):
    response = _create_key(alpha, role="owner", creator="admin")
    assert response.status_code == 400
    assert "higher role" in response.json()["error"]["message"]


def test_revoked_key_is_refused(alpha):
    created = _create_key(alpha).json()
    assert alpha.client().delete(f"/api/v1/api-keys/{created['id']}/").status_code == 204
    assert _bearer(alpha, created["key"]).get("/api/v1/me/").status_code == 401


def test_expired_key_is_refused(alpha):
    from enterprise.rbac.models import ApiKey

    created = _create_key(alpha).json()
    ApiKey.objects.filter(pk=created["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _bearer(alpha, created["key"]).get("/api/v1/me/").status_code == 401


def test_garbage_key_is_refused_with_json_error(alpha):
    response = _bearer(alpha, "ak_nothing_here").get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["message"]


def test_last_used_time_is_recorded(alpha):
    from enterprise.rbac.models import ApiKey

    created = _create_key(alpha).json()
    _bearer(alpha, created["key"]).get("/api/v1/me/")
    assert ApiKey.objects.get(pk=created["id"]).last_used_at is not None


def test_keys_page_creates_and_revokes(alpha):
    from enterprise.rbac.models import ApiKey

    client = alpha.client("admin")
    response = client.post(
        "/settings/api-keys/", {"name": "from page", "role": "viewer", "expires_in_days": "30"}
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(name="from page")
    assert f"ak_{key.prefix}_".encode() in response.content
    client.post(f"/settings/api-keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.status == "revoked"
