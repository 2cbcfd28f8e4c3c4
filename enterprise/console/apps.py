# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The platform admin console for staff on the public host, each organisation's terms (plan
    overrides, trial), plan-driven request budgets and the daily fair-use cap on language-model tokens."""

    name = "enterprise.console"
    label = "console"
    verbose_name = "Platform console"

    def ready(self) -> None:
        from chat2chart.core import hooks
        from enterprise.console.limits import organisation_rate

        hooks.register(organisation_rate=organisation_rate)
