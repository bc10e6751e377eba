"""An account request's e-mail address encrypted at rest (SPEC §11, navportal.fields): the row identity (crypt_id)
in three steps, the column made text, the existing values encrypted."""

from django.db import migrations

import navportal.fields
from navportal.fields import add_row_identities, encrypt_existing


class Migration(migrations.Migration):

    dependencies = [
        ("navportal", "0012_audit_hmac_sm3"),
    ]

    operations = [
        *add_row_identities("navportal", ["accountrequest"]),
        migrations.AlterField(model_name="accountrequest", name="email",
                              field=navportal.fields.EncryptedEmailField(max_length=254, verbose_name="e-mail")),
        encrypt_existing("navportal", {"accountrequest": ["email"]}),
    ]
