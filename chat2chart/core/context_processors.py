# SPDX-License-Identifier: MIT
"""Template context every page needs: the edition, the organisation (if any) and the public site URL."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def aiser(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    organization = tenant if tenant is not None and tenant.schema_name != "public" else None
    return {
        "aiser_edition": settings.AISER_EDITION,
        "aiser_public_url": settings.AISER_PUBLIC_URL,
        "aiser_base_domain": settings.AISER_BASE_DOMAIN,
        "organization": organization,
        "membership_role": getattr(getattr(request, "user", None), "aiser_role", None),
    }
