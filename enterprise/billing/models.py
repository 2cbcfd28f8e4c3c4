# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Usage metering per organisation and month, and the plan limits checked against it."""

from __future__ import annotations

from django.db import models

from enterprise.tenants.models import Organization


class UsageCounter(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="usage")
    month = models.DateField()  # first day of the month
    event = models.CharField(max_length=40)
    quantity = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "month", "event"], name="one_counter_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.month:%Y-%m}: {self.quantity}"


class PlanLimit(models.Model):
    """A monthly cap on one usage event; no row means unlimited."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="limits")
    event = models.CharField(max_length=40)
    monthly_quantity = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "event"], name="one_limit_per_event")]

    def __str__(self) -> str:
        return f"{self.event} ≤ {self.monthly_quantity}/month"


class UsageBatch(models.Model):
    """A batch of buffered usage counts already added to the counters (see `services.usage_drain`):
    recorded in the same transaction as the counts, so a batch is never added twice."""

    batch_id = models.CharField(max_length=32, unique=True)
    drained_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"usage batch {self.batch_id}"


class Plan(models.Model):
    """What an organisation may use. Paid plans point at a Stripe price; Free has none and needs no Stripe.

    A limit of None is unlimited. Monthly limits count usage events this calendar month; the others
    (seats, data sources, rows stored, dashboards) count what exists now."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60)
    rank = models.PositiveSmallIntegerField(default=0, help_text="Higher is bigger: upgrade or downgrade.")
    monthly_price_cents = models.PositiveIntegerField(default=0)
    stripe_price_id = models.CharField(max_length=255, blank=True)
    seats = models.PositiveIntegerField(null=True, blank=True)
    data_sources = models.PositiveIntegerField(null=True, blank=True)
    rows_stored = models.BigIntegerField(null=True, blank=True)
    questions_per_month = models.PositiveIntegerField(null=True, blank=True)
    llm_tokens_per_month = models.BigIntegerField(null=True, blank=True)
    dashboards = models.PositiveIntegerField(null=True, blank=True)
    embed_views_per_month = models.PositiveIntegerField(null=True, blank=True)
    subscriptions = models.PositiveIntegerField(null=True, blank=True)
    alerts = models.PositiveIntegerField(null=True, blank=True)
    api_requests_per_minute = models.PositiveIntegerField(null=True, blank=True)
    sso_allowed = models.BooleanField(default=False)
    audit_retention_days = models.PositiveIntegerField(default=30)
    public = models.BooleanField(default=True, help_text="Offered on the billing page.")

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class SubscriptionStatus(models.TextChoices):
    FREE = "free", "Free"
    TRIALING = "trialing", "Trial"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Payment failed"
    CANCELED = "canceled", "Cancelled"


class Subscription(models.Model):
    """An organisation's plan and where it stands with Stripe (one row per organisation, made lazily)."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="subscription")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=SubscriptionStatus.choices, default="free")
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    # A downgrade waits for the period's end (`subscription_apply_scheduled`).
    scheduled_plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    past_due_since = models.DateTimeField(null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    # The `created` time of the last Stripe subscription event applied: older events arriving late are
    # skipped, so out-of-order delivery never rolls the state back.
    stripe_event_at = models.DateTimeField(null=True, blank=True)
    billing_email = models.EmailField(blank=True)
    tax_id = models.CharField(max_length=64, blank=True)
    tax_id_type = models.CharField(max_length=16, blank=True, help_text="Stripe's tax id type, e.g. eu_vat")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organization} on {self.plan} ({self.status})"


class StripeEvent(models.Model):
    """A Stripe webhook event already processed: its id is recorded in the same transaction as its
    effect, so a redelivered event changes nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=80)
    created = models.DateTimeField()
    processed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class MeterReport(models.Model):
    """One meter event sent (or about to be sent) to Stripe for an organisation's usage.

    Written before the call with a fixed identifier; a failed call leaves it unsent and the next run
    sends the same identifier and quantity again, so Stripe (which deduplicates by identifier) counts it
    once. Reported so far = the sum of sent rows."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=40)
    month = models.DateField()
    quantity = models.BigIntegerField()
    identifier = models.CharField(max_length=100, unique=True)
    # The meter event's time, fixed when the row is written so a resend is the same event.
    timestamp = models.DateTimeField()
    # Sent by the daily reconciliation to make up what Stripe's totals lacked; not part of the running
    # total the regular report compares with the counters.
    reconciliation = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["organization", "event", "month"])]

    def __str__(self) -> str:
        return f"{self.event} +{self.quantity} ({'sent' if self.sent_at else 'pending'})"


class UsageDay(models.Model):
    """Usage per organisation, day, event and person (the usage page's charts); `user_id` 0 is work no
    person started (API keys, scheduled refreshes)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    event = models.CharField(max_length=40)
    user_id = models.BigIntegerField(default=0)
    quantity = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "day", "event", "user_id"], name="one_usage_day"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.day}: {self.quantity}"
