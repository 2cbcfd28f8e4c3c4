# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The one place Aiser talks to Stripe: a configured `stripe.StripeClient`.

A client is built per call from settings (no module-level `stripe.api_key`), so a test pointing
`STRIPE_API_BASE` at a fake Stripe affects nothing else. The library's own retries are off: a failed call
raises `stripe.StripeError` at once and the caller (a Celery task, a page) decides whether to retry.
"""

from __future__ import annotations

import stripe
from django.conf import settings

from chat2chart.core.errors import AiserError


class BillingUnavailable(AiserError):
    """Stripe is not configured, or did not answer; the message says what a person can do."""

    code = "billing_unavailable"
    status = 503


def stripe_client() -> stripe.StripeClient:
    """A Stripe client for `STRIPE_SECRET_KEY` (at `STRIPE_API_BASE` when set).

    Raises `BillingUnavailable` when billing is off or no key is configured."""
    if not settings.AISER_BILLING_ENABLED or not settings.STRIPE_SECRET_KEY:
        raise BillingUnavailable("Billing is not set up on this installation (no Stripe key).")
    base = settings.STRIPE_API_BASE or None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base, "meter_events": base} if base else None,
        max_network_retries=0,
        http_client=stripe.new_default_http_client(timeout=settings.STRIPE_TIMEOUT_S),
    )


def unavailable(error: stripe.StripeError) -> BillingUnavailable:
    """The error a page shows when a Stripe call failed (the details go to the log, not the person)."""
    return BillingUnavailable(
        "Stripe did not answer as expected; please try again in a minute. "
        f"({type(error).__name__}{': ' + error.user_message if error.user_message else ''})"
    )
