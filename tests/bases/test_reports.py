"""Annual reports (issue 19.3): CNIPA opens a reporting period; the base writes and submits its report with the
year's figures taken from its filings, by the deadline; the supervising bureau returns it with reasons or forwards it
with its opinion by its own deadline; CNIPA receives it. Missed reports are found once the deadline has passed."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from bases import filings, reports
from bases.models import AnnualReport, ReportState
from navportal.errors import PortalError
from navportal.models import AuditEvent, Message
from tests.bases.test_filings import days_ago, project_values

pytestmark = pytest.mark.django_db

NARRATIVE = {"demand_matching": "对接需求12项。", "organisation": "完善管理制度。", "promotion": "推广成果3项。"}


def hours(n):
    return timezone.now() + datetime.timedelta(hours=n)


@pytest.fixture
def period(cnipa):
    return reports.period_open(actor=cnipa, year=timezone.localdate().year, title="2026年度工作报告",
                               opens_at=hours(-1), deadline=hours(48), review_deadline=hours(96))


def test_only_cnipa_opens_a_period_with_dates_in_order_and_each_base_is_told(designated, reviewers, cnipa):
    with pytest.raises(PortalError):
        reports.period_open(actor=reviewers["province_js"], year=2026, title="x", opens_at=hours(-1),
                            deadline=hours(1), review_deadline=hours(2))
    with pytest.raises(PortalError):
        reports.period_open(actor=cnipa, year=2026, title="x", opens_at=hours(-1), deadline=hours(3),
                            review_deadline=hours(2))
    period = reports.period_open(actor=cnipa, year=timezone.localdate().year, title="年度报告", opens_at=hours(-1),
                                 deadline=hours(1), review_deadline=hours(2))
    for base in designated:
        assert Message.objects.filter(recipient__organisation=base.organisation_id, link="/base/").exists()
    with pytest.raises(PortalError):  # one per year
        reports.period_open(actor=cnipa, year=period.year, title="again", opens_at=hours(-1), deadline=hours(1),
                            review_deadline=hours(2))


def test_a_report_is_written_submitted_with_its_figures_returned_submitted_again_forwarded_and_received(
        designated, reviewers, cnipa, period):
    base = designated[0]
    member, province = base.organisation.members.get(), reviewers["province_js"]
    accepted = project_values(started_on=days_ago(1), accepted_on=days_ago(0), deliverables=["report"])
    project = filings.project_save(actor=member, base_id=base.pk, values=accepted)
    filings.service_file(actor=member, base_id=base.pk, kind="training", title="培训", held_on=timezone.localdate(),
                         participants=40)
    reports.report_save(actor=member, base_id=base.pk, period_id=period.pk, values={"demand_matching": "草稿"})
    with pytest.raises(PortalError) as exc:  # each task written
        reports.report_submit(actor=member, base_id=base.pk, period_id=period.pk)
    assert exc.value.code == "incomplete"
    reports.report_save(actor=member, base_id=base.pk, period_id=period.pk, values=NARRATIVE)
    report = reports.report_submit(actor=member, base_id=base.pk, period_id=period.pk)
    assert report.state == ReportState.SUBMITTED
    assert report.figures == {"projects_filed": 1, "projects_completed": 1, "results_in_use": 0, "services": 0,
                              "trainings": 1, "participants": 40}
    with pytest.raises(PortalError):  # submitted: no more changes
        reports.report_save(actor=member, base_id=base.pk, period_id=period.pk, values=NARRATIVE)

    reports.report_review(actor=province, report_id=report.pk, forward=False, text="请补充项目成效。")
    # Returned after the bases' deadline: still submitted again until the bureaus' deadline.
    later = period.deadline + datetime.timedelta(hours=1)
    reports.report_save(actor=member, base_id=base.pk, period_id=period.pk,
                        values={**NARRATIVE, "promotion": "推广成果3项，新增应用证明。"}, now=later)
    reports.report_submit(actor=member, base_id=base.pk, period_id=period.pk, now=later)
    with pytest.raises(PortalError):  # CNIPA receives only what the bureau forwarded
        reports.report_receive(actor=cnipa, report_id=report.pk)
    reports.report_review(actor=province, report_id=report.pk, forward=True, text="同意报送。")
    reports.report_receive(actor=cnipa, report_id=report.pk)
    report.refresh_from_db()
    assert (report.state, report.opinion, report.promotion) == (ReportState.RECEIVED, "同意报送。",
                                                                "推广成果3项，新增应用证明。")
    assert list(AuditEvent.objects.filter(action__startswith="base_report").order_by("id").values_list(
        "action", "from_state", "to_state")) == [
        ("base_report_submit", "draft", "submitted"), ("base_report_review", "submitted", "returned"),
        ("base_report_submit", "returned", "submitted"), ("base_report_review", "submitted", "forwarded"),
        ("base_report_receive", "forwarded", "received")]


def test_the_deadlines_hold(designated, reviewers, period):
    base = designated[0]
    member = base.organisation.members.get()
    reports.report_save(actor=member, base_id=base.pk, period_id=period.pk, values=NARRATIVE)
    with pytest.raises(PortalError) as exc:
        reports.report_submit(actor=member, base_id=base.pk, period_id=period.pk, now=period.deadline)
    assert exc.value.code == "deadline"
    report = reports.report_submit(actor=member, base_id=base.pk, period_id=period.pk)
    with pytest.raises(PortalError) as exc:
        reports.report_review(actor=reviewers["province_js"], report_id=report.pk, forward=True, text="同意",
                              now=period.review_deadline)
    assert exc.value.code == "deadline"


def test_only_the_supervising_bureau_reviews(designated, reviewers, cnipa, period):
    base = designated[0]
    member = base.organisation.members.get()
    reports.report_save(actor=member, base_id=base.pk, period_id=period.pk, values=NARRATIVE)
    report = reports.report_submit(actor=member, base_id=base.pk, period_id=period.pk)
    for actor in (cnipa, reviewers["ministry_moe"], reviewers["city_suzhou"], member):
        with pytest.raises(PortalError) as exc:
            reports.report_review(actor=actor, report_id=report.pk, forward=True, text="同意")
        assert exc.value.code in ("forbidden", "not_found")
    assert AnnualReport.objects.get(pk=report.pk).state == ReportState.SUBMITTED


def test_missed_reports_are_the_current_bases_without_a_submitted_report_once_the_deadline_passed(
        designated, period):
    base = designated[0]
    member = base.organisation.members.get()
    reports.report_save(actor=member, base_id=base.pk, period_id=period.pk, values=NARRATIVE)
    reports.report_submit(actor=member, base_id=base.pk, period_id=period.pk)
    reports.report_save(actor=designated[1].organisation.members.get(), base_id=designated[1].pk,
                        period_id=period.pk, values=NARRATIVE)  # a draft is not a report
    assert not reports.missed_reports(period).exists()  # not before the deadline
    missed = reports.missed_reports(period, now=period.deadline)
    assert set(missed) == set(designated[1:])


def test_the_database_keeps_one_report_per_base_and_period(designated, period):
    base = designated[0]
    reports.report_save(actor=base.organisation.members.get(), base_id=base.pk, period_id=period.pk,
                        values=NARRATIVE)
    with pytest.raises(IntegrityError), transaction.atomic():
        AnnualReport.objects.create(period=period, base=base, updated_at=timezone.now())
