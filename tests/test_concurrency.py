"""Races on PostgreSQL with real threads and connections: what the row lock and the unique constraint
guarantee, each beside a control that shows the race happening when the guard is switched off."""

import threading
import time

import pytest
from django.db import connection, connections

from applications import services
from applications.models import Application, ApplicationVersion
from applications.selectors import ApplicationContent, applications_for_user
from navportal import administration
from navportal.errors import PortalError
from navportal.models import AccountRequest, AuditEvent, Role, User
from navportal.privacy_rules import RULES_VERSION
from tests.conftest import make_user
from tests.review.test_national import handed_in  # noqa: F401 - fixtures
from tests.review.test_public import cnipa  # noqa: F401 - fixtures
from tests.review.test_retention import OBJECTOR_IP, confirmed, from_address  # noqa: F401 - fixtures
from tests.bases.conftest import designated  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite serialises)"),
]


def race(n, target):
    """Run `target` in n threads released at the same moment; return what each returned or raised."""
    return race_all([target] * n)


def race_all(targets):
    """Run each of `targets` in its own thread, all released at the same moment; return what each returned or
    raised, in order."""
    barrier = threading.Barrier(len(targets))
    results = [None] * len(targets)

    def run(i):
        try:
            barrier.wait()
            results[i] = targets[i]()
        except Exception as exc:  # noqa: BLE001 - the result is the exception
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(targets))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def slow_check(monkeypatch):
    """Widen the window between reading the state and writing it, so that an unguarded race shows."""
    original = ApplicationContent.problems

    def problems(self):
        time.sleep(0.3)
        return original(self)
    monkeypatch.setattr(ApplicationContent, "problems", problems)


def test_two_starts_of_one_organisation_leave_exactly_one_application(applicant, call):
    results = race(4, lambda: services.application_start(actor=applicant, call=call).pk)
    assert len(set(results)) == 1 and all(isinstance(r, int) for r in results)
    assert Application.objects.filter(organisation=applicant.organisation, call=call).count() == 1


def test_concurrent_submissions_submit_once(applicant, complete, monkeypatch):
    application = complete(applicant)
    slow_check(monkeypatch)
    results = race(3, lambda: services.application_submit(actor=applicant, application_id=application.pk))
    assert sum(r == [] for r in results) == 1
    assert sum(isinstance(r, PortalError) and r.code == "state" for r in results) == 2
    assert ApplicationVersion.objects.filter(application=application).count() == 1
    assert AuditEvent.objects.filter(action="application_submit", object_id=str(application.pk)).count() == 1


def test_control_without_the_row_lock_both_pass_the_state_check(applicant, complete, monkeypatch):
    application = complete(applicant)
    slow_check(monkeypatch)
    monkeypatch.setattr(services, "locked_application", lambda actor, pk, related=(): applications_for_user(
        actor).select_related("call", "organisation", *related).get(pk=pk))  # the same read, without the lock
    results = race(2, lambda: services.application_submit(actor=applicant, application_id=application.pk))
    # Both threads read "draft" before either wrote, so neither was refused politely. Then either the
    # unique version number stopped the second (a 500 for that user) or, when the first had committed
    # before the second counted the versions, the application was submitted twice.
    assert not any(isinstance(r, PortalError) for r in results)
    versions = ApplicationVersion.objects.filter(application=application).count()
    assert any(type(r).__name__ == "IntegrityError" for r in results) or versions == 2


def test_concurrent_saves_from_the_same_copy_keep_only_one(applicant, call, monkeypatch):
    application = services.application_start(actor=applicant, call=call)
    services.application_pledge(actor=applicant, application_id=application.pk)
    version = Application.objects.get(pk=application.pk).lock_version

    def save(text):
        return lambda: services.application_save_section(
            actor=applicant, application_id=application.pk, section_key="plan", values={"plan_goals": text},
            lock_version=version, privacy_version=RULES_VERSION)
    results = race(2, lambda: save(threading.current_thread().name)())
    assert sum(isinstance(r, Application) for r in results) == 1
    assert sum(isinstance(r, PortalError) and r.code == "stale" for r in results) == 1


def test_four_administrators_asking_for_one_user_name_in_different_cases_make_one_request(monkeypatch):
    """The check for a taken or reserved name and the insert are apart; the case-insensitive partial unique index
    on pending requests decides (nothing exists as an account until the security administrator approves)."""
    sysadmin = make_user("race-sys", Role.SYSTEM_ADMIN)
    exists = User.objects.filter

    def slow_filter(*args, **kwargs):
        found = exists(*args, **kwargs)
        time.sleep(0.2)
        return found
    monkeypatch.setattr(User.objects, "filter", slow_filter)
    names = ["NJ-race", "nj-race", "Nj-Race", "nJ-RACE"]
    results = race(4, lambda: administration.account_request_create(
        actor=sysadmin, username=names.pop(), display_name="并发", email="race@example.cn", role=Role.NATIONAL,
        scope=None).username)
    assert sum(isinstance(r, str) for r in results) == 1, results
    assert all(isinstance(r, PortalError) and r.code == "taken" for r in results if not isinstance(r, str)), results
    assert AccountRequest.objects.filter(username__iexact="nj-race").count() == 1
    assert not User.objects.filter(username__iexact="nj-race").exists()


def _first_package_while_cnipa_changes_the_quota(reviewers, call, monkeypatch):
    """The province opens its first package (slowly) while CNIPA raises the quota a moment later."""
    from review import services as review_services
    from review.calls import CALL_FIELDS, call_save

    original = review_services.QuotaSlot.objects.bulk_create

    def slow_slots(*args, **kwargs):
        time.sleep(0.5)
        return original(*args, **kwargs)
    monkeypatch.setattr(review_services.QuotaSlot.objects, "bulk_create", slow_slots)

    def province():
        return review_services.package_get_or_create(actor=reviewers["province_js"], call=call).quota

    def cnipa():
        time.sleep(0.1)
        return call_save(actor=reviewers["national"], call_id=call.pk,
                         values={**{f: getattr(call, f) for f in CALL_FIELDS}, "quota": 5}).quota

    province_result, cnipa_result = race_all([province, cnipa])
    results = {"province": province_result, "cnipa": cnipa_result}
    from review.models import Call, Package
    return results, Call.objects.get(pk=call.pk).quota, Package.objects.get(call=call).quota


def test_the_first_package_and_a_quota_change_never_disagree(reviewers, call, monkeypatch):
    results, call_quota, package_quota = _first_package_while_cnipa_changes_the_quota(reviewers, call, monkeypatch)
    # The package locked the call first: CNIPA's change came after it and was refused.
    assert isinstance(results["cnipa"], PortalError) and results["cnipa"].code == "state"
    assert call_quota == package_quota == 3


def test_control_without_the_call_lock_the_package_keeps_a_quota_the_call_no_longer_has(reviewers, call, monkeypatch):
    from review import services as review_services
    from review.models import Call

    class Unlocked:
        class objects:  # noqa: N801 - stands in for the manager
            @staticmethod
            def select_for_update():
                return Call.objects.all()
    monkeypatch.setattr(review_services, "Call", Unlocked)
    # Moving the call's progress counter writes its row, which locks it too: off as well in the control.
    monkeypatch.setattr(review_services, "bump_progress", lambda call_id: None)
    results, call_quota, package_quota = _first_package_while_cnipa_changes_the_quota(reviewers, call, monkeypatch)
    assert results["cnipa"] == 5
    assert (call_quota, package_quota) == (5, 3)


# --- A request about personal information is answered once (portal.data_requests) ---------------------------------

def _request_and_two_answerers(applicant, submitted):
    from navportal.models import Province
    from portal.models import DataRequest

    application = submitted(applicant)
    request = DataRequest.objects.create(kind="correction", application=application, requested_by=applicant,
                                         text="联系人电话有误", holder_role=Role.PROVINCE,
                                         holder_id=application.province_id)
    jiangsu = Province.objects.get(pk=application.province_id)
    return request, [make_user(f"prov-answer-{i}", Role.PROVINCE, province=jiangsu) for i in range(2)]


def slow_answer(monkeypatch):
    """Widen the window between reading whether the request was answered and writing the answer."""
    from portal.models import DataRequest
    original = DataRequest.save

    def save(self, *args, **kwargs):
        time.sleep(0.3)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(DataRequest, "save", save)


def test_two_officials_answering_one_request_at_once_give_one_answer(applicant, submitted, monkeypatch):
    from portal import data_requests

    request, officials = _request_and_two_answerers(applicant, submitted)
    slow_answer(monkeypatch)
    results = race_all([lambda o=o: data_requests.data_request_answer(actor=o, request_id=request.pk, answer=o.username)
                        for o in officials])
    assert sum(isinstance(r, PortalError) and r.code == "state" for r in results) == 1
    request.refresh_from_db()
    assert request.answer in {o.username for o in officials}
    assert AuditEvent.objects.filter(action="data_request_answer").count() == 1


def test_control_without_the_request_lock_both_answer(applicant, submitted, monkeypatch):
    from django.db.models.query import QuerySet

    from portal import data_requests

    request, officials = _request_and_two_answerers(applicant, submitted)
    slow_answer(monkeypatch)
    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, **kwargs: self)  # the same read, unlocked
    results = race_all([lambda o=o: data_requests.data_request_answer(actor=o, request_id=request.pk, answer=o.username)
                        for o in officials])
    assert not any(isinstance(r, Exception) for r in results)
    assert AuditEvent.objects.filter(action="data_request_answer").count() == 2  # answered twice, told twice


# --- Retention and an objector's request at the same moment (review.retention, portal.data_requests) --------------

def _retention_against_a_request(confirmed, monkeypatch):
    """Retention's pass over the objections, and the objector of the second one asking about it, released together;
    the request is slowed between reading the objection and writing itself."""
    import datetime

    from portal import data_requests
    from portal.models import DataRequest
    from review.retention import retention_apply

    original = DataRequest.save

    def save(self, *args, **kwargs):
        time.sleep(0.5)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(DataRequest, "save", save)
    objection = confirmed["objections"][1]
    later = confirmed["notice"].confirmed_at + datetime.timedelta(days=181)

    def ask():
        with from_address(OBJECTOR_IP):
            return data_requests.objector_request(reference=objection.reference, email=objection.email,
                                                  kind="correction", text="单位名称有误")
    return race_all([lambda: retention_apply(now=later), ask])


def _left_behind():
    """What an objector anonymised still has: requests with their text, own audit lines with their address."""
    from portal.models import DataRequest

    texts = list(DataRequest.objects.filter(objection__anonymised_at__isnull=False).exclude(text="")
                 .values_list("text", flat=True))
    addresses = list(AuditEvent.objects.filter(actor__isnull=True, ip__isnull=False,
                                               object_type__in=["review.objection", "portal.datarequest"])
                     .values_list("action", flat=True))
    return texts, addresses


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_objectors_request_during_retention_is_made_before_and_cleared_or_refused_after(confirmed, monkeypatch):
    from navportal.audit import audit_verify

    report, request = _retention_against_a_request(confirmed, monkeypatch)
    assert report.objections == 2 and not isinstance(request, Exception)
    assert _left_behind() == ([], [])
    assert audit_verify()[1] is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_control_without_the_objections_lock_a_request_outlives_its_objectors_retention(confirmed, monkeypatch):
    from django.db.models.query import QuerySet

    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, **kwargs: self)
    report, request = _retention_against_a_request(confirmed, monkeypatch)
    assert report.objections == 2 and request is not None
    assert _left_behind() == (["单位名称有误"], ["data_request"])


# --- The bases after designation (bases): one open rectification, one publication of an assessment ------------------

def slow_base_writes(monkeypatch):
    """Widen the window between a base's writer checking its status and writing it."""
    from bases import transitions

    original = transitions.check_base_transition

    def check(*args, **kwargs):
        result = original(*args, **kwargs)
        time.sleep(0.3)
        return result
    monkeypatch.setattr(transitions, "check_base_transition", check)


def _two_rectifications(designated, cnipa):
    import datetime

    from django.utils import timezone

    from bases import services as base_services

    base = designated[0]
    second = make_user("cnipa-second", Role.NATIONAL)
    return base, race_all([lambda actor=actor: base_services.rectification_open(
        actor=actor, base_id=base.pk, reason="finding", detail=f"{actor.username}的整改要求",
        deadline=timezone.localdate() + datetime.timedelta(days=30)) for actor in (cnipa, second)])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_officials_opening_a_rectification_at_once_open_one(designated, cnipa, monkeypatch):
    from bases.models import Rectification

    slow_base_writes(monkeypatch)
    base, results = _two_rectifications(designated, cnipa)
    assert sum(isinstance(r, PortalError) and r.code == "state" for r in results) == 1
    assert Rectification.objects.filter(base=base).count() == 1
    assert AuditEvent.objects.filter(action="base_rectify").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_control_without_the_base_s_lock_the_constraint_is_all_that_stops_a_second_rectification(
        designated, cnipa, monkeypatch):
    from django.db import IntegrityError
    from django.db.models.query import QuerySet

    from bases.models import Rectification

    slow_base_writes(monkeypatch)
    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, **kwargs: self)
    base, results = _two_rectifications(designated, cnipa)
    assert any(isinstance(r, IntegrityError) for r in results)  # a 500 for the user, not a clear refusal
    assert Rectification.objects.filter(base=base).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_assessment_published_twice_at_once_is_published_once(designated, cnipa, monkeypatch):
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from bases import assessment, reports
    from bases.models import AssessmentResult, Indicator

    period = reports.period_open(actor=cnipa, year=timezone.localdate().year, title="并发考核",
                                 opens_at=timezone.now() - datetime.timedelta(hours=1),
                                 deadline=timezone.now() + datetime.timedelta(days=1),
                                 review_deadline=timezone.now() + datetime.timedelta(days=2))
    assessment.indicators_standard(actor=cnipa, period_id=period.pk)
    for base in designated:
        for indicator in Indicator.objects.filter(kind="scored"):
            assessment.score_save(actor=cnipa, period_id=period.pk, base_id=base.pk, indicator_id=indicator.pk,
                                  points=Decimal(8), reason="评分理由")
    slow_base_writes(monkeypatch)
    second = make_user("cnipa-publisher", Role.NATIONAL)
    by = timezone.localdate() + datetime.timedelta(days=30)
    results = race_all([lambda actor=actor: assessment.assessment_publish(actor=actor, period_id=period.pk,
                                                                          rectify_by=by) for actor in (cnipa, second)])
    assert sum(isinstance(r, PortalError) and r.code == "state" for r in results) == 1
    assert AssessmentResult.objects.count() == len(designated)
    assert AuditEvent.objects.filter(action="assessment_publish").count() == 1
