import datetime

import pytest

from review.calendar import is_working_day, notice_period

D = datetime.date


def test_national_day_2025_with_its_make_up_saturday():
    # Published on Tuesday 30 September 2025: 1–8 October are holidays, Saturday 11 October is a make-up
    # working day, so five working days are 9, 10, 11, 13 and 14 October.
    assert notice_period(D(2025, 9, 30), 5) == (D(2025, 10, 1), D(2025, 10, 14), True)


def test_make_up_sunday_counts():
    assert is_working_day(D(2025, 9, 28)) == (True, True)  # Sunday, make-up working day
    assert notice_period(D(2025, 9, 26), 2) == (D(2025, 9, 27), D(2025, 9, 29), True)


def test_ordinary_week():
    assert notice_period(D(2025, 11, 24), 5) == (D(2025, 11, 25), D(2025, 12, 1), True)


@pytest.mark.parametrize("published", [D(2031, 3, 6)])
def test_unknown_year_falls_back_to_monday_to_friday_and_says_so(published):
    starts, ends, known = notice_period(published, 5)
    assert (starts, ends, known) == (D(2031, 3, 7), D(2031, 3, 13), False)
