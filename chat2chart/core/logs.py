# SPDX-License-Identifier: MIT
"""Structured logs: one JSON object per line, every line of a request carrying its request id.

`RequestLogMiddleware` (the outermost middleware) gives each request an id (a well-formed incoming
`X-Request-ID`, else a new one), binds it for every log line written while the request runs, returns
it in the `X-Request-ID` header and writes one `http_request` line when the request ends (method,
path, route, status, duration, organisation, person). API error bodies carry the same id
(`chat2chart.core.api.error_body`). Fault events have fixed names so a metrics exporter or a log
query can count them: see `EVENTS`.

Logging goes through the standard library (Django's, Celery's and the libraries' records alike);
`formatter` is the LOGGING formatter that renders them, and `configure_structlog` (called when the
core app loads) makes structlog's loggers hand their events to the same handlers.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only if it is short and plain, so a client cannot write into the logs.
_WELL_FORMED_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

# Event names a dashboard or alert may rely on (docs/operations-faults.md lists their fields).
EVENTS = (
    "http_request",  # one per request
    "database_unavailable",  # the platform database could not be reached; the request got a 503
    "cache_unavailable",  # Redis could not be reached; the cache was bypassed
    "rate_limit_unavailable",  # the API/question budget could not be counted; the request was allowed
    "slow_query",  # a query on a data source took longer than AISER_SLOW_QUERY_MS
    "websocket_refused",  # a websocket was closed because a dependency is down
    "dependency_unavailable",  # /readyz found a dependency down (`dependency` names it)
    "task_retry",  # a Celery task will retry because the database is unavailable
)

_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
]


def get_logger(name: str) -> Any:
    """A structlog logger for module `name`: `log.info("event_name", field=value, ...)`."""
    return structlog.stdlib.get_logger(name)


def configure_structlog() -> None:
    """Send structlog's events through the standard library's handlers (LOGGING), rendered by
    `formatter`. Idempotent; called from the core app's `ready()`."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def formatter(renderer: str = "json") -> logging.Formatter:
    """The LOGGING formatter (`{"()": "chat2chart.core.logs.formatter", "renderer": ...}`).

    `renderer` "json": one JSON object per line with `time`, `level`, `logger`, `event`, the
    request's `request_id` when there is one, and the event's own fields; an exception becomes an
    `exception` field holding its traceback. "console": the same, coloured for a terminal."""
    final = (
        structlog.dev.ConsoleRenderer(colors=False)
        if renderer == "console"
        else structlog.processors.JSONRenderer()
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *([] if renderer == "console" else [structlog.processors.format_exc_info]),
            final,
        ],
    )


def current_request_id() -> str | None:
    """The id of the request being served in this context, or None outside a request."""
    return structlog.contextvars.get_contextvars().get("request_id")


def request_id_from(incoming: str | None) -> str:
    """`incoming` if it is a well-formed id (8-128 letters, digits, `._:-`), else a new random one."""
    if incoming and _WELL_FORMED_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestLogMiddleware:
    """Outermost middleware: request id in, request id out, one `http_request` line per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.log = get_logger("aiser.request")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        structlog.contextvars.clear_contextvars()
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        self.log.info(
            "http_request",
            method=request.method,
            path=request.path,
            route=_route(request),
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            organisation=_organisation(request),
            person=_person(request),
        )
        # The id stays bound: Django logs a 4xx/5xx ("Not Found: /x") after the middleware returns.
        # The next request on this thread or context clears it first.
        return response


def _route(request: HttpRequest) -> str | None:
    # The URL pattern, not the path: "api/v1/sources/<int:pk>/" groups every source's requests.
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None else None


def _organisation(request: HttpRequest) -> str | None:
    # The enterprise edition's tenant middleware sets request.tenant; the core edition has none.
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return None
    return getattr(tenant, "slug", None) or getattr(tenant, "schema_name", None)


def _person(request: HttpRequest) -> int | None:
    """The signed-in user's id (never the address), only if the request already loaded it: loading
    it here would query the session and user tables, which may be what just failed."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject):
        wrapped = user._wrapped  # type: ignore[attr-defined]
        if wrapped is empty:
            return None
        user = wrapped
    return user.pk if getattr(user, "is_authenticated", False) else None
