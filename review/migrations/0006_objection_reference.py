"""Every accepted objection gets its reference number (受理编号); the objections received before are numbered in
the order they were received, year by year, and the counters continue from there."""

from django.db import migrations, models
from django.utils import timezone


def number_existing(apps, schema_editor):
    Objection = apps.get_model("review", "Objection")
    ReferenceCounter = apps.get_model("navportal", "ReferenceCounter")
    last = {}
    for objection in Objection.objects.order_by("submitted_at", "pk"):
        year = timezone.localtime(objection.submitted_at).year
        last[year] = last.get(year, 0) + 1
        objection.reference = f"YY-{year}-{last[year]:06d}"
        objection.save(update_fields=["reference"])
    for year, number in last.items():
        ReferenceCounter.objects.update_or_create(series="YY", year=year, defaults={"last": number})


class Migration(migrations.Migration):

    dependencies = [
        ('review', '0005_versions'),
        ('navportal', '0007_reference_counter'),
    ]

    operations = [
        migrations.AddField(
            model_name='objection',
            name='reference',
            field=models.CharField(max_length=20, null=True, verbose_name='reference number'),
        ),
        migrations.RunPython(number_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='objection',
            name='reference',
            field=models.CharField(max_length=20, unique=True, verbose_name='reference number'),
        ),
    ]
