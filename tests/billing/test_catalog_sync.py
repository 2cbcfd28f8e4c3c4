# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""`manage.py billing_sync_plans` against localstripe: each paid plan becomes a Stripe product with a
monthly price at its amount, linked to the plan; running it again changes nothing; a new amount makes a
new price the plan then points to; without Stripe it says so."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from enterprise.billing.models import Plan

pytestmark = pytest.mark.enterprise


def _sync(*args: str) -> str:
    out = io.StringIO()
    call_command("billing_sync_plans", *args, stdout=out)
    return out.getvalue()


def test_paid_plans_become_stripe_prices_and_a_second_run_changes_nothing(fake_stripe):
    Plan.objects.filter(monthly_price_cents__gt=0).update(stripe_price_id="")
    planned = _sync("--dry-run")
    assert "team: aiser_team_4900_usd_month — created" in planned
    assert "Dry run" in planned
    assert Plan.objects.get(slug="team").stripe_price_id == ""

    said = _sync()
    client = fake_stripe.client()
    for plan in Plan.objects.filter(monthly_price_cents__gt=0):
        assert plan.stripe_price_id == f"aiser_{plan.slug}_{plan.monthly_price_cents}_usd_month"
        price = client.v1.plans.retrieve(plan.stripe_price_id)
        assert (price.amount, price.currency, price.interval) == (plan.monthly_price_cents, "usd", "month")
        product = client.v1.products.retrieve(price.product)
        assert product.metadata["aiser_plan"] == plan.slug
    assert "created" in said
    assert Plan.objects.get(slug="free").stripe_price_id == ""  # Free never needs Stripe

    again = _sync()
    assert "created" not in again
    assert again.count("in sync") == Plan.objects.filter(monthly_price_cents__gt=0).count()


def test_a_new_amount_makes_a_new_price_and_keeps_the_product(fake_stripe):
    Plan.objects.filter(monthly_price_cents__gt=0).update(stripe_price_id="")
    _sync()
    before = fake_stripe.client().v1.plans.retrieve(Plan.objects.get(slug="team").stripe_price_id)
    Plan.objects.filter(slug="team").update(monthly_price_cents=5_900)
    said = _sync()
    assert "team: aiser_team_5900_usd_month — new price (the amount changed)" in said
    team = Plan.objects.get(slug="team")
    after = fake_stripe.client().v1.plans.retrieve(team.stripe_price_id)
    assert after.amount == 5_900
    assert after.product == before.product


def test_without_stripe_the_command_says_so(settings):
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(CommandError, match="no Stripe key"):
        _sync()
