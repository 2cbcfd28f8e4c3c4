# SPDX-License-Identifier: MIT
from django import forms
from django.contrib import admin

from chat2chart.core.errors import ValidationFailed
from chat2chart.workspaces.models import WorkspaceSettings
from chat2chart.workspaces.services import clean_llm_model, clean_origins


class WorkspaceSettingsAdminForm(forms.ModelForm):
    """The same limits as the settings page and API: models from the allow-list, origins checked."""

    class Meta:
        model = WorkspaceSettings
        fields = (
            "llm_model",
            "llm_send_samples",
            "embed_allowed_origins",
            "timezone",
            "fiscal_year_start_month",
        )

    def clean_llm_model(self) -> str:
        try:
            return clean_llm_model(self.cleaned_data.get("llm_model"))
        except ValidationFailed as error:
            raise forms.ValidationError(error.message) from None

    def clean_embed_allowed_origins(self) -> list[str]:
        try:
            return clean_origins(self.cleaned_data.get("embed_allowed_origins") or [])
        except ValidationFailed as error:
            raise forms.ValidationError(error.message) from None


@admin.register(WorkspaceSettings)
class WorkspaceSettingsAdmin(admin.ModelAdmin):
    form = WorkspaceSettingsAdminForm
    list_display = ("llm_model", "llm_send_samples", "timezone", "fiscal_year_start_month", "updated_at")
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001 - Django's signature
        # The one row is made by the settings service; a second would break the one-row constraint.
        return False
