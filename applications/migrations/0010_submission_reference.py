"""Every submitted version gets its reference number (受理编号); the versions submitted before are numbered in
the order they were submitted, year by year, and the counters continue from there."""

from django.db import migrations, models
from django.utils import timezone


def number_existing(apps, schema_editor):
    ApplicationVersion = apps.get_model("applications", "ApplicationVersion")
    ReferenceCounter = apps.get_model("navportal", "ReferenceCounter")
    last = {}
    for version in ApplicationVersion.objects.order_by("submitted_at", "pk"):
        year = timezone.localtime(version.submitted_at).year
        last[year] = last.get(year, 0) + 1
        version.reference = f"SB-{year}-{last[year]:06d}"
        version.save(update_fields=["reference"])
    for year, number in last.items():
        ReferenceCounter.objects.update_or_create(series="SB", year=year, defaults={"last": number})


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0009_numbers_not_negative'),
        ('navportal', '0007_reference_counter'),
    ]

    operations = [
        migrations.AddField(
            model_name='applicationversion',
            name='reference',
            field=models.CharField(max_length=20, null=True, verbose_name='reference number'),
        ),
        migrations.RunPython(number_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='applicationversion',
            name='reference',
            field=models.CharField(max_length=20, unique=True, verbose_name='reference number'),
        ),
    ]
