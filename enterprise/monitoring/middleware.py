# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Serves `/metrics` ahead of the other middleware, on any host name.

Prometheus scrapes a server by its address, which names no organisation: ahead of the organisation
routing (an unknown host is a 404 there) and of the HTTPS redirect, which a scrape on the private network
would otherwise follow forever.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from chat2chart.core.api import error_response
from enterprise.monitoring.exposition import AccessRefused, metrics_access_check, metrics_text

METRICS_PATH = "/metrics"


class MetricsEndpointMiddleware:
    """GET /metrics: the metrics text for an allowed caller, a JSON error (401, 403, 405) otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != METRICS_PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return error_response(405, "Use GET to read the metrics.")
        try:
            metrics_access_check(request)
        except AccessRefused as refused:
            response = error_response(refused.status, refused.message)
            if refused.status == 401:
                response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        body, content_type = metrics_text()
        metrics = HttpResponse(body, content_type=content_type)
        metrics["Cache-Control"] = "no-store"
        return metrics
