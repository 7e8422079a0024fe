"""On PostgreSQL, refuse UPDATE and DELETE of audit rows from any client, not only the ORM."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION ops_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ops_auditevent_append_only
    BEFORE UPDATE OR DELETE ON ops_auditevent
    FOR EACH ROW EXECUTE FUNCTION ops_audit_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS ops_auditevent_append_only ON ops_auditevent;
DROP FUNCTION IF EXISTS ops_audit_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("ops", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
