# SPDX-License-Identifier: MIT
"""Pooled database connections keep organisations apart (django-tenants' search_path).

A real server with one worker and a pool of exactly one PostgreSQL connection, so every request
runs on the same physical connection: requests for two organisations, alternating, each see only
their own dashboards. django-tenants forgets the search_path it set when Django hands the
connection back to the pool and sets it again on the next request's first cursor.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psutil
import pytest
from django.db import connection

pytestmark = [pytest.mark.enterprise, pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(scope="module")
def server(serve: Any, workspaces: Any) -> Any:
    return serve(workers=1, env={"AISER_DB_POOL_MIN": "1", "AISER_DB_POOL_MAX": "1"})


@pytest.fixture(scope="module")
def keys(workspaces: dict[str, Any], django_db_blocker: Any) -> Iterator[dict[str, str]]:
    """An owner's API key in each organisation, committed for the server to see."""
    if "beta" not in workspaces:
        pytest.skip("organisations need the enterprise edition")
    from chat2chart.core.principal import Principal
    from enterprise.rbac.services import api_key_create

    made = {}
    with django_db_blocker.unblock():
        for slug in ("alpha", "beta"):
            workspace = workspaces[slug]
            with workspace.activate():
                made[slug] = api_key_create(
                    organization=workspace.organization,
                    principal=Principal.for_user(workspace.users["owner"]),
                    name="pool",
                    role="owner",
                )
    yield {slug: new.raw_key for slug, new in made.items()}
    with django_db_blocker.unblock():
        for new in made.values():
            new.api_key.delete()


def _call(server: Any, workspace: Any, key: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    status, raw = server.request(
        method, path, host=workspace.host, headers=headers, body=None if body is None else json.dumps(body)
    )
    return status, json.loads(raw) if raw else None


def _database_backends(server: Any) -> set[int]:
    """PostgreSQL backend pids of the server worker's connections (matched by client port)."""
    (worker,) = server.worker_pids()
    ports = [
        c.laddr.port
        for c in psutil.Process(worker).net_connections(kind="tcp")
        if c.raddr and c.raddr.port == int(connection.settings_dict.get("PORT") or 5432)
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE client_port = ANY(%s)", [ports])
        return {row[0] for row in cursor.fetchall()}


def test_alternating_organisations_on_one_pooled_connection_see_only_their_own(server, keys, workspaces):
    alpha, beta = workspaces["alpha"], workspaces["beta"]
    made = {}
    for slug, workspace in (("alpha", alpha), ("beta", beta)):
        status, created = _call(
            server, workspace, keys[slug], "POST", "/api/v1/dashboards/", {"title": f"Pool {slug}"}
        )
        assert status == 201, created
        made[slug] = created["id"]
    try:
        backends = _database_backends(server)
        assert len(backends) == 1  # the pool's single connection
        for _ in range(10):
            for slug, workspace in (("alpha", alpha), ("beta", beta)):
                status, listed = _call(server, workspace, keys[slug], "GET", "/api/v1/dashboards/")
                assert status == 200, listed
                titles = {d["title"] for d in listed["dashboards"] if d["title"].startswith("Pool ")}
                assert titles == {f"Pool {slug}"}
                # By id too: each schema numbers its own rows, so the other organisation's id is
                # either missing here or one of this organisation's own dashboards.
                other = made["beta" if slug == "alpha" else "alpha"]
                status, fetched = _call(server, workspace, keys[slug], "GET", f"/api/v1/dashboards/{other}/")
                assert status == 404 or fetched["title"] != f"Pool {'beta' if slug == 'alpha' else 'alpha'}"
        assert _database_backends(server) == backends  # the same physical connection throughout
    finally:
        for slug, workspace in (("alpha", alpha), ("beta", beta)):
            _call(server, workspace, keys[slug], "DELETE", f"/api/v1/dashboards/{made[slug]}/")
