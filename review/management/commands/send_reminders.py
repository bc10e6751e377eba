"""Daily reminders (for cron) to the provincial and ministry bureaus whose recommendation package is still
open as its deadline comes near.

Each bureau is reminded at most once per package and day: the ReminderLog row (unique per package and
day) is written in the same transaction as the in-portal messages and the mails' outbox rows (sent by the
mail worker once it commits), so a second run — or two runs at once — the same day sends nothing more. The text is in
each reviewer's own language (User.language: Chinese unless they chose English), as every notification.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from applications.units import Unit
from navportal.models import User
from navportal.notify import lazy_text, notify
from review import deadlines
from review.models import Call, Package, PackageStatus, ReminderLog
from review.progress import unit_progress
from review.services import package_get_or_create


def _reviewers(unit):
    return User.objects.filter(unit.reviewers_q(), is_active=True).order_by("pk")


def _package_deadline(package):
    return deadlines.package_deadline(package.call, package.extended_until)


def desk_counts(calls):
    """{(call id, unit): applications waiting at that bureau's desk}, for the units with any (review.progress)."""
    return {(call.pk, row.unit): row.desk for call in calls for row in unit_progress(call) if row.desk}


def open_packages_due(*, now, today, days):
    """Open packages whose deadline (the call's, or CNIPA's extension) is due within the window
    (deadlines.due_within).

    A bureau with applications at its desk but no package yet, in a call whose deadline is in the window,
    gets its package now (created as one of its reviewers would on first use), so the reminder log can
    refer to it.
    """
    # Narrowed in the database to the calls not past their deadline; review.deadlines decides.
    calls = [c for c in Call.objects.filter(deadline__gt=now)
             if deadlines.call_window(c, now).is_open and deadlines.due_within(c.deadline, now, today, days)]
    existing = {(p.call_id, Unit.of_package(p)) for p in Package.objects.filter(call__in=calls)}
    for call_id, unit in desk_counts(calls):
        if (call_id, unit) in existing:
            continue
        actor = _reviewers(unit).first()
        if actor is not None:  # nobody to remind otherwise
            package_get_or_create(actor=actor, call=next(c for c in calls if c.pk == call_id))
    # Narrowed in the database to packages whose deadline may not have passed; the module decides.
    candidates = Package.objects.filter(status=PackageStatus.OPEN).filter(
        Q(call__deadline__gt=now) | Q(extended_until__gt=now)).select_related("call", "province", "ministry")
    return [p for p in candidates.order_by("call_id", "pk")
            if deadlines.due_within(_package_deadline(p), now, today, days)]


def remind(package, waiting, today):
    """Remind the bureau's active reviewers of `package`, once per day. Returns how many were told."""
    reviewers = list(_reviewers(Unit.of_package(package)))
    if not reviewers:
        return 0
    call, unit = package.call, package.unit.name
    deadline = timezone.localtime(_package_deadline(package)).strftime("%Y-%m-%d %H:%M")
    with transaction.atomic():
        _log, created = ReminderLog.objects.get_or_create(package=package, sent_on=today)
        if not created:
            return 0
        # Lazy texts: each reviewer's mail and message in their own language (navportal.notify).
        notify(reviewers, subject=lazy_text(gettext_lazy("Reminder: recommendations for “%(call)s” are due by "
                                                         "%(deadline)s"), call=call.title, deadline=deadline),
               body=lazy_text(gettext_lazy("%(unit)s: the recommendation package for “%(call)s” is due by %(deadline)s "
                                           "(Beijing time) and has not been handed in; %(n)d applications still wait "
                                           "at your desk. Finish the review and ranking, upload the recommendation "
                                           "letter and hand the package in before the deadline."),
                              unit=unit, call=call.title, deadline=deadline, n=waiting),
               link=package.get_absolute_url())
    return len(reviewers)


class Command(BaseCommand):
    help = ("Remind provincial and ministry reviewers whose recommendation package is still open and due "
            "within --days days (at most once per package and day). Meant for a daily cron job.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=3,
                            help="Remind when the deadline falls within this many days (default 3).")

    def handle(self, *args, days, **options):
        now, today = timezone.now(), timezone.localdate()
        packages = open_packages_due(now=now, today=today, days=days)
        waiting = desk_counts({p.call for p in packages})
        sent = 0
        for package in packages:
            told = remind(package, waiting.get((package.call_id, Unit.of_package(package)), 0), today)
            if told:
                sent += 1
                if options["verbosity"] >= 2:
                    self.stdout.write(f"{package.unit.name} · {package.call.title}: {told} reviewers")
        self.stdout.write(f"{sent} reminders sent")
