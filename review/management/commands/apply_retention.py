"""Daily (for cron, beside send_reminders): remove the personal information whose retention period has ended
(review.retention, the periods in settings PRIVACY_*, stated on the rules page). Prints what it did; a second run
the same day finds nothing more."""

from django.core.management.base import BaseCommand

from review.retention import retention_apply


class Command(BaseCommand):
    help = "Remove the personal information whose retention period has ended (个人信息保护法 Art. 19)."

    def handle(self, *args, **options):
        self.stdout.write(f"{retention_apply()}.")
