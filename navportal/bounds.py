"""Plausible bounds for dates typed into forms: far enough for any real call, near enough that time-zone
arithmetic (Asia/Shanghai's historic offset at year 1, a day after 9999-12-31) never overflows."""

import datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

EARLIEST = datetime.date(2000, 1, 1)
LATEST = datetime.date(2099, 12, 31)


def date_bounds():
    return [MinValueValidator(EARLIEST), MaxValueValidator(LATEST)]


def datetime_bounds():
    return [MinValueValidator(timezone.make_aware(datetime.datetime.combine(EARLIEST, datetime.time.min))),
            MaxValueValidator(timezone.make_aware(datetime.datetime.combine(LATEST, datetime.time.min)))]


def bound(form, *names, kind="datetime"):
    for name in names:
        form.fields[name].validators.extend(datetime_bounds() if kind == "datetime" else date_bounds())
