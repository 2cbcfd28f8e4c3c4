# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Deleting an organisation in two steps: a soft delete that keeps everything for a grace period
(AISER_DELETED_ORG_GRACE_DAYS) and takes its host names away, and a purge after it that drops the
schema and the data folder. Within the grace period `organization_undelete` brings it back whole."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from chat2chart.core.errors import NotFound, ValidationFailed
from chat2chart.sources.selectors import store_for_workspace
from enterprise.backups.models import DeletedOrganization
from enterprise.backups.services import organization_files_dir
from enterprise.tenants.models import Domain, Organization


def organization_soft_delete(*, organization: Organization, actor: Any) -> DeletedOrganization:
    """Stop serving `organization` (its host names are removed and remembered) and schedule its purge
    after the grace period. Its schema, files and members stay. Raises ValidationFailed if it is
    already deleted."""
    if DeletedOrganization.objects.filter(organization=organization).exists():
        raise ValidationFailed(f"{organization.slug} is already deleted.")
    from chat2chart.core import hooks

    with transaction.atomic():
        domains = list(Domain.objects.filter(tenant=organization).values("domain", "is_primary"))
        deletion = DeletedOrganization.objects.create(
            organization=organization,
            purge_after=timezone.now() + timedelta(days=settings.AISER_DELETED_ORG_GRACE_DAYS),
            domains=domains,
        )
        for domain in Domain.objects.filter(tenant=organization):
            domain.delete()  # one by one: each delete tells the host cache (enterprise.tenants.hosts)
        with schema_context(organization.schema_name):
            hooks.record_audit(
                action="organization.delete",
                actor=actor,
                target_type="organization",
                target_id=organization.pk,
                data={"purge_after": deletion.purge_after.isoformat()},
            )
    return deletion


def organization_undelete(*, slug: str, actor: Any = None) -> Organization:
    """Bring a soft-deleted organisation back: its host names are served again and its purge is
    cancelled. Raises NotFound if no deleted organisation has that slug (never deleted, or purged)."""
    deletion = (
        DeletedOrganization.objects.select_related("organization").filter(organization__slug=slug).first()
    )
    if deletion is None:
        raise NotFound(
            f"No deleted organisation is called {slug}; it was never deleted or was already purged."
        )
    organization = deletion.organization
    from chat2chart.core import hooks

    with transaction.atomic():
        for domain in deletion.domains:
            Domain.objects.get_or_create(
                domain=domain["domain"], defaults={"tenant": organization, "is_primary": domain["is_primary"]}
            )
        deletion.delete()
        with schema_context(organization.schema_name):
            hooks.record_audit(
                action="organization.undelete",
                actor=actor,
                target_type="organization",
                target_id=organization.pk,
            )
    return organization


def organization_purge_due(*, now: datetime | None = None) -> list[str]:
    """Purge every deleted organisation whose grace period is over: drop its schema (django-tenants'
    auto_drop_schema), its data folder and its public rows. Returns the purged slugs. Its backup
    records and archives stay, under retention, so it can still be restored."""
    now = now or timezone.now()
    purged = []
    for deletion in DeletedOrganization.objects.select_related("organization").filter(purge_after__lte=now):
        organization = deletion.organization
        files = organization_files_dir(organization)
        store = store_for_workspace(organization.schema_name)
        organization.delete()
        shutil.rmtree(files, ignore_errors=True)
        store.replace_all(None)  # with object storage, every object under the organisation's prefix
        purged.append(organization.slug)
    return purged
