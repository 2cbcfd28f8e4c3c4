# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The core's embedding hooks, answered from the organisation: which origins may frame its dashboards."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import get_public_schema_name

from enterprise.tenants.models import Organization


def _organization_id() -> int:
    tenant = getattr(connection, "tenant", None)
    if tenant is None or connection.schema_name == get_public_schema_name():
        raise RuntimeError("no organisation in scope: refusing to read embedding settings")
    return tenant.pk


def embed_allowed_origins() -> list[str]:
    # Read fresh: the tenant object on the connection may predate a change made by another request.
    origins = (
        Organization.objects.filter(pk=_organization_id())
        .values_list("embed_allowed_origins", flat=True)
        .first()
    )
    return [str(origin) for origin in origins or []]


def store_embed_allowed_origins(origins: list[str]) -> bool:
    Organization.objects.filter(pk=_organization_id()).update(embed_allowed_origins=list(origins))
    return True
