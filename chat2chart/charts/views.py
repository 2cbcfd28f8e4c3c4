# SPDX-License-Identifier: MIT
"""Chart pages: the saved-chart list, the gallery of every chart type and one chart's page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from chat2chart.charts import policy, selectors
from chat2chart.charts.gallery import gallery_examples
from chat2chart.core.errors import NotFound
from chat2chart.core.principal import Principal


def _require(allowed: bool) -> None:
    # Pages answer 404 rather than 403 so they do not reveal what exists.
    if not allowed:
        raise Http404("not allowed")


@login_required
def chart_list(request: HttpRequest) -> HttpResponse:
    principal = Principal.from_request(request)
    _require(policy.can_browse_charts(principal))
    return render(request, "charts/list.html", {"charts": selectors.chart_list_visible(principal)})


@login_required
def chart_gallery(request: HttpRequest) -> HttpResponse:
    _require(policy.can_browse_charts(Principal.from_request(request)))
    return render(request, "charts/gallery.html", {"examples": gallery_examples()})


@login_required
def chart_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        chart = selectors.chart_get(chart_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    principal = Principal.from_request(request)
    _require(policy.can_view_chart(principal, chart))
    config = {
        "id": chart.pk,
        "title": chart.title,
        "spec": chart.spec,
        "canEdit": policy.can_change_chart(principal, chart),
        "canDelete": policy.can_delete_chart(principal, chart),
        "canDuplicate": policy.can_create_chart(principal),
        "description": chart.description,
        "collection": chart.collection_id,
        "pinned": chart.pinned,
        "archived": chart.archived_at is not None,
        "dashboards": selectors.chart_dashboards(chart),
        "urls": {
            "duplicate": reverse("api-chart-duplicate", args=[chart.pk]),
            "item": reverse("api-collection-item", args=["chart", chart.pk]),
            "list": reverse("chart_list"),
            "data": reverse("api-chart-data", args=[chart.pk]),
            "detail": reverse("api-chart-detail", args=[chart.pk]),
            "render": reverse("api-chart-render"),
            "recommend": reverse("api-chart-recommend"),
        },
    }
    return render(request, "charts/chart.html", {"chart": chart, "config": config})
