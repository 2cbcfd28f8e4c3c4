# SPDX-License-Identifier: MIT
"""Two organisations never see each other's sources, answers, cached results or files."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.sources.fixtures_api import (
    patch_json,
    post_json,
    run_query,
    upload_new_version,
    upload_source,
    workspace_files,
)

pytestmark = pytest.mark.enterprise

ALPHA_CSV = "region,revenue\nNorth,100\nSouth,200\n"
BETA_CSV = "region,revenue\nNorth,7\nWest,9\n"


def _same_next_source_id(*workspaces) -> None:
    """Make the next source in every workspace get the same id, so only the workspace tells them apart."""
    from chat2chart.sources.models import Source

    top = 0
    for workspace in workspaces:
        with workspace.activate():
            top = max(top, Source.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)
            with connection.cursor() as cursor:
                cursor.execute("SELECT last_value FROM sources_source_id_seq")
                top = max(top, cursor.fetchone()[0])
    for workspace in workspaces:
        with workspace.activate(), connection.cursor() as cursor:
            cursor.execute("SELECT setval('sources_source_id_seq', %s)", [top + 1000])


def test_another_organisation_cannot_list_read_query_preview_or_refresh_a_source(alpha, beta):
    source = upload_source(alpha.client("owner"), name="Alpha secrets").json()
    sid = source["id"]
    intruder = beta.client("owner")

    assert "Alpha secrets" not in [s["name"] for s in intruder.get("/api/v1/sources/").json()]
    for url in (
        f"/api/v1/sources/{sid}/",
        f"/api/v1/sources/{sid}/tables/",
        f"/api/v1/sources/{sid}/tables/sales/",
        f"/api/v1/sources/{sid}/tables/sales/preview/",
    ):
        assert intruder.get(url).status_code == 404, url
    assert intruder.post(f"/api/v1/sources/{sid}/refresh/").status_code == 404
    assert run_query(intruder, sid).status_code == 404
    sql = post_json(intruder, "/api/v1/sql/", {"source": sid, "sql": "SELECT * FROM sales"})
    assert sql.status_code == 404
    assert upload_new_version(intruder, sid, "a,b\n1,2\n").status_code == 404
    assert patch_json(intruder, f"/api/v1/sources/{sid}/", {"name": "Mine now"}).status_code == 404
    assert intruder.delete(f"/api/v1/sources/{sid}/").status_code == 404
    assert intruder.get(f"/sources/{sid}/").status_code == 404

    assert alpha.client("owner").get(f"/api/v1/sources/{sid}/").json()["name"] == "Alpha secrets"


def test_a_member_of_one_organisation_cannot_use_its_session_on_the_other(alpha, beta):
    from django.test import Client

    source = upload_source(alpha.client("owner")).json()
    client = Client(HTTP_HOST=beta.host)
    client.force_login(alpha.users["owner"])
    assert client.get(f"/api/v1/sources/{source['id']}/").status_code in (403, 404)


def test_the_same_query_in_two_organisations_gets_each_its_own_rows_and_cache(alpha, beta):
    _same_next_source_id(alpha, beta)
    alpha_source = upload_source(alpha.client("owner"), ALPHA_CSV, file_name="sales.csv").json()
    beta_source = upload_source(beta.client("owner"), BETA_CSV, file_name="sales.csv").json()
    assert alpha_source["id"] == beta_source["id"]
    assert alpha_source["version"] == beta_source["version"]

    query = {
        "table": "sales",
        "measures": [{"field": "revenue", "agg": "sum"}],
        "dimensions": [{"field": "region"}],
        "order": [{"field": "region"}],
    }
    first_alpha = run_query(alpha.client("viewer"), alpha_source["id"], query).json()
    first_beta = run_query(beta.client("viewer"), beta_source["id"], query).json()
    assert first_alpha["rows"] == [["North", 100], ["South", 200]]
    assert first_beta["rows"] == [["North", 7], ["West", 9]]
    assert first_beta["cached"] is False  # not alpha's cached answer

    again_beta = run_query(beta.client("viewer"), beta_source["id"], query).json()
    assert again_beta["cached"] is True
    assert again_beta["rows"] == first_beta["rows"]


def test_files_of_each_organisation_stay_in_its_own_folder(alpha, beta):
    upload_source(alpha.client("owner"), ALPHA_CSV)
    upload_source(beta.client("owner"), BETA_CSV)
    alpha_files = workspace_files(alpha.workspace_name)
    beta_files = workspace_files(beta.workspace_name)
    assert alpha_files
    assert beta_files
    assert not set(alpha_files) & set(beta_files)
    assert all(beta.workspace_name not in str(path) for path in alpha_files)
