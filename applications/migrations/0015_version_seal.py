"""Each frozen application version carries an HMAC-SM3 seal (SPEC §11, GB/T 39786-2021: integrity of important
data) under a key outside the database: applications.models.version_seal_content says what it covers.

The versions already submitted are sealed here, in batches, under the key ring's current key at migration time:
they are sealed as they are found (whatever happened to them before cannot be known now), and from here on any
change by SQL is seen.
"""

from django.db import migrations, models


def seal_existing(apps, schema_editor):
    from navportal.seals import seal_all

    seal_all(apps.get_model("applications", "ApplicationVersion"), using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    # 0014 is another branch's (issue 16, encrypted fields): re-pointed when both are merged.
    dependencies = [("applications", "0014_encrypted_personal_data")]
    operations = [
        migrations.AddField("applicationversion", "seal", models.CharField(blank=True, max_length=64)),
        migrations.AddField("applicationversion", "seal_key_id", models.CharField(blank=True, max_length=16)),
        migrations.RunPython(seal_existing, migrations.RunPython.noop, elidable=True),
    ]
