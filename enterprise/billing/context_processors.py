# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The past-due banner every page of an organisation shows to its members while a payment has failed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from chat2chart.core import hooks
from chat2chart.core.principal import Principal
from enterprise.billing.plans import billing_enabled, plan_state
from enterprise.tenants.models import Organization


def billing(request: HttpRequest) -> dict[str, Any]:
    organization = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if (
        not billing_enabled()
        or not isinstance(organization, Organization)
        or organization.schema_name == "public"
    ):
        return {}
    if not getattr(user, "is_authenticated", False):
        return {}
    manages = hooks.can(Principal.from_request(request), hooks.MANAGE, "billing")
    link = {"billing_page_url": reverse("billing")} if manages else {}
    state = plan_state(organization)
    if state.read_only:
        return {
            **link,
            "billing_banner": "Payment failed and the grace period is over: this organisation is read-only "
            "(queries and dashboards work; nothing new can be created). "
            "Update the payment method in Billing.",
        }
    if state.past_due:
        return {**link, "billing_banner": "The last payment failed. Update the payment method in Billing."}
    return link
