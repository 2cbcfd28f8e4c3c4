# SPDX-License-Identifier: MIT
"""Reads of collections: the ones a person sees, one collection, and what is filed in it.

The items of a collection are the charts and dashboards its reader may see (the same selectors as the
list pages), pinned ones first, then by title.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from chat2chart.charts.selectors import chart_list_visible
from chat2chart.collections import policy
from chat2chart.collections.access import sees_every_personal_collection
from chat2chart.collections.models import Collection
from chat2chart.core.errors import NotFound
from chat2chart.core.principal import Principal
from chat2chart.dashboards.selectors import dashboard_list_visible

ITEM_KINDS = ("chart", "dashboard")


@dataclass(frozen=True)
class Item:
    """A chart or dashboard as a collection lists it."""

    kind: str
    id: int
    title: str
    description: str
    pinned: bool
    collection: int | None
    archived_at: str | None
    url: str

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def collection_list(principal: Principal, *, everyone: bool = False) -> QuerySet[Collection]:
    """The shared collections and the principal's personal one (every personal one with `everyone`,
    for those who manage the workspace); none that is archived."""
    collections = Collection.objects.filter(archived_at__isnull=True)
    if everyone and sees_every_personal_collection(principal):
        return collections
    mine = Q(personal_owner=principal.user_id) if principal.user_id is not None else Q(pk__in=[])
    return collections.filter(Q(personal_owner__isnull=True) | mine)


def collection_get(*, collection_id: int, principal: Principal) -> Collection:
    """The collection if the principal may see it; NotFound otherwise, so ids reveal nothing."""
    collection = Collection.objects.filter(pk=collection_id).first()
    if collection is None or not policy.can_view_collection(principal, collection):
        raise NotFound(f"There is no collection {collection_id}.")
    return collection


def collection_items(
    *, principal: Principal, collection: Collection | None, archived: bool = False
) -> list[Item]:
    """What is filed in `collection` (None: the workspace's root) that the principal may see, pinned
    first; with `archived`, the archive instead: every archived item the principal may see, wherever
    it was filed."""
    charts = chart_list_visible(principal, archived=archived)
    dashboards = dashboard_list_visible(principal, archived=archived)
    if not archived:
        charts = charts.filter(collection=collection)
        dashboards = dashboards.filter(collection=collection)
    items = [item_body("chart", chart) for chart in charts] + [
        item_body("dashboard", dashboard) for dashboard in dashboards
    ]
    return sorted(items, key=lambda item: (not item.pinned, item.title.lower(), item.kind, item.id))


def item_get(*, principal: Principal, kind: str, item_id: int) -> Any:
    """The chart or dashboard `item_id` (archived or not) if the principal may see it; else NotFound."""
    if kind not in ITEM_KINDS:
        raise NotFound(f"Only {' and '.join(ITEM_KINDS)}s are filed in collections.")
    for archived in (False, True):
        found = (
            chart_list_visible(principal, archived=archived)
            if kind == "chart"
            else dashboard_list_visible(principal, archived=archived)
        ).filter(pk=item_id)
        item = found.first()
        if item is not None:
            return item
    raise NotFound(f"There is no {kind} {item_id}.")


def item_body(kind: str, obj: Any) -> Item:
    """One chart or dashboard as a collection lists it."""
    url = f"/{kind}s/{obj.pk}/"
    return Item(
        kind=kind,
        id=obj.pk,
        title=obj.title,
        description=obj.description,
        pinned=obj.pinned,
        collection=obj.collection_id,
        archived_at=obj.archived_at.isoformat() if obj.archived_at else None,
        url=url,
    )
