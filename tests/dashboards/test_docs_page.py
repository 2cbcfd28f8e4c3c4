# SPDX-License-Identifier: MIT
"""The embedding guide is a page of the product (linked from the share menu), not a repository path."""

from __future__ import annotations


def test_the_embedding_guide_is_served_as_a_page(alpha):
    response = alpha.client("viewer").get("/docs/embedding/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Embedding dashboards</h1>" in html
    assert "<table>" in html  # the claims table, rendered from Markdown


def test_only_known_guides_are_served(alpha):
    assert alpha.client("viewer").get("/docs/settings/").status_code == 404
