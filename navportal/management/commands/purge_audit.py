import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from navportal.models import AuditEvent

RETENTION_DAYS = 180  # 网络安全法 Art. 21: network logs are kept at least six months


class Command(BaseCommand):
    help = "Delete audit events older than --before (a date); refuses anything younger than 180 days."

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, type=datetime.date.fromisoformat,
                            help="Delete events before this date (YYYY-MM-DD).")

    def handle(self, *args, before, **options):
        limit = timezone.localdate() - datetime.timedelta(days=RETENTION_DAYS)
        if before > limit:
            raise CommandError(f"Audit events are kept at least {RETENTION_DAYS} days: --before must be {limit} "
                               f"or earlier.")
        cutoff = timezone.make_aware(datetime.datetime.combine(before, datetime.time.min))
        with transaction.atomic():
            # A raw delete: the model refuses deletes on purpose; the PostgreSQL trigger checks the age again.
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE at < %s", [cutoff])
                deleted = cursor.rowcount
        self.stdout.write(f"{deleted} audit events before {before} deleted.")
