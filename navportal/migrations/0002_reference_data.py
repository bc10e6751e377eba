"""Loads the provinces, cities (GB/T 2260) and ministries: reference data every installation needs."""

from django.db import migrations

from navportal.ministries_data import MINISTRIES
from navportal.regions_data import CITIES, PROVINCES


def load(apps, schema_editor):
    Province = apps.get_model("navportal", "Province")
    City = apps.get_model("navportal", "City")
    Ministry = apps.get_model("navportal", "Ministry")
    provinces = {code: Province.objects.update_or_create(code=code, defaults={"name": name, "name_en": en})[0]
                 for code, name, en in PROVINCES}
    for code, name, en, province_code in CITIES:
        City.objects.update_or_create(code=code, defaults={
            "name": name, "name_en": en, "province": provinces[province_code]})
    for code, name, en in MINISTRIES:
        Ministry.objects.update_or_create(code=code, defaults={"name": name, "name_en": en})


class Migration(migrations.Migration):
    dependencies = [("navportal", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
