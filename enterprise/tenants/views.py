# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Pages for organisations: the public landing page, creating one, joining one, and its members."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from chat2chart.core import hooks
from chat2chart.core.errors import AiserError, Forbidden, NotFound
from chat2chart.core.principal import Principal
from chat2chart.workspaces.selectors import workspace_settings
from chat2chart.workspaces.services import workspace_settings_update
from enterprise.rbac.policy import has_permission
from enterprise.tenants import services
from enterprise.tenants.forms import OrganizationForm, OrganizationSettingsForm
from enterprise.tenants.models import Invitation, Membership, Organization


def _live_memberships(request: HttpRequest) -> QuerySet[Membership]:
    # Deleted organisations (enterprise.backups, kept for a grace period) are no longer served.
    memberships = Membership.objects.filter(user=request.user, organization__deletion__isnull=True)
    return memberships.select_related("organization")


def landing(request: HttpRequest) -> HttpResponse:
    memberships = []
    if request.user.is_authenticated:
        memberships = _live_memberships(request)
    return render(request, "tenants/landing.html", {"memberships": memberships})


@login_required
def organization_list(request: HttpRequest) -> HttpResponse:
    memberships = _live_memberships(request)
    return render(request, "tenants/organization_list.html", {"memberships": memberships})


@login_required
@require_GET
def organization_pick(request: HttpRequest) -> HttpResponse:
    """Where signing in on the public site leads: straight into the person's only organisation, to
    the list when they have several, to creating one when they have none."""
    organizations = services.organizations_of(request.user)
    if len(organizations) == 1:
        return redirect(services.handoff_url(user=request.user, organization=organizations[0]))
    if not organizations:
        return redirect("organization_create")
    return redirect("organization_list")


@login_required
@require_GET
def organization_enter(request: HttpRequest, slug: str) -> HttpResponse:
    """Go into one of the person's organisations, signed in there (session cookies are per host, so
    this hands off with a single-use link). Another organisation's address is a 404."""
    organization = next((o for o in services.organizations_of(request.user) if o.slug == slug), None)
    if organization is None:
        raise Http404("not a member")
    return redirect(services.handoff_url(user=request.user, organization=organization))


def organization_find(request: HttpRequest) -> HttpResponse:
    """ "Find your organisation": mail the address its organisations. The answer is the same whether
    or not the address has an account."""
    sent = False
    error = ""
    email = request.POST.get("email", "").strip() if request.method == "POST" else ""
    if request.method == "POST":
        try:
            validate_email(email)
        except ValidationError:
            error = "Enter a valid email address."
        else:
            if ratelimit.consume(request, action="find_organizations", key=email.lower()):
                services.organizations_find_send(email=email)
            sent = True
    context = {"sent": sent, "error": error, "email": email}
    return render(request, "tenants/organization_find.html", context, status=400 if error else 200)


@login_required
def organization_create_view(request: HttpRequest) -> HttpResponse:
    if request.GET.get("suggest") is not None:
        return JsonResponse({"slug": services.suggest_slug(request.GET.get("suggest", ""))})
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"].strip().lower(),
                owner=request.user,
            )
        except AiserError as error:
            form.add_error("slug" if error.code == "invalid_slug" else None, error.message)
        else:
            return redirect(services.handoff_url(user=request.user, organization=organization))
    return render(request, "tenants/organization_create.html", {"form": form})


def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.objects.select_related("organization").filter(token=token).first()
    if invitation is None or not invitation.is_usable:
        return render(request, "tenants/invitation_invalid.html", status=404)
    if not request.user.is_authenticated:
        return _invitation_sign_up(request, invitation)
    if request.method == "POST":
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except NotFound:
            return render(request, "tenants/invitation_invalid.html", status=404)
        except Forbidden as error:
            context = {"invitation": invitation, "error": error.message}
            return render(request, "tenants/invitation_accept.html", context, status=error.status)
        return redirect(services.handoff_url(user=request.user, organization=membership.organization))
    if not services.invitation_matches(invitation=invitation, user=request.user):
        context = {"invitation": invitation, "error": services.wrong_address_message(invitation)}
        return render(request, "tenants/invitation_accept.html", context, status=403)
    return render(request, "tenants/invitation_accept.html", {"invitation": invitation})


def _invitation_sign_up(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    """Send a visitor with an invitation to sign up (or in) with the invited address filled in. The
    link came to that mailbox, so it proves the address: allauth's "verified elsewhere" stash lets
    the new account skip confirming it again (only for that exact address)."""
    get_adapter(request).stash_verified_email(request, invitation.email)
    request.session["aiser_invitation"] = {
        "email": invitation.email,
        "organization": invitation.organization.name,
    }
    query = urlencode({"email": invitation.email, "next": request.path})
    user_model = get_user_model()
    if user_model.objects.filter(email__iexact=invitation.email).exists():
        messages.info(request, f"Sign in as {invitation.email} to join {invitation.organization.name}.")
        return redirect(f"{reverse('account_login')}?{urlencode({'next': request.path})}")
    return redirect(f"{reverse('account_signup')}?{query}")


@require_GET
def handoff(request: HttpRequest) -> HttpResponse:
    """Sign in on the organisation host with the one-time link made on the public site."""
    try:
        result = services.handoff_redeem(token=request.GET.get("token", ""), organization=request.tenant)
    except NotFound as error:
        messages.error(request, error.message)
        return redirect("account_login")
    user = get_user_model().objects.filter(pk=result.user_id, is_active=True).first()
    if user is None or services.membership_for(user, request.tenant) is None:
        raise Http404("not a member")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("home")


def _require_manager(request: HttpRequest) -> None:
    if not hooks.can(Principal.from_request(request), hooks.MANAGE):
        raise Http404("not allowed")


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_permission(Principal.from_request(request), "members.manage"):
        raise Http404("not allowed")
    request.tenant.invitations.filter(pk=pk, accepted_at__isnull=True).delete()
    return redirect("members")


@login_required
def organization_settings(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    organization: Organization = request.tenant
    initial = {"name": organization.name, **OrganizationSettingsForm.initial_from(workspace_settings())}
    form = OrganizationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        llm = {name: form.cleaned_data[name] for name in ("llm_model", "llm_send_samples")}
        try:
            with transaction.atomic():
                services.organization_update(
                    organization=organization, actor=request.user, name=form.cleaned_data["name"]
                )
                workspace_settings_update(principal=Principal.from_request(request), **llm)
        except AiserError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Settings saved.")
            return redirect("organization_settings")
    return render(request, "tenants/organization_settings.html", {"form": form})
