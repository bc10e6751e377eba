"""Remove the objections never confirmed whose confirmation link has expired, with their files (daily, from cron)."""

from django.core.management.base import BaseCommand

from review import national


class Command(BaseCommand):
    help = "Delete unconfirmed objections whose confirmation link expired, and their files."

    def handle(self, *args, **options):
        removed = national.objections_purge_unconfirmed()
        self.stdout.write(f"{removed} unconfirmed objections removed")
