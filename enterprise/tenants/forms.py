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
