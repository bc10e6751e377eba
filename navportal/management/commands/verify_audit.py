from django.core.management.base import BaseCommand, CommandError

from navportal.audit import audit_verify


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; name the first broken link."

    def handle(self, *args, **options):
        checked, broken = audit_verify()
        if broken == "end":
            raise CommandError(f"The audit trail's newest rows are missing: {checked} rows check out, but the chain "
                               f"head points past the last one.")
        if broken is not None:
            raise CommandError(f"The audit trail is broken at event #{broken} ({checked} earlier rows check out).")
        self.stdout.write(f"The audit trail is intact: {checked} rows checked.")
