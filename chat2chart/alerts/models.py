# SPDX-License-Identifier: MIT
"""Alerts on saved charts: the rule and schedule, who hears of it, the episodes it went through and the
outbox of notifications (one row per recipient and episode transition, keyed for exactly-once sending)."""

from __future__ import annotations

from django.db import models

from chat2chart.core.fields import user_reference


class Alert(models.Model):
    class Condition(models.TextChoices):
        ABOVE = "above", "Goes above"
        BELOW = "below", "Goes below"
        CHANGE = "change", "Changes by more than (%) against the previous period"
        NO_DATA = "no_data", "Has no data"
        ANOMALY = "anomaly", "Shows an anomaly"

    class State(models.TextChoices):
        PENDING = "pending", "Not checked yet"
        OK = "ok", "OK"
        TRIGGERED = "triggered", "Triggered"
        NO_DATA = "no_data", "No data"

    title = models.CharField(max_length=200)
    chart = models.ForeignKey("charts.SavedChart", on_delete=models.CASCADE, related_name="alerts")
    owner = user_reference()
    condition = models.CharField(max_length=16, choices=Condition.choices)
    # A number in the measure's unit (above/below) or a percentage (change); null for the others.
    threshold = models.FloatField(null=True, blank=True)
    sensitivity = models.CharField(max_length=32, default="balanced")
    interval_minutes = models.PositiveIntegerField(default=60)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    # Episodes counted from 1; `announced`: this episode's "triggered" notice went out (not snoozed).
    episode = models.PositiveIntegerField(default=0)
    announced = models.BooleanField(default=False)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    # The scheduled run last evaluated: a second run of the same slot (a retried task, a worker that
    # died after committing) finds it here and evaluates nothing.
    last_run_slot = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(db_index=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_value = models.FloatField(null=True, blank=True)
    last_summary = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title


class AlertRecipient(models.Model):
    class Kind(models.TextChoices):
        MEMBER = "member", "Member"
        EMAIL = "email", "Email address"
        SLACK = "slack", "Slack webhook"
        WEBHOOK = "webhook", "Webhook"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="recipients")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    user = user_reference()  # members only
    address = models.CharField(max_length=500)  # the member's email, an external address or a URL
    secret = models.BinaryField(null=True, blank=True)  # a webhook's signing key, encrypted at rest

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.kind}:{self.address}"


class AlertEvent(models.Model):
    """A change of the alert's state (the history page): an episode starting or ending, data gone."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    slot = models.DateTimeField()  # the scheduled run that saw it
    state = models.CharField(max_length=16, choices=Alert.State.choices)
    episode = models.PositiveIntegerField()
    # "triggered", "recovered" or "" (no notice: a snoozed alert, or a change to no data).
    notice = models.CharField(max_length=16, blank=True)
    value = models.FloatField(null=True, blank=True)
    summary = models.TextField()
    # The verdict's numbers (value, previous, change, expected, low, high, period, measure) for the message.
    details = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-slot", "-pk"]

    def __str__(self) -> str:
        return f"{self.state} at {self.slot:%Y-%m-%d %H:%M}"


class AlertDelivery(models.Model):
    """The outbox: written in the transaction that records the transition, sent after it commits, retried
    by the next run while pending or failed. `idempotency_key` is what `deliver` deduplicates on."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        WITHHELD = "withheld", "Withheld"  # the recipient may not see this number

    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(AlertRecipient, on_delete=models.SET_NULL, null=True, related_name="+")
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.idempotency_key}: {self.status}"
