# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""API keys (shown once, stored as a SHA-256 hash and a short visible prefix), an organisation's own
roles, its groups, and who may see the objects it keeps private or shares. All in the public schema,
each row naming its organisation: services check that a role, group or member given belongs to the
organisation in scope, so nothing of one organisation is usable in another."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from enterprise.tenants.models import Organization, Role

# What a key may be used for, besides its role (enterprise.rbac.policy maps them to the core's actions).
SCOPES = ("read", "query", "write", "admin")


def all_scopes() -> list[str]:
    return list(SCOPES)


def hash_key(raw_key: str) -> str:
    # Keys are 256-bit random tokens, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKey(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A subset of SCOPES; the key may do an action only when both its role and a scope allow it.
    scopes = models.JSONField(default=all_scopes)
    first_used_at = models.DateTimeField(null=True, blank=True)
    expiry_reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"


class OrganizationSecurity(models.Model):
    """An organisation's sign-in rules (public schema: read on every request to its host, cached)."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="security")
    require_mfa = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"security of {self.organization_id} (MFA {'required' if self.require_mfa else 'optional'})"


class CustomRole(models.Model):
    """A role an organisation defines from the permission list (`enterprise.rbac.permissions`)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="custom_roles")
    name = models.CharField(max_length=60)
    permissions = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="one_role_name_per_org"),
        ]

    def __str__(self) -> str:
        return self.name


class Group(models.Model):
    """A team: its members get the group's role (built-in or custom) on top of their own, and objects
    can be shared with it."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=60)
    # The group's role: a built-in one, a custom one, or neither (a group only for sharing).
    role = models.CharField(max_length=10, choices=Role.choices, blank=True, default="")
    custom_role = models.ForeignKey(
        CustomRole, on_delete=models.SET_NULL, null=True, blank=True, related_name="groups"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="rbac_groups", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="one_group_name_per_org"),
        ]

    def __str__(self) -> str:
        return self.name


class ObjectAccess(models.Model):
    """Who besides the organisation's owners and admins may see one source, chart or dashboard. An
    object without a row is seen by every member (as before object permissions existed)."""

    class Visibility(models.TextChoices):
        ORGANISATION = "organisation", "Everyone in the organisation"
        RESTRICTED = "restricted", "Its owner and those it is shared with"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="object_access")
    kind = models.CharField(max_length=20)  # "source", "chart" or "dashboard"
    object_id = models.CharField(max_length=40)  # the object's primary key in the organisation's schema
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.RESTRICTED)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "object_id"], name="one_access_row_per_object"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.visibility}"


class ObjectGrant(models.Model):
    """One member or group's right (view or edit) over one object."""

    class Level(models.TextChoices):
        VIEW = "view", "View"
        EDIT = "edit", "Edit"

    access = models.ForeignKey(ObjectAccess, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True, related_name="grants")
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.VIEW)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, group__isnull=True)
                | models.Q(user__isnull=True, group__isnull=False),
                name="grant_to_user_or_group",
            ),
            models.UniqueConstraint(fields=["access", "user"], name="one_grant_per_user"),
            models.UniqueConstraint(fields=["access", "group"], name="one_grant_per_group"),
        ]

    def __str__(self) -> str:
        who = f"user {self.user_id}" if self.user_id else f"group {self.group_id}"
        return f"{self.level} for {who}"


class MemberAttribute(models.Model):
    """One value of a member's attribute (key → values, e.g. region → West), set by an admin or taken
    from the member's SSO assertion; row access rules (`TableRule`) compare columns with them."""

    class Origin(models.TextChoices):
        ADMIN = "admin", "Set by an admin"
        SSO = "sso", "From single sign-on"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="member_attributes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=60)
    value = models.CharField(max_length=200)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.ADMIN)

    class Meta:
        ordering = ["key", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user", "key", "value"], name="one_attribute_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class TableRule(models.Model):
    """Row-level access on one table of a data source: members see only rows whose `column` equals
    one of their values of attribute `attribute` (none when they have none). Owners and admins see
    every row."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="table_rules")
    source_id = models.IntegerField()  # the source's primary key in the organisation's schema
    table_name = models.CharField(max_length=255)
    column = models.CharField(max_length=255)
    attribute = models.CharField(max_length=60)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source_id", "table_name", "column"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "source_id", "table_name", "column", "attribute"],
                name="one_table_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.table_name}.{self.column} = attribute {self.attribute}"
