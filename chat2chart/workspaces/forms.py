# SPDX-License-Identifier: MIT
"""The language-model part of a workspace's settings page: a choice from the operator's allow-list."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from chat2chart.workspaces.models import WorkspaceSettings
from chat2chart.workspaces.selectors import allowed_models


def _yes_no_default(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value)


class LlmSettingsForm(forms.Form):
    llm_model = forms.ChoiceField(
        required=False,
        label="Language model",
        error_messages={
            "invalid_choice": "The model %(value)s is not offered on this platform; choose one from the list."
        },
    )
    llm_send_samples = forms.TypedChoiceField(
        choices=[("", "Platform default"), ("true", "Yes"), ("false", "No")],
        coerce=_yes_no_default,
        empty_value=None,
        required=False,
        label="Send sample values to the model",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default = settings.AISER_LLM_MODEL or "the offline rule planner"
        field = self.fields["llm_model"]
        field.choices = [("", f"Platform default ({default})"), *[(m, m) for m in allowed_models()]]
        field.help_text = "The models this platform's operator offers."

    @staticmethod
    def initial_from(stored: WorkspaceSettings) -> dict[str, Any]:
        """Initial values for the form from the stored settings."""
        return {
            "llm_model": stored.llm_model,
            "llm_send_samples": {True: "true", False: "false"}.get(stored.llm_send_samples, ""),
        }
