# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "enterprise.billing"
    label = "billing"
    verbose_name = "Billing and usage"

    def ready(self) -> None:
        from chat2chart.core import hooks
        from enterprise.billing.services import usage_limit_check, usage_record

        hooks.register(usage_sink=usage_record, limit_check=usage_limit_check)
