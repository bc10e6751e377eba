"""The applicant's transitions: draft saves, the stale-copy refusal, submission and routing, withdraw,
reopen and the deadlines — each change audited."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from post_office.models import Email

from applications import services
from navportal import transitions  # the write every transition ends with: its audit line
from applications.enums import Route, State
from applications.models import Application, ApplicationVersion
from navportal.errors import PortalError
from navportal.models import AuditEvent, Message, Province
from navportal.privacy_rules import RULES_VERSION
from review.models import ProvinceDeadline
from tests.conftest import version_of
from tests.mail_helpers import deliver_mail


def audit_actions(application):
    return list(AuditEvent.objects.filter(object_type="applications.application", object_id=str(application.pk))
                .order_by("id").values_list("action", "from_state", "to_state"))


def test_start_prefills_from_the_registration_and_is_idempotent(applicant, call):
    first = services.application_start(actor=applicant, call=call)
    again = services.application_start(actor=applicant, call=call)
    assert first.pk == again.pk
    org = applicant.organisation
    assert (first.name, first.applicant_type, first.province_id, first.city_id, first.state) == (
        org.name, org.applicant_type, org.province_id, org.city_id, State.DRAFT)
    assert Application.objects.filter(organisation=org).count() == 1


def test_start_refused_on_a_closed_call(applicant, call):
    call.deadline = timezone.now() - datetime.timedelta(minutes=1)
    call.opens_at = call.deadline - datetime.timedelta(days=10)
    call.save()
    with pytest.raises(PortalError) as exc:
        services.application_start(actor=applicant, call=call)
    assert exc.value.code == "deadline"


def test_reviewer_cannot_start(reviewers, call):
    with pytest.raises(PortalError):
        services.application_start(actor=reviewers["province_js"], call=call)


def test_sections_stay_closed_until_the_pledge(applicant, call):
    application = services.application_start(actor=applicant, call=call)
    with pytest.raises(PortalError) as exc:
        services.application_save_section(actor=applicant, application_id=application.pk, section_key="plan",
                                          values={"plan_goals": "x"}, lock_version=application.lock_version,
                                          privacy_version=RULES_VERSION)
    assert exc.value.code == "pledge"


def test_draft_saves_without_required_checks_and_bumps_the_version(applicant, call):
    application = services.application_start(actor=applicant, call=call)
    services.application_pledge(actor=applicant, application_id=application.pk)
    before = version_of(application)
    saved = services.application_save_section(
        actor=applicant, application_id=application.pk, section_key="plan", values={"plan_goals": "目标"},
        lock_version=before, privacy_version=RULES_VERSION)
    assert saved.lock_version == before + 1
    stored = Application.objects.get(pk=application.pk)
    assert (stored.plan_goals, stored.plan_demand, stored.sections_saved) == ("目标", "", ["plan"])


def test_a_save_from_an_older_copy_is_refused_and_overwrites_nothing(applicant, call):
    application = services.application_start(actor=applicant, call=call)
    services.application_pledge(actor=applicant, application_id=application.pk)
    opened_in_both_tabs = version_of(application)
    services.application_save_section(actor=applicant, application_id=application.pk, section_key="plan",
                                      values={"plan_goals": "first tab"}, lock_version=opened_in_both_tabs,
                                      privacy_version=RULES_VERSION)
    with pytest.raises(PortalError) as exc:
        services.application_save_section(actor=applicant, application_id=application.pk, section_key="plan",
                                          values={"plan_goals": "second tab"}, lock_version=opened_in_both_tabs,
                                          privacy_version=RULES_VERSION)
    assert exc.value.code == "stale"
    assert Application.objects.get(pk=application.pk).plan_goals == "first tab"


@pytest.mark.parametrize("who, route, state, desk", [
    ("applicant", Route.PROVINCE, State.PROVINCE_REVIEW, "province_js"),
    ("province_institution", Route.PROVINCE, State.PROVINCE_REVIEW, "province_js"),
    ("city_institution", Route.CITY, State.CITY_REVIEW, "city_nanjing"),
    ("ministry_unit", Route.MINISTRY, State.MINISTRY_REVIEW, "ministry_moe"),
])
def test_submission_is_routed_frozen_audited_and_notified(request, reviewers, submitted, who, route, state, desk):
    user = request.getfixturevalue(who)
    application = submitted(user)
    assert (application.route, application.state) == (route, state)
    [version] = ApplicationVersion.objects.filter(application=application)
    assert (version.number, version.data["name"], len(version.data["staff"])) == (1, application.name, 5)
    assert audit_actions(application)[-1] == ("application_submit", State.DRAFT, state)
    reviewer = reviewers[desk]
    assert Message.objects.filter(recipient=reviewer).count() == 1
    assert Message.objects.filter(recipient=user).count() == 1
    others = [u for k, u in reviewers.items() if k != desk]
    assert Message.objects.filter(recipient__in=others).count() == 0


def test_notification_mail_is_queued_with_the_change_and_sent_by_the_worker(applicant, reviewers, complete,
                                                                            django_capture_on_commit_callbacks):
    application = complete(applicant)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(actor=applicant, application_id=application.pk)
    # Written in the submission's transaction, nothing sent from the request itself.
    assert sorted(address for email in Email.objects.all() for address in email.to) == [
        "park@example.cn", "prov-js@example.cn"]
    assert mail.outbox == []
    assert sorted(m.to[0] for m in deliver_mail()) == ["park@example.cn", "prov-js@example.cn"]


def test_a_refused_submission_queues_no_mail(applicant, reviewers, complete):
    application = complete(applicant)
    services.application_submit(actor=applicant, application_id=application.pk)
    queued = Email.objects.count()
    with pytest.raises(PortalError):
        services.application_submit(actor=applicant, application_id=application.pk)
    assert Email.objects.count() == queued


def test_park_affiliated_with_a_city_still_goes_to_the_province(applicant, submitted):
    assert applicant.organisation.affiliation == "city"
    assert submitted(applicant).route == Route.PROVINCE


def test_second_submit_is_refused_without_a_second_effect(applicant, submitted):
    application = submitted(applicant)
    with pytest.raises(PortalError) as exc:
        services.application_submit(actor=applicant, application_id=application.pk)
    assert exc.value.code == "state"
    assert application.versions.count() == 1
    assert [a for a, *_ in audit_actions(application)].count("application_submit") == 1


def test_submitted_application_cannot_be_edited(applicant, submitted):
    application = submitted(applicant)
    with pytest.raises(PortalError) as exc:
        services.application_save_section(actor=applicant, application_id=application.pk, section_key="plan",
                                          values={"plan_goals": "late"}, lock_version=application.lock_version,
                                          privacy_version=RULES_VERSION)
    assert exc.value.code == "state"


def test_nothing_can_be_submitted_after_the_call_deadline(applicant, complete, call):
    application = complete(applicant)
    call.deadline = timezone.now() - datetime.timedelta(seconds=1)
    call.opens_at = call.deadline - datetime.timedelta(days=30)
    call.save()
    with pytest.raises(PortalError) as exc:
        services.application_submit(actor=applicant, application_id=application.pk)
    assert exc.value.code == "deadline"
    assert Application.objects.get(pk=application.pk).state == State.DRAFT


def test_the_provinces_earlier_deadline_applies_to_its_applicants(applicant, ministry_unit, complete, call):
    jiangsu = Province.objects.get(code="320000")
    park = complete(applicant)
    ProvinceDeadline.objects.create(call=call, province=jiangsu, deadline=timezone.now() - datetime.timedelta(hours=1))
    with pytest.raises(PortalError) as exc:
        services.application_submit(actor=applicant, application_id=park.pk)
    assert exc.value.code == "deadline"


def test_a_passed_provincial_deadline_also_stops_a_new_application(outsider, call):
    """Starting an application meets the same window as submitting it: the province's own deadline too."""
    ProvinceDeadline.objects.create(call=call, province=outsider.organisation.province,
                                    deadline=timezone.now() - datetime.timedelta(hours=1))
    with pytest.raises(PortalError) as exc:
        services.application_start(actor=outsider, call=call)
    assert exc.value.code == "deadline"
    assert not Application.objects.filter(organisation=outsider.organisation).exists()


def test_ministry_units_are_not_bound_by_a_provincial_deadline(ministry_unit, complete, call):
    beijing = ministry_unit.organisation.province
    ProvinceDeadline.objects.create(call=call, province=beijing, deadline=timezone.now() - datetime.timedelta(hours=1))
    application = complete(ministry_unit)
    assert services.application_submit(actor=ministry_unit, application_id=application.pk) == []


def test_withdraw_until_recommended_and_reopen(applicant, reviewers, submitted):
    application = submitted(applicant)
    services.application_withdraw(actor=applicant, application_id=application.pk, reason="材料需完善")
    assert Application.objects.get(pk=application.pk).state == State.WITHDRAWN
    services.application_reopen(actor=applicant, application_id=application.pk)
    reopened = Application.objects.get(pk=application.pk)
    assert (reopened.state, reopened.route) == (State.DRAFT, "")
    assert [a for a, *_ in audit_actions(application)][-3:] == [
        "application_submit", "application_withdraw", "application_reopen"]


@pytest.mark.parametrize("state", [State.RECOMMENDED, State.NATIONAL_REVIEW, State.DESIGNATED, State.DRAFT,
                                   State.NOT_RECOMMENDED])
def test_withdraw_refused_once_recommended_or_not_submitted(applicant, submitted, state):
    application = submitted(applicant)
    Application.objects.filter(pk=application.pk).update(state=state)
    with pytest.raises(PortalError) as exc:
        services.application_withdraw(actor=applicant, application_id=application.pk)
    assert exc.value.code == "state"


def test_resubmission_after_a_return_goes_back_to_the_desk_that_returned_it(city_institution, reviewers,
                                                                              submitted):
    application = submitted(city_institution)
    # The province returned it after the city had consented (issue 3 builds the return action itself).
    Application.objects.filter(pk=application.pk).update(state=State.RETURNED,
                                                         returned_from=State.PROVINCE_REVIEW)
    assert services.application_submit(actor=city_institution, application_id=application.pk) == []
    again = Application.objects.get(pk=application.pk)
    assert (again.state, again.versions.count()) == (State.PROVINCE_REVIEW, 2)


def test_other_organisations_cannot_touch_it(applicant, outsider, submitted):
    application = submitted(applicant)
    for action in (services.application_withdraw, services.application_submit, services.application_pledge):
        with pytest.raises(PortalError) as exc:
            action(actor=outsider, application_id=application.pk)
        assert exc.value.code == "not_found"


def test_a_file_written_by_a_failed_transaction_is_removed(applicant, call, monkeypatch, settings):
    import os
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    from navportal.demo.content import TINY_PDF
    application = services.application_start(actor=applicant, call=call)
    services.application_pledge(actor=applicant, application_id=application.pk)
    upload_root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])

    def broken_audit(**kwargs):
        raise RuntimeError("the database went away")
    monkeypatch.setattr(transitions, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        services.application_attach(actor=applicant, application_id=application.pk, kind="sealed_scan",
                                    upload=SimpleUploadedFile("scan.pdf", TINY_PDF), content_type="application/pdf")
    written = [f for _root, _dirs, files in os.walk(upload_root) for f in files] if upload_root.exists() else []
    assert written == []
    assert application.attachments.count() == 0


def test_a_replaced_file_is_deleted_only_after_commit(applicant, complete, settings, django_capture_on_commit_callbacks):
    from pathlib import Path
    application = complete(applicant)
    old = application.attachments.get(kind="sealed_scan")
    old_path = Path(old.file.path)
    from tests.conftest import attach_scan
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        attach_scan(applicant, application)
        assert old_path.exists()  # still there while the transaction could roll back
    for callback in callbacks:
        callback()
    assert not old_path.exists()
    assert Path(application.attachments.get(kind="sealed_scan").file.path).exists()


def _submission_statements(user, application):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert services.application_submit(actor=user, application_id=application.pk) == []
    return [query["sql"] for query in queries]


def test_a_submission_reads_the_provinces_deadline_once_and_the_place_with_the_lock(applicant, reviewers,
                                                                                    complete, call):
    """The deadline is checked twice in a submission — before its content, and by the one writer — from one read
    in its transaction; the province and city (the rules and the frozen document) come with the locked row."""
    ProvinceDeadline.objects.create(call=call, province=applicant.organisation.province, deadline=call.deadline)
    statements = _submission_statements(applicant, complete(applicant))
    assert sum('FROM "review_provincedeadline"' in sql for sql in statements) == 1
    assert not [sql for sql in statements if 'FROM "navportal_city"' in sql or 'FROM "navportal_province"' in sql]


def test_a_submission_costs_the_same_statements_with_three_reviewers_on_its_desk_as_with_one(reviewers, complete):
    """Its messages and mails are written in one statement each, whatever the number of recipients."""
    from navportal.models import City, Role
    from tests.conftest import make_applicant, make_user

    def statements(name):
        owner = make_applicant(f"示例·园区{name}", f"owner-{name}", city="330100")
        return len(_submission_statements(owner, complete(owner)))

    one = statements("one")  # Zhejiang's desk: province_zj
    for index in range(2):
        make_user(f"prov-zj-{index}", Role.PROVINCE, province=City.objects.get(code="330100").province)
    assert statements("three") == one


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_locking_read_is_the_scoped_one_and_only_inside_a_transaction(applicant, outsider, reviewers, submitted):
    """locked_application reads the row by id with a compiled locking query and holds it against the actor's
    scope: an application outside it, an id out of range or not a number, is the same "does not exist" as a
    missing one; outside a transaction it refuses to run, as the ORM's select_for_update does."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    application = submitted(applicant)
    with pytest.raises(transaction.TransactionManagementError):
        services.locked_application(applicant, application.pk)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            locked = services.locked_application(applicant, application.pk, related=("province",))
        assert (locked.pk, locked.call.pk, locked.organisation.pk, locked.province.pk) == (
            application.pk, application.call_id, application.organisation_id, application.province_id)
        assert len(queries) == 1
        if connection.features.has_select_for_update_of:  # PostgreSQL: the application alone is locked
            assert services._locked_query(("province",)).sql().endswith('FOR UPDATE OF "applications_application"')
        assert services.locked_application(reviewers["province_js"], str(application.pk)).pk == application.pk
        for actor, pk in [(outsider, application.pk), (reviewers["province_zj"], application.pk),
                          (reviewers["city_nanjing"], application.pk), (applicant, 2**63), (applicant, "1 OR 1"),
                          (applicant, -1), (applicant, None)]:
            with pytest.raises(PortalError) as refused:
                services.locked_application(actor, pk)
            assert refused.value.code == "not_found", (actor, pk)
