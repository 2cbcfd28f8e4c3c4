# SPDX-License-Identifier: MIT
"""Collection pages: `/collections/` (the root and every collection), `/collections/<id>/` and
`/collections/archive/`. Moving, pinning, archiving and restoring go through the API
(`static/js/collections.js`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from chat2chart.collections import policy, selectors, services
from chat2chart.collections.models import Collection
from chat2chart.core import hooks
from chat2chart.core.errors import NotFound
from chat2chart.core.principal import Principal


def _page(
    request: HttpRequest, *, collection: Collection | None, archived: bool, heading: str
) -> HttpResponse:
    principal = Principal.from_request(request)
    if not hooks.can(principal, hooks.VIEW):
        raise Http404("not allowed")
    personal = services.personal_collection(principal)
    shared = [c for c in selectors.collection_list(principal) if c.pk != getattr(personal, "pk", None)]
    items = selectors.collection_items(principal=principal, collection=collection, archived=archived)
    targets: list[dict[str, Any]] = [{"id": "", "name": "Our analytics (top level)"}]
    if personal is not None:
        targets.append({"id": personal.pk, "name": "My personal collection"})
    targets += [{"id": c.pk, "name": c.name} for c in shared]
    config: dict[str, Any] = {
        "urls": {
            "collections": reverse("api-collections"),
            "item": reverse("api-collection-item", args=["KIND", 0]).replace("/0/", "/ID/"),
        },
        "collection": collection.pk if collection else None,
    }
    return render(
        request,
        "collections/collection.html",
        {
            "heading": heading,
            "collection": collection,
            "personal": personal,
            "shared": shared,
            "items": items,
            "pinned": [i for i in items if i.pinned],
            "others": [i for i in items if not i.pinned],
            "archived": archived,
            "targets": targets,
            "can_create": policy.can_create_collection(principal),
            "can_rename": collection is not None and policy.can_change_collection(principal, collection),
            "config": config,
        },
    )


@login_required
def collection_root(request: HttpRequest) -> HttpResponse:
    return _page(request, collection=None, archived=False, heading="Our analytics")


@login_required
def collection_archive(request: HttpRequest) -> HttpResponse:
    return _page(request, collection=None, archived=True, heading="Archive")


@login_required
def collection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        collection = selectors.collection_get(collection_id=pk, principal=Principal.from_request(request))
    except NotFound as error:
        raise Http404(error.message) from error
    heading = "My personal collection" if collection.is_personal else collection.name
    if collection.is_personal and collection.personal_owner_id != request.user.pk:
        heading = collection.name
    return _page(request, collection=collection, archived=False, heading=heading)
