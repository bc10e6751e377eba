"""The assessment (考核评价, issue 19.4) and dynamic management after it (19.5): indicators computed from the checked
filings or scored with reasons, totals and grades by the period's thresholds, published once — an unqualified base
put under rectification —; bases that missed the report put under rectification; the national table and the
provinces' figures."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from bases import assessment, filings, reports
from bases.models import AssessmentResult, BaseStatus, Grade, Indicator, Rectification, Score
from navportal.errors import PortalError
from navportal.models import AuditEvent
from tests.bases.test_filings import days_ago, project_values
from tests.bases.test_reports import NARRATIVE, hours

pytestmark = pytest.mark.django_db


@pytest.fixture
def period(cnipa):
    return reports.period_open(actor=cnipa, year=timezone.localdate().year, title="年度考核", opens_at=hours(-1),
                               deadline=hours(48), review_deadline=hours(96))


def file_and_check(base, reviewers, *, projects=0, accepted=0, participants=0):
    member, province = base.organisation.members.get(), reviewers["province_js"]
    for i in range(projects):
        done = i < accepted
        project = filings.project_save(actor=member, base_id=base.pk, values=project_values(
            title=f"项目{i}", started_on=days_ago(1) if done else None, accepted_on=days_ago(0) if done else None,
            deliverables=["report"] if done else []))
        filings.project_check(actor=province, base_id=base.pk, project_id=project.pk, acknowledge=True)
    if participants:
        service = filings.service_file(actor=member, base_id=base.pk, kind="training", title="培训",
                                       held_on=timezone.localdate(), participants=participants)
        filings.service_check(actor=province, base_id=base.pk, service_id=service.pk, acknowledge=True)


def test_computed_indicators_count_checked_filings_in_proportion_to_their_target(designated, reviewers, cnipa,
                                                                                 period):
    base = designated[0]
    file_and_check(base, reviewers, projects=2, accepted=1, participants=100)
    filings.project_save(actor=base.organisation.members.get(), base_id=base.pk,
                         values=project_values(title="未审核"))  # filed, not checked: does not count
    assessment.indicators_standard(actor=cnipa, period_id=period.pk)
    [row] = [r for r in assessment.results(period.assessment) if r.base == base]
    points = {d["indicator"]: Decimal(d["points"]) for d in row.detail}
    assert points["立项的专利导航项目"] == Decimal("13.33")   # 2 of 3 → 20 × 2/3
    assert points["验收的专利导航项目"] == Decimal("7.50")    # 1 of 2 → 15 × 1/2
    assert points["成果得到应用的项目"] == Decimal("0.00")    # no evidence of use
    assert points["培训人次"] == Decimal("5.00")             # 100 of 200 → 10 × 1/2
    assert row.missing == 3 and row.total == Decimal("25.83")


def test_scores_need_their_reason_and_stay_within_the_indicator_s_points(designated, reviewers, cnipa, period):
    base = designated[0]
    assessment.indicators_standard(actor=cnipa, period_id=period.pk)
    for target in (0, 3_000_000_000, "5"):  # a computed indicator's target: a count the column holds
        with pytest.raises(PortalError):
            assessment.indicator_add(actor=cnipa, period_id=period.pk, group="effect", name="x", kind="computed",
                                     figure="services", target=target, points=Decimal(5))
    plan = Indicator.objects.get(name="建设方案落实情况")
    for points, reason in ((Decimal(11), "超出"), (Decimal(-1), "负分"), (Decimal(8), " ")):
        with pytest.raises(PortalError):
            assessment.score_save(actor=cnipa, period_id=period.pk, base_id=base.pk, indicator_id=plan.pk,
                                  points=points, reason=reason)
    with pytest.raises(PortalError) as exc:
        assessment.score_save(actor=reviewers["province_js"], period_id=period.pk, base_id=base.pk,
                              indicator_id=plan.pk, points=Decimal(8), reason="x")
    assert exc.value.code == "forbidden"
    assessment.score_save(actor=cnipa, period_id=period.pk, base_id=base.pk, indicator_id=plan.pk,
                          points=Decimal(8), reason="方案落实较好。")
    assessment.score_save(actor=cnipa, period_id=period.pk, base_id=base.pk, indicator_id=plan.pk,
                          points=Decimal("8.5"), reason="方案落实较好，年度目标完成。")  # replaces
    assert Score.objects.get().points == Decimal("8.50")
    assert AuditEvent.objects.filter(action="base_assessment_score", object_id=str(base.pk)).count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.create(indicator=plan, base=base, points=1, reason="x", scored_by=cnipa,
                             scored_at=timezone.now())


def score_all(cnipa, period, bases, points):
    for base in bases:
        for indicator in Indicator.objects.filter(scheme__period=period, kind="scored"):
            assessment.score_save(actor=cnipa, period_id=period.pk, base_id=base.pk, indicator_id=indicator.pk,
                                  points=Decimal(points.get(base.pk, 10)), reason="依据年度报告和备案材料评分。")


def test_publishing_freezes_grades_tells_each_base_and_puts_the_unqualified_under_rectification(
        designated, reviewers, cnipa, period):
    strong, weak = designated[0], designated[1]
    file_and_check(strong, reviewers, projects=3, accepted=2, participants=200)
    assessment.indicators_standard(actor=cnipa, period_id=period.pk)
    assessment.scheme_save(actor=cnipa, period_id=period.pk, excellent=Decimal(85), good=Decimal(70),
                           qualified=Decimal(40))
    with pytest.raises(PortalError) as exc:  # every base scored first
        assessment.assessment_publish(actor=cnipa, period_id=period.pk, rectify_by=timezone.localdate()
                                      + datetime.timedelta(days=60))
    assert exc.value.code == "incomplete"
    score_all(cnipa, period, designated, {weak.pk: 2})
    scheme, opened = assessment.assessment_publish(actor=cnipa, period_id=period.pk,
                                                   rectify_by=timezone.localdate() + datetime.timedelta(days=60))
    grades = dict(AssessmentResult.objects.values_list("base_id", "grade"))
    assert grades[strong.pk] == Grade.GOOD          # 20 + 15 + 0 + 0 + 10 + 30 = 75
    assert grades[weak.pk] == Grade.UNQUALIFIED     # 0 computed + 6 scored
    assert opened == sum(1 for g in grades.values() if g == Grade.UNQUALIFIED) >= 1
    weak.refresh_from_db()
    assert weak.status == BaseStatus.RECTIFYING
    assert Rectification.objects.get(base=weak).reason == "unqualified"
    with pytest.raises(PortalError) as exc:  # published: nothing changes any more
        score_all(cnipa, period, [strong], {})
    assert exc.value.code == "state"
    trail = set(AuditEvent.objects.filter(object_type="bases.base", object_id=str(weak.pk)).values_list("action",
                                                                                                        flat=True))
    assert {"base_assessment_result", "base_rectify"} <= trail


def test_missed_reports_are_put_under_rectification_once_the_deadline_passed(designated, cnipa, period):
    base = designated[0]
    member = base.organisation.members.get()
    reports.report_save(actor=member, base_id=base.pk, period_id=period.pk, values=NARRATIVE)
    reports.report_submit(actor=member, base_id=base.pk, period_id=period.pk)
    by = timezone.localdate() + datetime.timedelta(days=30)
    with pytest.raises(PortalError):  # not before the deadline
        assessment.rectify_missed(actor=cnipa, period_id=period.pk, deadline=by)
    with pytest.raises(PortalError) as exc:  # the service checks the date itself, not only its page
        assessment.rectify_missed(actor=cnipa, period_id=period.pk, deadline=timezone.localdate(),
                                  now=period.deadline)
    assert exc.value.code == "invalid" and not Rectification.objects.exists()
    opened = assessment.rectify_missed(actor=cnipa, period_id=period.pk, deadline=by, now=period.deadline)
    assert opened == 3
    assert set(Rectification.objects.values_list("base_id", flat=True)) == {b.pk for b in designated[1:]}
    assert assessment.rectify_missed(actor=cnipa, period_id=period.pk, deadline=by, now=period.deadline) == 0


def test_an_unqualified_base_rectified_and_another_revoked(designated, reviewers, cnipa, period):
    """The year's end as the issue's done-when has it: after the assessment, one unqualified base answers and is
    restored; another does not put things right and loses its title."""
    from bases import services

    assessment.indicators_standard(actor=cnipa, period_id=period.pk)
    score_all(cnipa, period, designated, {designated[2].pk: 0, designated[3].pk: 0})
    assessment.assessment_publish(actor=cnipa, period_id=period.pk,
                                  rectify_by=timezone.localdate() + datetime.timedelta(days=60))
    rectified, revoked = designated[2], designated[3]
    services.rectification_answer(actor=rectified.organisation.members.get(), base_id=rectified.pk,
                                  answer="已补充立项两个项目并完善经费保障。")
    services.rectification_close(actor=cnipa, base_id=rectified.pk, note="整改到位。")
    services.base_revoke(actor=cnipa, base_id=revoked.pk, document_number="国知办发运字〔2027〕3号",
                         document_date=timezone.localdate(), reason="考核不合格且整改不到位。")
    rectified.refresh_from_db()
    revoked.refresh_from_db()
    assert (rectified.status, revoked.status) == (BaseStatus.ACTIVE, BaseStatus.REVOKED)
    assert Rectification.objects.get(base=revoked).outcome == "revoked"


def test_the_pages_from_indicators_to_the_published_table(client, designated, reviewers, cnipa, period):
    base = designated[0]
    file_and_check(base, reviewers, projects=3, accepted=2, participants=150)
    client.force_login(reviewers["province_js"])
    page = client.get(reverse("assessment", args=[period.pk])).content.decode()
    assert "尚未公布考核结果" in page  # a bureau waits for CNIPA
    client.force_login(cnipa)
    setup = reverse("assessment_setup", args=[period.pk])
    assert client.post(setup, {"action": "standard"}).status_code == 302
    page = client.get(reverse("assessment", args=[period.pk])).content.decode()
    assert page.count("3项待评分") == len(designated) and "评价方式" in page  # what each base still needs
    response = client.post(setup, {"action": "thresholds", "excellent": "60", "good": "80", "qualified": "50"})
    assert response.status_code == 400  # out of order: said, nothing saved
    assert client.post(setup, {"action": "thresholds", "excellent": "85", "good": "70",
                               "qualified": "40"}).status_code == 302
    for target in designated:
        url = reverse("assessment_base", args=[period.pk, target.pk])
        for indicator in Indicator.objects.filter(kind="scored"):
            assert client.post(url, {"indicator": indicator.pk, "points": "9", "reason": "材料完整。"}).status_code == 302
    publish = reverse("assessment_publish", args=[period.pk])
    assert client.post(publish, {"rectify_by": (timezone.localdate() + datetime.timedelta(days=30)).isoformat()}
                       ).status_code == 400  # the confirmation
    assert client.post(publish, {"rectify_by": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
                                 "confirm": "on"}).status_code == 302
    page = client.get(reverse("assessment", args=[period.pk])).content.decode()
    assert "<svg" in page and "江苏省" in page
    response = client.get(reverse("assessment_export", args=[period.pk]))
    book = load_workbook(io.BytesIO(response.content))
    results, provinces = book.worksheets
    names = [row[1].value for row in results.iter_rows(min_row=3)]
    assert set(names) == {b.name for b in designated}
    assert [c.value for c in provinces[3]][0] == "江苏省" and [c.value for c in provinces[3]][5] == 4

    client.force_login(base.organisation.members.get())
    own = client.get(reverse("own_base")).content.decode()
    assert "材料完整。" in own and f"assessment-{period.year}" in own
