# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""API keys: shown once, stored as a SHA-256 hash and a short visible prefix (public schema)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from enterprise.tenants.models import Organization, Role

# What a key may be used for, besides its role (enterprise.rbac.policy maps them to the core's actions).
SCOPES = ("read", "query", "write", "admin")


def all_scopes() -> list[str]:
    return list(SCOPES)


def hash_key(raw_key: str) -> str:
    # Keys are 256-bit random tokens, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKey(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A subset of SCOPES; the key may do an action only when both its role and a scope allow it.
    scopes = models.JSONField(default=all_scopes)
    first_used_at = models.DateTimeField(null=True, blank=True)
    expiry_reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"


class OrganizationSecurity(models.Model):
    """An organisation's sign-in rules (public schema: read on every request to its host, cached)."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="security")
    require_mfa = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"security of {self.organization_id} (MFA {'required' if self.require_mfa else 'optional'})"
