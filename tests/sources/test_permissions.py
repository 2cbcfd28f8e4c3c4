# SPDX-License-Identifier: MIT
"""Who may do what with sources: viewers read and ask, editors create, admins (and owners of a
source) delete."""

from __future__ import annotations

import pytest

from chat2chart.core.principal import Principal
from tests.sources.fixtures_api import patch_json, post_json, run_query, upload_new_version, upload_source

pytestmark = pytest.mark.enterprise


def test_viewer_cannot_create_sources(alpha):
    viewer = alpha.client("viewer")
    assert upload_source(viewer).status_code == 403
    rest = post_json(
        viewer, "/api/v1/sources/", {"name": "x", "kind": "rest", "config": {"url": "http://x.test/"}}
    )
    assert rest.status_code == 403
    assert "x" not in [s["name"] for s in alpha.client("owner").get("/api/v1/sources/").json()]


def test_viewer_cannot_change_delete_reupload_or_refresh_a_source(alpha):
    source = upload_source(alpha.client("editor")).json()
    viewer = alpha.client("viewer")
    assert viewer.delete(f"/api/v1/sources/{source['id']}/").status_code == 403
    assert patch_json(viewer, f"/api/v1/sources/{source['id']}/", {"name": "y"}).status_code == 403
    assert upload_new_version(viewer, source["id"], "a\n1\n").status_code == 403
    assert viewer.post(f"/api/v1/sources/{source['id']}/refresh/").status_code == 403
    assert alpha.client("editor").get(f"/api/v1/sources/{source['id']}/").status_code == 200


def test_editor_can_create_a_source(alpha):
    response = upload_source(alpha.client("editor"))
    assert response.status_code == 201
    assert response.json()["status"] == "ready"


def test_editor_can_delete_their_own_source_but_not_someone_elses(alpha):
    own = upload_source(alpha.client("editor")).json()
    others = upload_source(alpha.client("owner")).json()
    editor = alpha.client("editor")
    assert editor.delete(f"/api/v1/sources/{others['id']}/").status_code == 403
    assert editor.delete(f"/api/v1/sources/{own['id']}/").status_code == 204
    assert alpha.client("admin").delete(f"/api/v1/sources/{others['id']}/").status_code == 204


def test_viewer_can_list_preview_and_query(alpha):
    source = upload_source(alpha.client("editor")).json()
    viewer = alpha.client("viewer")
    assert viewer.get("/api/v1/sources/").status_code == 200
    assert viewer.get(f"/api/v1/sources/{source['id']}/tables/sales/preview/").status_code == 200
    assert run_query(viewer, source["id"]).status_code == 200


def test_anonymous_requests_are_refused(alpha):
    response = alpha.anonymous_client().get("/api/v1/sources/")
    assert response.status_code == 401


def test_viewer_sees_no_upload_page_but_the_list(alpha):
    viewer = alpha.client("viewer")
    assert viewer.get("/sources/").status_code == 200
    assert viewer.get("/sources/upload/").status_code == 404
    assert b"Upload a file" not in viewer.get("/sources/").content


def test_query_run_refuses_a_user_who_may_not_ask_in_this_organisation(alpha, beta):
    from chat2chart.core.errors import Forbidden
    from chat2chart.sources.querying import query_run
    from chat2chart.sources.semantic import SemanticQuery

    source_id = upload_source(alpha.client("editor")).json()["id"]
    query = SemanticQuery.parse({"source": source_id, "table": "sales", "measures": [{"agg": "count"}]})
    with alpha.activate(), pytest.raises(Forbidden):
        query_run(query=query, principal=Principal.for_user(beta.users["owner"]))


def test_every_change_to_a_source_is_audited_with_its_actor(alpha):
    from enterprise.audit.models import AuditEntry

    editor = alpha.client("editor")
    source = upload_source(editor).json()
    patch_json(editor, f"/api/v1/sources/{source['id']}/", {"name": "Audited"})
    upload_new_version(
        editor, source["id"], "order_date,region,product,quantity,revenue\n2024-01-01,N,W,1,1\n"
    )
    editor.delete(f"/api/v1/sources/{source['id']}/")
    with alpha.activate():
        entries = AuditEntry.objects.filter(target_type="source", target_id=str(source["id"]))
        actions = set(entries.values_list("action", flat=True))
        assert {
            "source.create",
            "source.update",
            "source.upload",
            "source.ingest",
            "source.delete",
        } <= actions
        assert entries.get(action="source.delete").actor_id == alpha.users["editor"].pk
