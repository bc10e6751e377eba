"""A submitted version's content epoch: a counter the database itself moves with every change of the row, whoever
writes, so that the pages showing the versions can keep each seal's verdict under it (navportal.seals.
cached_verdicts) instead of reading and verifying every version's whole content on every request."""

from django.db import migrations, models

from navportal.seals import epoch_trigger


class Migration(migrations.Migration):
    dependencies = [("applications", "0015_version_seal")]
    operations = [
        migrations.AddField("applicationversion", "content_epoch", models.BigIntegerField(default=0, editable=False)),
        epoch_trigger("applications_applicationversion"),
    ]
