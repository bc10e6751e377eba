"""The accounts' e-mail addresses encrypted at rest (SPEC §11, navportal.fields), found by their blind index, and
no user name an e-mail address (navportal.identifiers).

The row identity (crypt_id) in three steps; the column made text and the addresses encrypted; the blind index
added and filled; then every account whose user name holds "@" (a contact's: the address was the user name) gets
an opaque one — its holder signs in with the address as before. Last, one account per address: a deployment
where two accounts share an address is told which, and the migration stops (its transaction rolled back, nothing
changed) until the addresses are told apart.

Backwards, contacts' opaque user names become their addresses again (as before this step), and the addresses are
decrypted back into the column."""

from django.db import migrations, models

import navportal.fields
from navportal.fields import add_row_identities, blind_index, encrypt_existing

BATCH = 500


def _rows(queryset):
    for rows in navportal.fields._batches(queryset, BATCH):
        yield from rows


def _opaque(manager, role):
    from navportal.identifiers import opaque_username

    prefix = "contact-" if role == "applicant" else "account-"
    while True:
        name = opaque_username(prefix)
        if not manager.filter(username__iexact=name).exists():
            return name


def index_and_rename(apps, schema_editor):
    User = apps.get_model("navportal", "User")
    manager = User._base_manager
    holders = {}
    for user in _rows(manager):
        # The historical model carries the encrypted field: reading decrypts what encrypt_existing just wrote.
        updates = {"email_index": blind_index(user.email)}
        if "@" in user.username:
            updates["username"] = _opaque(manager, user.role)
        manager.filter(pk=user.pk).update(**updates)
        if updates["email_index"]:
            holders.setdefault(updates["email_index"], []).append(updates.get("username", user.username))
    shared = [names for names in holders.values() if len(names) > 1]
    if shared:
        raise RuntimeError(
            "navportal 0014: an e-mail address now signs in one account, but these accounts share one: "
            + "; ".join(", ".join(names) for names in shared)
            + ". Give each its own address (or blank it), then migrate again.")
    navportal.fields._checked_now(schema_editor)


def usernames_back(apps, schema_editor):
    User = apps.get_model("navportal", "User")
    manager = User._base_manager
    for user in _rows(manager.filter(role="applicant", username__startswith="contact-")):
        if user.email:
            manager.filter(pk=user.pk).update(username=user.email.lower())
    navportal.fields._checked_now(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0015_version_seal"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("navportal", "0013_encrypted_personal_data"),
    ]

    operations = [
        *add_row_identities("navportal", ["user"]),
        migrations.AlterField(
            model_name="user", name="email",
            field=navportal.fields.EncryptedEmailField(blank=True, max_length=254, verbose_name="e-mail")),
        encrypt_existing("navportal", {"user": ["email"]}),
        migrations.AddField(model_name="user", name="email_index",
                            field=navportal.fields.BlindIndexField(source="email")),
        migrations.RunPython(index_and_rename, usernames_back),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(condition=models.Q(("email_index", ""), _negated=True),
                                               fields=("email_index",), name="user_email_unique")),
    ]
