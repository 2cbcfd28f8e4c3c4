# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Websocket connections: resolve the organisation from the handshake's Host, as HTTP requests do.

Consumers never pass through the HTTP tenant middleware; the organisation found here is put in
`scope["organization"]`, and the core runs every database call of a consumer inside it.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django_tenants.utils import get_public_schema_name, schema_context

from chat2chart.core.websocket import header
from enterprise.tenants.models import Domain, Organization


@database_sync_to_async
def _organization_for_host(host: str) -> Organization | None:
    with schema_context(get_public_schema_name()):
        domain = Domain.objects.select_related("tenant").filter(domain=host).first()
    if domain is None or domain.tenant.schema_name == get_public_schema_name():
        return None
    if domain.tenant.is_suspended:  # h/console: a suspended organisation takes no questions
        return None
    return domain.tenant


class OrganizationScopeMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        host = header(scope, b"host").split(":")[0].lower()
        organization = await _organization_for_host(host) if host else None
        if organization is None:
            return await WebsocketDenier()(scope, receive, send)
        return await self.app({**scope, "organization": organization}, receive, send)
