# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit trail; it listens to the core's audit hook through `AISER_HOOK_PLUGINS["audit"]`."""

    name = "enterprise.audit"
    label = "audit"
    verbose_name = "Audit trail"
