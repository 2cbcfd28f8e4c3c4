# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "enterprise.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from chat2chart.core import hooks
        from enterprise.audit.services import audit_entry_record

        hooks.register(audit_sink=audit_entry_record)
