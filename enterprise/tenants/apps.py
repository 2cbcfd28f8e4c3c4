# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "enterprise.tenants"
    label = "tenants"
    verbose_name = "Organisations"

    def ready(self) -> None:
        from chat2chart.core import hooks
        from enterprise.tenants import embedding, workspace

        hooks.register(
            current_workspace=workspace.current_workspace,
            workspace_context=workspace.workspace_context,
            scope_context=workspace.scope_context,
            workspace_info=workspace.workspace_info,
            list_workspaces=workspace.list_workspaces,
            llm_overrides=workspace.llm_overrides,
            embed_allowed_origins=embedding.embed_allowed_origins,
            store_embed_allowed_origins=embedding.store_embed_allowed_origins,
        )
