"""Personal data of natural persons encrypted at rest (SPEC §11, navportal.fields): the contact's phones and
e-mail address, the roster's names, a pending registration's address, and the submitted versions (their content
and print view hold the same values).

Each model gets its row identity (crypt_id) in three steps — nullable, filled row by row, then unique and
required —, its columns become text, and the existing values are encrypted under the current key."""

from django.db import migrations

import navportal.fields
from navportal.fields import add_row_identities, encrypt_existing

ENCRYPTED = {
    "application": ["contact_mobile", "contact_phone", "contact_email"],
    "staffmember": ["name"],
    "pendingregistration": ["email"],
    "applicationversion": ["data", "print_html"],
}


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0013_organisation_verification"),
    ]

    operations = [
        *add_row_identities("applications", list(ENCRYPTED)),
        migrations.AlterField(
            model_name="application", name="contact_mobile",
            field=navportal.fields.EncryptedCharField(blank=True, max_length=11, verbose_name="mobile phone")),
        migrations.AlterField(
            model_name="application", name="contact_phone",
            field=navportal.fields.EncryptedCharField(blank=True, max_length=20, verbose_name="landline")),
        migrations.AlterField(
            model_name="application", name="contact_email",
            field=navportal.fields.EncryptedEmailField(blank=True, max_length=254, verbose_name="e-mail")),
        migrations.AlterField(
            model_name="staffmember", name="name",
            field=navportal.fields.EncryptedCharField(blank=True, max_length=60, verbose_name="full name")),
        migrations.AlterField(
            model_name="pendingregistration", name="email",
            field=navportal.fields.EncryptedEmailField(max_length=150)),
        migrations.AlterField(
            model_name="applicationversion", name="data", field=navportal.fields.EncryptedJSONField()),
        migrations.AlterField(
            model_name="applicationversion", name="print_html", field=navportal.fields.EncryptedTextField(blank=True)),
        encrypt_existing("applications", ENCRYPTED),
    ]
