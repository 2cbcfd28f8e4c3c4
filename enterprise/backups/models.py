# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Records of organisation backups and of organisations deleted but not yet purged (public schema)."""

from __future__ import annotations

from django.db import models

from enterprise.tenants.models import Organization


class Backup(models.Model):
    """One archive written by `backup_org`: where it is, how big, its checksum, and whether a restore
    (or a verification) has confirmed it. The organisation's slug is kept apart from the link so the
    record outlives a purged organisation."""

    class Kind(models.TextChoices):
        MANUAL = "manual", "Manual"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    class Verified(models.TextChoices):
        UNVERIFIED = "unverified", "Not verified yet"
        VERIFIED = "verified", "Verified by a restore"
        FAILED = "failed", "Verification failed"

    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, related_name="backups"
    )
    organization_slug = models.SlugField(max_length=40)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MANUAL)
    location = models.CharField(max_length=1000)  # a local path or s3://bucket/key
    size = models.BigIntegerField()  # bytes of the archive as stored
    sha256 = models.CharField(max_length=64)  # of the archive as stored
    encrypted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    verified = models.CharField(max_length=10, choices=Verified.choices, default=Verified.UNVERIFIED)
    verified_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)  # pruned by retention

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization_slug", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.organization_slug} {self.kind} backup {self.created_at:%Y-%m-%d %H:%M}"


class DeletedOrganization(models.Model):
    """An organisation deleted by its owner: its schema, files and members are kept, its host names
    are taken away (so nothing serves it), until `purge_after`; `undelete_org` brings it back."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="deletion")
    deleted_at = models.DateTimeField(auto_now_add=True)
    purge_after = models.DateTimeField()
    domains = models.JSONField(default=list)  # [{"domain": ..., "is_primary": ...}] to give back

    def __str__(self) -> str:
        return f"{self.organization} deleted, purged after {self.purge_after:%Y-%m-%d}"
