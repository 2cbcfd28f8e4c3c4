# SPDX-License-Identifier: MIT
"""Each workspace's settings row, filled with what it chose before this app existed.

Two earlier homes: the core kept embed origins on `dashboards.EmbedSettings`; an edition that kept
settings elsewhere (enterprise: on the organisation, in the public schema) leaves one row per schema
in `public.workspaces_settings_to_adopt` (schema_name, llm_model, llm_send_samples,
embed_allowed_origins). That table is filled before any workspace schema is migrated, because the
public schema is always migrated first; this migration then runs once in each workspace's schema.
"""

import json

from django.db import migrations

_STAGED = "public.workspaces_settings_to_adopt"


def _staged_row(connection) -> tuple | None:  # noqa: ANN001 - a database connection
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [_STAGED])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(
            f"SELECT llm_model, llm_send_samples, embed_allowed_origins::text FROM {_STAGED} WHERE schema_name = %s",  # noqa: S608 - a constant
            [getattr(connection, "schema_name", "public")],
        )
        return cursor.fetchone()


def adopt(apps, schema_editor) -> None:  # noqa: ANN001 - the migration framework's signature
    WorkspaceSettings = apps.get_model("workspaces", "WorkspaceSettings")
    EmbedSettings = apps.get_model("dashboards", "EmbedSettings")
    embed = EmbedSettings.objects.order_by("pk").first()
    values = {"embed_allowed_origins": list(embed.allowed_origins) if embed else []}
    staged = _staged_row(schema_editor.connection)
    if staged is not None:
        llm_model, llm_send_samples, origins = staged
        values = {
            "llm_model": llm_model or "",
            "llm_send_samples": llm_send_samples,
            "embed_allowed_origins": list(json.loads(origins or "[]")),
        }
    if any(values.values()) or values.get("llm_send_samples") is not None:
        WorkspaceSettings.objects.update_or_create(pk=1, defaults=values)


class Migration(migrations.Migration):
    dependencies = [
        ("workspaces", "0001_initial"),
        ("dashboards", "0002_owner_do_nothing"),
    ]

    operations = [migrations.RunPython(adopt, migrations.RunPython.noop)]
