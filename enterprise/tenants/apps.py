# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "enterprise.tenants"
    label = "tenants"
    verbose_name = "Organisations"

    def ready(self) -> None:
        from chat2chart.core import hooks
        from enterprise.tenants import hosts, workspace  # noqa: F401 - hosts: cache invalidation

        hooks.register(
            current_workspace=workspace.current_workspace,
            workspace_context=workspace.workspace_context,
            scope_context=workspace.scope_context,
            workspace_info=workspace.workspace_info,
            list_workspaces=workspace.list_workspaces,
            workspace_people=workspace.workspace_people,
        )
