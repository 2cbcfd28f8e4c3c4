# SPDX-License-Identifier: MIT
"""What every API view shares: one error shape, permissions asked of the core's policy hook, and one
base for views of one object (`WorkspaceObjectView`) whose lookup always runs the app's policy.

Errors are always `{"error": {"code": ..., "message": ...}}` with the right status code.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pydantic
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework import permissions, throttling
from rest_framework.request import Request

from chat2chart.core import hooks
from chat2chart.core.errors import AiserError
from chat2chart.core.faults import (
    database_unavailable_response,
    is_database_unavailable,
    mark_database_unavailable,
)
from chat2chart.core.logs import current_request_id
from chat2chart.core.principal import Principal
from chat2chart.core.ratelimit import check_rate

if TYPE_CHECKING:  # DRF imports its permission classes while rest_framework.views loads
    from rest_framework.views import APIView

    from chat2chart.core.object_api import ObjectRule, WorkspaceObjectView  # noqa: F401 - re-exported

logger = logging.getLogger(__name__)

STATUS_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """`{"error": {"code", "message", "details"?, "request_id"?}}`; the request id is the one in the
    response's X-Request-ID header and in the request's log lines (chat2chart.core.logs)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    if request_id := current_request_id():
        error["request_id"] = request_id
    return {"error": error}


def error_response(
    status: int, message: str, *, code: str | None = None, details: Any = None
) -> JsonResponse:
    return JsonResponse(
        error_body(code or STATUS_CODES.get(status, "error"), message, details), status=status
    )


def _flatten_drf_detail(detail: Any, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):
        messages = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            messages += _flatten_drf_detail(value, f"{prefix}{name}" if not prefix else f"{prefix}.{name}")
        return messages
    if isinstance(detail, list):
        return [m for item in detail for m in _flatten_drf_detail(item, prefix)]
    return [f"{prefix}: {detail}" if prefix else str(detail)]


def pydantic_message(error: pydantic.ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        location = ".".join(str(p) for p in item["loc"])
        parts.append(f"{location}: {item['msg']}" if location else item["msg"])
    return "; ".join(parts)


def exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    """DRF's EXCEPTION_HANDLER: every failure in the one error shape; unknown errors are logged, not shown."""
    if is_database_unavailable(exc):
        request = context["request"]
        mark_database_unavailable(request, exc)
        return database_unavailable_response(getattr(request, "_request", request))
    if isinstance(exc, AiserError):
        return error_response(exc.status, exc.message, code=exc.code, details=exc.details)
    if isinstance(exc, pydantic.ValidationError):
        return error_response(400, pydantic_message(exc), code="invalid")
    if isinstance(exc, Http404):
        return error_response(404, "Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return error_response(403, "You do not have permission to do this.")
    if isinstance(exc, drf_exceptions.ValidationError):
        messages = _flatten_drf_detail(exc.detail)
        return error_response(400, "; ".join(messages) or "Invalid input.", code="invalid")
    if isinstance(exc, drf_exceptions.APIException):
        response = error_response(
            exc.status_code,
            str(exc.detail),
            code=exc.get_codes() if isinstance(exc.get_codes(), str) else None,
        )
        if isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.AuthenticationFailed):
            response["WWW-Authenticate"] = 'Bearer realm="api"'
        if getattr(exc, "wait", None):
            response["Retry-After"] = str(int(exc.wait))
        return response
    logger.exception("unhandled API error", exc_info=exc)
    return error_response(500, "Something went wrong on our side. The error has been logged.")


_METHOD_ACTIONS = {
    "GET": hooks.VIEW,
    "HEAD": hooks.VIEW,
    "OPTIONS": hooks.VIEW,
    "POST": hooks.EDIT,
    "PUT": hooks.EDIT,
    "PATCH": hooks.EDIT,
    "DELETE": hooks.DELETE,
}


class ActionPermission(permissions.BasePermission):
    """Asks the core's permission hook with the request's principal (kept on `request.principal`).

    A view without an object may name the action per method in `actions`, e.g. `{"POST": hooks.ASK}`;
    otherwise reads are VIEW, writes EDIT, deletes DELETE. A `WorkspaceObjectView` is only asked for
    membership (VIEW) here: its object lookup runs the app's policy rule for the request, always.
    """

    message = "You do not have permission to do this."

    @staticmethod
    def action_for(request: Request, view: APIView) -> str:
        if getattr(view, "checks_object_policy", False):
            return hooks.VIEW
        overrides = getattr(view, "actions", None) or {}
        custom = overrides.get(getattr(view, "action", None) or "") or overrides.get(request.method)
        return custom or _METHOD_ACTIONS.get(request.method or "GET", hooks.EDIT)

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            raise drf_exceptions.NotAuthenticated()
        return hooks.can(Principal.from_request(request), self.action_for(request, view))


def __getattr__(name: str) -> Any:
    # The object-view base subclasses DRF's APIView, which imports this module's ActionPermission while
    # it loads; so the base lives in object_api and is handed out from here on first use.
    if name in ("WorkspaceObjectView", "ObjectRule"):
        from chat2chart.core import object_api

        return getattr(object_api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def ratelimited_view(request: HttpRequest, exception: Exception) -> JsonResponse:
    hooks.observe("rate_limited", scope="anonymous")
    return error_response(429, "Too many requests. Slow down and try again in a minute.")


class ApiRateThrottle(throttling.BaseThrottle):
    """Per-caller request budget (`AISER_API_RATE`, e.g. "600/m") and the organisation's, shared with
    questions asked over the websocket (`chat2chart.core.ratelimit.check_rate`), counted per organisation.
    The decision is kept on the request, so `ApiErrorMiddleware` adds the `RateLimit-*` headers to the
    response, whether it is a 429 or not."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        principal: Any
        if getattr(request.auth, "pk", None):
            principal = request.auth
        elif request.user.is_authenticated:
            principal = request.user
        else:
            principal = request.META.get("REMOTE_ADDR", "")
        self.decision = check_rate(principal, "api")
        request._request.aiser_rate_decision = self.decision  # type: ignore[attr-defined]
        return self.decision.allowed

    def wait(self) -> float | None:
        return float(self.decision.retry_after_s) if hasattr(self, "decision") else 60.0
