# SPDX-License-Identifier: MIT
"""Routes of the workspace settings API under /api/v1/."""

from django.urls import path

from chat2chart.workspaces import api

urlpatterns = [
    path("workspace/settings/", api.WorkspaceSettingsView.as_view(), name="api-workspace-settings"),
]
