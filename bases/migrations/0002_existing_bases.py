"""The bases designated before the portal kept them: one per application already designated, from its entry on the
confirmed list (the designations themselves are in the audit trail already)."""

from django.db import migrations


def make(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    Base = apps.get_model("bases", "Base")
    rows = Application.objects.filter(state="designated", base__isnull=True,
                                      notice_entry__notice__confirmed_at__isnull=False).select_related(
        "notice_entry", "notice_entry__notice")
    Base.objects.bulk_create(
        Base(application=a, entry=a.notice_entry, organisation_id=a.organisation_id, province_id=a.province_id,
             ministry_id=a.ministry_id if a.route == "ministry" else None, name=a.notice_entry.name,
             industry=a.notice_entry.industry, document_number=a.notice_entry.notice.final_document_number,
             designated_on=a.notice_entry.notice.final_document_date)
        for a in rows.iterator(chunk_size=500))


class Migration(migrations.Migration):
    dependencies = [("bases", "0001_initial"), ("applications", "0018_retention"), ("review", "0013_retention")]
    operations = [migrations.RunPython(make, migrations.RunPython.noop)]
