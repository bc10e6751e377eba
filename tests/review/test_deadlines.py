"""review/deadlines.py: every deadline and period, table-tested at its boundaries (no database), and the selector
that finds a province's own deadline for an applicant."""

import datetime

import pytest
from django.utils import timezone

from applications.enums import Affiliation
from navportal.models import Province
from review import deadlines
from review.deadlines import (
    ENDED, FINAL, HANDED_IN, LATE, NOT_HANDED_IN, NOT_YET_OPEN, ON_TIME, OPEN, PASSED, UPCOMING,
)
from review.models import Call, Notice, Package, PackageStatus, ProvinceDeadline
from review.selectors import province_deadline_for, province_deadlines_for_organisation

UTC = datetime.timezone.utc
US = datetime.timedelta(microseconds=1)


def at(day, hour=0, minute=0, tz=deadlines.CHINA):
    """A moment, in Beijing time unless said otherwise."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=tz)


D = datetime.date
OPENS = at(D(2026, 3, 1), 9)
DEADLINE = at(D(2026, 11, 24))      # the call's: before 2026-11-24 (Beijing)
EARLIER = at(D(2026, 11, 10), 17)   # a province's own


def a_call(opens_at=OPENS, deadline=DEADLINE):
    return Call(title="批次", opens_at=opens_at, deadline=deadline)


def a_package(status=PackageStatus.OPEN, extended_until=None, submitted_at=None, call=None):
    return Package(call=call or a_call(), status=status, extended_until=extended_until, submitted_at=submitted_at)


# --- The applicant -------------------------------------------------------------------------------

@pytest.mark.parametrize("province_deadline, expected", [
    (None, DEADLINE),                            # no provincial deadline: the call's
    (EARLIER, EARLIER),                          # the province's own, earlier
    (DEADLINE, DEADLINE),                        # the same moment
    (DEADLINE + datetime.timedelta(days=3), DEADLINE),  # later (the call moved earlier since): capped
])
def test_applicant_deadline(province_deadline, expected):
    assert deadlines.applicant_deadline(a_call(), province_deadline) == expected


@pytest.mark.parametrize("now, province_deadline, status", [
    (OPENS - US, None, NOT_YET_OPEN),
    (OPENS, None, OPEN),                         # open from the opening moment itself
    (DEADLINE - US, None, OPEN),
    (DEADLINE, None, PASSED),                    # exactly at the deadline is too late
    (EARLIER - US, EARLIER, OPEN),
    (EARLIER, EARLIER, PASSED),                  # the call is still open, the province's deadline is not
    (DEADLINE - US, DEADLINE + datetime.timedelta(days=3), OPEN),
    (DEADLINE, DEADLINE + datetime.timedelta(days=3), PASSED),  # a later provincial deadline gives no more time
    (OPENS - US, EARLIER, NOT_YET_OPEN),         # not open yet comes first, whatever the deadline
])
def test_applicant_window(now, province_deadline, status):
    window = deadlines.applicant_window(a_call(), province_deadline, now)
    assert window.status == status
    assert (window.opens_at, window.closes_at) == (OPENS, deadlines.applicant_deadline(a_call(), province_deadline))
    assert deadlines.applicant_can_submit(a_call(), province_deadline, now) is (status == OPEN)
    assert (window.is_open, window.not_yet_open, window.passed) == (
        status == OPEN, status == NOT_YET_OPEN, status == PASSED)


@pytest.mark.parametrize("now, status", [(OPENS - US, NOT_YET_OPEN), (OPENS, OPEN), (DEADLINE - US, OPEN),
                                         (DEADLINE, PASSED)])
def test_the_call_window(now, status):
    call = a_call()
    assert deadlines.call_window(call, now).status == status


@pytest.mark.parametrize("affiliation, applies", [
    (Affiliation.PROVINCE, True), (Affiliation.CITY, True), (Affiliation.MINISTRY, False)])
def test_a_ministry_unit_is_not_bound_by_its_provinces_deadline(affiliation, applies):
    assert deadlines.province_deadline_applies(affiliation) is applies


@pytest.mark.parametrize("province_deadline, fits", [
    (EARLIER, True), (DEADLINE, True), (DEADLINE + US, False)])
def test_a_provinces_deadline_is_no_later_than_the_calls(province_deadline, fits):
    assert deadlines.province_deadline_fits(a_call(), province_deadline) is fits


# --- The package ---------------------------------------------------------------------------------

@pytest.mark.parametrize("extended_until, expected", [
    (None, DEADLINE),
    (DEADLINE + datetime.timedelta(days=2), DEADLINE + datetime.timedelta(days=2)),
    (DEADLINE - datetime.timedelta(days=2), DEADLINE),  # an extension earlier than the call's does not shorten it
])
def test_package_deadline(extended_until, expected):
    call = a_call()
    assert deadlines.package_deadline(call, extended_until) == expected


EXTENDED = DEADLINE + datetime.timedelta(days=2)


@pytest.mark.parametrize("status, extended_until, now, expected", [
    (PackageStatus.OPEN, None, DEADLINE - US, OPEN),
    (PackageStatus.OPEN, None, DEADLINE, PASSED),
    (PackageStatus.OPEN, EXTENDED, DEADLINE + US, OPEN),        # reopened by CNIPA after the call's deadline
    (PackageStatus.OPEN, EXTENDED, EXTENDED, PASSED),
    (PackageStatus.OPEN, DEADLINE - datetime.timedelta(days=2), DEADLINE - US, OPEN),
    (PackageStatus.SUBMITTED, None, DEADLINE - datetime.timedelta(days=9), HANDED_IN),  # locked before the deadline
])
def test_package_window(status, extended_until, now, expected):
    package = a_package(status=status, extended_until=extended_until)
    window = deadlines.package_window(package, now)
    assert window.status == expected
    assert window.closes_at == deadlines.package_deadline(package.call, extended_until)
    assert deadlines.package_open_for_changes(package, now) is (expected == OPEN)


@pytest.mark.parametrize("submitted_at, extended_until, on_time", [
    (DEADLINE - US, None, True),
    (DEADLINE, None, False),                     # exactly at the deadline is late
    (DEADLINE + US, EXTENDED, True),             # within CNIPA's extension
    (EXTENDED, EXTENDED, False),
    (DEADLINE - US, DEADLINE - datetime.timedelta(days=2), True),  # an earlier "extension" takes nothing away
    (DEADLINE, DEADLINE - datetime.timedelta(days=2), False),
])
def test_handed_in_on_time(submitted_at, extended_until, on_time):
    call = a_call()
    assert deadlines.handed_in_on_time(submitted_at, call, extended_until) is on_time
    package = a_package(status=PackageStatus.SUBMITTED, submitted_at=submitted_at, extended_until=extended_until,
                        call=call)
    assert deadlines.hand_in_status(package, call) == (ON_TIME if on_time else LATE)


def test_a_package_not_handed_in_or_reopened_since_is_not_handed_in():
    call = a_call()
    assert deadlines.hand_in_status(None, call) == NOT_HANDED_IN
    assert deadlines.hand_in_status(a_package(call=call), call) == NOT_HANDED_IN
    reopened = a_package(status=PackageStatus.OPEN, submitted_at=DEADLINE - US, extended_until=EXTENDED, call=call)
    assert deadlines.hand_in_status(reopened, call) == NOT_HANDED_IN


# --- The public notice ---------------------------------------------------------------------------

def a_notice(starts_on=D(2026, 3, 2), ends_on=D(2026, 3, 6), confirmed_at=None):
    return Notice(starts_on=starts_on, ends_on=ends_on, confirmed_at=confirmed_at)


def test_notice_window_is_whole_beijing_days():
    start, end = deadlines.notice_window(D(2026, 3, 2), D(2026, 3, 6))
    # Beijing midnight is 16:00 UTC the day before.
    assert (start, end) == (datetime.datetime(2026, 3, 1, 16, tzinfo=UTC), datetime.datetime(2026, 3, 6, 16, tzinfo=UTC))


@pytest.mark.parametrize("now, phase", [
    (datetime.datetime(2026, 3, 1, 15, 59, 59, 999999, tzinfo=UTC), UPCOMING),  # still 3-1 in Beijing
    (datetime.datetime(2026, 3, 1, 16, tzinfo=UTC), OPEN),                      # 3-2 00:00 in Beijing
    (datetime.datetime(2026, 3, 2, 1, tzinfo=UTC), OPEN),
    (datetime.datetime(2026, 3, 6, 15, 59, 59, 999999, tzinfo=UTC), OPEN),      # the last second of 3-6 in Beijing
    (datetime.datetime(2026, 3, 6, 16, tzinfo=UTC), ENDED),                     # 3-7 in Beijing, 3-6 in UTC
    (datetime.datetime(2026, 3, 6, 23, 59, tzinfo=UTC), ENDED),
])
def test_notice_phase_around_midnight_utc(now, phase):
    notice = a_notice()
    # Whatever the active time zone: the notice runs on Beijing days.
    for zone in ("UTC", "Asia/Shanghai", "America/New_York"):
        with timezone.override(zone):
            assert deadlines.notice_phase(notice, now) == phase
            assert deadlines.notice_is_open(notice, now) is (phase == OPEN)
            assert deadlines.notice_period_over(notice, now) is (phase == ENDED)


def test_a_confirmed_list_is_final_whatever_the_dates():
    during = datetime.datetime(2026, 3, 3, 2, tzinfo=UTC)
    notice = a_notice(confirmed_at=during)
    assert deadlines.notice_phase(notice, during) == FINAL
    assert not deadlines.notice_is_open(notice, during)


def test_a_one_day_notice():
    notice = a_notice(starts_on=D(2026, 3, 2), ends_on=D(2026, 3, 2))
    assert deadlines.notice_phase(notice, at(D(2026, 3, 2), 23, 59)) == OPEN
    assert deadlines.notice_phase(notice, at(D(2026, 3, 3))) == ENDED


# --- Reminders -----------------------------------------------------------------------------------

NOW = at(D(2026, 11, 21), 10)
TODAY = D(2026, 11, 21)


@pytest.mark.parametrize("deadline, days, due", [
    (NOW - US, 3, False),                        # passed
    (NOW, 3, False),                             # due this very moment: passed too
    (at(D(2026, 11, 21), 18), 0, True),          # later today
    (at(D(2026, 11, 24)), 3, True),              # the third day ahead, at its first moment
    (at(D(2026, 11, 24), 23, 59), 3, True),
    (at(D(2026, 11, 25)), 3, False),             # the fourth day ahead
    (datetime.datetime(2026, 11, 24, 16, tzinfo=UTC), 3, False),  # 11-24 in UTC, but 11-25 in Beijing
    (datetime.datetime(2026, 11, 24, 15, 59, tzinfo=UTC), 3, True),
])
def test_due_within(deadline, days, due):
    assert deadlines.due_within(deadline, NOW, TODAY, days) is due


# --- The selector --------------------------------------------------------------------------------

@pytest.fixture
def beijing_and_jiangsu_deadlines(call):
    """Earlier deadlines set by Jiangsu and by Beijing (where the ministry unit sits)."""
    jiangsu = ProvinceDeadline.objects.create(call=call, province=Province.objects.get(code="320000"),
                                              deadline=call.deadline - datetime.timedelta(days=10))
    ProvinceDeadline.objects.create(call=call, province=Province.objects.get(code="110000"),
                                    deadline=call.deadline - datetime.timedelta(days=5))
    return jiangsu


def test_the_selector_finds_the_provinces_own_deadline(beijing_and_jiangsu_deadlines, applicant, ministry_unit,
                                                       outsider, complete, call,
                                                       django_assert_num_queries):
    jiangsu = beijing_and_jiangsu_deadlines.deadline
    park = complete(applicant)
    with django_assert_num_queries(1):
        assert province_deadline_for(park) == jiangsu
    assert province_deadlines_for_organisation(outsider.organisation) == {call.pk: jiangsu}
    # A ministry unit in Beijing: Beijing's deadline is not its own.
    unit = complete(ministry_unit)
    with django_assert_num_queries(0):
        assert province_deadline_for(unit) is None
    assert province_deadlines_for_organisation(ministry_unit.organisation) == {}
    assert deadlines.applicant_deadline(call, province_deadline_for(unit)) == call.deadline


def test_no_provincial_deadline(applicant, complete, call):
    assert province_deadline_for(complete(applicant)) is None
    assert province_deadlines_for_organisation(applicant.organisation) == {}
