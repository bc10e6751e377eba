"""Each frozen application version carries an HMAC-SM3 seal (SPEC §11, GB/T 39786-2021: integrity of important
data) under a key outside the database: applications.models.version_seal_content says what it covers. The versions
already submitted are sealed as found (navportal.seals.add_seals)."""

from django.db import migrations

from navportal.seals import add_seals


class Migration(migrations.Migration):
    dependencies = [("applications", "0014_encrypted_personal_data")]
    operations = add_seals("applications", "applicationversion")
