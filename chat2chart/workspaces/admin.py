# SPDX-License-Identifier: MIT
from django.contrib import admin

from chat2chart.workspaces.models import WorkspaceSettings


@admin.register(WorkspaceSettings)
class WorkspaceSettingsAdmin(admin.ModelAdmin):
    list_display = ("llm_model", "llm_send_samples", "timezone", "fiscal_year_start_month", "updated_at")
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001 - Django's signature
        # The one row is made on first save through the service; a second would break the constraint.
        return False
