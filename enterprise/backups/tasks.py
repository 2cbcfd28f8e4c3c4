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


@shared_task(name="backups.backup_one")
def backup_one(slug: str) -> int:
    """One organisation's backup, started by platform staff from the console. Returns the Backup id."""
    from enterprise.backups.services import backup_org
    from enterprise.tenants.models import Organization

    return backup_org(organization=Organization.objects.get(slug=slug)).pk


@shared_task(name="backups.restore_as")
def restore_as(location: str, as_slug: str, actor_id: int | None = None) -> str:
    """Restore an archive into a new organisation `as_slug` beside the original (started from the
    console). Returns the new organisation's slug."""
    from django.contrib.auth import get_user_model

    from enterprise.backups.services import start_restore

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    start_restore(location=location, as_slug=as_slug, actor=actor)
    return as_slug
