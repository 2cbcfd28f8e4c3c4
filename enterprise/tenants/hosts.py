# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Host → organisation from the cache, so routing a request costs no database round trip.

django-tenants looks the host's `Domain` up on every request (a `SET search_path` to the public schema
and a join, before any of the request's own work). `organization_for_host` keeps the answer in the
default cache under the public schema's prefix, stamped with a generation counter that every save or
delete of an organisation or domain bumps (at once and on commit, as `enterprise.rbac.cached` does), so
a deleted organisation or a moved domain is never served from the cache. Unknown hosts are not cached.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_tenants.utils import get_public_schema_name, schema_context

from chat2chart.core.generations import generation_bump, generation_read
from enterprise.tenants.models import Domain, Organization

ENTRY_TTL_S = 300
_GENERATION = "tenants:host-generation"


def organization_for_host(hostname: str) -> Organization:
    """The organisation serving `hostname` (the public site's is the public tenant); raises
    `Domain.DoesNotExist` for an unknown host. Call with the connection on the public schema."""
    with _public():
        entry_key = f"tenants:host:{hostname}"
        organization, generation = generation_read(entry_key, _GENERATION)
        if organization is not None:
            return organization
        organization = Domain.objects.select_related("tenant").get(domain=hostname).tenant
        cache.set(entry_key, (generation, organization), timeout=ENTRY_TTL_S)
        return organization


def forget_hosts() -> None:
    """Make every cached host answer stale, now and when the current transaction commits."""
    _bump()
    transaction.on_commit(_bump, robust=True)


def _bump() -> None:
    with _public():
        generation_bump(_GENERATION)


@contextlib.contextmanager
def _public() -> Iterator[None]:
    # Cache keys carry the schema in scope: these are the public schema's, whatever the caller's scope.
    public = get_public_schema_name()
    if getattr(connection, "schema_name", public) == public:
        yield
        return
    with schema_context(public):
        yield


@receiver([post_save, post_delete], sender=Organization, dispatch_uid="tenants-hosts-organization")
@receiver([post_save, post_delete], sender=Domain, dispatch_uid="tenants-hosts-domain")
def _routing_changed(sender: Any, **kwargs: Any) -> None:
    forget_hosts()
