# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Celery beat entry points of backups. Thin: call the service (public schema, no organisation)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from celery import shared_task

from enterprise.backups.deletion import organization_purge_due
from enterprise.backups.schedule import backup_all as nightly


@shared_task(name="backups.backup_all")
def backup_all() -> dict[str, Any]:
    """Nightly (CELERY_BEAT_SCHEDULE["backup-organisations"]): back up every organisation, prune old
    archives. Returns the report ({"backed_up": [...], "failed": {...}, "pruned": n})."""
    return asdict(nightly())


@shared_task(name="backups.purge_deleted")
def purge_deleted() -> list[str]:
    """Hourly: purge deleted organisations past their grace period; returns their slugs."""
    return organization_purge_due()
