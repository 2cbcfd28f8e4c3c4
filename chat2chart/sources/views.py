# SPDX-License-Identifier: MIT
"""Pages of data sources: the list, upload, connect a database or a REST API, a source, a table.

The pages render what is stored; changes go through the JSON API from static/js/sources.js.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from chat2chart.core.errors import AiserError, NotFound
from chat2chart.core.principal import Principal
from chat2chart.sources import policy, rowaccess, selectors
from chat2chart.sources.catalogue import COLUMN_TYPES
from chat2chart.sources.ingest import DATE_ORDER_CHOICES, NUMBER_FORMAT_CHOICES
from chat2chart.sources.models import Source
from chat2chart.sources.querying import table_preview

logger = logging.getLogger(__name__)


def _allowed(allowed: bool) -> None:
    # Pages answer 404 rather than 403 so they do not reveal what exists.
    if not allowed:
        raise Http404


def _source(request: HttpRequest, pk: int) -> Source:
    """The source, when the policy lets the request's principal see it."""
    try:
        source = selectors.source_get(pk)
    except NotFound:
        raise Http404 from None
    _allowed(policy.can_view_source(Principal.from_request(request), source))
    return source


def _page(request: HttpRequest, template: str, **context: Any) -> HttpResponse:
    context.setdefault("can_edit", policy.can_create_source(Principal.from_request(request)))
    context.setdefault("max_upload_mb", settings.AISER_MAX_UPLOAD_MB)
    return render(request, f"sources/{template}", context)


@login_required
def source_list(request: HttpRequest) -> HttpResponse:
    principal = Principal.from_request(request)
    _allowed(policy.can_list_sources(principal))
    sources = list(selectors.source_list_visible(principal).prefetch_related("tables"))
    # A failed source can be removed from the list itself, without opening it.
    removable = {
        source.pk
        for source in sources
        if source.status == Source.Status.FAILED and policy.can_delete_source(principal, source)
    }
    return _page(request, "list.html", sources=sources, removable=removable)


@login_required
def source_upload(request: HttpRequest) -> HttpResponse:
    _allowed(policy.can_create_source(Principal.from_request(request)))
    return _page(request, "upload.html")


@login_required
def source_connect(request: HttpRequest) -> HttpResponse:
    _allowed(policy.can_create_source(Principal.from_request(request)))
    return _page(request, "connect.html")


@login_required
def source_rest(request: HttpRequest) -> HttpResponse:
    _allowed(policy.can_create_source(Principal.from_request(request)))
    return _page(request, "rest.html")


@login_required
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    source = _source(request, pk)
    principal = Principal.from_request(request)
    tables = []
    for table in selectors.source_tables(source):
        # Like the table page: a member limited to some rows never sees the whole table's row count.
        columns, row_count = rowaccess.visible_catalogue(principal, source, table)
        limited = row_count is None and table.row_count is not None
        tables.append({"table": table, "row_count": row_count, "limited": limited, "columns": len(columns)})
    return _page(
        request,
        "detail.html",
        source=source,
        tables=tables,
        can_delete=policy.can_delete_source(principal, source),
    )


@login_required
def table_detail(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    source = _source(request, pk)
    try:
        table = selectors.source_table_get(source, name)
    except NotFound:
        raise Http404 from None
    preview, preview_error = None, ""
    try:
        preview = table_preview(source=source, table_name=name, principal=Principal.from_request(request))
    except AiserError as error:
        preview_error = error.message
    columns, row_count = rowaccess.visible_catalogue(Principal.from_request(request), source, table)
    for column in columns:
        share = column.get("null_share")
        column["null_percent"] = None if share is None else round(float(share) * 100, 1)
    return _page(
        request,
        "table.html",
        source=source,
        table=table,
        columns=columns,
        row_count=row_count,
        column_types=COLUMN_TYPES,
        number_formats=NUMBER_FORMAT_CHOICES,
        date_orders=DATE_ORDER_CHOICES,
        file_choice=table.overrides.get("*", {}),
        preview=preview,
        preview_error=preview_error,
        can_override=source.is_stored and policy.can_change_source(Principal.from_request(request), source),
    )
