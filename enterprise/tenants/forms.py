# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django import forms

from enterprise.tenants.models import Role


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=100, label="Organisation name")
    slug = forms.CharField(
        max_length=40, label="Address", help_text="Lowercase letters, digits and dashes; 3 to 40 characters."
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email")
    role = forms.ChoiceField(
        choices=[(r.value, r.label) for r in Role if r != Role.OWNER], initial=Role.VIEWER
    )


class OrganizationSettingsForm(forms.Form):
    name = forms.CharField(max_length=100, label="Organisation name")
    llm_model = forms.CharField(
        max_length=200,
        required=False,
        label="Language model",
        help_text="A LiteLLM model name, e.g. openai/gpt-4o-mini. Empty: the platform's default "
        "(the offline rule planner when none is configured).",
    )
    llm_send_samples = forms.TypedChoiceField(
        choices=[("", "Platform default"), ("true", "Yes"), ("false", "No")],
        coerce=lambda value: {"true": True, "false": False}.get(value),
        empty_value=None,
        required=False,
        label="Send sample values to the model",
    )
