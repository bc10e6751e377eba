from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from navportal.backup import backup


class Command(BaseCommand):
    help = "Back up the PostgreSQL database and the uploaded files, with checksums (see docs in navportal/backup.py)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", help="Folder to write (default var/backups/<timestamp>).")

    def handle(self, *args, dir=None, **options):
        from django.conf import settings
        target = dir or str(settings.VAR_DIR / "backups" / timezone.localtime().strftime("%Y%m%d-%H%M%S"))
        try:
            manifest = backup(target)
        except Exception as exc:  # noqa: BLE001 - say what failed, in one line
            raise CommandError(f"Backup failed: {exc}") from exc
        self.stdout.write(f"Backup written to {target}: {sum(manifest['rows'].values())} rows, "
                          f"{len(manifest['files'])} files.")
