"""Health checks (django-health-check) for the load balancer and for monitoring; docs/deployment.md.

- `/health/` is the balancer's: can this server serve? The database answers `SELECT 1`, the default cache
  stores and reads a key (Redis with CACHE_URL), the upload storage takes, reads and deletes a file. A server
  that fails one is taken out of rotation while the others go on.
- `/health/outbox/` is monitoring's: is the mail worker sending? It fails when a mail has been due for more than
  HEALTH_OUTBOX_MAX_AGE_MINUTES. It is not part of the balancer's check on purpose: the worker is one process
  for all servers, so its absence would fail every server's check at once and the balancer would take the
  whole portal offline over a delay of mail.

Both are public (a balancer does not sign in) and so answer, in JSON, text or a small page, nothing but each
check's name and "working" or "unavailable": why a check failed (a database error naming its host, a path)
goes only to the log, where django-health-check writes it and the formatter redacts it like every line.
"""

import dataclasses
import datetime

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from health_check import checks
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from .mail import oldest_waiting_since

WORKING, UNAVAILABLE = "working", "unavailable"


@dataclasses.dataclass
class Database(checks.Database):
    """The library's `SELECT 1`, run in the request's own thread, on the connection it already has.

    The library runs a synchronous check in a thread of its own, which would open and close a database
    connection of its own at every probe (and, in the tests, would see nothing of the test's transaction).
    """

    async def run(self):
        await sync_to_async(super().run)()


@dataclasses.dataclass
class Outbox(HealthCheck):
    """Fails when a mail has been due for more than HEALTH_OUTBOX_MAX_AGE_MINUTES without being sent: the mail
    worker (`manage.py mail_worker`) is not running, or cannot keep up. A relay that refuses mail does not
    make it fail: the worker moves each failed mail to a later try (navportal.mail.oldest_waiting_since)."""

    async def run(self):
        await sync_to_async(self._check)()  # the request's thread and connection, as Database

    def _check(self):
        now = timezone.now()
        since = oldest_waiting_since(now)
        limit = settings.HEALTH_OUTBOX_MAX_AGE_MINUTES
        if since is not None and now - since > datetime.timedelta(minutes=limit):
            minutes = int((now - since).total_seconds() // 60)
            raise ServiceUnavailable(f"a mail has been due for {minutes} minutes (more than {limit}): "
                                     "is manage.py mail_worker running?")


SERVER_CHECKS = [Database, checks.Cache, checks.Storage]
OUTBOX_CHECKS = [Outbox]

# The checks' names in the page for people; the JSON and text answers use the fixed English names.
LABELS = {"database": _("Database"), "cache": _("Cache"), "storage": _("Upload storage"),
          "outbox": _("Mail outbox")}


class HealthView(HealthCheckView):
    """django-health-check's view (its checks, content negotiation, status 200 or 500, never cached), answering
    only each check's name and whether it works.

    JSON (`Accept: application/json` or `?format=json`): `{"database": "working", …}`; text (`text/plain`,
    `?format=text`): one `name: working` line per check; otherwise a small page in the visitor's language.
    The library's other forms (Atom, RSS, OpenMetrics) would show timings and the checks' settings: they get
    the text. The page is rendered without the request's context processors: it reads neither session nor user.
    """

    template_name = "health.html"

    def states(self):
        return {type(result.check).__name__.lower(): UNAVAILABLE if result.error else WORKING
                for result in self.results}

    def status(self):
        return 500 if any(result.error for result in self.results) else 200

    def render_to_response_json(self, status):
        return JsonResponse(self.states(), status=status)

    def render_to_response_text(self, status):
        lines = "".join(f"{name}: {state}\n" for name, state in self.states().items())
        return HttpResponse(lines, content_type="text/plain; charset=utf-8", status=status)

    def render_to_response(self, context, **response_kwargs):
        rows = [{"name": name, "label": LABELS.get(name, name), "working": state == WORKING}
                for name, state in self.states().items()]
        html = render_to_string(self.template_name, {"checks": rows, "working": self.status() == 200})
        return HttpResponse(html, status=response_kwargs.get("status", self.status()))

    def render_to_response_atom(self):
        return self.render_to_response_text(self.status())

    render_to_response_rss = render_to_response_openmetrics = render_to_response_atom
