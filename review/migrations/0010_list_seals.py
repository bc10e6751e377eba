"""Each published list — a public notice with its entries, and so the final list it becomes — carries an HMAC-SM3
seal (SPEC §11, GB/T 39786-2021: integrity of important data) under a key outside the database:
review.models.notice_seal_content says what it covers. The notices already published are sealed as found
(navportal.seals.add_seals)."""

from django.db import migrations

from navportal.seals import add_seals


class Migration(migrations.Migration):
    dependencies = [("review", "0009_encrypted_personal_data")]
    operations = add_seals("review", "notice", batch=100)
