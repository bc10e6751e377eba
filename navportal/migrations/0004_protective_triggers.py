"""PostgreSQL triggers: the database itself refuses to rewrite the audit trail or delete what was submitted.

- An audit row can never be updated, and deleted only once older than the retention period (180 days,
  网络安全法 Art. 21) — the purge command's job.
- A submitted application (any state but draft) can never be deleted.
SQLite has no such triggers here; the models refuse the same in Python. A PostgreSQL-compatible database gets
them whatever its backend's vendor name (navportal.dbfeatures).
"""

from django.db import migrations

from navportal.dbfeatures import postgresql_path

RETENTION_DAYS = 180

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION navportal_audit_protect() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit events are append-only';
    END IF;
    IF OLD.at > now() - interval '{RETENTION_DAYS} days' THEN
        RAISE EXCEPTION 'audit events younger than {RETENTION_DAYS} days cannot be deleted';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS navportal_audit_protect ON navportal_auditevent;
CREATE TRIGGER navportal_audit_protect BEFORE UPDATE OR DELETE ON navportal_auditevent
    FOR EACH ROW EXECUTE FUNCTION navportal_audit_protect();

CREATE OR REPLACE FUNCTION applications_keep_submitted() RETURNS trigger AS $$
BEGIN
    IF OLD.state <> 'draft' THEN
        RAISE EXCEPTION 'a submitted application is never deleted';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS applications_keep_submitted ON applications_application;
CREATE TRIGGER applications_keep_submitted BEFORE DELETE ON applications_application
    FOR EACH ROW EXECUTE FUNCTION applications_keep_submitted();
"""

POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS navportal_audit_protect ON navportal_auditevent;
DROP FUNCTION IF EXISTS navportal_audit_protect();
DROP TRIGGER IF EXISTS applications_keep_submitted ON applications_application;
DROP FUNCTION IF EXISTS applications_keep_submitted();
"""


def up(apps, schema_editor):
    if postgresql_path(schema_editor.connection):
        schema_editor.execute(POSTGRES_UP)


def down(apps, schema_editor):
    if postgresql_path(schema_editor.connection):
        schema_editor.execute(POSTGRES_DOWN)


class Migration(migrations.Migration):
    dependencies = [("navportal", "0003_admin_roles_and_audit_chain"), ("applications", "0007_route_label")]
    operations = [migrations.RunPython(up, down)]
