# SPDX-License-Identifier: MIT
"""Embed origins now live in `workspaces.WorkspaceSettings` (copied there by its 0002)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0002_owner_do_nothing"),
        ("workspaces", "0002_adopt_existing_settings"),
    ]

    operations = [migrations.RemoveField(model_name="embedsettings", name="allowed_origins")]
