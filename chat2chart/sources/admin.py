# SPDX-License-Identifier: MIT
"""Django admin (core edition) for sources: read what is there; secrets are never shown."""

from django.contrib import admin

from chat2chart.sources.models import Source, SourceTable


class SourceTableInline(admin.TabularInline):
    model = SourceTable
    fields = ["name", "version", "row_count", "is_current", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "status", "version", "refreshed_at"]
    list_filter = ["kind", "status"]
    search_fields = ["name"]
    exclude = ["secret"]
    readonly_fields = ["status", "error", "version", "progress_rows", "progress_fraction", "refreshed_at"]
    inlines = [SourceTableInline]
