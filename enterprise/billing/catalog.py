# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Aiser's paid plans as Stripe products and prices (`manage.py billing_sync_plans`).

Each paid `Plan` gets one Stripe product (metadata `aiser_plan=<slug>`) and a monthly recurring price whose
id names the plan and its amount (`aiser_team_4900_usd_month`), so running the sync again changes nothing,
and a new amount makes a new price (Stripe prices cannot change) that the plan then points to; existing
subscriptions keep their old price until they change plan. Prices are created through Stripe's Plans
endpoint, whose objects Stripe accepts wherever a price id is expected (Checkout, subscriptions): the
test fake (localstripe) has no Prices endpoint, and one call shape for both keeps the code single.
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe

from enterprise.billing.models import Plan
from enterprise.billing.stripe_api import stripe_client, unavailable

CURRENCY = "usd"
INTERVAL = "month"


@dataclass(frozen=True)
class PlanSync:
    """What the sync did for one plan: `outcome` is "in_sync", "created" or "repriced"."""

    plan: str
    price_id: str
    outcome: str


def price_id_for(plan: Plan) -> str:
    """The Stripe price id for `plan` at its current amount (stable: the sync is idempotent)."""
    return f"aiser_{plan.slug.replace('-', '_')}_{plan.monthly_price_cents}_{CURRENCY}_{INTERVAL}"


def plans_sync(*, dry_run: bool = False) -> list[PlanSync]:
    """Make every paid plan a Stripe product with a monthly price at its amount, and point the plan at
    it. With `dry_run`, say what would change and change nothing. Raises BillingUnavailable when Stripe
    is not configured or does not answer."""
    client = stripe_client()
    results = []
    for plan in Plan.objects.filter(monthly_price_cents__gt=0).order_by("rank"):
        wanted = price_id_for(plan)
        if plan.stripe_price_id == wanted and _exists(client, wanted):
            results.append(PlanSync(plan.slug, wanted, "in_sync"))
            continue
        outcome = "repriced" if plan.stripe_price_id else "created"
        if not dry_run:
            try:
                if not _exists(client, wanted):
                    client.v1.plans.create(
                        {
                            "id": wanted,
                            "product": _product_for(client, plan),
                            "amount": plan.monthly_price_cents,
                            "currency": CURRENCY,
                            "interval": INTERVAL,
                            "nickname": f"{plan.name} monthly",
                        }
                    )
            except stripe.StripeError as error:
                raise unavailable(error) from error
            plan.stripe_price_id = wanted
            plan.save(update_fields=["stripe_price_id"])
        results.append(PlanSync(plan.slug, wanted, outcome))
    return results


def _exists(client: stripe.StripeClient, price_id: str) -> bool:
    try:
        client.v1.plans.retrieve(price_id)
    except stripe.InvalidRequestError:
        return False
    except stripe.StripeError as error:
        raise unavailable(error) from error
    return True


def _product_for(client: stripe.StripeClient, plan: Plan) -> str:
    """The id of the plan's Stripe product (found by its `aiser_plan` metadata, else created)."""
    for product in client.v1.products.list({"limit": 100}).auto_paging_iter():
        metadata = product.metadata.to_dict() if product.metadata else {}
        if metadata.get("aiser_plan") == plan.slug:
            return str(product.id)
    created = client.v1.products.create({"name": f"Aiser {plan.name}", "metadata": {"aiser_plan": plan.slug}})
    return str(created.id)
