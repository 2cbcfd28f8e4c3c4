# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.apps import AppConfig


class BackupsConfig(AppConfig):
    """Per-organisation backups and restores, their records and retention, and soft-deleted
    organisations kept for a grace period (the public schema: they outlive the organisation)."""

    name = "enterprise.backups"
    label = "backups"
    verbose_name = "Backups and recovery"
