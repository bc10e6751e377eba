from django.db import models


class Row(models.Model):
    """The portal's organisations, read-only: rows with real names on the same database."""

    name = models.CharField(max_length=200)
    credit_code = models.CharField(max_length=18)

    class Meta:
        managed = False
        db_table = "applications_organisation"
