# SPDX-License-Identifier: MIT
"""Dashboard tabs, text and heading widgets, where new widgets go, and public links shown again."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from tests.dashboards.conftest import widgets_by_title

API = "/api/v1/dashboards/"


def send(client, method, url, body):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def test_widgets_go_on_the_tab_they_are_added_to(alpha, sales, dashboard):
    editor = alpha.client("editor")
    tabs = send(editor, "patch", f"{API}{dashboard.pk}/", {"layout": {"tabs": ["Overview", "  Details  "]}})
    assert tabs.status_code == 200, tabs.content
    assert tabs.json()["layout"]["tabs"] == ["Overview", "Details"]
    added = send(
        editor,
        "post",
        f"{API}{dashboard.pk}/widgets/",
        {"kind": "chart", "chart_id": sales.charts["targets"].pk, "tab": 1},
    )
    assert added.status_code == 201, added.content
    # First free space of its own tab: the top-left corner, although tab 0 is full there.
    assert (added.json()["tab"], added.json()["x"], added.json()["y"]) == (1, 0, 0)
    wrong = send(editor, "post", f"{API}{dashboard.pk}/widgets/", {"kind": "text", "text": "x", "tab": 2})
    assert wrong.status_code == 400
    assert "0 (Overview), 1 (Details)" in wrong.json()["error"]["message"]


def test_a_tab_with_widgets_cannot_be_removed(alpha, sales, dashboard):
    editor = alpha.client("editor")
    send(editor, "patch", f"{API}{dashboard.pk}/", {"layout": {"tabs": ["A", "B"]}})
    send(editor, "post", f"{API}{dashboard.pk}/widgets/", {"kind": "text", "text": "on B", "tab": 1})
    refused = send(editor, "patch", f"{API}{dashboard.pk}/", {"layout": {"tabs": ["A"]}})
    assert refused.status_code == 400
    assert "Move or remove the widgets" in refused.json()["error"]["message"]


def test_text_and_heading_widgets_are_drawn_safely(alpha, dashboard):
    editor = alpha.client("editor")
    url = f"{API}{dashboard.pk}/widgets/"
    text = send(
        editor, "post", url, {"kind": "text", "title": "Notes", "text": "**Bold** <script>alert(1)</script>"}
    )
    heading = send(editor, "post", url, {"kind": "heading", "text": "  Regional   results ", "w": 12, "h": 1})
    assert text.status_code == heading.status_code == 201
    assert heading.json()["text"] == "Regional results"
    body = widgets_by_title(alpha.client("viewer").get(f"{API}{dashboard.pk}/data/"))
    assert "<strong>Bold</strong>" in body["Notes"]["html"]
    assert "<script" not in body["Notes"]["html"]
    drawn = {w["id"]: w for w in body.values()}[heading.json()["id"]]
    assert drawn["heading"] == "Regional results"
    assert send(editor, "post", url, {"kind": "heading", "text": "   "}).status_code == 400


def test_a_public_link_is_shown_again_and_can_be_revoked(alpha, dashboard):
    owner = alpha.client("owner")
    made = send(owner, "post", f"{API}{dashboard.pk}/publish/", {})
    assert made.status_code == 201
    url = made.json()["url"]
    page = owner.get(f"/dashboards/{dashboard.pk}/")
    assert url in page.content.decode()  # the share menu shows the same link again
    assert alpha.anonymous_client().get(urlsplit(url).path).status_code == 200
    assert send(owner, "post", f"{API}{dashboard.pk}/unpublish/", {}).json()["revoked"] == 1
    assert url not in owner.get(f"/dashboards/{dashboard.pk}/").content.decode()
