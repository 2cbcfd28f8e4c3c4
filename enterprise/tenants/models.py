# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Organisations (one PostgreSQL schema each), their host names, members and invitations.

All of these live in the public schema: a person can belong to several organisations.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_tenants.models import DomainMixin, TenantMixin


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"
    OWNER = "owner", "Owner"


ROLE_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3, Role.OWNER: 4}


def role_at_least(role: str, minimum: str) -> bool:
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[minimum]


class Organization(TenantMixin):
    # --- Suspension by platform staff (h/console): members see a page saying so, the API and embeds
    # refuse with a JSON error, the data is kept (enterprise.console.services).
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    suspended_reason = models.CharField(max_length=200, blank=True, default="")
    # Terms staff set in the console; empty keeps the plan's or the platform's value. On the organisation
    # itself because the request budgets are read on every API request: they come with the cached
    # organisation (enterprise.tenants.hosts), no extra round trip.
    plan_override = models.CharField(max_length=40, blank=True, default="")
    api_requests_per_minute = models.PositiveIntegerField(null=True, blank=True)
    embed_requests_per_minute = models.PositiveIntegerField(null=True, blank=True)
    llm_tokens_per_day = models.PositiveBigIntegerField(null=True, blank=True)
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    # --- end h/console
    # The organisation's own settings (language model, embed origins...) live in its schema:
    # chat2chart.workspaces.models.WorkspaceSettings.

    auto_create_schema = True
    auto_drop_schema = True

    def __str__(self) -> str:
        return self.name

    @property
    def is_suspended(self) -> bool:
        return self.status == self.Status.SUSPENDED

    @property
    def host(self) -> str:
        return f"{self.slug}.{settings.AISER_BASE_DOMAIN}"

    @property
    def url(self) -> str:
        port = f":{settings.AISER_PORT}" if settings.AISER_PORT else ""
        return f"{settings.AISER_SCHEME}://{self.host}{port}"


class Domain(DomainMixin):
    pass


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    # The built-in role; with a custom role, the highest built-in one its permissions include (the rank
    # used where ranks are compared, such as an API key's ceiling).
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    custom_role = models.ForeignKey(
        "rbac.CustomRole", on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} as {self.role}"


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


INVITATION_LIFETIME = timedelta(days=7)


class Invitation(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    token = models.CharField(max_length=64, unique=True, default=_invitation_token)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.email} to {self.organization} as {self.role}"

    @property
    def expires_at(self):  # noqa: ANN201 - a datetime
        return self.created_at + INVITATION_LIFETIME

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and timezone.now() < self.expires_at
