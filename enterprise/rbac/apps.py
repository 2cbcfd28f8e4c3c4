# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.apps import AppConfig


class RbacConfig(AppConfig):
    name = "enterprise.rbac"
    label = "rbac"
    verbose_name = "Roles and API keys"

    def ready(self) -> None:
        from chat2chart.core import hooks
        from enterprise.rbac import cached, sandboxes, schema  # noqa: F401 - cache invalidation; the OpenAPI extension
        from enterprise.rbac.access import visible
        from enterprise.rbac.policy import role_of, role_policy

        hooks.register(permission_policy=role_policy, member_role=role_of, visible=visible)
