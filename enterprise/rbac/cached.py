# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""API key and membership look-ups from the cache, so an API request does not query them every time.

Entries live in the default cache (keys tenant-prefixed by `aiser.cache_keys.make_key`, and carrying
the organisation's id as well, so no entry can answer for another organisation). Each organisation has
a generation counter; an entry is served only when it was made at the current generation, and any
change that could change an answer (a key saved or deleted: revoked, expired, role changed; a
membership saved or deleted; a user deactivated) bumps the counter of every organisation concerned,
at once and again when the transaction commits. A hit costs one cache round trip (entry and counter
read together); a revoked key fails on the very next request. Entries also expire after `ENTRY_TTL_S`.

Why a counter and not a delete: a request that read the database just before a revocation committed
would otherwise put the stale answer back after the delete; with the counter its entry is made at the
old generation and never served.
"""

from __future__ import annotations

import contextlib
import dataclasses
import pickle
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django_tenants.utils import schema_context

from chat2chart.core.generations import generation_bump, generation_read
from enterprise.rbac.models import ApiKey, CustomRole, Group, hash_key
from enterprise.rbac.services import KEY_PREFIX, LAST_USED_GRANULARITY, ResolvedKey, api_key_resolve
from enterprise.tenants.models import Membership, Organization

ENTRY_TTL_S = 300
_NOT_A_MEMBER = ""


def _generation_key(organization_id: int) -> str:
    return f"rbac:generation:{organization_id}"


def _key_entry(organization_id: int, key_hash: str) -> str:
    return f"rbac:api-key:{organization_id}:{key_hash}"


def _membership_entry(organization_id: int, user_id: int) -> str:
    return f"rbac:membership:{organization_id}:{user_id}"


def _permissions_entry(organization_id: int, user_id: int) -> str:
    return f"rbac:permissions:{organization_id}:{user_id}"


def _read(entry_key: str, organization_id: int) -> tuple[Any, int]:
    """(the entry's value if it is of the current generation else None, the current generation)."""
    return generation_read(entry_key, _generation_key(organization_id))


def api_key_lookup(*, raw_key: str, organization: Organization) -> ResolvedKey | None:
    """`api_key_resolve` from the cache: the key and the role it acts with, or None when the key is
    unknown, revoked, expired, of another organisation or its creator is no longer an active member.

    Unknown keys are not cached (a guesser cannot fill the cache). The key's last use is written at
    most once a minute, as before."""
    if not raw_key.startswith(KEY_PREFIX):
        return None
    entry_key = _key_entry(organization.pk, hash_key(raw_key))
    resolved, generation = _read(entry_key, organization.pk)
    if resolved is None:
        resolved = api_key_resolve(raw_key=raw_key, organization=organization)
        if resolved is not None:
            if _used_long_ago(resolved.api_key):  # api_key_resolve has just written it
                resolved.api_key.last_used_at = timezone.now()
            cached = dataclasses.replace(resolved, first_use=False)  # a hit is never a first use
            cache.set(entry_key, (generation, _without_password(cached)), timeout=ENTRY_TTL_S)
        return resolved
    api_key = resolved.api_key
    if not api_key.is_active:  # expired while cached
        return None
    if _used_long_ago(api_key):
        api_key.last_used_at = timezone.now()
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=api_key.last_used_at)
        cache.set(entry_key, (generation, resolved), timeout=ENTRY_TTL_S)
    return resolved


def _without_password(resolved: ResolvedKey) -> ResolvedKey:
    """A copy whose creator has no password hash loaded: the hash never goes to the cache. The field is
    then deferred, so reading it loads it from the database and `save()` leaves it alone."""
    copied: ResolvedKey = pickle.loads(pickle.dumps(resolved))  # noqa: S301 - our own object, just made
    copied.api_key.created_by.__dict__.pop("password", None)
    return copied


def _used_long_ago(api_key: ApiKey) -> bool:
    last = api_key.last_used_at
    return last is None or timezone.now() - last > LAST_USED_GRANULARITY


def member_role(*, user_id: int, organization: Organization) -> str | None:
    """The role of user `user_id` in `organization`, or None when not a member (cached, negatives too:
    a new membership bumps the organisation's generation)."""
    entry_key = _membership_entry(organization.pk, user_id)
    role, generation = _read(entry_key, organization.pk)
    if role is None:
        role = (
            Membership.objects.filter(user_id=user_id, organization=organization)
            .values_list("role", flat=True)
            .first()
        ) or _NOT_A_MEMBER
        cache.set(entry_key, (generation, role), timeout=ENTRY_TTL_S)
    return role or None


def member_permissions(*, user_id: int, organization_id: int) -> frozenset[str]:
    """The permissions user `user_id` holds in the organisation: their role's (built-in or custom) and
    those of every group of the organisation they are in; empty when not a member. Cached at the
    organisation's generation, which any change to memberships, roles or groups bumps."""
    from enterprise.rbac.access import member_permissions_uncached

    entry_key = _permissions_entry(organization_id, user_id)
    permissions, generation = _read(entry_key, organization_id)
    if permissions is None:
        permissions = member_permissions_uncached(user_id=user_id, organization_id=organization_id)
        cache.set(entry_key, (generation, permissions), timeout=ENTRY_TTL_S)
    return permissions


def organization_cached(entry_key: str, organization_id: int, compute: Callable[[], Any]) -> Any:
    """`compute()` from the cache under `entry_key` (prefixed by the caller, e.g. "rbac:rows:..."), at
    the organisation's current generation: any `invalidate` of the organisation makes it stale."""
    value, generation = _read(entry_key, organization_id)
    if value is None:
        value = compute()
        cache.set(entry_key, (generation, value), timeout=ENTRY_TTL_S)
    return value


# --- invalidation ------------------------------------------------------------------------------


def invalidate(organization_ids: Iterable[int]) -> None:
    """Make every cached key and membership answer of these organisations stale, now and again when
    the current transaction commits (a request reading before the commit may cache the old answer)."""
    ids = sorted(set(organization_ids))
    if not ids:
        return
    schemas = dict(Organization.objects.filter(pk__in=ids).values_list("pk", "schema_name"))
    _bump(schemas)
    from enterprise.rbac.access import forget_reach

    forget_reach()
    transaction.on_commit(lambda: _bump(schemas), robust=True)


def _bump(schemas: dict[int, str]) -> None:
    for organization_id, schema in schemas.items():
        with _in_schema(schema):
            generation_bump(_generation_key(organization_id))


@contextlib.contextmanager
def _in_schema(schema: str) -> Iterator[None]:
    # Cache keys are prefixed with the schema in scope: write the organisation's own keys from anywhere.
    if getattr(connection, "schema_name", None) == schema:
        yield
        return
    with schema_context(schema):
        yield


@receiver([post_save, post_delete], sender=ApiKey, dispatch_uid="rbac-cached-api-key")
def _api_key_changed(sender: Any, instance: ApiKey, **kwargs: Any) -> None:
    invalidate([instance.organization_id])


@receiver([post_save, post_delete], sender=Membership, dispatch_uid="rbac-cached-membership")
def _membership_changed(sender: Any, instance: Membership, **kwargs: Any) -> None:
    invalidate([instance.organization_id])


@receiver([post_save, post_delete], sender=CustomRole, dispatch_uid="rbac-cached-custom-role")
@receiver([post_save, post_delete], sender=Group, dispatch_uid="rbac-cached-group")
def _role_or_group_changed(sender: Any, instance: CustomRole | Group, **kwargs: Any) -> None:
    invalidate([instance.organization_id])


@receiver(m2m_changed, sender=Group.members.through, dispatch_uid="rbac-cached-group-members")
def _group_members_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Sent with the group as `instance` when changed from the group's side, the user otherwise.
    if isinstance(instance, Group):
        invalidate([instance.organization_id])
    else:
        invalidate(
            Group.objects.filter(pk__in=kwargs.get("pk_set") or ()).values_list("organization_id", flat=True)
        )


@receiver(post_save, sender=get_user_model(), dispatch_uid="rbac-cached-user")
def _user_changed(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    # A sign-in saves only last_login: nothing a key or membership answer depends on.
    update_fields = kwargs.get("update_fields")
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    organizations = set(Membership.objects.filter(user=instance).values_list("organization_id", flat=True))
    organizations |= set(ApiKey.objects.filter(created_by=instance).values_list("organization_id", flat=True))
    invalidate(organizations)
