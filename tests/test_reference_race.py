"""Reference numbers under concurrency (PostgreSQL, real threads): simultaneous submissions of different
applications each get their own number, consecutively — beside a control that takes the number without the
counter's row lock and watches two submissions reach for the same number, which the unique constraint refuses."""

import time

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone

from applications import services
from applications.models import ApplicationVersion
from navportal import references
from navportal.models import ReferenceCounter
from tests.conftest import make_applicant
from tests.test_concurrency import race_all

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite serialises)"),
]

N = 4


def slow_format(monkeypatch):
    """Widen the window between reading the counter and writing the number, so that an unguarded race shows."""
    original = references.reference_format

    def reference_format(series, year, number):
        time.sleep(0.3)
        return original(series, year, number)
    monkeypatch.setattr(references, "reference_format", reference_format)


@pytest.fixture
def ready(complete):
    """N organisations, each with a complete application waiting to be submitted."""
    return [(user, complete(user)) for user in (make_applicant(f"示例·并发园区{i}", f"race{i}") for i in range(N))]


def submit_all(ready):
    return race_all([lambda u=user, a=application: services.application_submit(actor=u, application_id=a.pk)
                     for user, application in ready])


def test_simultaneous_submissions_get_consecutive_unique_numbers(ready, monkeypatch):
    slow_format(monkeypatch)
    assert submit_all(ready) == [[]] * N
    year = timezone.localdate().year
    assert sorted(ApplicationVersion.objects.values_list("reference", flat=True)) == [
        f"SB-{year}-{n:06d}" for n in range(1, N + 1)]
    assert ReferenceCounter.objects.get(series="SB", year=year).last == N


def test_control_without_the_counters_lock_two_reach_for_one_number(ready, monkeypatch):
    slow_format(monkeypatch)

    def unlocked_take(series, *, now=None):
        year = timezone.localdate(now or timezone.now()).year
        ReferenceCounter.objects.bulk_create([ReferenceCounter(series=series, year=year)], ignore_conflicts=True)
        counter = ReferenceCounter.objects.get(series=series, year=year)  # no select_for_update
        reference = references.reference_format(series, year, counter.last + 1)
        ReferenceCounter.objects.filter(pk=counter.pk).update(last=counter.last + 1)
        return reference
    monkeypatch.setattr(services, "reference_take", unlocked_take)
    results = submit_all(ready)
    # The unique constraint is the last line: the submissions that drew a number already given fail whole.
    assert any(isinstance(r, IntegrityError) for r in results), results
    references_given = list(ApplicationVersion.objects.values_list("reference", flat=True))
    assert len(references_given) == len(set(references_given)) == sum(r == [] for r in results) < N
