# SPDX-License-Identifier: MIT
"""Subscriptions (scheduled reports) and the record of every delivery made for them or for alerts.

Rows live in the organisation's own schema (a tenant app), so no organisation column is needed;
`Delivery.workspace` is kept anyway so a row read in a log or a dump still says whose it was.
"""

from __future__ import annotations

from django.db import models


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
