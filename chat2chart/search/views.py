# SPDX-License-Identifier: MIT
"""The search page, `/search/?q=...`: every result grouped by kind (the nav box's "see all", no-JS form)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chat2chart.core.principal import Principal
from chat2chart.search.selectors import KINDS, search
from chat2chart.search.terms import MAX_QUERY_CHARS

KIND_HEADINGS = {
    "chart": "Charts",
    "dashboard": "Dashboards",
    "conversation": "Conversations",
    "source": "Data sources",
    "table": "Tables",
    "column": "Columns",
}


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")[:MAX_QUERY_CHARS].strip()
    hits = search(principal=Principal.from_request(request), text=text, limit=25) if text else []
    groups = [
        {"kind": kind, "heading": KIND_HEADINGS[kind], "hits": [h for h in hits if h.kind == kind]}
        for kind in KINDS
    ]
    return render(
        request,
        "search/results.html",
        {"query": text, "groups": [g for g in groups if g["hits"]], "count": len(hits)},
    )
