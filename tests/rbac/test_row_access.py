# SPDX-License-Identifier: MIT
"""Row-level access (data sandboxes): a rule "region must equal the member's `region` attribute" on a
table limits every way a member reads it: the query API, dashboards (widgets and value pickers), table
previews, chat answers and follow-ups, model queries and API keys; raw SQL is refused; crafted filters
and questions naming another region do not widen it. Totals are checked against pandas over the CSV."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest

from tests.rbac.helpers import add_member, membership_id, send
from tests.sources.fixtures_api import (
    REVENUE_BY_REGION,
    error_message,
    run_query,
    upload_new_version,
    upload_source,
)

pytestmark = pytest.mark.enterprise

CSV = (
    "order_date,region,product,revenue\n"
    "2024-01-05,North,Widget,30.5\n"
    "2024-01-20,South,Widget,10.0\n"
    "2024-02-02,North,Gadget,45.0\n"
    "2024-02-14,East,Gadget,112.5\n"
    "2024-03-01,South,Widget,40.0\n"
    "2024-03-09,West,Gizmo,300.0\n"
    "2024-03-21,North,Gizmo,12.25\n"
)
FRAME = pd.read_csv(io.StringIO(CSV))


def gold(*regions: str) -> float:
    """Revenue of `regions` (all when none), by pandas over the uploaded file."""
    rows = FRAME[FRAME["region"].isin(regions)] if regions else FRAME
    return round(float(rows["revenue"].sum()), 6)


def total(rows: list[list[Any]]) -> float:
    return round(sum(float(row[-1] or 0) for row in rows), 6)


def regions_in(rows: list[list[Any]]) -> set[str]:
    return {row[0] for row in rows}


def set_attributes(workspace: Any, user: Any, attributes: dict[str, Any], by: str = "admin") -> Any:
    url = f"/api/v1/members/{membership_id(workspace, user)}/attributes/"
    return send(workspace.client(by), "put", url, {"attributes": attributes})


@pytest.fixture
def sandbox(alpha: Any) -> dict[str, Any]:
    """A sales source with the rule region = attribute `region`; the viewer is North, a second viewer
    South, a third viewer has no region."""
    uploaded = upload_source(alpha.client("editor"), CSV, file_name="sales.csv", name="Sales")
    assert uploaded.status_code == 201, uploaded.content
    source = uploaded.json()["id"]
    rule = send(
        alpha.client("admin"),
        "post",
        "/api/v1/row-rules/",
        {"source": source, "table": "sales", "column": "Region", "attribute": "region"},
    )
    assert rule.status_code == 201, rule.content
    assert rule.json()["column"] == "region"  # matched whatever the case, stored as the table names it
    south, south_client = add_member(alpha, "south@alpha.test")
    _nobody, nobody_client = add_member(alpha, "nobody@alpha.test")
    assert set_attributes(alpha, alpha.users["viewer"], {"region": "North"}).status_code == 200
    assert set_attributes(alpha, south, {"region": ["South"]}).status_code == 200
    return {
        "source": source,
        "rule": rule.json()["id"],
        "north": alpha.client("viewer"),
        "south": south_client,
        "south_user": south,
        "nobody": nobody_client,
    }


def _rows(response: Any) -> list[list[Any]]:
    assert response.status_code == 200, response.content
    return response.json()["rows"]


def test_two_members_see_their_own_regions_totals_through_the_query_api(alpha, sandbox):
    north = _rows(run_query(sandbox["north"], sandbox["source"]))
    south = _rows(run_query(sandbox["south"], sandbox["source"]))
    assert regions_in(north) == {"North"}
    assert total(north) == pytest.approx(gold("North"))
    assert regions_in(south) == {"South"}
    assert total(south) == pytest.approx(gold("South"))
    # Asked twice, the second answer comes from the cache: still each member's own slice.
    again = run_query(sandbox["south"], sandbox["source"])
    assert again.json()["cached"] is True
    assert total(_rows(again)) == pytest.approx(gold("South"))
    everything = _rows(run_query(alpha.client("admin"), sandbox["source"]))
    assert total(everything) == pytest.approx(gold())


def test_a_filter_on_another_region_does_not_widen_the_slice(sandbox):
    client, source = sandbox["north"], sandbox["source"]
    other = {**REVENUE_BY_REGION, "filters": [{"field": "region", "op": "eq", "value": "South"}]}
    assert _rows(run_query(client, source, other)) == []
    both = {**REVENUE_BY_REGION, "filters": [{"field": "region", "op": "in", "value": ["North", "South"]}]}
    assert regions_in(_rows(run_query(client, source, both))) == {"North"}
    negated = {**REVENUE_BY_REGION, "filters": [{"field": "region", "op": "neq", "value": "North"}]}
    assert _rows(run_query(client, source, negated)) == []
    overall = {"table": "sales", "measures": [{"field": "revenue", "agg": "sum"}]}
    assert total(_rows(run_query(client, source, overall))) == pytest.approx(gold("North"))


def test_a_member_without_the_attribute_sees_no_rows_and_is_told_why(sandbox):
    for response in (
        run_query(sandbox["nobody"], sandbox["source"]),
        sandbox["nobody"].get(f"/api/v1/sources/{sandbox['source']}/tables/sales/preview/"),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "row_access_no_rows"
        assert "Ask an admin to set your attributes" in error_message(response)
        assert "rows" not in response.json()


def test_the_table_preview_shows_only_the_members_rows(sandbox):
    response = sandbox["south"].get(f"/api/v1/sources/{sandbox['source']}/tables/sales/preview/")
    columns = [c["name"] for c in response.json()["columns"]]
    rows = _rows(response)
    assert {row[columns.index("region")] for row in rows} == {"South"}
    assert len(rows) == int((FRAME["region"] == "South").sum())


def test_raw_sql_is_refused_to_a_limited_member_and_allowed_to_an_admin(alpha, sandbox):
    editor = alpha.client("editor")
    assert set_attributes(alpha, alpha.users["editor"], {"region": "North"}).status_code == 200
    body = {"source": sandbox["source"], "sql": "SELECT SUM(revenue) FROM sales"}
    refused = send(editor, "post", "/api/v1/sql/", body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "row_access_sql"
    assert "limited to some of its rows" in error_message(refused)
    allowed = send(alpha.client("admin"), "post", "/api/v1/sql/", body)
    assert float(_rows(allowed)[0][0]) == pytest.approx(gold())


def test_each_member_sees_their_own_total_on_the_same_dashboard(alpha, sandbox):
    editor = alpha.client("editor")
    chart = send(
        editor,
        "post",
        "/api/v1/charts/",
        {
            "title": "Revenue by region",
            "spec": {"type": "column", "encoding": {"x": "region", "y": ["revenue"]}},
            "query": {"source": sandbox["source"], **REVENUE_BY_REGION},
            "source": sandbox["source"],
        },
    ).json()
    dashboard = send(editor, "post", "/api/v1/dashboards/", {"title": "Sales"}).json()
    widget = send(
        editor,
        "post",
        f"/api/v1/dashboards/{dashboard['id']}/widgets/",
        {"kind": "chart", "chart_id": chart["id"]},
    )
    assert widget.status_code == 201, widget.content
    # A filter names a column of the dashboard's tables, so it comes after the widget that reads one.
    filters = [{"field": "region", "kind": "values"}]
    assert (
        send(editor, "patch", f"/api/v1/dashboards/{dashboard['id']}/", {"filters": filters}).status_code
        == 200
    )
    url = f"/api/v1/dashboards/{dashboard['id']}/data/"
    for client, region in ((sandbox["north"], "North"), (sandbox["south"], "South")):
        shown = client.get(url).json()["widgets"][0]
        assert "error" not in shown, shown
        assert total(shown["data"]["rows"]) == pytest.approx(gold(region))
        # A dashboard filter on another region narrows to nothing; it never shows that region.
        picked = client.get(url, {"filter.region": "East"}).json()["widgets"][0]
        assert "South" not in str(picked), picked
        assert not picked.get("data", {}).get("rows"), picked
    options = sandbox["north"].get(
        f"/api/v1/dashboards/{dashboard['id']}/filter-options/", {"field": "region"}
    )
    assert options.status_code == 200, options.content
    assert options.json()["values"] == ["North"]  # the value picker lists only the member's own values
    shown = editor.get(url).json()["widgets"][0]  # the editor has no region: no rows, not every row
    assert "data" not in shown, shown
    assert shown["error"]["code"] == "row_access_no_rows", shown


def test_a_limited_members_model_prompt_and_suggestions_name_no_other_region(
    alpha, sandbox, settings, monkeypatch
):
    import json

    import litellm

    from tests.conversations.test_llm_planner import MODEL, model_plan

    settings.AISER_LLM_MODEL = MODEL
    prompts: list[str] = []
    real = litellm.completion

    def complete(**kwargs: Any) -> Any:
        prompts.append(json.dumps(kwargs["messages"]))
        return real(**kwargs, mock_response=model_plan(limit=None, order=[]))

    monkeypatch.setattr(litellm, "completion", complete)
    client = sandbox["north"]
    created = send(client, "post", "/api/v1/conversations/", {"source": sandbox["source"], "table": "sales"})
    url = f"/api/v1/conversations/{created.json()['id']}/messages/"
    answer = send(client, "post", url, {"content": "total revenue by region"}).json()
    assert answer["status"] == "done", answer
    assert total(answer["data"]["rows"]) == pytest.approx(gold("North"))
    assert prompts, "the model was not asked"
    for text in [*prompts, json.dumps(answer.get("suggestions") or [])]:
        for other in ("South", "East", "West"):  # regions only other members may see
            assert other not in text
    # An admin, not limited, still gives the model the table's sample values.
    prompts.clear()
    admin = alpha.client("admin")
    created = send(admin, "post", "/api/v1/conversations/", {"source": sandbox["source"], "table": "sales"})
    send(
        admin,
        "post",
        f"/api/v1/conversations/{created.json()['id']}/messages/",
        {"content": "revenue by region"},
    )
    assert any("West" in prompt for prompt in prompts)


def test_chat_answers_and_follow_ups_stay_in_the_members_region(alpha, sandbox):
    client = sandbox["north"]
    created = send(client, "post", "/api/v1/conversations/", {"source": sandbox["source"], "table": "sales"})
    assert created.status_code == 201, created.content
    url = f"/api/v1/conversations/{created.json()['id']}/messages/"

    def ask(question: str) -> dict[str, Any]:
        response = send(client, "post", url, {"content": question})
        assert response.status_code == 201, response.content
        return response.json()

    answer = ask("total revenue by region")
    assert answer["status"] == "done", answer
    assert regions_in(answer["data"]["rows"]) == {"North"}
    assert total(answer["data"]["rows"]) == pytest.approx(gold("North"))
    follow_up = ask("and for South")
    assert "South" not in regions_in((follow_up.get("data") or {}).get("rows") or [])
    assert total((follow_up.get("data") or {}).get("rows") or []) == 0
    named = ask("total revenue in West")
    assert total((named.get("data") or {}).get("rows") or []) == 0


def test_a_model_query_is_limited_and_never_served_from_the_models_cache(alpha, sandbox):
    admin = alpha.client("admin")
    model = send(
        admin, "post", "/api/v1/semantic/models/auto/", {"source": sandbox["source"], "name": "Sales"}
    )
    assert model.status_code == 201, model.content
    cube = "sales"
    query = {"measures": [f"{cube}.total_revenue"], "dimensions": [f"{cube}.region"]}
    if "total_revenue" not in model.json()["yaml"]:
        pytest.fail("the automatic model names its sum measure differently: " + model.json()["yaml"][:400])
    body = {"model": model.json()["id"], "query": query}
    everything = _rows(send(admin, "post", "/api/v1/semantic/query/", body))
    assert total(everything) == pytest.approx(gold())
    for client, region in ((sandbox["north"], "North"), (sandbox["south"], "South")):
        rows = _rows(send(client, "post", "/api/v1/semantic/query/", body))
        assert regions_in(rows) == {region}
        assert total(rows) == pytest.approx(gold(region))


def test_an_api_key_with_a_members_role_is_limited_by_its_creators_attributes(alpha, sandbox):
    from django.test import Client

    admin = alpha.client("admin")
    assert set_attributes(alpha, alpha.users["admin"], {"region": "South"}).status_code == 200

    def total_with(role: str) -> float:
        key = send(admin, "post", "/api/v1/api-keys/", {"name": role, "role": role})
        assert key.status_code == 201, key.content
        bearer = Client(HTTP_HOST=alpha.host, HTTP_AUTHORIZATION=f"Bearer {key.json()['key']}")
        return total(_rows(run_query(bearer, sandbox["source"])))

    assert total_with("viewer") == pytest.approx(gold("South"))  # the key acts as a viewer: limited
    assert total_with("admin") == pytest.approx(gold())  # admins see every row


def test_changing_an_attribute_applies_on_the_next_query(alpha, sandbox):
    assert total(_rows(run_query(sandbox["south"], sandbox["source"]))) == pytest.approx(gold("South"))
    assert set_attributes(alpha, sandbox["south_user"], {"region": ["East", "West"]}).status_code == 200
    rows = _rows(run_query(sandbox["south"], sandbox["source"]))
    assert regions_in(rows) == {"East", "West"}
    assert total(rows) == pytest.approx(gold("East", "West"))
    assert send(alpha.client("admin"), "delete", f"/api/v1/row-rules/{sandbox['rule']}/").status_code == 204
    assert total(_rows(run_query(sandbox["south"], sandbox["source"]))) == pytest.approx(gold())


def test_a_rule_whose_column_disappears_refuses_instead_of_showing_every_row(alpha, sandbox):
    without_region = "order_date,product,revenue\n2024-01-05,Widget,30.5\n"
    assert upload_new_version(alpha.client("editor"), sandbox["source"], without_region).status_code in (
        200,
        201,
        202,
    )
    response = run_query(
        sandbox["north"],
        sandbox["source"],
        {"table": "sales", "measures": [{"field": "revenue", "agg": "sum"}]},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "row_access_column_missing"


def test_only_admins_manage_rules_and_attributes(alpha, sandbox):
    editor = alpha.client("editor")
    refused = send(
        editor,
        "post",
        "/api/v1/row-rules/",
        {"source": sandbox["source"], "table": "sales", "column": "product", "attribute": "product"},
    )
    assert refused.status_code == 403
    assert send(editor, "delete", f"/api/v1/row-rules/{sandbox['rule']}/").status_code == 403
    assert set_attributes(alpha, alpha.users["editor"], {"region": "East"}, by="editor").status_code == 403
    bad = set_attributes(alpha, sandbox["south_user"], {"bad name!": "x"})
    assert bad.status_code == 400
    assert "not valid" in error_message(bad)
    unknown = send(
        alpha.client("admin"),
        "post",
        "/api/v1/row-rules/",
        {"source": sandbox["source"], "table": "sales", "column": "country", "attribute": "country"},
    )
    assert unknown.status_code == 400
    assert "not a column" in error_message(unknown)


def test_rule_and_attribute_changes_are_audited(alpha, sandbox, settings):
    from tests.platform import hook_listeners

    hook_listeners.received.clear()
    settings.AISER_HOOK_PLUGINS = {
        **settings.AISER_HOOK_PLUGINS,
        "audit": ["tests.platform.hook_listeners.metrics_exporter"],
    }
    assert set_attributes(alpha, sandbox["south_user"], {"region": "East"}).status_code == 200
    assert send(alpha.client("admin"), "delete", f"/api/v1/row-rules/{sandbox['rule']}/").status_code == 204
    actions = [event.action for _, event in hook_listeners.received]
    assert actions == ["member.attributes_change", "row_rule.delete"]
    change = hook_listeners.received[0][1]
    assert change.data["before"] == {"region": ["South"]}
    assert change.data["after"] == {"region": ["East"]}


def test_another_organisation_is_not_affected(alpha, beta, sandbox):
    uploaded = upload_source(beta.client("editor"), CSV, file_name="sales.csv", name="Sales")
    source = uploaded.json()["id"]
    rows = _rows(run_query(beta.client("viewer"), source))
    assert total(rows) == pytest.approx(gold())
    # Alpha's admin cannot put a rule on beta's source, nor set attributes of beta's members.
    crafted = send(
        alpha.client("admin"),
        "post",
        "/api/v1/row-rules/",
        {"source": source, "table": "sales", "column": "region", "attribute": "region"},
    )
    assert crafted.status_code == 404 or source == sandbox["source"]
    beta_member = membership_id(beta, beta.users["viewer"])
    response = send(
        alpha.client("admin"),
        "put",
        f"/api/v1/members/{beta_member}/attributes/",
        {"attributes": {"region": "x"}},
    )
    assert response.status_code == 404
    assert total(_rows(run_query(beta.client("viewer"), source))) == pytest.approx(gold())


def test_the_row_access_page_lists_rules_and_sets_attributes_for_admins_only(alpha, sandbox):
    admin = alpha.client("admin")
    page = admin.get("/settings/row-access/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "must equal attribute" in text
    assert "<code>region</code>" in text
    assert "Sees no rows of tables limited by region" in text  # the member without a region is flagged
    saved = admin.post(
        "/settings/row-access/",
        {
            "action": "set_attributes",
            "member": membership_id(alpha, sandbox["south_user"]),
            "attributes": "region = East, West",
        },
    )
    assert saved.status_code == 302
    rows = _rows(run_query(sandbox["south"], sandbox["source"]))
    assert total(rows) == pytest.approx(gold("East", "West"))
    assert alpha.client("editor").get("/settings/row-access/").status_code == 404


def test_re_running_an_answer_with_sql_or_a_wider_query_stays_limited(alpha, sandbox):
    editor = alpha.client("editor")
    assert set_attributes(alpha, alpha.users["editor"], {"region": "North"}).status_code == 200
    created = send(editor, "post", "/api/v1/conversations/", {"source": sandbox["source"], "table": "sales"})
    base = f"/api/v1/conversations/{created.json()['id']}/messages/"
    answer = send(editor, "post", base, {"content": "total revenue by region"}).json()
    rerun = f"{base}{answer['id']}/rerun/"
    sql = send(editor, "post", rerun, {"sql": "SELECT region, SUM(revenue) FROM sales GROUP BY region"})
    assert "South" not in sql.content.decode()
    assert sql.json()["status"] == "error", sql.content  # the answer says why, with no rows
    assert "limited to some of its rows" in sql.json()["error"]
    wider = {
        **answer["query"],
        "filters": [{"field": "region", "op": "in", "value": ["North", "South", "West"]}],
    }
    edited = send(editor, "post", rerun, {"query": wider})
    assert edited.status_code == 201, edited.content
    assert regions_in(edited.json()["data"]["rows"]) == {"North"}
    assert total(edited.json()["data"]["rows"]) == pytest.approx(gold("North"))


def test_a_limited_member_gets_no_whole_table_profile_of_the_table(alpha, sandbox):
    """The catalogue's samples, distinct counts and row count are computed over every row: a member
    limited to South must not learn the other regions (or how many rows there are) from them."""
    source, others = sandbox["source"], set(FRAME["region"]) - {"South"}
    detail = sandbox["south"].get(f"/api/v1/sources/{source}/tables/sales/")
    listed = sandbox["south"].get(f"/api/v1/sources/{source}/tables/")
    assert detail.status_code == 200
    assert listed.status_code == 200
    for body in (detail.json(), *listed.json()):
        assert body["row_count"] is None
        for column in body["columns"]:
            assert column["samples"] == []
            assert column["distinct_count"] is None
    page = sandbox["south"].get(f"/sources/{source}/tables/sales/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "South" in text  # the member's own rows are still previewed
    assert not [region for region in others if region in text]
    # An admin (not limited) still gets the whole profile, matching pandas over the file.
    full = alpha.client("admin").get(f"/api/v1/sources/{source}/tables/sales/").json()
    region = next(c for c in full["columns"] if c["name"] == "region")
    assert set(region["samples"]) == set(FRAME["region"])
    assert region["distinct_count"] == FRAME["region"].nunique()
    assert full["row_count"] == len(FRAME)


def test_a_crafted_member_or_rule_id_gets_a_plain_message(alpha, sandbox):
    admin = alpha.client("admin")
    for data, message in (
        ({"action": "set_attributes", "member": "abc", "attributes": "region = North"}, "Choose a member."),
        ({"action": "delete_rule", "rule": "1 OR 1"}, "Choose a rule."),
    ):
        text = admin.post("/settings/row-access/", data, follow=True).content.decode()
        assert message in text
        assert "invalid literal" not in text


def test_the_sources_pages_and_api_withhold_the_whole_row_count_from_limited_members(alpha, sandbox):
    """The source page's tables list and the sources API show the table's whole row count only to
    members it does not limit; North and South (different rules) get neither, the admin gets pandas'."""
    source = sandbox["source"]
    whole = str(len(FRAME))
    for member in ("north", "south"):
        client = sandbox[member]
        page = client.get(f"/sources/{source}/")
        assert page.status_code == 200
        cell = page.content.decode().split("data-row-count>")[1].split("</td>")[0]
        assert whole not in cell
        assert "limited to your rows" in cell
        assert client.get(f"/api/v1/sources/{source}/").json()["progress"]["rows"] is None
        listed = next(s for s in client.get("/api/v1/sources/").json() if s["id"] == source)
        assert listed["progress"]["rows"] is None
    admin = alpha.client("admin")
    cell = admin.get(f"/sources/{source}/").content.decode().split("data-row-count>")[1].split("</td>")[0]
    assert cell.strip() == whole
    assert admin.get(f"/api/v1/sources/{source}/").json()["progress"]["rows"] == len(FRAME)
