# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django import forms

from chat2chart.workspaces.forms import LlmSettingsForm
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


class OrganizationSettingsForm(LlmSettingsForm):
    """The organisation's name (public schema) and its workspace's language-model choice (its schema)."""

    name = forms.CharField(max_length=100, label="Organisation name")
    field_order = ("name", "llm_model", "llm_send_samples")
