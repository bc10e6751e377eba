"""An account request's e-mail address encrypted at rest (SPEC §11, navportal.fields): the row identity (crypt_id)
in three steps, the column made text, the existing values encrypted."""

import uuid

from django.db import migrations, models

import navportal.fields
from navportal.fields import encrypt_existing, fill_identities


class Migration(migrations.Migration):

    dependencies = [
        ("navportal", "0012_audit_hmac_sm3"),
    ]

    operations = [
        migrations.AddField(model_name="accountrequest", name="crypt_id",
                            field=models.UUIDField(null=True, editable=False)),
        fill_identities("navportal", ["accountrequest"]),
        migrations.AlterField(model_name="accountrequest", name="crypt_id",
                              field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False)),
        migrations.AlterField(model_name="accountrequest", name="email",
                              field=navportal.fields.EncryptedEmailField(max_length=254, verbose_name="e-mail")),
        encrypt_existing("navportal", {"accountrequest": ["email"]}),
    ]
