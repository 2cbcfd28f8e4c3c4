# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""API key pages (create, list, revoke) and the organisation's security page."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from chat2chart.core import hooks
from chat2chart.core.errors import AiserError
from chat2chart.core.principal import Principal
from enterprise.rbac import security, services
from enterprise.rbac.middleware import mfa_required
from enterprise.rbac.models import SCOPES, ApiKey
from enterprise.tenants.models import Role

EXPIRY_CHOICES = [
    ("", "Never"),
    ("7", "In 7 days"),
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
]


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)
    expires_in_days = forms.ChoiceField(choices=EXPIRY_CHOICES, required=False, label="Expires")
    scopes = forms.MultipleChoiceField(
        choices=[(scope, scope) for scope in SCOPES],
        initial=list(SCOPES),
        widget=forms.CheckboxSelectMultiple,
        required=False,  # none ticked: all of them (the role still caps the key)
        help_text="read: see; query: ask and run queries; write: create, change, delete; admin: manage.",
    )


@login_required
def api_keys(request: HttpRequest) -> HttpResponse:
    if not services.has_permission(Principal.from_request(request), "api_keys.manage"):
        raise Http404("not allowed")
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data.get("expires_in_days")
        try:
            created = services.api_key_create(
                organization=request.tenant,
                principal=Principal.from_request(request),
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                expires_at=timezone.now() + timedelta(days=int(days)) if days else None,
                scopes=form.cleaned_data["scopes"] or None,
            )
        except AiserError as error:
            form.add_error(None, error.message)
        else:
            new_key = created.raw_key
            messages.success(request, "Key created. Copy it now: it will not be shown again.")
            form = ApiKeyForm()
    keys = ApiKey.objects.filter(organization=request.tenant).select_related("created_by")
    return render(request, "rbac/api_keys.html", {"form": form, "keys": keys, "new_key": new_key})


@login_required
@require_POST
def api_key_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.has_permission(Principal.from_request(request), "api_keys.manage"):
        raise Http404("not allowed")
    services.api_key_revoke(organization=request.tenant, key_id=pk, principal=Principal.from_request(request))
    messages.success(request, "Key revoked.")
    return redirect("api_keys")


@login_required
def security_settings(request: HttpRequest) -> HttpResponse:
    """Admins: require MFA of every member, and the members' sign-in history on this host."""
    principal = Principal.from_request(request)
    if not hooks.can(principal, hooks.MANAGE):
        raise Http404("not allowed")
    organization = security.current_organization()
    if request.method == "POST":
        security.organization_security_update(
            organization=organization, actor=principal, require_mfa=request.POST.get("require_mfa") == "on"
        )
        messages.success(request, "Saved.")
        return redirect("security_settings")
    context = {
        "require_mfa": mfa_required(organization.pk),
        "history": security.login_history(organization=organization)[:100],
    }
    return render(request, "rbac/security.html", context)
