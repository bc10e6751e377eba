"""The objector's name, phone, e-mail address and signature encrypted at rest (SPEC §11, navportal.fields): the row
identity (crypt_id) in three steps, the columns made text, the existing values encrypted."""

from django.db import migrations

import navportal.fields
from navportal.fields import add_row_identities, encrypt_existing


class Migration(migrations.Migration):

    dependencies = [
        ("review", "0008_objection_confirmation"),
    ]

    operations = [
        *add_row_identities("review", ["objection"]),
        migrations.AlterField(model_name="objection", name="name",
                              field=navportal.fields.EncryptedCharField(max_length=200, verbose_name="name")),
        migrations.AlterField(model_name="objection", name="phone",
                              field=navportal.fields.EncryptedCharField(max_length=20, verbose_name="phone")),
        migrations.AlterField(model_name="objection", name="email",
                              field=navportal.fields.EncryptedEmailField(max_length=254, verbose_name="e-mail")),
        migrations.AlterField(model_name="objection", name="signature",
                              field=navportal.fields.EncryptedCharField(blank=True, max_length=60,
                                                                        verbose_name="signature")),
        encrypt_existing("review", {"objection": ["name", "phone", "email", "signature"]}),
    ]
