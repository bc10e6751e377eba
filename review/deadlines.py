"""Deadlines and periods (SPEC §2, §5, §6) as pure functions: no database, no clock, no side effects.

Each function takes the values it decides on — or objects already loaded — and `now`, so that services, views,
templates' context, the reminders, the dashboard and the exports all give the same answer. One convention
throughout: a deadline is the first moment that is too late. A window is open from its opening (included) to
its deadline (excluded), so something done exactly at the deadline is late.

The applicant's deadline is the province's own (if it set one) capped at the call's; a package's is the call's,
or CNIPA's later reopening; the public notice runs over whole days of Beijing time (Asia/Shanghai), whatever
time zone is active.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from applications.enums import Affiliation

from .models import PackageStatus

# The official calendar's time zone: notice days and reminder days are Beijing days.
CHINA = ZoneInfo("Asia/Shanghai")

# Where a moment stands in a window.
NOT_YET_OPEN = "not_yet_open"
OPEN = "open"
PASSED = "passed"
# A package handed in is locked until CNIPA reopens it, whatever the time.
HANDED_IN = "handed_in"
# Every package of a call whose proposed list is published is closed for good: the list is drawn from them.
LIST_PUBLISHED = "list_published"

# Whether, and when, a package was handed in (the dashboard's and the national summary's column).
NOT_HANDED_IN = "no"
ON_TIME = "on_time"
LATE = "late"

# Where the public notice stands (the public pages' wording: "upcoming" before its first day, "ended" after its
# last, "final" once the list is confirmed by a document, whatever the dates say).
UPCOMING = "upcoming"
ENDED = "ended"
FINAL = "final"


@dataclass(frozen=True)
class Window:
    """A window seen at one moment: whether it is open and, if not, why — with the moments a message names."""

    status: str                           # NOT_YET_OPEN, OPEN, PASSED, HANDED_IN or LIST_PUBLISHED
    opens_at: datetime.datetime | None    # None: open from the start
    closes_at: datetime.datetime          # the deadline: the first moment too late

    @property
    def is_open(self):
        return self.status == OPEN

    @property
    def not_yet_open(self):
        return self.status == NOT_YET_OPEN

    @property
    def passed(self):
        return self.status == PASSED


def window(opens_at, closes_at, now):
    """Where `now` stands between `opens_at` (included; None: no opening) and `closes_at` (excluded)."""
    if opens_at is not None and now < opens_at:
        return Window(NOT_YET_OPEN, opens_at, closes_at)
    if now >= closes_at:
        return Window(PASSED, opens_at, closes_at)
    return Window(OPEN, opens_at, closes_at)


# --- The call and the applicant ------------------------------------------------------------------

def call_window(call, now):
    """The call itself: from its opening to its deadline (for applicants without a provincial deadline)."""
    return window(call.opens_at, call.deadline, now)


def province_deadline_applies(affiliation):
    """A province's own deadline binds the applicants it recommends — not a unit affiliated with a central
    ministry, which its ministry recommends (SPEC §4)."""
    return affiliation != Affiliation.MINISTRY


def province_deadline_fits(call, province_deadline):
    """A province's own deadline may be earlier than the call's, or the same; never later (SPEC §2)."""
    return province_deadline <= call.deadline


def applicant_deadline(call, province_deadline):
    """The moment from which the applicant can no longer submit: the province's own deadline (None: it set
    none, or it does not apply) capped at the call's — which CNIPA may have moved earlier since."""
    if province_deadline is None:
        return call.deadline
    return min(province_deadline, call.deadline)


def applicant_window(call, province_deadline, now):
    """Whether an applicant may start, submit or take up again an application to `call` at `now`, and if not,
    why: not open yet (`opens_at`), or its deadline passed (`closes_at`)."""
    return window(call.opens_at, applicant_deadline(call, province_deadline), now)


def applicant_can_submit(call, province_deadline, now):
    return applicant_window(call, province_deadline, now).is_open


# --- The recommendation package ------------------------------------------------------------------

def package_deadline(call, extended_until):
    """The call's deadline, or the moment until which CNIPA reopened the package if that is later: a reopening
    never shortens the time a bureau has."""
    if extended_until is not None and extended_until > call.deadline:
        return extended_until
    return call.deadline


def package_window(package, now, *, list_published=False):
    """Whether the bureau may still change its package (`package.call` loaded): open, handed in (locked until
    CNIPA reopens it), its deadline passed (locked too: only CNIPA can reopen it), or closed for good because
    the call's proposed list is published (`list_published`)."""
    closes_at = package_deadline(package.call, package.extended_until)
    if list_published:
        return Window(LIST_PUBLISHED, None, closes_at)
    if package.status != PackageStatus.OPEN:
        return Window(HANDED_IN, None, closes_at)
    return window(None, closes_at, now)


def package_open_for_changes(package, now, *, list_published=False):
    return package_window(package, now, list_published=list_published).is_open


def handed_in_on_time(submitted_at, call, extended_until):
    """Handed in before the call's deadline, or before the later moment until which CNIPA reopened it."""
    return submitted_at < package_deadline(call, extended_until)


def hand_in_status(package, call):
    """NOT_HANDED_IN (no package, or not handed in — or reopened since), ON_TIME or LATE."""
    if package is None or package.status != PackageStatus.SUBMITTED:
        return NOT_HANDED_IN
    return ON_TIME if handed_in_on_time(package.submitted_at, call, package.extended_until) else LATE


# --- The public notice ---------------------------------------------------------------------------

def notice_window(starts_on, ends_on):
    """The aware moments between which objections are accepted: from the start of the first day to the start
    of the day after the last, in Beijing time."""
    start = datetime.datetime.combine(starts_on, datetime.time.min, tzinfo=CHINA)
    end = datetime.datetime.combine(ends_on + datetime.timedelta(days=1), datetime.time.min, tzinfo=CHINA)
    return start, end


def notice_phase(notice, now):
    """UPCOMING, OPEN, ENDED or FINAL (confirmed by a document: closed, whatever the dates say)."""
    if notice.is_final:
        return FINAL
    start, end = notice_window(notice.starts_on, notice.ends_on)
    if now < start:
        return UPCOMING
    return OPEN if now < end else ENDED


def notice_is_open(notice, now):
    """Objections are accepted now."""
    return notice_phase(notice, now) == OPEN


def notice_period_over(notice, now):
    """The last day of the notice has ended (Beijing time): the list may be confirmed."""
    _start, end = notice_window(notice.starts_on, notice.ends_on)
    return now >= end


# --- Reminders -----------------------------------------------------------------------------------

def due_within(deadline, now, today, days):
    """Not passed yet, and falls today or on one of the next `days` days (`today` and the deadline's day both
    in Beijing time)."""
    return deadline > now and deadline.astimezone(CHINA).date() <= today + datetime.timedelta(days=days)
