# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The organisation's own settings live in its schema now (`workspaces.WorkspaceSettings`)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tenants", "0004_stage_workspace_settings")]

    operations = [
        migrations.RemoveField(model_name="organization", name="embed_allowed_origins"),
        migrations.RemoveField(model_name="organization", name="llm_model"),
        migrations.RemoveField(model_name="organization", name="llm_send_samples"),
    ]
