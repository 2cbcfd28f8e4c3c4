# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The core's workspace hooks, answered with django-tenants schemas. Every one fails closed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

from chat2chart.core.principal import Principal
from enterprise.tenants.models import Organization


def current_workspace() -> str:
    schema = connection.schema_name
    if not schema or schema == get_public_schema_name():
        raise RuntimeError("no organisation in scope: refusing to touch organisation data")
    return schema


@contextmanager
def workspace_context(workspace: str) -> Iterator[None]:
    if not workspace or workspace == get_public_schema_name():
        raise RuntimeError("a task must name its organisation")
    with schema_context(get_public_schema_name()):
        organization = Organization.objects.filter(schema_name=workspace).first()
    if organization is None:
        raise RuntimeError(f"unknown organisation {workspace!r}")
    with tenant_context(organization):
        yield


@contextmanager
def scope_context(scope: dict[str, Any]) -> Iterator[None]:
    organization = scope.get("organization")
    if organization is None:
        raise RuntimeError("websocket scope without an organisation")
    with tenant_context(organization):
        yield


def workspace_info(principal: Principal) -> dict[str, Any]:
    """The organisation in scope as `/api/v1/me/` shows it, with the role `principal` acts with
    (an API key's own role, not its creator's)."""
    organization = connection.tenant
    return {
        "slug": organization.slug,
        "name": organization.name,
        "url": organization.url,
        "role": principal.role,
    }


def workspace_people() -> dict[str, int]:
    """Members and open invitations of the organisation in scope (the home page's checklist)."""
    organization = connection.tenant  # type: ignore[attr-defined] # django-tenants sets it
    return {
        "members": organization.memberships.count(),
        "open_invitations": organization.invitations.filter(accepted_at__isnull=True).count(),
    }


def list_workspaces() -> list[str]:
    with schema_context(get_public_schema_name()):
        return list(
            Organization.objects.exclude(schema_name=get_public_schema_name())
            .order_by("schema_name")
            .values_list("schema_name", flat=True)
        )
