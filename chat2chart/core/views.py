# SPDX-License-Identifier: MIT
"""Probes every edition has: /healthz, /readyz and /api/v1/me/ (home: chat2chart.workspaces.views)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from chat2chart.core import hooks
from chat2chart.core.logs import get_logger
from chat2chart.core.principal import Principal

READY_CHECK_TIMEOUT_S = 3
log = get_logger(__name__)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)


def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    async_to_sync(_ping_channel_layer)(layer)


async def _ping_channel_layer(layer: Any) -> None:
    # A Redis that accepts connections but never answers would hold the probe for the layer's
    # 30 s socket timeout; a probe must answer well within the orchestrator's own timeout.
    async def ping() -> None:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "readyz.ping"})
        message = await layer.receive(channel)
        if message.get("type") != "readyz.ping":
            raise RuntimeError("channel layer lost a message")

    await asyncio.wait_for(ping(), timeout=READY_CHECK_TIMEOUT_S)


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 `{"status": "ready", "checks": [...]}`, or 503 `{"status": "unavailable", "failing":
    {"database": "OperationalError", ...}}` naming each dependency that failed and how. Answered by
    `DependencyFaultMiddleware` before any middleware that needs the database."""
    checks = {"database": _check_database, "cache": _check_cache, "channel_layer": _check_channel_layer}
    failing = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as error:  # report which part is down, whatever the driver raised
            failing[name] = type(error).__name__
            log.warning("dependency_unavailable", dependency=name, error=type(error).__name__)
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    return JsonResponse({"status": "ready", "checks": sorted(checks)})


@extend_schema(summary="The caller and their organisation", responses=OpenApiTypes.OBJECT, operation_id="me")
@api_view(["GET"])
def me(request: Request) -> Response:
    user = request.user
    return Response(
        {
            "user": {"id": user.pk, "email": user.email, "name": user.name},
            "organization": hooks.workspace_info(Principal.from_request(request)),
            "auth": "session" if request.auth is None else "api_key",
        }
    )
