# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Plan-driven limits: the organisation's request budgets (the core's `organisation_rate` hook) and the
fair-use cap on language-model tokens a day (a limits hook check).

The overrides are fields of the organisation, which every request already has from the host cache: the
budgets cost no extra round trip.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from chat2chart.core.errors import LimitExceeded
from enterprise.console.daily import organization_for_workspace, used_today
from enterprise.tenants.models import Organization


def organisation_rate(scope: str) -> str | None:
    """The core's `organisation_rate` hook: the organisation's budget for `scope` ("api" or "embed") as a
    rate ("12000/m"); the platform's `AISER_ORG_API_RATE` / `AISER_ORG_EMBED_RATE` when the organisation's
    terms set none (and on the public site)."""
    defaults = {"api": settings.AISER_ORG_API_RATE, "embed": settings.AISER_ORG_EMBED_RATE}
    tenant = getattr(connection, "tenant", None)
    per_minute = None
    if isinstance(tenant, Organization) and tenant.schema_name != "public":
        per_minute = {"api": tenant.api_requests_per_minute, "embed": tenant.embed_requests_per_minute}.get(
            scope
        )
    return f"{per_minute}/m" if per_minute else (defaults.get(scope) or None)


def llm_tokens_per_day(organization: Organization) -> int:
    """The organisation's daily language-model token allowance (0: uncapped)."""
    override = organization.llm_tokens_per_day
    return int(override if override is not None else settings.AISER_LLM_TOKENS_PER_DAY)


def llm_tokens_check(name: str, *, workspace: str, amount: int = 1) -> None:
    """A limits hook check: raise `LimitExceeded` when `name` is "llm_tokens" and the organisation has
    spent today's allowance, so one tenant cannot exhaust the platform's model quota. The pipeline then
    answers with the rule planner and says why; other names pass."""
    if name != "llm_tokens":
        return
    organization = organization_for_workspace(workspace)
    allowance = llm_tokens_per_day(organization)
    if allowance and used_today(organization, "llm_tokens") + amount > allowance:
        raise LimitExceeded(
            f"Your organisation has used today's language-model allowance ({allowance:,} tokens); "
            "it renews at midnight UTC."
        )
