# SPDX-License-Identifier: MIT
"""Who acts: an API key acts with its own role (never its creator's, also for the creator's objects),
invitations join only the invited address, and one policy per object type answers for every built-in
role (the permission matrix), including the publish rule. Isolation checks use two organisations."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from chat2chart.core.principal import Principal
from tests.sources.fixtures_api import post_json, upload_source

ROLES = ("owner", "admin", "editor", "viewer")


def _key(workspace: Any, role: str, creator: str = "admin") -> str:
    response = post_json(
        workspace.client(creator), "/api/v1/api-keys/", {"name": f"{role} key", "role": role}
    )
    assert response.status_code == 201, response.content
    return response.json()["key"]


def _bearer(workspace: Any, key: str) -> Client:
    return Client(HTTP_HOST=workspace.host, HTTP_AUTHORIZATION=f"Bearer {key}")


def _source(workspace: Any, role: str = "admin") -> dict[str, Any]:
    response = upload_source(workspace.client(role))
    assert response.status_code == 201, response.content
    return response.json()


def _conversation(workspace: Any, source: dict[str, Any], role: str = "admin") -> dict[str, Any]:
    body = {"source": source["id"], "table": source["tables"][0]}
    response = post_json(workspace.client(role), "/api/v1/conversations/", body)
    assert response.status_code == 201, response.content
    return response.json()


def _dashboard(workspace: Any, role: str = "admin", title: str = "Revenue") -> dict[str, Any]:
    response = post_json(workspace.client(role), "/api/v1/dashboards/", {"title": title})
    assert response.status_code == 201, response.content
    return response.json()


# --- an API key acts with its own role -------------------------------------------------------------------


@pytest.mark.enterprise
def test_viewer_key_cannot_delete_its_creators_conversation(alpha):
    from chat2chart.conversations.models import Conversation

    conversation = _conversation(alpha, _source(alpha))
    viewer_key = _bearer(alpha, _key(alpha, "viewer"))
    response = viewer_key.delete(f"/api/v1/conversations/{conversation['id']}/")
    assert response.status_code == 404
    missing = viewer_key.delete("/api/v1/conversations/999999/")
    assert response.json()["error"]["message"].replace(str(conversation["id"]), "N") == (
        missing.json()["error"]["message"].replace("999999", "N")
    )
    with alpha.activate():
        assert Conversation.objects.filter(pk=conversation["id"]).exists()
    # The creator themselves still may.
    assert alpha.client("admin").delete(f"/api/v1/conversations/{conversation['id']}/").status_code == 204


@pytest.mark.enterprise
def test_viewer_key_does_not_read_its_creators_private_conversations(alpha):
    conversation = _conversation(alpha, _source(alpha), role="editor")
    viewer_key = _bearer(alpha, _key(alpha, "viewer", creator="admin"))
    assert viewer_key.get(f"/api/v1/conversations/{conversation['id']}/").status_code == 404
    assert viewer_key.get("/api/v1/conversations/").json()["conversations"] == []


@pytest.mark.enterprise
def test_editor_key_cannot_publish_its_creators_dashboard(alpha):
    from chat2chart.dashboards.models import PublicLink

    dashboard = _dashboard(alpha, role="admin")
    editor_key = _bearer(alpha, _key(alpha, "editor"))
    response = editor_key.post(f"/api/v1/dashboards/{dashboard['id']}/publish/")
    assert response.status_code == 403
    with alpha.activate():
        assert not PublicLink.objects.filter(dashboard_id=dashboard["id"]).exists()
    assert alpha.client("admin").post(f"/api/v1/dashboards/{dashboard['id']}/publish/").status_code == 201


@pytest.mark.enterprise
def test_editor_key_cannot_delete_what_its_creator_owns(alpha):
    source = _source(alpha, role="admin")
    dashboard = _dashboard(alpha, role="admin")
    editor_key = _bearer(alpha, _key(alpha, "editor"))
    assert editor_key.delete(f"/api/v1/dashboards/{dashboard['id']}/").status_code == 403
    assert editor_key.delete(f"/api/v1/sources/{source['id']}/").status_code == 403
    # Its own role still lets it change them, as any editor may.
    response = editor_key.patch(
        f"/api/v1/dashboards/{dashboard['id']}/", {"title": "Renamed"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"


@pytest.mark.enterprise
@pytest.mark.parametrize("key_role", ["viewer", "editor"])
def test_a_lower_role_key_uses_the_conversations_it_started_and_only_those(alpha, beta, settings, key_role):
    import io

    import pandas as pd

    from tests.sources.fixtures_api import SALES_CSV

    settings.AISER_LLM_MODEL = ""  # the rule planner: no model call
    source = _source(alpha, role="owner")
    theirs = _conversation(alpha, source, role="owner")  # the creator's own, started in the browser
    key = _bearer(alpha, _key(alpha, key_role, creator="owner"))
    body = {"source": source["id"], "table": source["tables"][0]}
    started = post_json(key, "/api/v1/conversations/", body)
    assert started.status_code == 201, started.content
    cid = started.json()["id"]
    assert key.get(f"/api/v1/conversations/{cid}/").status_code == 200
    listed = key.get("/api/v1/conversations/").json()["conversations"]
    assert [c["id"] for c in listed] == [cid]  # not the creator's other conversation
    assert key.get(f"/api/v1/conversations/{theirs['id']}/").status_code == 404
    answer = post_json(key, f"/api/v1/conversations/{cid}/messages/", {"content": "total revenue by region"})
    assert answer.status_code == 201, answer.content
    assert answer.json()["status"] == "done", answer.json()["error"]
    expected = pd.read_csv(io.StringIO(SALES_CSV)).groupby("region")["revenue"].sum().to_dict()
    got = {row[0]: float(row[-1]) for row in answer.json()["data"]["rows"]}
    assert got == pytest.approx(expected)
    # Another member of the organisation does not see it, nor does the other organisation.
    assert alpha.client("editor").get(f"/api/v1/conversations/{cid}/").status_code == 404
    assert beta.client("admin").get(f"/api/v1/conversations/{cid}/").status_code == 404
    # Another key of the same creator and role does not see it either.
    other = _bearer(alpha, _key(alpha, key_role, creator="owner"))
    assert other.get(f"/api/v1/conversations/{cid}/").status_code == 404
    assert other.get("/api/v1/conversations/").json()["conversations"] == []
    # The creator owns it (the key acts for them), and may delete it.
    assert alpha.client("owner").get(f"/api/v1/conversations/{cid}/").status_code == 200
    assert key.delete(f"/api/v1/conversations/{cid}/").status_code == 204


@pytest.mark.enterprise
def test_key_with_its_creators_role_keeps_the_creators_ownership(alpha):
    conversation = _conversation(alpha, _source(alpha, role="editor"), role="editor")
    dashboard = _dashboard(alpha, role="admin")
    admin_key = _bearer(alpha, _key(alpha, "admin", creator="admin"))
    assert admin_key.post(f"/api/v1/dashboards/{dashboard['id']}/publish/").status_code == 201
    assert admin_key.delete(f"/api/v1/conversations/{conversation['id']}/").status_code == 204


@pytest.mark.enterprise
def test_key_principal_carries_its_own_role_and_scopes(alpha):
    from chat2chart.core import hooks

    key = _key(alpha, "viewer", creator="owner")
    response = _bearer(alpha, key).get("/api/v1/me/")
    assert response.json()["organization"]["role"] == "viewer"
    # A viewer key may ask questions but not edit, whoever made it.
    assert _bearer(alpha, key).post("/api/v1/dashboards/", {"title": "x"}).status_code == 403
    from enterprise.rbac.policy import key_scopes

    assert key_scopes(key_role="viewer", creator_role="owner") == {hooks.VIEW, hooks.ASK}


@pytest.mark.enterprise
def test_a_key_cannot_make_a_key_above_its_own_role(alpha):
    from enterprise.rbac.models import ApiKey

    admin_key_of_owner = _bearer(alpha, _key(alpha, "admin", creator="owner"))
    response = post_json(admin_key_of_owner, "/api/v1/api-keys/", {"name": "escalate", "role": "owner"})
    assert response.status_code == 400
    assert "higher role" in response.json()["error"]["message"]
    assert not ApiKey.objects.filter(name="escalate").exists()
    made = post_json(admin_key_of_owner, "/api/v1/api-keys/", {"name": "ci", "role": "editor"})
    assert made.status_code == 201


@pytest.mark.enterprise
def test_a_key_reaches_nothing_of_the_other_organisation(alpha, beta):
    beta_dashboard = _dashboard(beta, role="admin", title="Beta only")
    alpha_key = _key(alpha, "admin")
    assert _bearer(beta, alpha_key).get(f"/api/v1/dashboards/{beta_dashboard['id']}/").status_code == 401
    assert _bearer(alpha, alpha_key).get(f"/api/v1/dashboards/{beta_dashboard['id']}/").status_code == 404


# --- invitations join only the invited address ----------------------------------------------------------


@pytest.fixture
def invitation(alpha):
    from enterprise.tenants.models import Invitation

    response = alpha.client("admin").post(
        "/settings/members/", {"email": "invitee@example.test", "role": "admin"}
    )
    assert response.status_code == 200
    return Invitation.objects.get(email="invitee@example.test")


def _person(email: str, *, verified: bool = True) -> Any:
    from allauth.account.models import EmailAddress

    from chat2chart.accounts.services import user_ensure_verified

    user = user_ensure_verified(email=email, password="a-long-enough-passphrase-9")
    EmailAddress.objects.filter(user=user).update(verified=verified)
    return user


def _public(user: Any) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


@pytest.mark.enterprise
def test_invitation_cannot_be_accepted_by_another_account(alpha, invitation):
    from enterprise.tenants.models import Membership

    stranger = _public(_person("stranger@example.test"))
    page = stranger.get(f"/invitations/{invitation.token}/")
    assert page.status_code == 403
    assert b"invitee@example.test" in page.content
    response = stranger.post(f"/invitations/{invitation.token}/")
    assert response.status_code == 403
    assert not Membership.objects.filter(user__email="stranger@example.test").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    # The invited person can still use it.
    assert (
        _public(_person("invitee@example.test")).post(f"/invitations/{invitation.token}/").status_code == 302
    )
    assert (
        Membership.objects.get(user__email="invitee@example.test", organization=alpha.organization).role
        == "admin"
    )


@pytest.mark.enterprise
def test_invitation_needs_the_address_verified(alpha, invitation):
    from enterprise.tenants.models import Membership

    unverified = _person("invitee@example.test", verified=False)
    assert _public(unverified).post(f"/invitations/{invitation.token}/").status_code == 403
    assert not Membership.objects.filter(user=unverified).exists()


@pytest.mark.enterprise
def test_member_of_another_organisation_cannot_join_with_someone_elses_invitation(alpha, beta, invitation):
    from enterprise.tenants.models import Membership

    beta_admin = beta.users["admin"]
    assert _public(beta_admin).post(f"/invitations/{invitation.token}/").status_code == 403
    assert not Membership.objects.filter(user=beta_admin, organization=alpha.organization).exists()
    assert beta.client("admin").get("/api/v1/dashboards/").status_code == 200
    assert Client(HTTP_HOST=alpha.host).get("/api/v1/dashboards/").status_code == 401


# --- the permission matrix: one policy per object type, every built-in role ------------------------------

# For each rule: the roles allowed on an object the person owns, and on one someone else owns.
MATRIX = {
    "view": ({"owner", "admin", "editor", "viewer"}, {"owner", "admin", "editor", "viewer"}),
    "change": ({"owner", "admin", "editor"}, {"owner", "admin", "editor"}),
    "delete": ({"owner", "admin", "editor"}, {"owner", "admin"}),
}
PUBLISH = ({"owner", "admin", "editor"}, {"owner", "admin"})
CONVERSATION = {
    "view": ({"owner", "admin", "editor", "viewer"}, {"owner", "admin"}),
    "delete": ({"owner", "admin", "editor", "viewer"}, {"owner", "admin"}),
    "ask": ({"owner", "admin", "editor", "viewer"}, {"owner", "admin"}),
}


def _allowed(rules: dict[str, Any], rule: str, workspace: Any, *, own: bool) -> set[str]:
    from types import SimpleNamespace

    allowed = set()
    for role in ROLES:
        user = workspace.users[role]
        owner = user if own else workspace.users["owner" if role != "owner" else "admin"]
        obj = SimpleNamespace(owner_id=owner.pk)
        if rules[rule](Principal.for_user(user), obj):
            allowed.add(role)
    return allowed


@pytest.mark.enterprise
@pytest.mark.parametrize("app", ["sources", "charts", "dashboards"])
@pytest.mark.parametrize("rule", sorted(MATRIX))
def test_permission_matrix_of_sources_charts_and_dashboards(alpha, app, rule):
    import importlib

    rules = importlib.import_module(f"chat2chart.{app}.policy").RULES
    with alpha.activate():
        assert _allowed(rules, rule, alpha, own=True) == MATRIX[rule][0]
        assert _allowed(rules, rule, alpha, own=False) == MATRIX[rule][1]


@pytest.mark.enterprise
def test_permission_matrix_of_publishing(alpha):
    from chat2chart.dashboards.policy import RULES

    with alpha.activate():
        assert _allowed(RULES, "publish", alpha, own=True) == PUBLISH[0]
        assert _allowed(RULES, "publish", alpha, own=False) == PUBLISH[1]


@pytest.mark.enterprise
@pytest.mark.parametrize("rule", sorted(CONVERSATION))
def test_permission_matrix_of_conversations(alpha, rule):
    from chat2chart.conversations.policy import RULES

    with alpha.activate():
        assert _allowed(RULES, rule, alpha, own=True) == CONVERSATION[rule][0]
        assert _allowed(RULES, rule, alpha, own=False) == CONVERSATION[rule][1]


PUBLISH_EDITORS_DASHBOARD = {"owner": 201, "admin": 201, "editor": 201, "viewer": 403}
PUBLISH_OWNERS_DASHBOARD = {"owner": 201, "admin": 201, "editor": 403, "viewer": 403}


@pytest.mark.enterprise
@pytest.mark.parametrize("role", ROLES)
def test_publishing_through_the_api_follows_the_matrix(alpha, role):
    editors = _dashboard(alpha, role="editor", title="Editor's")
    owners = _dashboard(alpha, role="owner", title="Owner's")
    client = alpha.client(role)
    assert (
        client.post(f"/api/v1/dashboards/{editors['id']}/publish/").status_code
        == (PUBLISH_EDITORS_DASHBOARD[role])
    )
    assert (
        client.post(f"/api/v1/dashboards/{owners['id']}/publish/").status_code
        == (PUBLISH_OWNERS_DASHBOARD[role])
    )


@pytest.mark.enterprise
def test_a_person_of_another_organisation_is_no_principal_here(alpha, beta):
    from chat2chart.dashboards.models import Dashboard
    from chat2chart.dashboards.policy import can_view_dashboard

    with alpha.activate():
        stranger = Principal.for_user(beta.users["owner"])
        assert stranger.role is None
        assert not can_view_dashboard(stranger, Dashboard(owner_id=beta.users["owner"].pk))


def test_signed_out_principal_may_do_nothing(alpha):
    from django.contrib.auth.models import AnonymousUser

    from chat2chart.dashboards.models import Dashboard
    from chat2chart.dashboards.policy import RULES

    with alpha.activate():
        nobody = Principal.for_user(AnonymousUser())
        assert not any(rule(nobody, Dashboard(owner_id=None)) for rule in RULES.values())


# --- the object-view base cannot be skipped by accident --------------------------------------------------


def test_object_view_may_not_override_the_checked_lookup():
    from chat2chart.core.api import WorkspaceObjectView

    with pytest.raises(TypeError, match="safely_get_object"):

        class Sneaky(WorkspaceObjectView):
            def get_object(self) -> None:
                return None

    with pytest.raises(TypeError, match="object_actions"):

        class Lowering(WorkspaceObjectView):
            actions = {"DELETE": "view"}


def test_object_view_may_only_name_rules_its_policy_has():
    from chat2chart.core.api import WorkspaceObjectView
    from chat2chart.dashboards.policy import RULES

    with pytest.raises(TypeError, match="no rule 'view'"):

        class Unguarded(WorkspaceObjectView):
            def get(self, request: Any, pk: int) -> None:
                return None

    with pytest.raises(TypeError, match="no rule 'archive'"):

        class Archive(WorkspaceObjectView):
            policy = RULES
            object_actions = {"POST": "archive"}

            def post(self, request: Any, pk: int) -> None:
                return None


def test_every_object_api_view_is_checked_by_its_apps_policy():
    import re

    from django.urls import get_resolver

    from chat2chart.core.api import WorkspaceObjectView

    def views(patterns: Any, prefix: str = "") -> Any:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                yield from views(pattern.url_patterns, route)
            elif hasattr(pattern.callback, "cls"):
                yield route, pattern.callback.cls

    object_route = re.compile(r"^api/v1/(sources|charts|dashboards|conversations)/<int:pk>/")
    object_views = [(r, cls) for r, cls in views(get_resolver().url_patterns) if object_route.match(r)]
    assert len(object_views) >= 15
    unchecked = [route for route, cls in object_views if not issubclass(cls, WorkspaceObjectView)]
    assert unchecked == []
