# SPDX-License-Identifier: MIT
"""What a request gets when the platform database is down: a 503 that says so, never a traceback.

`DependencyFaultMiddleware` sits right inside `RequestLogMiddleware`, before anything that touches the
database (the enterprise edition's tenant routing, sessions, authentication):

- `/healthz` and `/readyz` are answered here, so the probes work whatever the later middleware needs;
- a request that failed because the database could not be reached (`django.db.OperationalError` or
  `InterfaceError`, raised by a middleware, a view or the API) is answered with a 503 and a
  `Retry-After` header: the JSON error shape for the API, a branded page for everything else.

Django turns an exception raised below a middleware into a 500 response before the middleware sees
it, so the failure is noticed through `got_request_exception` (middleware, plain views) and through
the API's exception handler, which both mark the request. Nothing is cached about the outage:
Django opens a new connection on the next request (CONN_HEALTH_CHECKS, the pool's check), so
service comes back by itself when the database does.

`DATABASE_RETRY` holds the Celery options that make a task retry with backoff on the same errors.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from celery.signals import task_retry
from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from chat2chart.core.logs import current_request_id, get_logger

log = get_logger(__name__)

DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
DATABASE_MESSAGE = (
    "The service is temporarily unavailable: its database cannot be reached. Try again shortly."
)
_MARK = "_aiser_database_unavailable"

# Celery task options (`@shared_task(**DATABASE_RETRY)`): retry on the database's errors, waiting
# 2, 4, 8 ... seconds (with jitter, at most 5 minutes), 8 times (about 10 minutes) before failing.
DATABASE_RETRY: dict[str, Any] = {
    "autoretry_for": DATABASE_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


def is_database_unavailable(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised from, says the platform database is unreachable."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, DATABASE_ERRORS):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def mark_database_unavailable(request: Any, error: BaseException) -> None:
    """Note on `request` (a Django or DRF request) that it failed because the database is down, and
    log a `database_unavailable` event (the error's class and first line, no traceback)."""
    django_request = getattr(request, "_request", request)
    setattr(django_request, _MARK, True)
    log.error("database_unavailable", path=django_request.path, error=_summary(error))


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with `Retry-After`: `{"error": {"code": "unavailable", ...}}` on the API, the branded
    "temporarily unavailable" page elsewhere. Renders no template that needs the database."""
    retry_after = str(settings.AISER_RETRY_AFTER_S)
    if request.path.startswith("/api/"):
        # Imported here: chat2chart.core.api imports DRF, which loads its settings lazily.
        from chat2chart.core.api import error_body

        response: HttpResponse = JsonResponse(
            error_body("unavailable", DATABASE_MESSAGE, details={"dependency": "database"}), status=503
        )
    else:
        page = render_to_string(
            "core/unavailable.html",
            {"retry_after": settings.AISER_RETRY_AFTER_S, "request_id": current_request_id()},
        )
        response = HttpResponse(page, status=503)
    response["Retry-After"] = retry_after
    response["Cache-Control"] = "no-store"
    return response


@task_retry.connect(dispatch_uid="core-faults-task-retry")
def _on_task_retry(sender: Any = None, reason: Any = None, **kwargs: Any) -> None:
    if isinstance(reason, BaseException) and is_database_unavailable(reason):
        cause = getattr(reason, "exc", None) or reason  # celery.exceptions.Retry wraps the error
        log.warning("task_retry", task=getattr(sender, "name", None), error=_summary(cause))


@receiver(got_request_exception, dispatch_uid="core-faults-database-unavailable")
def _on_request_exception(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    error = sys.exc_info()[1]
    if request is not None and error is not None and is_database_unavailable(error):
        mark_database_unavailable(request, error)


class DependencyFaultMiddleware:
    """Probes before anything else; a 503 instead of a 500 when the database is unreachable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = _probe(request.path)
        if probe is not None:
            return probe(request)
        response = self.get_response(request)
        if getattr(request, _MARK, False):
            return database_unavailable_response(request)
        return response


def _probe(path: str) -> Callable[[HttpRequest], HttpResponse] | None:
    # Imported on use: the views import DRF, and chat2chart.core.api (which DRF's settings load)
    # imports this module.
    from chat2chart.core import views

    return {"/healthz": views.healthz, "/readyz": views.readyz}.get(path)


def _summary(error: BaseException) -> str:
    first_line = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first_line[:200]}"
