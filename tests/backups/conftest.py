# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Organisations for the backup tests, committed for real: pg_dump and pg_restore are other processes
and see only committed rows, so the organisations are made once for this package outside any test
transaction and removed at its end (every organisation whose address starts with `bk-`, schema and
files). Tests themselves run in the usual transaction (`db`); the schemas their restores create
are dropped after the package's last test too, so every test restores under an address of its own.

`bk-one` holds one of every kind of object, made through the API; `bk-two` holds its own source, so a
backup of one can be checked for traces of the other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.semantic.test_api import workbook_bytes
from tests.sources.fixtures_api import SALES_CSV, post_json, upload_source
from tests.sources.fixtures_s3 import moto_endpoint, s3  # noqa: F401 - fixtures for the object storage test

# Organisations, and so these modules (they import enterprise models), exist only in the enterprise edition.
collect_ignore_glob = [] if settings.ENTERPRISE else ["test_*.py"]
OTHER_CSV = "city,visitors\nZanzibar-only-in-two,31337\nQuixotic-two,4242\n"


@dataclass
class Filled:
    """A committed organisation, its owner and the ids of what was made in it."""

    organization: Any
    owner: Any
    ids: dict[str, int] = field(default_factory=dict)
    view: dict[str, Any] = field(default_factory=dict)
    committed_backup: str = ""

    def client(self, organization: Any = None) -> Client:
        client = Client(HTTP_HOST=(organization or self.organization).host)
        client.force_login(self.owner)
        return client


def remove_test_organizations() -> None:
    """Every `bk-` organisation, and every `org_bk_` schema and data folder (restores made inside a
    test transaction leave their schema behind when the transaction rolls back)."""
    import shutil

    from django.db import connection

    from enterprise.backups.models import Backup
    from enterprise.tenants.models import Organization

    Backup.objects.filter(organization_slug__startswith="bk-").delete()
    for organization in Organization.objects.filter(slug__startswith="bk-"):
        organization.delete()  # auto_drop_schema: the schema goes too
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'org\\_bk\\_%%'")
        for (schema,) in cursor.fetchall():
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
    for folder in (Path(settings.MEDIA_ROOT)).glob("org_bk_*"):
        shutil.rmtree(folder, ignore_errors=True)


def _organization(slug: str) -> tuple[Any, Any]:
    from chat2chart.accounts.services import user_ensure_verified
    from enterprise.tenants.services import organization_create

    owner = user_ensure_verified(email=f"owner@{slug}.test", password="correct-horse-battery-1")
    return organization_create(name=slug.title(), slug=slug, owner=owner), owner


def _created(response: Any) -> int:
    assert response.status_code == 201, response.content
    return response.json()["id"]


def fill_every_kind(filled: Filled) -> None:
    """A CSV source and an Excel one (uploads and Parquet), an automatic semantic model, a saved
    chart, a dashboard with the chart on it, and a conversation with an answer."""
    client = filled.client()
    ids = filled.ids
    ids["sales"] = _created(upload_source(client, SALES_CSV, name="Sales"))
    ids["shop"] = _created(upload_source(client, workbook_bytes(), file_name="shop.xlsx", name="Shop"))
    ids["model"] = _created(
        post_json(client, "/api/v1/semantic/models/auto/", {"source": ids["shop"], "name": "Shop"})
    )
    chart = {
        "title": "Revenue by region",
        "spec": {"type": "column", "encoding": {"x": "region", "y": ["revenue"]}},
        "query": {
            "source": ids["sales"],
            "table": "sales",
            "dimensions": [{"field": "region"}],
            "measures": [{"field": "revenue", "agg": "sum"}],
        },
        "source": ids["sales"],
    }
    ids["chart"] = _created(post_json(client, "/api/v1/charts/", chart))
    ids["dashboard"] = _created(post_json(client, "/api/v1/dashboards/", {"title": "Overview"}))
    widget = {"kind": "chart", "chart_id": ids["chart"], "x": 0, "y": 0, "w": 6, "h": 4}
    _created(post_json(client, f"/api/v1/dashboards/{ids['dashboard']}/widgets/", widget))
    ids["conversation"] = _created(
        post_json(client, "/api/v1/conversations/", {"source": ids["sales"], "table": "sales"})
    )
    asked = post_json(
        client, f"/api/v1/conversations/{ids['conversation']}/messages/", {"content": "revenue by region"}
    )
    assert asked.status_code == 201, asked.content


@pytest.fixture(scope="package")
def backup_dirs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Data, files and archives in a temporary folder for this package (not the repository's .data)."""
    root = tmp_path_factory.mktemp("backups-data")
    override = override_settings(
        AISER_DATA_DIR=root,
        MEDIA_ROOT=root / "files",
        AISER_BACKUP_DIR=root / "archives",
        AISER_BACKUP_KEY="",
        AISER_BACKUP_TIMEOUT_S=120,
    )
    override.enable()
    yield root
    override.disable()


@pytest.fixture(autouse=True)
def _isolated_files(backup_dirs: Path) -> None:
    """Replaces the root conftest's per-test media folder: these organisations' files must outlive a test."""


@pytest.fixture(scope="package")
def orgs(backup_dirs: Path, django_db_setup: None, django_db_blocker: Any) -> Any:
    """`{"one": Filled, "two": Filled}`, committed; removed after the last test of this package."""
    from django.db import connection

    from enterprise.backups.services import backup_org

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        remove_test_organizations()  # left by an interrupted run
        one, two = (Filled(*_organization(slug)) for slug in ("bk-one", "bk-two"))
        fill_every_kind(one)
        two.ids["other"] = _created(
            upload_source(two.client(), OTHER_CSV, file_name="visits.csv", name="Visits")
        )
        # Read before any test: a test that signs in (last_login) inside its transaction would hold a
        # lock on the users table that pg_restore's foreign keys to it wait for.
        one.view = api_view(one)
        two.committed_backup = backup_org(organization=two.organization).location
    yield {"one": one, "two": two}
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        remove_test_organizations()


def api_view(filled: Filled, organization: Any = None) -> dict[str, Any]:
    """What the API shows of an organisation: its lists and a query of its data, ids included."""
    client = filled.client(organization)
    ids = filled.ids
    pages = {
        "sources": "/api/v1/sources/",
        "charts": "/api/v1/charts/",
        "dashboards": "/api/v1/dashboards/",
        "dashboard": f"/api/v1/dashboards/{ids['dashboard']}/",
        "models": "/api/v1/semantic/models/",
        "messages": f"/api/v1/conversations/{ids['conversation']}/messages/",
    }
    view = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.content)
        view[name] = response.json()
    query = {
        "table": "sales",
        "measures": [{"field": "revenue", "agg": "sum"}],
        "dimensions": [{"field": "region"}],
        "order": [{"field": "region"}],
    }
    answered = post_json(client, "/api/v1/query/", {"source": ids["sales"], **query})
    assert answered.status_code == 200, answered.content
    view["query"] = answered.json()["rows"]
    return json.loads(json.dumps(view, sort_keys=True, default=str))
