# SPDX-License-Identifier: MIT
"""Data sources of a workspace: uploaded files, databases and REST APIs, and their tables.

Rows live in the organisation's own schema (a tenant app), so no organisation column is needed.
"""

from __future__ import annotations

from django.db import models

from chat2chart.core.fields import user_reference


class Source(models.Model):
    class Kind(models.TextChoices):
        FILE = "file", "File upload"
        POSTGRES = "postgres", "PostgreSQL"
        MYSQL = "mysql", "MySQL / MariaDB"
        SPARK = "spark", "Apache Spark (Spark Connect)"
        REST = "rest", "REST API"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        INGESTING = "ingesting", "Ingesting"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    # Ingestion progress: rows done and fraction 0..1, for files and REST.
    progress_rows = models.BigIntegerField(default=0)
    progress_fraction = models.FloatField(default=0.0)
    # Connection settings without secrets (host, port, database, user, schema, sslmode / REST url,
    # records path, pagination). Secrets are Fernet-encrypted in `secret`.
    config = models.JSONField(default=dict, blank=True)
    secret = models.BinaryField(null=True, blank=True, editable=False)
    # Bumped on every successful ingest or refresh: part of every result-cache key.
    version = models.PositiveIntegerField(default=0)
    owner = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    refresh_interval_minutes = models.PositiveIntegerField(null=True, blank=True)
    # Files and REST: the source's folder under the workspace's data folder, a random token.
    folder = models.CharField(max_length=64, blank=True, editable=False)
    # Files and REST: the stored original behind the current version (relative to the workspace's
    # data folder), kept so column overrides can re-ingest it.
    upload_path = models.CharField(max_length=500, blank=True, editable=False)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_stored(self) -> bool:
        """Files and REST sources are queried from Parquet copies; databases live."""
        return self.kind in (self.Kind.FILE, self.Kind.REST)


class SourceTable(models.Model):
    """One table of a source at one version, with its catalogue (TableInfo as JSON)."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="tables")
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    # For files and REST: the Parquet file, relative to the workspace's data folder; unguessable.
    parquet_path = models.CharField(max_length=500, blank=True)
    catalogue = models.JSONField(default=dict)
    row_count = models.BigIntegerField(null=True, blank=True)
    # User's overrides of column names and types: {original: {"name": ..., "type": ...}}.
    overrides = models.JSONField(default=dict, blank=True)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "name", "version"], name="one_table_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.source}.{self.name} v{self.version}"
