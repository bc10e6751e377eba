"""Each published list — a public notice with its entries, and so the final list it becomes — carries an HMAC-SM3
seal (SPEC §11, GB/T 39786-2021: integrity of important data) under a key outside the database:
review.models.notice_seal_content says what it covers.

The notices already published are sealed here, in batches, under the key ring's current key at migration time, as
they are found; from here on any change by SQL is seen.
"""

from django.db import migrations, models


def seal_existing(apps, schema_editor):
    from navportal.seals import seal_all

    seal_all(apps.get_model("review", "Notice"), batch=100, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    # 0009 is another branch's (issue 16, encrypted fields): re-pointed when both are merged.
    dependencies = [("review", "0009_encrypted_personal_data")]
    operations = [
        migrations.AddField("notice", "seal", models.CharField(blank=True, max_length=64)),
        migrations.AddField("notice", "seal_key_id", models.CharField(blank=True, max_length=16)),
        migrations.RunPython(seal_existing, migrations.RunPython.noop, elidable=True),
    ]
