# SPDX-License-Identifier: MIT
"""Semantic models of a workspace: the YAML text people edit, and every saved version of it."""

from __future__ import annotations

from django.db import models

from chat2chart.core.fields import user_reference


class SemanticModel(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    yaml = models.TextField()  # the model (chat2chart.semantic.model.Model) as YAML
    version = models.PositiveIntegerField(default=1)
    updated_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SemanticModelVersion(models.Model):
    """One save of a model: who saved it, when, the text and its diff against the version before."""

    model = models.ForeignKey(SemanticModel, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    yaml = models.TextField()
    diff = models.TextField(blank=True)
    note = models.CharField(max_length=200, blank=True)  # "created", "rolled back to version 2", ...
    author = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["model", "number"], name="semantic_version_unique")]

    def __str__(self) -> str:
        return f"{self.model_id} v{self.number}"


class Rollup(models.Model):
    """The stored state of one declared rollup (`cube.rollup`) of a model: its current Parquet file,
    partitions, what it was built from, and the outcome of its last build.

    A failed build leaves `path` (the last good file) in place; `stale` says the file no longer
    matches the model or the source and must not answer queries until it is rebuilt."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    model = models.ForeignKey(SemanticModel, on_delete=models.CASCADE, related_name="rollups")
    name = models.CharField(max_length=200)  # cube.rollup
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    stale = models.BooleanField(default=False)
    stale_reason = models.CharField(max_length=300, blank=True)
    definition_hash = models.CharField(max_length=64, blank=True)  # of the model when last built
    model_version = models.PositiveIntegerField(null=True, blank=True)
    source_id = models.PositiveIntegerField(null=True, blank=True)
    source_version = models.PositiveIntegerField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)  # relative to the workspace's data folder
    partitions = models.JSONField(default=dict, blank=True)  # key -> {start, end, file, rows, built_at}
    row_count = models.BigIntegerField(default=0)
    size_bytes = models.BigIntegerField(default=0)
    refresh_key_value = models.CharField(max_length=500, blank=True)
    refresh_key_checked_at = models.DateTimeField(null=True, blank=True)
    last_refresh_at = models.DateTimeField(null=True, blank=True)  # the last successful build
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    build_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["model", "name"], name="semantic_rollup_unique")]

    def __str__(self) -> str:
        return f"{self.model_id}:{self.name}"
