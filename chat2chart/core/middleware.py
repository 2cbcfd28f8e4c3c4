# SPDX-License-Identifier: MIT
"""HTTP middleware: API requests always get JSON errors (even for URLs no view matched and for
crashes), every request is served inside its own memo (`chat2chart.core.memo`), and every response
carries the Content-Security-Policy."""

from __future__ import annotations

import logging
from collections.abc import Callable

from csp.constants import HEADER as CSP_HEADER
from csp.middleware import CSPMiddleware
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase

from chat2chart.core.api import error_response
from chat2chart.core.faults import (
    database_unavailable_response,
    is_database_unavailable,
    mark_database_unavailable,
)
from chat2chart.core.memo import request_scope

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


class ApiErrorMiddleware:
    """JSON errors for the API; and the request's memo, opened around everything after it (views read
    the workspace's settings once per request through it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_scope():
            response = self.get_response(request)
        response = self._json_errors(request, response)
        # A request budget was counted (API throttle, embed views): say where the caller stands.
        decision = getattr(request, "aiser_rate_decision", None)
        if decision is not None:
            for name, value in decision.headers().items():
                response[name] = value
        return response

    @staticmethod
    def _json_errors(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith(("application/json", "text/event-stream")):
            return response
        if request.path.startswith(("/api/docs", "/api/schema")):
            return response
        return error_response(response.status_code, _default_message(response.status_code))

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX):
            return None

        if isinstance(exception, Http404):
            return error_response(404, "Not found.")
        if is_database_unavailable(exception):
            mark_database_unavailable(request, exception)
            return database_unavailable_response(request)
        logger.exception("unhandled error on %s", request.path, exc_info=exception)
        return error_response(500, "Something went wrong on our side. The error has been logged.")


def _default_message(status: int) -> str:
    return {
        404: "Not found.",
        405: "Method not allowed.",
        403: "You do not have permission to do this.",
        400: "Bad request.",
        413: "The request is too large.",
    }.get(status, "The request failed.")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy on every response. A view that framed itself with its own `frame-ancestors`
    (embedded dashboards, public links) keeps that directive; the rest of the site policy is added."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        own = response.get(CSP_HEADER, "")
        if own.startswith("frame-ancestors ") and ";" not in own:
            del response[CSP_HEADER]
            response._csp_replace = {"frame-ancestors": own.split()[1:]}  # type: ignore[attr-defined]
        return super().process_response(request, response)
