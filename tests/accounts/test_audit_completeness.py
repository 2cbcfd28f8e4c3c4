# SPDX-License-Identifier: MIT
"""Every state-changing API endpoint writes an audit entry.

The test reads the OpenAPI schema (/api/schema/), so an endpoint added later fails it until it is
either called below (and audited) or listed in EXEMPT with the reason it changes nothing worth an
entry. Each call is made with an owner's API key (or, where only a person may act, the person's own
session), must succeed, and must add at least one entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.accounts.audit_walk_identity import identity_calls, identity_people

pytestmark = pytest.mark.enterprise

SALES_CSV = "order_date,region,revenue\n2024-01-05,North,30.5\n2024-02-02,South,45.0\n"

# Endpoints that answer a question about data without changing anything (POST only because the
# question is a body), and the reason. Nothing here writes a row another request could read.
EXEMPT = {
    "v1_analytics_anomalies_create": "computes anomalies over a query; read-only",
    "v1_analytics_drivers_create": "computes drivers over a query; read-only",
    "v1_analytics_forecast_create": "computes a forecast over a query; read-only",
    "v1_analytics_insights_create": "computes insights over a query; read-only",
    "v1_analytics_patterns_create": "computes patterns over a query; read-only",
    "v1_analytics_trend_create": "computes a trend over a query; read-only",
    "v1_charts_recommend_create": "recommends chart types for a result; read-only",
    "v1_charts_render_create": "renders a chart option from a spec; read-only",
    "v1_query_create": "runs a query; read-only (usage is metered, not audited)",
    "v1_sql_create": "runs read-only SQL (the SQL guard refuses writes)",
    "v1_semantic_query_create": "runs a semantic query; read-only",
    "v1_semantic_models_validate_create": "validates YAML without saving it",
    "v1_sources_test_connection_create": "tries a connection without saving it",
    "v1_dashboards_embed_url_create": "signs a short-lived embed token; nothing is stored",
    "v1_semantic_models_import_create": "needs a Cube project archive; its service is audited as "
    "semantic_model.create (tests/semantic/test_cube_import.py)",
    "v1_semantic_models_rollups_build_create": "needs a model with a declared rollup; the build is "
    "system work started by a person, not a change of settings",
    "v1_sources_refresh_create": "file sources cannot be refreshed; connected sources need a live "
    "database (refresh only re-reads data, it changes no setting)",
}


def _yaml(table: str, source: int) -> str:
    return (
        f"cubes:\n  - name: sales\n    sql_table: {table}\n    source: {source}\n"
        "    measures:\n      - name: revenue\n        type: sum\n        sql: revenue\n"
        "    dimensions:\n      - name: region\n        type: string\n        sql: region\n"
    )


def _json(client: Client, method: str, path: str, body: Any = None) -> Any:
    call = getattr(client, method)
    return call(path, body if body is not None else {}, content_type="application/json")


Call = Callable[[Client, dict[str, Any]], Any]


def _calls(alpha: Any) -> list[tuple[str, Call]]:
    """(operation id, call) in an order where each call finds what it needs in `ctx` (ids made earlier)."""

    def source_create(c: Client, ctx: dict[str, Any]) -> Any:
        upload = SimpleUploadedFile("sales.csv", SALES_CSV.encode(), content_type="text/csv")
        response = c.post("/api/v1/sources/", {"file": upload, "name": "Sales"})
        ctx["source"] = response.json()["id"]
        ctx["table"] = c.get(f"/api/v1/sources/{ctx['source']}/tables/").json()[0]["name"]
        return response

    owner_email = alpha.users["owner"].email

    def chart_body(ctx: dict[str, Any]) -> dict[str, Any]:
        query = {
            "source": ctx["source"],
            "table": ctx["table"],
            "dimensions": [{"field": "region"}],
            "measures": [{"field": "revenue", "agg": "sum"}],
        }
        spec = {"type": "column", "encoding": {"x": "region", "y": ["revenue"]}}
        return {"title": "By region", "spec": spec, "query": query, "source": ctx["source"]}

    def remember(key: str, call: Call) -> Call:
        def run(c: Client, ctx: dict[str, Any]) -> Any:
            response = call(c, ctx)
            if response.status_code < 300:
                ctx[key] = response.json()["id"]
            return response

        return run

    return [
        ("v1_sources_create", source_create),
        (
            "v1_sources_partial_update",
            lambda c, x: _json(c, "patch", f"/api/v1/sources/{x['source']}/", {"name": "Sales 2"}),
        ),
        (
            "v1_sources_tables_partial_update",
            lambda c, x: _json(
                c,
                "patch",
                f"/api/v1/sources/{x['source']}/tables/{x['table']}/",
                {"columns": {"order_date": {"name": "ordered_on"}}},
            ),
        ),
        (
            "v1_sources_upload_create",
            lambda c, x: c.post(
                f"/api/v1/sources/{x['source']}/upload/",
                {"file": SimpleUploadedFile("sales.csv", (SALES_CSV + "2024-03-01,East,9\n").encode())},
            ),
        ),
        (
            "v1_charts_create",
            remember("chart", lambda c, x: _json(c, "post", "/api/v1/charts/", chart_body(x))),
        ),
        ("v1_charts_update", lambda c, x: _json(c, "put", f"/api/v1/charts/{x['chart']}/", chart_body(x))),
        (
            "v1_charts_partial_update",
            lambda c, x: _json(c, "patch", f"/api/v1/charts/{x['chart']}/", {"title": "T2"}),
        ),
        (
            "v1_dashboards_create",
            remember("dashboard", lambda c, x: _json(c, "post", "/api/v1/dashboards/", {"title": "D"})),
        ),
        (
            "v1_dashboards_update",
            lambda c, x: _json(c, "put", f"/api/v1/dashboards/{x['dashboard']}/", {"title": "D2"}),
        ),
        (
            "v1_dashboards_partial_update",
            lambda c, x: _json(c, "patch", f"/api/v1/dashboards/{x['dashboard']}/", {"title": "D3"}),
        ),
        (
            "v1_dashboards_widgets_create",
            remember(
                "widget",
                lambda c, x: _json(
                    c,
                    "post",
                    f"/api/v1/dashboards/{x['dashboard']}/widgets/",
                    {"kind": "text", "text": "hello"},
                ),
            ),
        ),
        (
            "v1_dashboards_widgets_update",
            lambda c, x: _json(
                c,
                "put",
                f"/api/v1/dashboards/{x['dashboard']}/widgets/{x['widget']}/",
                {"kind": "text", "text": "hi"},
            ),
        ),
        (
            "v1_dashboards_widgets_partial_update",
            lambda c, x: _json(
                c, "patch", f"/api/v1/dashboards/{x['dashboard']}/widgets/{x['widget']}/", {"text": "hey"}
            ),
        ),
        (
            "v1_dashboards_layout_update",
            lambda c, x: _json(
                c,
                "put",
                f"/api/v1/dashboards/{x['dashboard']}/layout/",
                {"widgets": [{"id": x["widget"], "x": 0, "y": 0, "w": 6, "h": 4}]},
            ),
        ),
        (
            "v1_dashboards_duplicate_create",
            lambda c, x: c.post(f"/api/v1/dashboards/{x['dashboard']}/duplicate/"),
        ),
        (
            "v1_dashboards_publish_create",
            lambda c, x: _json(c, "post", f"/api/v1/dashboards/{x['dashboard']}/publish/", {}),
        ),
        (
            "v1_dashboards_unpublish_create",
            lambda c, x: c.post(f"/api/v1/dashboards/{x['dashboard']}/unpublish/"),
        ),
        (
            "conversations_start",
            remember(
                "conversation",
                lambda c, x: _json(
                    c, "post", "/api/v1/conversations/", {"source": x["source"], "table": x["table"]}
                ),
            ),
        ),
        ("conversations_messages_ask", lambda c, x: _ask(c, x)),
        (
            "conversations_messages_rerun",
            lambda c, x: c.post(
                f"/api/v1/conversations/{x['conversation']}/messages/{x['message']}/rerun/",
                {"chart_type": "bar"},
                content_type="application/json",
            ),
        ),
        (
            "conversations_messages_chart_switch",
            lambda c, x: _json(
                c,
                "post",
                f"/api/v1/conversations/{x['conversation']}/messages/{x['message']}/chart/",
                {"chart_type": "pie"},
            ),
        ),
        ("conversations_destroy", lambda c, x: c.delete(f"/api/v1/conversations/{x['conversation']}/")),
        ("v1_charts_duplicate_create", lambda c, x: c.post(f"/api/v1/charts/{x['chart']}/duplicate/")),
        (
            "v1_collections_create",
            remember(
                "collection", lambda c, x: _json(c, "post", "/api/v1/collections/", {"name": "Finance"})
            ),
        ),
        (
            "v1_collections_partial_update",
            lambda c, x: _json(c, "patch", f"/api/v1/collections/{x['collection']}/", {"name": "Finance 2"}),
        ),
        (
            "v1_collections_items_partial_update",
            lambda c, x: _json(
                c, "patch", f"/api/v1/collections/items/chart/{x['chart']}/", {"collection": x["collection"]}
            ),
        ),
        ("v1_collections_destroy", lambda c, x: c.delete(f"/api/v1/collections/{x['collection']}/")),
        (
            "row_rules_create",
            remember(
                "row_rule",
                lambda c, x: _json(
                    c,
                    "post",
                    "/api/v1/row-rules/",
                    {"source": x["source"], "table": x["table"], "column": "region", "attribute": "region"},
                ),
            ),
        ),
        ("row_rules_delete", lambda c, x: c.delete(f"/api/v1/row-rules/{x['row_rule']}/")),
        (
            "v1_semantic_models_create",
            remember(
                "model",
                lambda c, x: _json(
                    c,
                    "post",
                    "/api/v1/semantic/models/",
                    {"name": "Sales", "yaml": _yaml(x["table"], x["source"])},
                ),
            ),
        ),
        (
            "v1_semantic_models_update",
            lambda c, x: _json(
                c, "put", f"/api/v1/semantic/models/{x['model']}/", {"description": "Revenue per region"}
            ),
        ),
        (
            "v1_semantic_models_partial_update",
            lambda c, x: _json(
                c, "patch", f"/api/v1/semantic/models/{x['model']}/", {"description": "Revenue"}
            ),
        ),
        (
            "v1_semantic_models_rollback_create",
            lambda c, x: _json(c, "post", f"/api/v1/semantic/models/{x['model']}/rollback/", {"version": 1}),
        ),
        (
            "v1_semantic_models_auto_create",
            lambda c, x: _json(
                c, "post", "/api/v1/semantic/models/auto/", {"source": x["source"], "table": x["table"]}
            ),
        ),
        (
            "v1_embedding_update",
            lambda c, x: _json(c, "put", "/api/v1/embedding/", {"allowed_origins": ["https://a.example"]}),
        ),
        (
            "v1_embedding_partial_update",
            lambda c, x: _json(c, "patch", "/api/v1/embedding/", {"allowed_origins": []}),
        ),
        ("v1_embedding_secret_create", lambda c, x: c.post("/api/v1/embedding/secret/")),
        (
            "v1_workspace_settings_partial_update",
            lambda c, x: _json(c, "patch", "/api/v1/workspace/settings/", {"llm_send_samples": False}),
        ),
        ("security_update", lambda c, x: _json(c, "put", "/api/v1/security/", {"require_mfa": False})),
        (
            "security_member_sign_out",
            lambda c, x: c.post(f"/api/v1/security/members/{alpha.users['viewer'].pk}/sign-out/"),
        ),
        (
            "api_keys_create",
            remember("key", lambda c, x: _json(c, "post", "/api/v1/api-keys/", {"name": "child"})),
        ),
        ("api_keys_revoke", lambda c, x: c.delete(f"/api/v1/api-keys/{x['key']}/")),
        (
            "v1_subscriptions_create",
            remember(
                "subscription",
                lambda c, x: _json(
                    c,
                    "post",
                    "/api/v1/subscriptions/",
                    {"dashboard": x["dashboard"], "frequency": "daily", "recipients": [owner_email]},
                ),
            ),
        ),
        (
            "v1_subscriptions_partial_update",
            lambda c, x: _json(c, "patch", f"/api/v1/subscriptions/{x['subscription']}/", {"time": "09:30"}),
        ),
        ("v1_subscriptions_destroy", lambda c, x: c.delete(f"/api/v1/subscriptions/{x['subscription']}/")),
        ("v1_alerts_create", remember("alert", _alert_on_a_total)),
        (
            "v1_alerts_snooze_create",
            lambda c, x: _json(c, "post", f"/api/v1/alerts/{x['alert']}/snooze/", {"minutes": 60}),
        ),
        ("v1_alerts_destroy", lambda c, x: c.delete(f"/api/v1/alerts/{x['alert']}/")),
        *identity_calls(),  # roles, groups, sharing (of the chart), members, SSO
        (
            "v1_dashboards_widgets_destroy",
            lambda c, x: c.delete(f"/api/v1/dashboards/{x['dashboard']}/widgets/{x['widget']}/"),
        ),
        ("v1_dashboards_destroy", lambda c, x: c.delete(f"/api/v1/dashboards/{x['dashboard']}/")),
        ("v1_charts_destroy", lambda c, x: c.delete(f"/api/v1/charts/{x['chart']}/")),
        ("v1_semantic_models_destroy", lambda c, x: c.delete(f"/api/v1/semantic/models/{x['model']}/")),
        ("v1_sources_destroy", lambda c, x: c.delete(f"/api/v1/sources/{x['source']}/")),
    ]


def _alert_on_a_total(c: Client, ctx: dict[str, Any]) -> Any:
    """An alert needs a chart of one number (or one over time): save one, then watch it."""
    query = {"source": ctx["source"], "table": ctx["table"], "measures": [{"field": "revenue", "agg": "sum"}]}
    spec = {"type": "kpi", "encoding": {"value": "revenue"}}
    chart = _json(c, "post", "/api/v1/charts/", {"title": "Total", "spec": spec, "query": query}).json()
    return _json(c, "post", "/api/v1/alerts/", {"chart": chart["id"], "condition": "above", "threshold": 1})


def _ask(c: Client, ctx: dict[str, Any]) -> Any:
    response = _json(
        c, "post", f"/api/v1/conversations/{ctx['conversation']}/messages/", {"content": "revenue by region"}
    )
    ctx["message"] = response.json()["id"]  # the answer, which a rerun asks again
    return response


def _state_changing_operations(client: Client) -> set[str]:
    schema = client.get("/api/schema/", {"format": "json"}).json()
    return {
        operation["operationId"]
        for methods in schema["paths"].values()
        for method, operation in methods.items()
        if method in {"post", "put", "patch", "delete"}
    }


@pytest.mark.slow
def test_every_state_changing_endpoint_writes_an_audit_entry(alpha):
    from enterprise.audit.models import AuditEntry

    created = alpha.client("owner").post(
        "/api/v1/api-keys/", {"name": "audit-walk", "role": "owner"}, content_type="application/json"
    )
    client = Client(HTTP_HOST=alpha.host, HTTP_AUTHORIZATION=f"Bearer {created.json()['key']}")
    calls = _calls(alpha)
    operations = _state_changing_operations(client)
    called = {operation for operation, _ in calls}
    assert operations - called - set(EXEMPT) == set(), "new endpoints: call them here or exempt them"
    assert called - operations == set(), "stale operation names in the calls"
    assert set(EXEMPT) - operations == set(), "stale operation names in EXEMPT"

    ctx: dict[str, Any] = {}
    identity_people(alpha, ctx)
    unaudited = []
    failed: list[tuple[str, int, bytes]] = []
    for operation, call in calls:
        with alpha.activate():
            last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        try:
            response = call(client, ctx)
        except KeyError as missing:  # an earlier call that makes it failed (reported there)
            failed.append((operation, 0, f"needs {missing}".encode()))
            continue
        if not 200 <= response.status_code < 300:
            failed.append((operation, response.status_code, response.content[:300]))
            continue
        with alpha.activate():
            if not AuditEntry.objects.filter(pk__gt=last).exists():
                unaudited.append(operation)
    assert failed == [], "\n".join(map(str, failed))
    assert unaudited == []
