# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The nightly run: back every live organisation up, then apply retention to its archives."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from chat2chart.core.errors import AiserError
from enterprise.backups import storage
from enterprise.backups.models import Backup
from enterprise.backups.retention import backups_to_keep
from enterprise.backups.services import backup_org
from enterprise.tenants.models import Organization

logger = logging.getLogger(__name__)


@dataclass
class NightlyReport:
    """Slugs backed up, slugs that failed ({slug: message}), and how many old archives were removed."""

    backed_up: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    pruned: int = 0


def backup_prune(*, organization_slug: str) -> int:
    """Remove the organisation's archives that retention no longer keeps (AISER_BACKUP_KEEP_DAILY,
    _WEEKLY, _MONTHLY); returns how many were removed. The records stay, marked deleted."""
    live = list(Backup.objects.filter(organization_slug=organization_slug, deleted_at__isnull=True))
    keep = backups_to_keep(
        ((backup.pk, backup.created_at) for backup in live),
        daily=settings.AISER_BACKUP_KEEP_DAILY,
        weekly=settings.AISER_BACKUP_KEEP_WEEKLY,
        monthly=settings.AISER_BACKUP_KEEP_MONTHLY,
    )
    removed = 0
    for backup in live:
        if backup.pk in keep or backup.kind == Backup.Kind.MANUAL:
            continue  # archives an operator made by hand are theirs to remove
        storage.remove(backup.location)
        with transaction.atomic():
            Backup.objects.filter(pk=backup.pk).update(deleted_at=timezone.now())
        removed += 1
    return removed


def backup_all() -> NightlyReport:
    """Back up every organisation that is not deleted, then prune each one's old archives. One
    organisation's failure is logged and reported; the others still run."""
    report = NightlyReport()
    organizations = Organization.objects.exclude(schema_name=get_public_schema_name()).filter(
        deletion__isnull=True
    )
    for organization in organizations.order_by("pk"):
        try:
            backup_org(organization=organization, kind=Backup.Kind.DAILY)
        except AiserError as error:
            logger.error("backup of %s failed: %s", organization.slug, error.message)
            report.failed[organization.slug] = error.message
            continue
        report.backed_up.append(organization.slug)
        report.pruned += backup_prune(organization_slug=organization.slug)
    return report
