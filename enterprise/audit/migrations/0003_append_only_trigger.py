# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The audit trail is append-only: the database itself refuses UPDATE and DELETE of its rows.

The one exception is the retention job, which sets `aiser.audit_retention` to "on" for its own
transaction only (`set_config(..., true)`) before deleting expired rows; deletes only, never updates.
Created in each organisation's schema (migrations run per schema), so the function is found first on
the schema's search path.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND coalesce(current_setting('aiser.audit_retention', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit entries cannot be changed or deleted (%)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;
CREATE TRIGGER audit_entry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_entry_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_audit_origin_and_settings")]

    operations = [migrations.RunSQL(CREATE, DROP)]
