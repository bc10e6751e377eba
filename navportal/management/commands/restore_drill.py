import json

from django.core.management.base import BaseCommand, CommandError

from navportal.backup import inspect as inspect_database
from navportal.backup import restore_drill


class Command(BaseCommand):
    help = "Restore a backup into an empty scratch PostgreSQL database and check it whole; drop it afterwards."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", help="The backup folder.")
        parser.add_argument("--database", default="navportal_restore_drill", help="Scratch database name.")
        parser.add_argument("--keys", dest="key_file",
                            help="The key file kept apart from the backups (default: this server's keys).")
        parser.add_argument("--inspect", action="store_true", help="Internal: report on this database as JSON.")

    def handle(self, *args, source=None, database=None, inspect=False, key_file=None, **options):
        if inspect:
            self.stdout.write(json.dumps(inspect_database()))
            return
        if not source:
            raise CommandError("Name the backup folder with --from.")
        problems = restore_drill(source, database, key_file)
        if problems:
            raise CommandError("Restore drill FAILED:\n" + "\n".join(problems))
        self.stdout.write("Restore drill passed: checksums, migrations, row counts, the audit chain, the encrypted values and the seals (under the keys given) and the files all hold.")
