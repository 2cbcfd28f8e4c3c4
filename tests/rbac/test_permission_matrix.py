# SPDX-License-Identifier: MIT
"""Every action by every built-in role and a custom role, through the real API.

Each role's member tries every action on objects someone else (the owner) made; the table below says
which succeed. The custom role "Analyst" may read and query sources, make charts and dashboards and
start conversations, but not edit dashboards, write SQL, add sources or manage anything.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.rbac.helpers import add_member, create_role, membership_id, send
from tests.sources.fixtures_api import REVENUE_BY_REGION, upload_source

pytestmark = pytest.mark.enterprise

ANALYST = [
    "sources.view",
    "sources.query",
    "charts.create",
    "charts.edit",
    "dashboards.create",
    "conversations.create",
    "conversations.edit",
]

ACTIONS = (
    "list sources",
    "query a source",
    "add a source",
    "write SQL",
    "delete a source",
    "create a chart",
    "edit a chart",
    "delete a chart",
    "create a dashboard",
    "edit a dashboard",
    "delete a dashboard",
    "publish a dashboard",
    "start a conversation",
    "change a member's role",
    "create a role",
    "create a group",
    "change settings",
    "create an API key",
)
_VIEWER = {"list sources", "query a source", "start a conversation"}
_EDITOR = _VIEWER | {
    "add a source",
    "write SQL",
    "create a chart",
    "edit a chart",
    "create a dashboard",
    "edit a dashboard",
}
_ADMIN = set(ACTIONS)
EXPECTED = {
    "owner": set(ACTIONS),
    "admin": _ADMIN,
    "editor": _EDITOR,
    "viewer": _VIEWER,
    "analyst": _VIEWER | {"create a chart", "edit a chart", "create a dashboard"},
}


def _world(alpha: Any) -> dict[str, Any]:
    """Objects of the owner's for the others to act on: one of each per destructive action."""
    owner = alpha.client("owner")
    source = upload_source(owner).json()
    doomed_source = upload_source(owner, file_name="doomed.csv").json()
    chart_body = {
        "title": "Revenue by region",
        "spec": {"type": "column", "encoding": {"x": "region", "y": ["revenue"]}},
        "query": {"source": source["id"], **REVENUE_BY_REGION},
        "source": source["id"],
    }
    charts = [send(owner, "post", "/api/v1/charts/", chart_body).json() for _ in range(2)]
    dashboards = [send(owner, "post", "/api/v1/dashboards/", {"title": f"D{i}"}).json() for i in range(3)]
    add_member(alpha, "target@alpha.test", "viewer")
    return {
        "source": source,
        "doomed_source": doomed_source,
        "chart_body": chart_body,
        "charts": charts,
        "dashboards": dashboards,
        "target": membership_id(alpha, _user("target@alpha.test")),
    }


def _user(email: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(email=email)


def _try(client: Any, world: dict[str, Any], action: str) -> int:
    source, charts, dashboards = world["source"], world["charts"], world["dashboards"]
    requests = {
        "list sources": lambda: client.get("/api/v1/sources/"),
        "query a source": lambda: send(
            client, "post", "/api/v1/query/", {"source": source["id"], **REVENUE_BY_REGION}
        ),
        "add a source": lambda: upload_source(client, file_name="mine.csv"),
        "write SQL": lambda: send(
            client, "post", "/api/v1/sql/", {"source": source["id"], "sql": "SELECT count(*) FROM sales"}
        ),
        "delete a source": lambda: client.delete(f"/api/v1/sources/{world['doomed_source']['id']}/"),
        "create a chart": lambda: send(client, "post", "/api/v1/charts/", world["chart_body"]),
        "edit a chart": lambda: send(
            client, "patch", f"/api/v1/charts/{charts[0]['id']}/", {"title": "Renamed"}
        ),
        "delete a chart": lambda: client.delete(f"/api/v1/charts/{charts[1]['id']}/"),
        "create a dashboard": lambda: send(client, "post", "/api/v1/dashboards/", {"title": "Mine"}),
        "edit a dashboard": lambda: send(
            client, "patch", f"/api/v1/dashboards/{dashboards[0]['id']}/", {"title": "Renamed"}
        ),
        "delete a dashboard": lambda: client.delete(f"/api/v1/dashboards/{dashboards[1]['id']}/"),
        "publish a dashboard": lambda: send(
            client, "post", f"/api/v1/dashboards/{dashboards[2]['id']}/publish/", {}
        ),
        "start a conversation": lambda: send(
            client, "post", "/api/v1/conversations/", {"source": source["id"], "table": "sales"}
        ),
        "change a member's role": lambda: send(
            client, "patch", f"/api/v1/members/{world['target']}/", {"role": "editor"}
        ),
        "create a role": lambda: send(
            client, "post", "/api/v1/roles/", {"name": "Readers", "permissions": ["sources.view"]}
        ),
        "create a group": lambda: send(client, "post", "/api/v1/groups/", {"name": "Finance"}),
        "change settings": lambda: send(
            client, "patch", "/api/v1/workspace/settings/", {"llm_send_samples": False}
        ),
        "create an API key": lambda: send(
            client, "post", "/api/v1/api-keys/", {"name": "ci", "role": "viewer"}
        ),
    }
    return requests[action]().status_code


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_may_do_exactly_its_actions(alpha, role):
    world = _world(alpha)
    if role == "analyst":
        created = create_role(alpha, "Analyst", ANALYST).json()
        user, client = add_member(alpha, "analyst@alpha.test")
        changed = send(
            alpha.client("owner"),
            "patch",
            f"/api/v1/members/{membership_id(alpha, user)}/",
            {"custom_role": created["id"]},
        )
        assert changed.status_code == 200, changed.content
    else:
        client = alpha.client(role)
    statuses = {action: _try(client, world, action) for action in ACTIONS}
    assert all(code < 500 for code in statuses.values()), statuses
    allowed = {action for action, code in statuses.items() if code < 400}
    refused = {action: code for action, code in statuses.items() if code >= 400}
    assert allowed == EXPECTED[role], refused
    assert all(code in (403, 404) for code in refused.values()), refused


def test_a_custom_role_member_holds_the_rank_of_the_highest_preset_it_covers(alpha):
    from enterprise.tenants.models import Membership

    role = create_role(alpha, "Builders", [*ANALYST, "sources.manage", "dashboards.edit", "sql.use"]).json()
    user, _ = add_member(alpha, "builder@alpha.test")
    send(
        alpha.client("owner"),
        "patch",
        f"/api/v1/members/{membership_id(alpha, user)}/",
        {"custom_role": role["id"]},
    )
    membership = Membership.objects.get(user=user, organization=alpha.organization)
    assert (membership.role, membership.custom_role_id) == ("editor", role["id"])
    listed = send(alpha.client("owner"), "get", "/api/v1/members/").json()["members"]
    assert {m["email"]: m["custom_role_name"] for m in listed}["builder@alpha.test"] == "Builders"
