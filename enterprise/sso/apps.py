# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "enterprise.sso"
    label = "sso"
    verbose_name = "Single sign-on"

    def ready(self) -> None:
        from enterprise.sso import selectors  # noqa: F401 - cache invalidation receivers
