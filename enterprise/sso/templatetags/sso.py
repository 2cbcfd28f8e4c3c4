# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""`{% sso_providers as idps %}`: the enabled IdPs of the organisation whose host this is."""

from __future__ import annotations

from typing import Any

from django import template

from enterprise.sso import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def sso_providers(context: dict[str, Any]) -> list[Any]:
    request = context.get("request")
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == "public":
        return []
    return selectors.identity_providers(tenant)
