# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The audit trail of an organisation, kept in its own schema, and the organisation's audit settings.

`AuditEntry` is append-only: a database trigger (migration 0003) refuses UPDATE and DELETE unless the
retention job has set the `aiser.audit_retention` setting in its own transaction.
"""

from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField(null=True, db_index=True)  # a public-schema user id
    # Who, as it read when the entry was written (the user's email; " (API key name)" for a key),
    # so the trail still names them after the account or key is gone.
    actor_label = models.CharField(max_length=320, blank=True, default="")
    api_key_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    # {field: [before, after]} for the fields a change touched, when the service reported them.
    changes = models.JSONField(null=True, blank=True)
    data = models.JSONField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True, default="")
    request_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"


class AuditSettings(models.Model):
    """One row per organisation: how long entries are kept and where each one is streamed."""

    retention_days = models.PositiveIntegerField(null=True, blank=True)  # None: the platform default
    webhook_url = models.URLField(max_length=500, blank=True, default="")
    webhook_secret = models.BinaryField(null=True, blank=True)  # Fernet token of {"secret": ...}
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"audit settings (retention {self.retention_days or 'default'} days)"
