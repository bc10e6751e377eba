"""The objector's name, phone, e-mail address and signature encrypted at rest (SPEC §11, navportal.fields): the row
identity (crypt_id) in three steps, the columns made text, the existing values encrypted."""

import uuid

from django.db import migrations, models

import navportal.fields
from navportal.fields import encrypt_existing, fill_identities


class Migration(migrations.Migration):

    dependencies = [
        ("review", "0008_objection_confirmation"),
    ]

    operations = [
        migrations.AddField(model_name="objection", name="crypt_id",
                            field=models.UUIDField(null=True, editable=False)),
        fill_identities("review", ["objection"]),
        migrations.AlterField(model_name="objection", name="crypt_id",
                              field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False)),
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
