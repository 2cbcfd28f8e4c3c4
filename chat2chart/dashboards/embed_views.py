# SPDX-License-Identifier: MIT
"""Dashboards seen without an account: embeds opened by a signed token (/embed/) and public links
(/public/), their pages and the data and filter-option endpoints those pages call."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from chat2chart.core import hooks
from chat2chart.core.api import error_response
from chat2chart.core.errors import AiserError, LimitExceeded
from chat2chart.core.principal import Principal
from chat2chart.core.ratelimit import check_rate
from chat2chart.dashboards import embedding, selectors
from chat2chart.dashboards.drill import drill_rows
from chat2chart.dashboards.filters import describe_picked, parse_definitions, parse_picked
from chat2chart.dashboards.models import Dashboard
from chat2chart.dashboards.tokens import EmbedClaims, EmbedTokenInvalid
from chat2chart.dashboards.views import page_config
from chat2chart.dashboards.widget_data import Audience, dashboard_data, filter_option_counts

logger = logging.getLogger(__name__)

NOT_AVAILABLE = "This dashboard is not available."


# --- embedded dashboards (signed tokens) ---------------------------------------------------------------


def anonymous_rate_limit(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Embeds and public links are reached without an account: a budget per client address
    (`AISER_EMBED_RATE`) keeps one visitor from running every widget's queries in a loop, and the
    organisation's embed budget (its plan) caps them all together. Refused: a JSON 429 with
    `Retry-After`; every answer carries the `RateLimit-*` headers (added by `ApiErrorMiddleware`)."""

    @functools.wraps(view)
    def limited(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        decision = check_rate(request.META.get("REMOTE_ADDR", ""), "embed")
        request.aiser_rate_decision = decision  # type: ignore[attr-defined]
        if not decision.allowed:
            return error_response(
                429, f"Too many requests. Try again in {decision.retry_after_s} seconds.", code="rate_limited"
            )
        return view(request, *args, **kwargs)

    return limited


def _embed_refusal(request: HttpRequest, status: int, *, json_body: bool) -> HttpResponse:
    """The same answer for every failure: nothing that tells an attacker which check failed."""
    if json_body:
        response = error_response(status, NOT_AVAILABLE, code="not_available")
    else:
        response = render(request, "embed/error.html", {"message": NOT_AVAILABLE}, status=status)
        response["Content-Security-Policy"] = embedding.frame_ancestors()
    response["Cache-Control"] = "no-store"
    return response


def _verified(token: str) -> tuple[EmbedClaims, Dashboard] | int:
    """The token's claims and dashboard, or the status to refuse with."""
    try:
        return embedding.verify_request_token(token)
    except EmbedTokenInvalid as error:
        logger.info("embed token refused: %s", error)
        return 404 if isinstance(error, embedding.EmbedResourceMissing) else 403


def _embed_audience(claims: EmbedClaims) -> Audience:
    # The principal carries the locked values, so the query service enforces them on every path.
    return Audience(
        principal=Principal.for_embed(locked=claims.params), locked=claims.params, theme=claims.theme
    )


@xframe_options_exempt
@anonymous_rate_limit
@require_GET
def embed_dashboard_page(request: HttpRequest, token: str) -> HttpResponse:
    verified = _verified(token)
    if isinstance(verified, int):
        return _embed_refusal(request, verified, json_body=False)
    claims, dashboard = verified
    try:
        hooks.check_limit("embed_view")
    except LimitExceeded as error:
        # The visitor is not the organisation's member: no plan details, only what happened.
        message = "This dashboard is unavailable: its owner's embed views for this month are used up."
        response = render(request, "embed/error.html", {"message": message}, status=error.status)
        response["Content-Security-Policy"] = embedding.frame_ancestors()
        response["Cache-Control"] = "no-store"
        return response
    hooks.record_usage("embed_view")
    hooks.observe("embed_view", kind="embed")
    config = page_config(
        dashboard,
        data_url=reverse("embed-dashboard-data", args=[token]),
        options_url=reverse("embed-dashboard-filter-options", args=[token]),
        locked=tuple(claims.params),
        theme=claims.theme,
    )
    if claims.drill:
        config["drillUrl"] = reverse("embed-dashboard-drill", args=[token, 0])
    response = render(
        request,
        "embed/dashboard.html",
        {
            "dashboard": dashboard,
            "config": config,
            "titled": claims.titled,
            "bordered": claims.bordered,
            "theme": claims.theme or "light",
        },
    )
    response["Content-Security-Policy"] = embedding.frame_ancestors()
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@anonymous_rate_limit
@require_GET
def embed_dashboard_data(request: HttpRequest, token: str) -> HttpResponse:
    # Verified again on every data request: an expired or rotated-away token gets no more rows.
    verified = _verified(token)
    if isinstance(verified, int):
        return _embed_refusal(request, verified, json_body=True)
    claims, dashboard = verified
    return _data_response(request, dashboard, _embed_audience(claims))


@anonymous_rate_limit
@require_GET
def embed_dashboard_filter_options(request: HttpRequest, token: str) -> HttpResponse:
    verified = _verified(token)
    if isinstance(verified, int):
        return _embed_refusal(request, verified, json_body=True)
    claims, dashboard = verified
    return _options_response(request, dashboard, _embed_audience(claims))


@anonymous_rate_limit
@require_GET
def embed_dashboard_drill(request: HttpRequest, token: str, widget_id: int) -> HttpResponse:
    """The rows behind a clicked element, inside the token's locked values; only for tokens that ask
    for drill-through (`"drill": true`), else refused like any other failure."""
    verified = _verified(token)
    if isinstance(verified, int):
        return _embed_refusal(request, verified, json_body=True)
    claims, dashboard = verified
    if not claims.drill:
        return _embed_refusal(request, 403, json_body=True)
    audience = _embed_audience(claims)
    try:
        picked = parse_picked(request.GET, parse_definitions(dashboard.filters), locked=set(audience.locked))
        widget = selectors.widget_get(dashboard, widget_id)
        rows = drill_rows(
            widget=widget,
            audience=audience,
            picked=picked,
            field_name=request.GET.get("field", ""),
            value=request.GET.get("value"),
        )
    except AiserError as error:
        return error_response(error.status, error.message, code=error.code)
    response = JsonResponse(
        {
            "widget": widget.pk,
            "columns": rows.columns,
            "rows": rows.rows,
            "truncated": rows.truncated,
            "filters": rows.filters,
        }
    )
    response["Cache-Control"] = "no-store"
    return response


def _data_response(request: HttpRequest, dashboard: Dashboard, audience: Audience) -> HttpResponse:
    try:
        picked = parse_picked(request.GET, parse_definitions(dashboard.filters), locked=set(audience.locked))
        ids = [int(v) for v in request.GET.getlist("widget")] or None
    except AiserError as error:
        return error_response(error.status, error.message, code=error.code)
    except ValueError:
        return error_response(400, "widget must be a widget id.")
    widgets = dashboard_data(dashboard=dashboard, audience=audience, picked=picked, widget_ids=ids)
    response = JsonResponse(
        {"dashboard": dashboard.pk, "filters": describe_picked(picked), "widgets": widgets}
    )
    response["Cache-Control"] = "no-store"
    return response


def _options_response(request: HttpRequest, dashboard: Dashboard, audience: Audience) -> HttpResponse:
    field_name = request.GET.get("field", "")
    offered = {d.field for d in parse_definitions(dashboard.filters)} - set(audience.locked)
    if field_name not in offered:
        return error_response(400, "This dashboard offers no filter on that field.")
    try:
        options = filter_option_counts(dashboard=dashboard, field_name=field_name, audience=audience)
    except AiserError as error:
        return error_response(error.status, error.message, code=error.code)
    values = [option["value"] for option in options]
    response = JsonResponse({"field": field_name, "values": values, "options": options})
    response["Cache-Control"] = "no-store"
    return response


# --- public links ----------------------------------------------------------------------------------------


@anonymous_rate_limit
@require_GET
def public_dashboard_page(request: HttpRequest, token: str) -> HttpResponse:
    dashboard = selectors.public_link_dashboard(token)
    if dashboard is None:
        return render(request, "embed/error.html", {"message": NOT_AVAILABLE}, status=404)
    hooks.observe("embed_view", kind="public")
    config = page_config(
        dashboard,
        data_url=reverse("public-dashboard-data", args=[token]),
        options_url=reverse("public-dashboard-filter-options", args=[token]),
    )
    response = render(
        request,
        "embed/dashboard.html",
        {
            "dashboard": dashboard,
            "config": config,
            "titled": True,
            "bordered": True,
            "theme": "light",
            "public": True,
        },
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


@anonymous_rate_limit
@require_GET
def public_dashboard_data(request: HttpRequest, token: str) -> HttpResponse:
    dashboard = selectors.public_link_dashboard(token)
    if dashboard is None:
        return error_response(404, NOT_AVAILABLE, code="not_available")
    return _data_response(request, dashboard, Audience(principal=Principal.for_embed()))


@anonymous_rate_limit
@require_GET
def public_dashboard_filter_options(request: HttpRequest, token: str) -> HttpResponse:
    dashboard = selectors.public_link_dashboard(token)
    if dashboard is None:
        return error_response(404, NOT_AVAILABLE, code="not_available")
    return _options_response(request, dashboard, Audience(principal=Principal.for_embed()))
