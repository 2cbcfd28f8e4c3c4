# SPDX-License-Identifier: MIT
"""Subscriptions (scheduled reports) and the record of every delivery made for them or for alerts.

Rows live in the organisation's own schema (a tenant app), so no organisation column is needed;
`Delivery.workspace` is kept anyway so a row read in a log or a dump still says whose it was.
"""

from __future__ import annotations

from django.db import models

from chat2chart.core.fields import user_reference


class Delivery(models.Model):
    """One message to one target for one scheduled run: the unique key makes a retry send nothing twice.

    `status` is "sending" while a worker holds the row's lock and sends; a worker that died mid-send
    leaves its transaction rolled back (no row, or the previous failed attempt), so the next try sends.
    """

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    workspace = models.CharField(max_length=100)
    idempotency_key = models.CharField(max_length=200)
    target_kind = models.CharField(max_length=10)
    # The address itself (an email or a URL, which may carry a token), and its hash for the unique key.
    target_address = models.TextField()
    target_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "idempotency_key", "target_hash"], name="delivery_once_per_target"
            )
        ]

    def __str__(self) -> str:
        return f"{self.target_kind} {self.idempotency_key} {self.status}"


class SubscriptionSettings(models.Model):
    """The organisation's rules for subscriptions (one row): the domains external recipients may be at."""

    # Lower-case domains ("example.com"); empty: external addresses are not allowed at all.
    allowed_domains = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "subscription settings"

    def __str__(self) -> str:
        return "Subscription settings"


class Subscription(models.Model):
    """A dashboard or a chart sent on a schedule to members, external addresses and webhooks."""

    class Frequency(models.TextChoices):
        HOURLY = "hourly", "Hourly"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        CRON = "cron", "Cron expression"

    title = models.CharField(max_length=200)
    dashboard = models.ForeignKey(
        "dashboards.Dashboard", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    chart = models.ForeignKey(
        "charts.SavedChart", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    hour = models.PositiveSmallIntegerField(default=8)
    minute = models.PositiveSmallIntegerField(default=0)
    weekdays = models.JSONField(default=list, blank=True)  # 0 = Monday … 6 = Sunday
    day_of_month = models.PositiveSmallIntegerField(default=1)
    cron = models.CharField(max_length=100, blank=True)
    # Dashboard filter values as the dashboard page sends them ({"region": ["North"]}).
    filters = models.JSONField(default=dict, blank=True)
    member_ids = models.JSONField(default=list, blank=True)
    external_emails = models.JSONField(default=list, blank=True)
    # External addresses receive the creator's view; only when the creator ticked it.
    share_creator_view = models.BooleanField(default=False)
    slack_url = models.TextField(blank=True)
    webhook_url = models.TextField(blank=True)
    webhook_secret = models.CharField(max_length=100, blank=True)
    # Which files an email carries: "png" inline images, "pdf" of the whole, "csv" per chart.
    formats = models.JSONField(default=list, blank=True)
    # Addresses that clicked unsubscribe (lower case); members unsubscribe by the same list.
    unsubscribed = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    owner = user_reference()
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dashboard__isnull=False, chart__isnull=True)
                | models.Q(dashboard__isnull=True, chart__isnull=False),
                name="subscription_sends_a_dashboard_or_a_chart",
            )
        ]

    def __str__(self) -> str:
        return self.title


class SubscriptionRun(models.Model):
    """One scheduled run (its instant is its identity): made once by the scheduler, sent by a worker.

    "pending" until every recipient has been tried; a failed render is retried at `retry_at` and after
    the last try reported to the owner ("failed") instead of sending a blank report.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        PARTIAL = "partial", "Partly sent"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="runs")
    scheduled_for = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_for", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "scheduled_for"], name="subscription_run_once")
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} at {self.scheduled_for:%Y-%m-%d %H:%M}"

    @property
    def idempotency_key(self) -> str:
        return f"subscription:{self.subscription_id}:{self.scheduled_for:%Y%m%dT%H%MZ}"
