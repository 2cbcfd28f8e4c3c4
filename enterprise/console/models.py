# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Platform-wide records of the console (public schema): the audit trail of staff actions, and usage
per day where Redis does not hold it. (The terms staff set live on `Organization` itself.)"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from enterprise.tenants.models import Organization


class StaffAction(models.Model):
    """One thing a staff member did in the console. Platform-wide (not in a tenant schema), and kept
    when the organisation is deleted: the name is copied."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_email = models.EmailField(blank=True, default="")
    action = models.CharField(max_length=40)  # "organization.suspend", "terms.update", ...
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="staff_actions"
    )
    organization_name = models.CharField(max_length=100, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.actor_email} {self.action} {self.organization_name}"


class DailyUsage(models.Model):
    """Usage per organisation and day, when there is no Redis to count it in (see `daily.py`)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    event = models.CharField(max_length=40)
    quantity = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "day", "event"], name="one_count_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.day}: {self.quantity}"
