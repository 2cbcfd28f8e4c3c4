# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""API keys: create (shown once), revoke, and resolve a presented key to its principal."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.http import HttpRequest
from django.utils import timezone

from chat2chart.accounts.services import login_event_record
from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden, NotFound, ValidationFailed
from chat2chart.core.principal import Principal
from enterprise.rbac.models import SCOPES, ApiKey, hash_key
from enterprise.tenants.models import ROLE_RANK, Membership, Organization, Role

KEY_PREFIX = "ak_"
LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class NewApiKey:
    api_key: ApiKey
    raw_key: str  # shown once, never stored


def has_permission(principal: Principal, permission: str) -> bool:
    # Imported late: the policy imports the cached look-ups, which import this module.
    from enterprise.rbac.policy import has_permission as held

    return held(principal, permission)


def api_key_create(
    *,
    organization: Organization,
    principal: Principal,
    name: str,
    role: str,
    expires_at: datetime | None = None,
    scopes: Iterable[str] | None = None,
) -> NewApiKey:
    """A new key of `role` made by `principal`'s user (the key is shown once). Only owners and admins
    make keys, and never above the role they act with (a key making a key: the key's own role).
    `scopes` (default: all of "read", "query", "write", "admin") narrow what the key may do below its
    role; raises `ValidationFailed` for an unknown or empty list."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("Give the key a name of at most 100 characters.")
    if role not in Role.values:
        raise ValidationFailed("The role must be viewer, editor, admin or owner.")
    acting_role = principal.role
    if acting_role is None or not has_permission(principal, "api_keys.manage"):
        raise Forbidden("Only owners and admins can create API keys.")
    if ROLE_RANK[role] > ROLE_RANK[acting_role]:
        raise ValidationFailed(f"A key cannot have a higher role than yours ({acting_role}).")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed("The expiry must be in the future.")
    chosen = [scope for scope in SCOPES if scope in set(SCOPES if scopes is None else scopes)]
    unknown = sorted(set(scopes or ()) - set(SCOPES))
    if unknown or not chosen:
        raise ValidationFailed(f"Scopes are one or more of {', '.join(SCOPES)}.")
    secret = secrets.token_urlsafe(32)
    prefix = secrets.token_hex(4)
    raw_key = f"{KEY_PREFIX}{prefix}_{secret}"
    api_key = ApiKey.objects.create(
        organization=organization,
        created_by=principal.user,
        name=name,
        prefix=prefix,
        key_hash=hash_key(raw_key),
        role=role,
        expires_at=expires_at,
        scopes=chosen,
    )
    hooks.record_audit(
        action="api_key.create",
        actor=principal,
        target_type="api_key",
        target_id=api_key.pk,
        data={"name": name, "role": role, "scopes": chosen},
    )
    return NewApiKey(api_key=api_key, raw_key=raw_key)


def api_key_revoke(*, organization: Organization, key_id: int, principal: Principal) -> ApiKey:
    if not has_permission(principal, "api_keys.manage"):
        raise Forbidden("Only owners and admins can revoke API keys.")
    api_key = ApiKey.objects.filter(organization=organization, pk=key_id).first()
    if api_key is None:
        raise NotFound("No such API key.")
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        hooks.record_audit(
            action="api_key.revoke", actor=principal, target_type="api_key", target_id=api_key.pk
        )
    return api_key


@dataclass(frozen=True)
class ResolvedKey:
    api_key: ApiKey
    role: str  # the role the key acts with: its own, never above its creator's current role
    creator_role: str  # the creator's current role in the organisation
    first_use: bool = False  # this resolution marked the key's first use (never cached as True)


def api_key_resolve(*, raw_key: str, organization: Organization) -> ResolvedKey | None:
    """The key and the role it acts with, or None when the key is unknown, revoked, expired, of another
    organisation, or its creator is no longer a member."""
    if not raw_key.startswith(KEY_PREFIX):
        return None
    api_key = ApiKey.objects.select_related("created_by").filter(key_hash=hash_key(raw_key)).first()
    if api_key is None or api_key.organization_id != organization.pk or not api_key.is_active:
        return None
    membership = Membership.objects.filter(user=api_key.created_by, organization=organization).first()
    if membership is None or not api_key.created_by.is_active:
        return None
    # A key never acts above its creator's current role.
    role = min((api_key.role, membership.role), key=lambda r: ROLE_RANK[r])
    now = timezone.now()
    first_use = False
    if api_key.first_used_at is None:
        # A conditional update: of concurrent first requests exactly one sees a row changed.
        first_use = bool(
            ApiKey.objects.filter(pk=api_key.pk, first_used_at__isnull=True).update(first_used_at=now)
        )
        api_key.first_used_at = now
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_GRANULARITY:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return ResolvedKey(api_key=api_key, role=role, creator_role=membership.role, first_use=first_use)


def api_key_first_use_record(*, api_key: ApiKey, request: HttpRequest) -> None:
    """Add the key's first use to its creator's sign-in history (method "api_key"). Called when
    `api_key_resolve` reported `first_use`: of concurrent first requests only one wins that."""
    login_event_record(request=request, user=api_key.created_by, succeeded=True, method="api_key")
