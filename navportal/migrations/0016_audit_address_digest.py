"""The audit chain covers a keyed digest of each line's client address instead of the address (issue 18, 个人信息保护法
Art. 19): retention removes an objector's address from the trail once its period ends, and the chain still holds.

- `ip_digest`: HMAC-SM3 of the address under the row's audit key (navportal.audit.address_digest);
- the existing trail is checked as it was (its hash over the address itself) and re-chained once, oldest row first,
  over the digest; the re-chain is the trail's newest line;
- on PostgreSQL the trigger lets a re-chain change the digest too, and lets retention set an address to NULL (and
  nothing else) while `navportal.forget` is set; every such removal is named by an audit line, and verify_audit
  breaks at a removed address that no line names.
"""

from django.db import migrations, models

from navportal.dbfeatures import postgresql_path
from navportal.migrations._audit_trigger import POSTGRES_PROTECT_V2, POSTGRES_PROTECT_V3


def rechain(apps, schema_editor):
    from navportal.audit import audit_rechain, chain_content, chain_content_v1

    connection = schema_editor.connection
    if postgresql_path(connection):
        schema_editor.execute(POSTGRES_PROTECT_V3)
    models = {"event_model": apps.get_model("navportal", "AuditEvent"),
              "head_model": apps.get_model("navportal", "AuditHead"), "using": connection.alias}
    record = {"username": "manage.py migrate", "action": "audit_rechain",
              "note": "address → its keyed digest (navportal 0016)"}
    # A row that did not hold already stops the re-chain there, as in 0012: verify_audit names it.
    audit_rechain(**models, record=record, old_content=chain_content_v1, content=chain_content)


def back(apps, schema_editor):
    """Back to a chain over the address itself (a removed address stays removed)."""
    from navportal.audit import audit_rechain, chain_content, chain_content_v1

    connection = schema_editor.connection
    if postgresql_path(connection):
        schema_editor.execute(POSTGRES_PROTECT_V2)
    audit_rechain(event_model=apps.get_model("navportal", "AuditEvent"),
                  head_model=apps.get_model("navportal", "AuditHead"), using=connection.alias,
                  old_content=chain_content, content=chain_content_v1)


class Migration(migrations.Migration):
    dependencies = [("navportal", "0015_privacy_acknowledgement")]
    operations = [
        migrations.AddField("auditevent", "ip_digest", models.CharField(blank=True, max_length=64)),
        migrations.RunPython(rechain, back),
    ]
