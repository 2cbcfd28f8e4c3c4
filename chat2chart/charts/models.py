# SPDX-License-Identifier: MIT
"""Saved charts: a chart spec and the semantic query it draws, kept by a workspace."""

from __future__ import annotations

from django.db import models

from chat2chart.core.fields import user_reference


class SavedChart(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    source = models.ForeignKey("sources.Source", on_delete=models.CASCADE, related_name="charts")
    # A ChartSpec (chat2chart.charts.spec) and a SemanticQuery (chat2chart.sources.semantic) as JSON.
    spec = models.JSONField()
    query = models.JSONField()
    owner = user_reference()
    # The collection it is filed in (None: the workspace's root), pinned to the top of it, archived.
    collection = models.ForeignKey(
        "collections.Collection", on_delete=models.SET_NULL, null=True, blank=True, related_name="charts"
    )
    pinned = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title
