# SPDX-License-Identifier: MIT
from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "chat2chart.workspaces"
    label = "workspaces"
    verbose_name = "Workspace settings"
