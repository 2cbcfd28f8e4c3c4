# SPDX-License-Identifier: MIT
"""Search over charts, dashboards, conversations, sources, tables and columns: per organisation, only
what the person may see, every word a prefix."""

from __future__ import annotations

from typing import Any

import pytest
from model_bakery import baker

from tests.rbac.helpers import send

ORDERS_CATALOGUE = {
    "name": "orders",
    "columns": [
        {"name": "region", "type": "text"},
        {"name": "order_date", "type": "date"},
        {"name": "total_amount", "type": "decimal", "label": "Total amount"},
    ],
}


def _content(workspace: Any, word: str) -> dict[str, Any]:
    """A source, table, chart, dashboard and conversation whose names contain `word`."""
    with workspace.activate():
        owner = workspace.users["editor"]
        source = baker.make("sources.Source", name=f"{word} shop", kind="file", status="ready", owner=owner)
        table = baker.make("sources.SourceTable", source=source, name="orders", catalogue=ORDERS_CATALOGUE)
        chart = baker.make(
            "charts.SavedChart",
            title=f"Total amount by region ({word})",
            description="Orders summed per region.",
            source=source,
            spec={"type": "column"},
            query={},
            owner=owner,
        )
        dashboard = baker.make("dashboards.Dashboard", title=f"{word} weekly review", owner=owner)
        conversation = baker.make(
            "conversations.Conversation",
            source=source,
            table_name="orders",
            title=f"Amount by region in {word}",
            owner=owner,
        )
    return {
        "source": source,
        "table": table,
        "chart": chart,
        "dashboard": dashboard,
        "conversation": conversation,
    }


def _search(client: Any, text: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/search/", {"q": text, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _found(results: list[dict[str, Any]]) -> set[tuple[str, Any]]:
    return {(hit["kind"], hit["id"]) for hit in results}


def test_search_finds_every_kind_of_thing_by_word_prefixes(alpha):
    made = _content(alpha, "Contoso")
    results = _search(alpha.client("editor"), "conto")
    assert _found(results) >= {
        ("source", made["source"].pk),
        ("chart", made["chart"].pk),
        ("dashboard", made["dashboard"].pk),
        ("conversation", made["conversation"].pk),
    }
    urls = {hit["kind"]: hit["url"] for hit in results}
    assert urls["chart"] == f"/charts/{made['chart'].pk}/"
    assert urls["dashboard"] == f"/dashboards/{made['dashboard'].pk}/"
    assert urls["conversation"] == f"/chat/{made['conversation'].pk}/"


def test_search_finds_tables_and_columns_by_name_and_label(alpha):
    made = _content(alpha, "Fabrikam")
    table = made["table"]
    columns = [hit for hit in _search(alpha.client("viewer"), "total amou") if hit["kind"] == "column"]
    assert [(hit["id"], hit["title"]) for hit in columns] == [(f"{table.pk}:total_amount", "Total amount")]
    assert columns[0]["url"] == f"/sources/{made['source'].pk}/tables/orders/"
    dated = [hit["title"] for hit in _search(alpha.client("viewer"), "order date") if hit["kind"] == "column"]
    assert dated == ["order_date"]
    tables = [hit for hit in _search(alpha.client("viewer"), "orders") if hit["kind"] == "table"]
    assert [hit["id"] for hit in tables] == [table.pk]


def test_every_word_must_match(alpha):
    made = _content(alpha, "Northwind")
    assert ("dashboard", made["dashboard"].pk) in _found(_search(alpha.client("editor"), "northwind weekly"))
    assert ("dashboard", made["dashboard"].pk) not in _found(
        _search(alpha.client("editor"), "northwind monthly")
    )


def test_search_stays_inside_the_organisation(alpha, beta):
    alpha_made = _content(alpha, "Globex")
    beta_made = _content(beta, "Globex")
    alpha_found = _found(_search(alpha.client("owner"), "globex"))
    beta_found = _found(_search(beta.client("owner"), "globex"))
    assert ("chart", alpha_made["chart"].pk) in alpha_found
    assert ("chart", beta_made["chart"].pk) in beta_found
    # Ids may coincide between schemas, so compare what each found by its titles too.
    alpha_titles = {hit["title"] for hit in _search(alpha.client("owner"), "globex")}
    beta_sources = {
        hit["title"] for hit in _search(beta.client("owner"), "globex") if hit["kind"] == "source"
    }
    assert beta_sources == {"Globex shop"}
    assert len([t for t in alpha_titles if t == "Globex shop"]) == 1
    with beta.activate():
        from chat2chart.charts.models import SavedChart

        assert SavedChart.objects.filter(title__icontains="globex").count() == 1


def test_a_conversation_is_found_only_by_its_owner_and_admins(alpha):
    made = _content(alpha, "Initech")
    key = ("conversation", made["conversation"].pk)
    assert key in _found(_search(alpha.client("editor"), "initech"))
    assert key not in _found(_search(alpha.client("viewer"), "initech"))


@pytest.mark.enterprise
def test_a_member_does_not_find_what_is_not_shared_with_them(alpha):
    made = _content(alpha, "Umbrella")
    editor = alpha.client("editor")
    for kind in ("chart", "dashboard", "source"):
        response = send(
            editor,
            "put",
            f"/api/v1/access/{kind}/{made[kind].pk}/",
            {"visibility": "restricted", "grants": []},
        )
        assert response.status_code == 200, response.content
    viewer_found = _found(_search(alpha.client("viewer"), "umbrella"))
    for kind in ("chart", "dashboard", "source"):
        assert (kind, made[kind].pk) not in viewer_found
    # Tables and columns of a source the viewer may not see are not found either.
    assert not [
        hit
        for hit in _search(alpha.client("viewer"), "total amount")
        if hit["kind"] in ("table", "column") and hit["url"].startswith(f"/sources/{made['source'].pk}/")
    ]
    editor_found = _found(_search(editor, "umbrella"))
    assert {(kind, made[kind].pk) for kind in ("chart", "dashboard", "source")} <= editor_found


def test_text_without_words_finds_nothing_and_operators_are_plain_words(alpha):
    _content(alpha, "Hooli")
    assert _search(alpha.client("viewer"), "  !&|:*() ") == []
    assert _search(alpha.client("viewer"), "hooli & | !") != []


def test_a_query_that_is_too_long_gets_a_clear_error(alpha):
    response = alpha.client("viewer").get("/api/v1/search/", {"q": "x" * 500})
    assert response.status_code == 400
    assert "200" in response.json()["error"]["message"]


def test_an_anonymous_caller_is_refused(alpha):
    assert alpha.anonymous_client().get("/api/v1/search/", {"q": "orders"}).status_code in (401, 403)


def test_the_search_page_lists_results_by_kind(alpha):
    made = _content(alpha, "Stark")
    page = alpha.client("editor").get("/search/", {"q": "stark"})
    assert page.status_code == 200
    text = page.content.decode()
    assert made["chart"].title in text
    assert "Dashboards" in text
    assert "Charts" in text
    assert 'role="search"' in text
