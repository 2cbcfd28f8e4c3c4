# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Reads of backup records, for the admin console and the commands."""

from __future__ import annotations

from django.db.models import QuerySet

from enterprise.backups.models import Backup, DeletedOrganization
from enterprise.tenants.models import Organization


def list_backups(organization: Organization | str) -> QuerySet[Backup]:
    """The organisation's kept backups, newest first (an organisation or its slug, so a purged
    organisation's archives can still be listed and restored)."""
    slug = organization if isinstance(organization, str) else organization.slug
    return Backup.objects.filter(organization_slug=slug, deleted_at__isnull=True)


def deleted_organizations() -> QuerySet[DeletedOrganization]:
    """Organisations deleted and waiting for their purge, soonest purge first."""
    return DeletedOrganization.objects.select_related("organization").order_by("purge_after")
