# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Hand each organisation's language-model and embedding settings to its workspace schema.

The public schema is migrated before the organisation schemas, so the values cannot be written into
them here: they are staged in `workspaces_settings_to_adopt` (public), which
`workspaces/0002_adopt_existing_settings` reads in each schema. 0005 then removes the old fields.
The staging table is dropped by a later release, once every schema has adopted its row.
"""

from django.db import migrations

_STAGE = """
    CREATE TABLE IF NOT EXISTS workspaces_settings_to_adopt AS
    SELECT schema_name, llm_model, llm_send_samples, embed_allowed_origins FROM tenants_organization
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0003_organization_llm_settings")]

    operations = [migrations.RunSQL(_STAGE, "DROP TABLE IF EXISTS workspaces_settings_to_adopt")]
