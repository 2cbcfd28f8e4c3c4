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
