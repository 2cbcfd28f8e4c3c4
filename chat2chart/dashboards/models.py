# SPDX-License-Identifier: MIT
"""Dashboards of a workspace: widgets on a 12-column grid, filters, public links and embedding settings.

Rows live in the organisation's own schema (a tenant app), so no organisation column is needed.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from chat2chart.core.fields import user_reference

GRID_COLUMNS = 12


class Dashboard(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Grid settings (e.g. {"cell_height": 90, "tabs": ["Overview", "Details"]}); widget positions and
    # tabs (an index into "tabs") live on the widgets.
    layout = models.JSONField(default=dict, blank=True)
    # Filter definitions: [{"field": "month", "kind": "date_range" | "values", "label": "Month"}].
    filters = models.JSONField(default=list, blank=True)
    refresh_seconds = models.PositiveIntegerField(null=True, blank=True)
    owner = user_reference()
    # The collection it is filed in (None: the workspace's root), pinned to the top of it, archived.
    collection = models.ForeignKey(
        "collections.Collection", on_delete=models.SET_NULL, null=True, blank=True, related_name="dashboards"
    )
    pinned = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title


class Widget(models.Model):
    class Kind(models.TextChoices):
        CHART = "chart", "Saved chart"
        KPI = "kpi", "KPI"
        TEXT = "text", "Text"
        HEADING = "heading", "Heading"
        TABLE = "table", "Data table"
        # Drawn by the analytics engine from the widget's query (dashboards.analysis_widgets).
        FORECAST = "forecast", "Forecast"
        ANOMALIES = "anomalies", "Unusual values"
        DRIVERS = "drivers", "What changed"
        INSIGHT = "insight", "Insight"

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="widgets")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=200, blank=True)
    # The saved chart a chart, KPI or table widget draws; its query unless the widget has its own.
    # Deleting the chart leaves the widget, which then says the chart was removed (no silent hole).
    chart = models.ForeignKey(
        "charts.SavedChart", on_delete=models.SET_NULL, null=True, blank=True, related_name="widgets"
    )
    # The removed chart's title, kept so the widget can say which chart it was.
    removed_chart_title = models.CharField(max_length=200, blank=True)
    # A SemanticQuery as JSON, for KPI and table widgets that are not built from a saved chart.
    query = models.JSONField(null=True, blank=True)
    # Markdown of a text widget; turned into sanitised HTML when shown.
    text = models.TextField(blank=True)
    x = models.PositiveSmallIntegerField(default=0)
    y = models.PositiveSmallIntegerField(default=0)
    w = models.PositiveSmallIntegerField(default=6)
    h = models.PositiveSmallIntegerField(default=4)
    # Index into the dashboard's layout["tabs"]; 0 when the dashboard has no tabs.
    tab = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["y", "x", "pk"]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} {self.pk}"


class PublicLink(models.Model):
    """A read-only link to a dashboard for anyone who has it. Only the token's hash is kept."""

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="public_links")
    token_hash = models.CharField(max_length=64, unique=True)
    # The token itself, Fernet-encrypted like other secrets, so the share menu can show the link again.
    token_sealed = models.BinaryField(null=True, editable=False)
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"public link to {self.dashboard_id}"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or timezone.now() < self.expires_at


class EmbedSettings(models.Model):
    """The workspace's embedding secret (Fernet-encrypted: HS256 needs it back to verify tokens).

    One row per workspace; rotating replaces the secret, so every token signed with the old one fails.
    """

    secret = models.BinaryField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "embed settings"

    def __str__(self) -> str:
        return f"embedding settings (rotated {self.rotated_at})"
