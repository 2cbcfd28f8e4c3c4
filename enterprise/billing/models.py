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
