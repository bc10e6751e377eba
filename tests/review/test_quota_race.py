"""The quota under real concurrency (PostgreSQL, threads): several reviewers of one province recommending
at the same moment against one remaining slot end with exactly the quota. The control switches off the
guards — the package row lock and the unique slot and rank constraints — and the same race then exceeds
the quota, which shows the test can fail."""

import time

import pytest
from django.db import connection

from applications.enums import State
from applications.models import Application
from navportal.errors import PortalError
from review import services
from review.models import Package, Recommendation
from review.quota import quota_usage
from tests.conftest import make_applicant, make_user
from tests.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite serialises)"),
]


@pytest.fixture
def last_slot(submitted, call):
    """Two of three slots taken; four more applications wait at the desk; four reviewers of the province."""
    from navportal.models import Province, Role
    jiangsu = Province.objects.get(code="320000")
    reviewers = [make_user(f"prov-js-{i}", Role.PROVINCE, province=jiangsu) for i in range(4)]
    apps = [submitted(make_applicant(f"示例·园区{i}", f"race{i}")) for i in range(6)]
    for application in apps[:2]:
        services.application_recommend(actor=reviewers[0], application_id=application.pk, opinion="同意")
    return reviewers, apps[2:]


def slow_slot(monkeypatch):
    original = services._take_slot

    def take(package, **kwargs):
        slot = original(package, **kwargs)
        time.sleep(0.3)  # the window in which another request could take the same slot
        return slot
    monkeypatch.setattr(services, "_take_slot", take)


def recommend_all(reviewers, waiting):
    calls = [lambda r=r, a=a: services.application_recommend(actor=r, application_id=a.pk, opinion="同意")
             for r, a in zip(reviewers, waiting)]
    results = race(len(calls), lambda: calls.pop()())
    return results


def counted(call):
    package = Package.objects.get(call=call)
    return quota_usage(list(package.recommendations.select_related("application")), call, package.quota)[0]


def test_racing_recommendations_end_with_exactly_the_quota(last_slot, call, monkeypatch):
    reviewers, waiting = last_slot
    slow_slot(monkeypatch)
    results = recommend_all(reviewers, waiting)
    assert sum(isinstance(r, Application) for r in results) == 1
    assert sum(isinstance(r, PortalError) and r.code == "quota" for r in results) == 3
    assert counted(call) == 3
    assert Application.objects.filter(state=State.RECOMMENDED).count() == 3


def test_double_click_recommends_once(last_slot, call, monkeypatch):
    reviewers, waiting = last_slot
    slow_slot(monkeypatch)
    results = race(2, lambda: services.application_recommend(actor=reviewers[0], application_id=waiting[0].pk,
                                                             opinion="同意"))
    assert sorted(type(r).__name__ for r in results) == ["Application", "PortalError"]
    assert Recommendation.objects.filter(application=waiting[0]).count() == 1


def test_control_without_lock_and_constraint_the_race_exceeds_the_quota(last_slot, call, monkeypatch):
    reviewers, waiting = last_slot
    slow_slot(monkeypatch)
    monkeypatch.setattr(services, "_locked_package",
                        lambda actor, pk: services.packages_for_user(actor).select_related("call").get(pk=pk))
    # The unique rank would also stop the racers (they all compute the same next rank): drop it too.
    guards = [c for c in Recommendation._meta.constraints
              if c.name in ("one_recommendation_per_slot", "one_recommendation_per_rank")]
    with connection.schema_editor() as editor:
        for constraint in guards:
            editor.remove_constraint(Recommendation, constraint)
    try:
        recommend_all(reviewers, waiting)
        assert counted(call) > 3
    finally:
        Recommendation.objects.all().delete()
        with connection.schema_editor() as editor:
            for constraint in guards:
                editor.add_constraint(Recommendation, constraint)
