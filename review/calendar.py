"""China's official working days (statutory holidays off, make-up working weekends on).

The calendar is the maintained chinese-calendar package. For a year it does not know yet, Monday to
Friday is assumed and the caller is told, so that CNIPA confirms the dates (SPEC §6.2).
"""

import datetime

import chinese_calendar


def is_working_day(day):
    """(working?, known?) — known is False when the official calendar has no data for the year."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5, False


def notice_period(published_on, working_days):
    """The public notice starts the day after publication and lasts `working_days` working days.

    Returns (starts_on, ends_on, known): ends_on is the last of those working days; known is False if
    any day in between had to be guessed.
    """
    starts_on = published_on + datetime.timedelta(days=1)
    day, counted, known = starts_on, 0, True
    while True:
        working, day_known = is_working_day(day)
        known = known and day_known
        if working:
            counted += 1
            if counted == working_days:
                return starts_on, day, known
        day += datetime.timedelta(days=1)


def working_days_between(first, last):
    """How many official working days lie from `first` to `last`, both included (Monday–Friday for a year the
    calendar does not know)."""
    day, counted = first, 0
    while day <= last:
        counted += is_working_day(day)[0]
        day += datetime.timedelta(days=1)
    return counted
