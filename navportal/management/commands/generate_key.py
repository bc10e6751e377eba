from django.core.management.base import BaseCommand, CommandError

from navportal.keys import new_key_line


class Command(BaseCommand):
    help = ("Print a new key line (id:hex, 32 random bytes) for NAVPORTAL_KEY_FILE or NAVPORTAL_KEYS. To rotate, put "
            "it first in the key file, reload the servers, run rotate_keys, then remove the old line "
            "(docs/cryptography.md).")

    def add_arguments(self, parser):
        parser.add_argument("--id", help="the key's id (1-16 letters, digits, - or _; default: k + the time)")

    def handle(self, *args, **options):
        try:
            self.stdout.write(new_key_line(options["id"]))
        except ValueError as error:
            raise CommandError(str(error)) from None
