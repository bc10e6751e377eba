"""An objection counts only once its e-mail address is confirmed (SPEC §7). The objections received before this
counted as they came in: they are marked confirmed at the moment they were received, each with a token hash no link
will ever carry."""

import hashlib
import secrets

from django.db import migrations, models
from django.db.models import Q


def confirm_existing(apps, schema_editor):
    Objection = apps.get_model("review", "Objection")
    for objection in Objection.objects.all():
        objection.confirmed_at = objection.confirm_by = objection.submitted_at
        objection.confirm_token_hash = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
        objection.save(update_fields=["confirmed_at", "confirm_by", "confirm_token_hash"])


class Migration(migrations.Migration):

    dependencies = [
        ("review", "0007_objection_language"),
    ]

    operations = [
        migrations.AddField(model_name="objection", name="confirmed_at",
                            field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(model_name="objection", name="confirm_by", field=models.DateTimeField(null=True)),
        migrations.AddField(model_name="objection", name="confirm_token_hash",
                            field=models.CharField(max_length=64, null=True)),
        migrations.AddField(model_name="objection", name="files_bytes",
                            field=models.PositiveBigIntegerField(default=0)),
        migrations.RunPython(confirm_existing, migrations.RunPython.noop),
        migrations.AlterField(model_name="objection", name="confirm_by", field=models.DateTimeField()),
        migrations.AlterField(model_name="objection", name="confirm_token_hash",
                              field=models.CharField(max_length=64, unique=True)),
        migrations.AlterField(model_name="objection", name="reference",
                              field=models.CharField(blank=True, max_length=20, null=True, unique=True,
                                                     verbose_name="reference number")),
        migrations.AddConstraint(model_name="objection", constraint=models.CheckConstraint(
            condition=Q(confirmed_at__isnull=True, reference__isnull=True)
            | Q(confirmed_at__isnull=False, reference__isnull=False), name="objection_reference_iff_confirmed")),
        migrations.AddConstraint(model_name="objection", constraint=models.CheckConstraint(
            condition=Q(decision="pending") | Q(confirmed_at__isnull=False), name="objection_decided_only_confirmed")),
        migrations.AddConstraint(model_name="objection", constraint=models.CheckConstraint(
            condition=Q(files_bytes__lte=20971520), name="objection_files_bounded")),
    ]
