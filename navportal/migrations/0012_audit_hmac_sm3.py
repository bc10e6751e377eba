"""The audit chain becomes keyed (SPEC §11, GB/T 39786-2021): HMAC-SM3 under a key outside the database instead of
an unkeyed SHA-256, which anyone able to write to the database could recompute for a forged row.

- Each row names the key its MAC was made with (`key_id`), so a rotation can re-chain under a new one.
- On PostgreSQL the trigger still refuses any UPDATE of an audit row, except of the chain's own columns
  (prev_hash, hash, key_id) inside a transaction that set `navportal.rechain` (navportal.audit.audit_rechain).
- The existing trail is re-chained once, oldest row first; the re-chain is itself the trail's newest line.
"""

from django.db import migrations, models

from navportal.dbfeatures import postgresql_path
from navportal.migrations._audit_trigger import POSTGRES_PROTECT_V1, POSTGRES_PROTECT_V2


def rechain(apps, schema_editor):
    from navportal.audit import audit_rechain, chain_content_v1, legacy_sha256

    connection = schema_editor.connection
    if postgresql_path(connection):
        schema_editor.execute(POSTGRES_PROTECT_V2)
    models = {"event_model": apps.get_model("navportal", "AuditEvent"),
              "head_model": apps.get_model("navportal", "AuditHead"), "using": connection.alias}
    record = {"username": "manage.py migrate", "action": "audit_rechain", "note": "SHA-256 → HMAC-SM3 (navportal 0012)"}
    # Where the SHA-256 chain did not hold already, the re-chain stops at that row: the rows before it are
    # re-chained, the rest keep their SHA-256, and verify_audit names the row. Never a reason to stop an upgrade.
    audit_rechain(**models, record=record, old_digest=legacy_sha256, old_content=chain_content_v1,
                  content=chain_content_v1)


def back(apps, schema_editor):
    if postgresql_path(schema_editor.connection):
        schema_editor.execute(POSTGRES_PROTECT_V1)


class Migration(migrations.Migration):
    dependencies = [("navportal", "0011_platform_identity")]
    operations = [
        migrations.AddField("auditevent", "key_id", models.CharField(blank=True, max_length=16)),
        migrations.RunPython(rechain, back),
    ]
