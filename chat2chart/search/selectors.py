# SPDX-License-Identifier: MIT
"""Search across the workspace: charts, dashboards, conversations, data sources, tables and columns.

PostgreSQL full-text search (English configuration, every typed word a prefix) over what each person may
see: lists go through the same selectors as the list pages (`hooks.visible` for charts, dashboards and
sources, the conversations policy for conversations), tables and columns only of visible sources. The
schema in scope keeps every read inside the organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import F, Func, JSONField, QuerySet
from django.urls import reverse

from chat2chart.charts.selectors import chart_list_visible
from chat2chart.conversations.selectors import conversation_list
from chat2chart.core import hooks
from chat2chart.core.principal import Principal
from chat2chart.dashboards.selectors import dashboard_list_visible
from chat2chart.search.terms import matches_every_term, prefix_tsquery, search_terms
from chat2chart.sources.models import SourceTable
from chat2chart.sources.selectors import source_list_visible

CONFIG = "english"
KINDS = ("chart", "dashboard", "conversation", "source", "table", "column")
PER_KIND = 8


@dataclass(frozen=True)
class SearchHit:
    """One thing found: its kind (one of KINDS), id, title, a line of context and the page it lives on."""

    kind: str
    id: int | str
    title: str
    detail: str
    url: str
    rank: float

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "detail": self.detail,
            "url": self.url,
        }


def search(*, principal: Principal, text: str, limit: int = PER_KIND) -> list[SearchHit]:
    """What `principal` may see that matches every word of `text` (each as a prefix), best first.

    At most `limit` hits of each kind; [] for text with no words or a principal who may see nothing.
    """
    terms = search_terms(text)
    if not terms or not hooks.can(principal, hooks.VIEW):
        return []
    query = SearchQuery(prefix_tsquery(terms), search_type="raw", config=CONFIG)
    hits = [
        *_charts(principal, query, limit),
        *_dashboards(principal, query, limit),
        *_conversations(principal, query, limit),
        *_sources(principal, query, limit),
        *_tables(principal, query, limit),
        *_columns(principal, query, terms, limit),
    ]
    return sorted(hits, key=lambda hit: (-hit.rank, KINDS.index(hit.kind), hit.title.lower()))


def _ranked(queryset: QuerySet[Any], vector: Any, query: SearchQuery, limit: int) -> list[Any]:
    return list(
        queryset.annotate(document=vector)
        .filter(document=query)
        .annotate(rank=SearchRank(F("document"), query))
        .order_by("-rank", "pk")[:limit]
    )


def _text_vector(*fields: str) -> Any:
    """The fields as one weighted English document (A for the first, then B, C, D)."""
    weights = "ABCD"
    vector: Any = SearchVector(fields[0], weight="A", config=CONFIG)
    for position, field in enumerate(fields[1:], start=1):
        vector = vector + SearchVector(field, weight=weights[position], config=CONFIG)
    return vector


def _charts(principal: Principal, query: SearchQuery, limit: int) -> list[SearchHit]:
    found = _ranked(chart_list_visible(principal), _text_vector("title", "description"), query, limit)
    return [
        SearchHit(
            kind="chart",
            id=chart.pk,
            title=chart.title,
            detail=f"Chart · {chart.source.name}",
            url=reverse("chart_detail", args=[chart.pk]),
            rank=chart.rank,
        )
        for chart in found
    ]


def _dashboards(principal: Principal, query: SearchQuery, limit: int) -> list[SearchHit]:
    found = _ranked(dashboard_list_visible(principal), _text_vector("title", "description"), query, limit)
    return [
        SearchHit(
            kind="dashboard",
            id=dashboard.pk,
            title=dashboard.title,
            detail=f"Dashboard · {dashboard.widget_count} widgets",
            url=reverse("dashboard-view", args=[dashboard.pk]),
            rank=dashboard.rank,
        )
        for dashboard in found
    ]


def _conversations(principal: Principal, query: SearchQuery, limit: int) -> list[SearchHit]:
    found = _ranked(conversation_list(principal=principal), _text_vector("title", "table_name"), query, limit)
    return [
        SearchHit(
            kind="conversation",
            id=conversation.pk,
            title=conversation.display_title,
            detail=f"Conversation · {conversation.source.name} / {conversation.table_name}",
            url=reverse("chat_conversation", args=[conversation.pk]),
            rank=conversation.rank,
        )
        for conversation in found
    ]


def _sources(principal: Principal, query: SearchQuery, limit: int) -> list[SearchHit]:
    found = _ranked(source_list_visible(principal), _text_vector("name"), query, limit)
    return [
        SearchHit(
            kind="source",
            id=source.pk,
            title=source.name,
            detail=f"Data source · {source.get_kind_display()}",
            url=reverse("source-detail", args=[source.pk]),
            rank=source.rank,
        )
        for source in found
    ]


def _visible_tables(principal: Principal) -> QuerySet[SourceTable]:
    return SourceTable.objects.select_related("source").filter(
        is_current=True, source__in=source_list_visible(principal)
    )


def _tables(principal: Principal, query: SearchQuery, limit: int) -> list[SearchHit]:
    found = _ranked(_visible_tables(principal), _text_vector("name"), query, limit)
    return [
        SearchHit(
            kind="table",
            id=table.pk,
            title=table.name,
            detail=f"Table · {table.source.name}",
            url=reverse("source-table", args=[table.source_id, table.name]),
            rank=table.rank,
        )
        for table in found
    ]


def _catalogue_values(key: str) -> Func:
    """The catalogue's `key` of every column as a JSON array (its text is what the vector reads)."""
    return Func(
        F("catalogue"),
        template=f"jsonb_path_query_array(%(expressions)s, '$.columns[*].{key}')",
        output_field=JSONField(),
    )


def _columns(principal: Principal, query: SearchQuery, terms: list[str], limit: int) -> list[SearchHit]:
    """Columns whose name or label has every term; PostgreSQL finds the tables, Python the columns."""
    document = SearchVector(_catalogue_values("name"), _catalogue_values("label"), config=CONFIG)
    hits: list[SearchHit] = []
    for table in _ranked(_visible_tables(principal), document, query, limit):
        for column in (table.catalogue or {}).get("columns", []):
            name = str(column.get("name") or "")
            shown = str(column.get("label") or name)
            if not (matches_every_term(name, terms) or matches_every_term(shown, terms)):
                continue
            hits.append(
                SearchHit(
                    kind="column",
                    id=f"{table.pk}:{name}",
                    title=shown,
                    detail=f"Column · {table.source.name} / {table.name} · {column.get('type', '')}",
                    url=reverse("source-table", args=[table.source_id, table.name]),
                    rank=table.rank,
                )
            )
    return hits[:limit]
