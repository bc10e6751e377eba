"""The mail worker: sends the outbox (navportal.mail) — one round with --once (cron), or a loop (a process
beside gunicorn, and beside runserver in `make run`).

It runs on one host only. On PostgreSQL it holds a session-level advisory lock (pg_try_advisory_lock) for
its whole life: the lock lives in the database, so a second worker on any host finds it taken and stops
(--once: quietly, exit 0, as cron expects; the loop: with an error). The lock goes with the worker's
connection, so a worker that dies frees it at once; if the connection breaks, the worker stops with an error
and its supervisor starts it again, taking the lock anew. On SQLite (development, one host by definition)
a file lock in var/ (var/mail-worker.lock) plays the same part (post_office's FileLock).
"""

import os
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from post_office.lockfile import FileLock, FileLocked

from navportal.dbfeatures import postgresql_path
from navportal.mail import outbox_send

# pg_try_advisory_lock's key: any number no other part of the portal uses ("navmail" in ASCII).
ADVISORY_KEY = 0x6E61766D61696C


class Command(BaseCommand):
    help = "Send the mail outbox: loop until stopped, or one round with --once."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="send what is due, then stop (for cron)")
        parser.add_argument("--sleep", type=float, default=settings.MAIL_WORKER_SLEEP,
                            help="seconds between rounds of the loop")

    def handle(self, *args, once=False, sleep=5, **options):
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        if postgresql_path(connection):
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
                (locked,) = cursor.fetchone()
            if not locked:
                return self._taken(once)
            try:
                return self._run(once, sleep)
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])
        lock_name = os.path.join(settings.VAR_DIR, "mail-worker")
        try:
            with FileLock(lock_name):
                return self._run(once, sleep)
        except FileLocked:
            return self._taken(once)

    def _taken(self, once):
        message = "another mail worker holds the lock; this one stops"
        if once:
            self.stdout.write(message)
            return
        raise CommandError(message)

    def _stop(self, signum, frame):
        self.stopping = True

    def _run(self, once, sleep):
        while True:
            sent, failed, requeued = outbox_send()
            if sent or failed or requeued:
                self.stdout.write(f"mail: {sent} sent, {requeued} to be tried again, {failed} failed")
            if once or self.stopping:
                return
            # Short sleeps, so that SIGTERM (runserver's end in `make run`, systemd's stop) ends it promptly.
            deadline = time.monotonic() + sleep
            while time.monotonic() < deadline and not self.stopping:
                time.sleep(min(0.5, sleep))
            if self.stopping:
                return
