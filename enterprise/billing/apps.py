# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Usage metering and plan limits; they answer the core's usage and limits hooks through
    `AISER_HOOK_PLUGINS`."""

    name = "enterprise.billing"
    label = "billing"
    verbose_name = "Billing and usage"
