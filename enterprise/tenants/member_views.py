# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The members page: members and their roles, invitations, groups and custom roles. Every form posts
to a small view that calls one service (`enterprise.tenants.membership`, `enterprise.rbac.roles`) and
comes back to the page with a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from chat2chart.core.errors import AiserError
from chat2chart.core.principal import Principal
from enterprise.rbac import roles
from enterprise.rbac.models import CustomRole, Group
from enterprise.rbac.permissions import PERMISSIONS
from enterprise.rbac.policy import has_permission
from enterprise.tenants import membership, services
from enterprise.tenants.forms import InvitationForm
from enterprise.tenants.models import Organization, Role


@login_required
def members(request: HttpRequest) -> HttpResponse:
    organization: Organization = _organization(request)
    principal = Principal.from_request(request)
    can_manage = has_permission(principal, "members.manage")
    form = InvitationForm(request.POST or None)
    invite_link = None
    if request.method == "POST":
        if not can_manage:
            raise Http404("not allowed")
        if form.is_valid():
            try:
                invitation = services.invitation_create(
                    organization=organization,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    invited_by=request.user,
                )
            except AiserError as error:
                form.add_error(None, error.message)
            else:
                invite_link = f"{settings.AISER_PUBLIC_URL}/invitations/{invitation.token}/"
                services.invitation_send(invitation=invitation, link=invite_link)
                messages.success(request, f"Invitation sent to {invitation.email}.")
                form = InvitationForm()
    custom_roles = list(CustomRole.objects.filter(organization=organization))
    memberships = list(organization.memberships.select_related("user", "custom_role").order_by("user__email"))
    for m in memberships:  # the value of the role picker's current option
        m.role_value = f"custom:{m.custom_role_id}" if m.custom_role_id else m.role
    context = {
        "organization": organization,
        "memberships": memberships,
        "invitations": organization.invitations.filter(accepted_at__isnull=True).order_by("-created_at"),
        "groups": Group.objects.filter(organization=organization)
        .prefetch_related("members")
        .select_related("custom_role"),
        "custom_roles": custom_roles,
        "role_choices": [(r.value, r.label) for r in Role]
        + [(f"custom:{r.pk}", r.name) for r in custom_roles],
        "group_role_choices": [("", "No role (for sharing)")]
        + [(r.value, r.label) for r in Role if r != Role.OWNER]
        + [(f"custom:{r.pk}", r.name) for r in custom_roles],
        "permissions": PERMISSIONS.items(),
        "form": form,
        "can_manage": can_manage,
        "is_owner": principal.role == Role.OWNER,
        "invite_link": invite_link,
    }
    return render(request, "tenants/members.html", context)


def _organization(request: HttpRequest) -> Organization:
    return request.tenant  # type: ignore[attr-defined] # set by the organisation middleware


def _split_role(value: str) -> tuple[str | None, int | None]:
    """("editor", None) or (None, 7) from the form's "editor" / "custom:7"."""
    if value.startswith("custom:") and value[7:].isdigit():
        return None, int(value[7:])
    return value, None


def _act(request: HttpRequest, done: str, change: Callable[[Principal, Organization], Any]) -> HttpResponse:
    try:
        change(Principal.from_request(request), _organization(request))
    except AiserError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("members")


@login_required
@require_POST
def member_role_view(request: HttpRequest, pk: int) -> HttpResponse:
    role, custom_role_id = _split_role(request.POST.get("role", ""))
    return _act(
        request,
        "Role changed.",
        lambda p, o: membership.member_role_change(
            principal=p, organization=o, membership_id=pk, role=role, custom_role_id=custom_role_id
        ),
    )


@login_required
@require_POST
def member_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        "Member removed.",
        lambda p, o: membership.member_remove(principal=p, organization=o, membership_id=pk),
    )


@login_required
@require_POST
def ownership_transfer_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        "Ownership transferred.",
        lambda p, o: membership.ownership_transfer(principal=p, organization=o, membership_id=pk),
    )


@login_required
@require_POST
def member_leave_view(request: HttpRequest) -> HttpResponse:
    try:
        membership.member_leave(
            principal=Principal.from_request(request), organization=_organization(request)
        )
    except AiserError as error:
        messages.error(request, error.message)
        return redirect("members")
    return redirect(f"{settings.AISER_PUBLIC_URL}/")


@login_required
@require_POST
def group_create_view(request: HttpRequest) -> HttpResponse:
    role, custom_role_id = _split_role(request.POST.get("role", ""))
    return _act(
        request,
        "Group created.",
        lambda p, o: roles.group_create(
            principal=p,
            organization=o,
            name=request.POST.get("name", ""),
            role=role or "",
            custom_role_id=custom_role_id,
        ),
    )


@login_required
@require_POST
def group_member_view(request: HttpRequest, pk: int) -> HttpResponse:
    user_id = request.POST.get("user_id", "")
    remove = request.POST.get("remove") == "1"
    if not user_id.isdigit():
        messages.error(request, "Pick a member.")
        return redirect("members")
    service = roles.group_member_remove if remove else roles.group_member_add
    return _act(
        request,
        "Group changed.",
        lambda p, o: service(principal=p, organization=o, group_id=pk, user_id=int(user_id)),
    )


@login_required
@require_POST
def group_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, "Group deleted.", lambda p, o: roles.group_delete(principal=p, organization=o, group_id=pk)
    )


@login_required
@require_POST
def role_create_view(request: HttpRequest) -> HttpResponse:
    return _act(
        request,
        "Role created.",
        lambda p, o: roles.custom_role_create(
            principal=p,
            organization=o,
            name=request.POST.get("name", ""),
            permissions=request.POST.getlist("permissions"),
        ),
    )


@login_required
@require_POST
def role_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        "Role deleted.",
        lambda p, o: roles.custom_role_delete(principal=p, organization=o, role_id=pk),
    )
