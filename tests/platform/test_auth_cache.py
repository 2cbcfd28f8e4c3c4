# SPDX-License-Identifier: MIT
"""API keys and memberships are read from the cache, and every change to them takes effect on the very
next request: revoking a key, changing a role, removing a member, deactivating a key's creator."""

import pytest
from django.test import Client

pytestmark = pytest.mark.enterprise


def _key(workspace, role="viewer", creator="owner"):
    response = workspace.client(creator).post(
        "/api/v1/api-keys/", {"name": "ci", "role": role}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def _bearer(workspace, raw):
    return Client(HTTP_HOST=workspace.host, HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_cached_key_is_served_without_querying_the_key_table(alpha):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    raw = _key(alpha)["key"]
    client = _bearer(alpha, raw)
    assert client.get("/api/v1/me/").status_code == 200  # fills the cache
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/me/").status_code == 200
    assert not [q for q in queries.captured_queries if "rbac_apikey" in q["sql"]]


def test_a_revoked_key_fails_on_the_very_next_request_in_each_organisation(alpha, beta):
    keys = {workspace.slug: (workspace, _key(workspace)) for workspace in (alpha, beta)}
    clients = {slug: _bearer(workspace, made["key"]) for slug, (workspace, made) in keys.items()}
    for client in clients.values():
        assert client.get("/api/v1/me/").status_code == 200
        assert client.get("/api/v1/me/").status_code == 200  # served from the cache

    revoked = alpha.client("owner").delete(f"/api/v1/api-keys/{keys['alpha'][1]['id']}/")
    assert revoked.status_code in (200, 204), revoked.content

    assert clients["alpha"].get("/api/v1/me/").status_code == 401
    assert clients["beta"].get("/api/v1/me/").status_code == 200  # the other organisation's key lives on

    revoked = beta.client("owner").delete(f"/api/v1/api-keys/{keys['beta'][1]['id']}/")
    assert revoked.status_code in (200, 204), revoked.content
    assert clients["beta"].get("/api/v1/me/").status_code == 401


def test_a_key_acts_with_its_creators_new_role_at_once(alpha):
    from enterprise.tenants.models import Membership

    client = _bearer(alpha, _key(alpha, role="admin", creator="admin")["key"])
    assert client.get("/api/v1/me/").json()["organization"]["role"] == "admin"
    membership = Membership.objects.get(user=alpha.users["admin"], organization=alpha.organization)
    membership.role = "viewer"
    membership.save()
    assert client.get("/api/v1/me/").json()["organization"]["role"] == "viewer"
    membership.delete()
    assert client.get("/api/v1/me/").status_code == 401


def test_a_key_of_a_deactivated_creator_fails_at_once(alpha):
    client = _bearer(alpha, _key(alpha, creator="admin")["key"])
    assert client.get("/api/v1/me/").status_code == 200
    creator = alpha.users["admin"]
    creator.is_active = False
    creator.save()
    try:
        assert client.get("/api/v1/me/").status_code == 401
    finally:
        creator.is_active = True
        creator.save()


def test_a_removed_member_is_refused_on_the_next_request_and_only_in_that_organisation(alpha, beta):
    from enterprise.tenants.models import Membership

    viewer = alpha.client("viewer")
    assert viewer.get("/api/v1/me/").status_code == 200
    assert viewer.get("/api/v1/me/").status_code == 200  # membership from the cache
    Membership.objects.create(user=alpha.users["viewer"], organization=beta.organization, role="viewer")
    in_beta = Client(HTTP_HOST=beta.host)
    in_beta.force_login(alpha.users["viewer"])
    assert in_beta.get("/api/v1/me/").status_code == 200  # a new membership counts at once too

    Membership.objects.filter(user=alpha.users["viewer"], organization=alpha.organization).get().delete()
    assert viewer.get("/api/v1/me/").status_code == 404
    assert in_beta.get("/api/v1/me/").status_code == 200


def test_a_role_change_takes_effect_on_the_next_request(alpha):
    from enterprise.tenants.models import Membership

    viewer = alpha.client("viewer")
    assert viewer.get("/api/v1/me/").json()["organization"]["role"] == "viewer"
    membership = Membership.objects.get(user=alpha.users["viewer"], organization=alpha.organization)
    membership.role = "editor"
    membership.save()
    assert viewer.get("/api/v1/me/").json()["organization"]["role"] == "editor"


def test_a_request_is_routed_without_querying_the_domain_table(alpha):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = alpha.client("viewer")
    assert client.get("/api/v1/me/").status_code == 200  # fills the cache
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/me/").status_code == 200
    assert not [q for q in queries.captured_queries if "tenants_domain" in q["sql"]]


def test_a_deleted_domain_stops_routing_at_once(alpha):
    from enterprise.tenants.models import Domain

    client = alpha.client("viewer")
    assert client.get("/api/v1/me/").status_code == 200
    Domain.objects.filter(domain=alpha.host).delete()
    assert client.get("/api/v1/me/").status_code == 404


def test_the_cached_key_holds_no_password_hash_and_its_user_still_saves_safely(alpha):
    from django.core.cache import cache

    from enterprise.rbac.cached import api_key_lookup

    raw = _key(alpha, creator="admin")["key"]
    assert _bearer(alpha, raw).get("/api/v1/me/").status_code == 200
    creator = alpha.users["admin"]
    creator.refresh_from_db()
    client = cache._cache.get_client()
    stored = [client.get(key) for key in client.keys("*rbac:api-key:*")]  # as Redis holds them
    assert stored
    assert all(creator.password.encode() not in value for value in stored)

    with alpha.activate():
        resolved = api_key_lookup(raw_key=raw, organization=alpha.organization)
    cached_user = resolved.api_key.created_by
    cached_user.save()  # a deferred password is left as it is
    creator.refresh_from_db()
    assert creator.check_password("correct-horse-battery-1")
    assert cached_user.password == creator.password  # loaded on demand


def test_a_revoked_key_stays_refused_when_the_cache_loses_its_generation_counter(alpha):
    # An evicted counter must not bring back entries made before a revocation (they carry an old generation).
    from django.core.cache import cache

    from enterprise.rbac.cached import _generation_key

    made = _key(alpha)
    client = _bearer(alpha, made["key"])
    with alpha.activate():
        cache.delete(_generation_key(alpha.organization.pk))  # as on a fresh cache
    assert client.get("/api/v1/me/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200  # served from the cache
    revoked = alpha.client("owner").delete(f"/api/v1/api-keys/{made['id']}/")
    assert revoked.status_code in (200, 204), revoked.content
    with alpha.activate():
        cache.delete(_generation_key(alpha.organization.pk))
    assert client.get("/api/v1/me/").status_code == 401
