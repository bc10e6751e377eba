"""The annual reports' pages (19.3): CNIPA opens a period; the base writes, saves and submits its report from its
own page, the figures shown beside it; Jiangsu returns or forwards it on the report's page; CNIPA receives it. A bad
form keeps what was typed."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from bases.models import AnnualReport, ReportingPeriod, ReportState

pytestmark = pytest.mark.django_db


def local(delta_hours):
    return (timezone.localtime() + datetime.timedelta(hours=delta_hours)).strftime("%Y-%m-%dT%H:%M")


def test_a_year_s_report_from_the_period_to_cnipa(client, designated, reviewers, cnipa):
    base = designated[0]
    client.force_login(cnipa)
    response = client.post(reverse("reporting_periods"), {"year": str(timezone.localdate().year), "title": "",
                                                           "opens_at": local(-1), "deadline": local(48),
                                                           "review_deadline": local(96)})
    assert response.status_code == 400
    response = client.post(reverse("reporting_periods"), {"year": str(timezone.localdate().year),
                                                           "title": "年度工作报告", "opens_at": local(-1),
                                                           "deadline": local(48), "review_deadline": local(96)})
    period = ReportingPeriod.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reporting_period", args=[period.pk])

    client.force_login(base.organisation.members.get())
    page = client.get(reverse("own_base")).content.decode()
    assert reverse("base_report", args=[base.pk, period.pk]) in page
    url = reverse("base_report", args=[base.pk, period.pk])
    response = client.post(url, {"demand_matching": "对接需求5项。", "submit": ""})
    assert response.status_code == 400 and "对接需求5项。" in response.content.decode()  # incomplete: kept
    assert client.post(url, {"demand_matching": "对接需求5项。", "organisation": "制度完善。", "promotion": "推广2项。",
                             "submit": ""}).status_code == 302
    report = AnnualReport.objects.get()
    assert report.state == ReportState.SUBMITTED

    client.force_login(reviewers["province_js"])
    period_page = client.get(reverse("reporting_period", args=[period.pk])).content.decode()
    assert reverse("report_detail", args=[period.pk, report.pk]) in period_page
    review = reverse("report_review", args=[period.pk, report.pk])
    assert client.post(review, {"decision": "forward", "text": ""}).status_code == 400
    assert client.post(review, {"decision": "forward", "text": "同意报送。"}).status_code == 302

    client.force_login(cnipa)
    assert client.post(reverse("report_receive", args=[period.pk, report.pk])).status_code == 302
    report.refresh_from_db()
    assert report.state == ReportState.RECEIVED
    page = client.get(reverse("report_detail", args=[period.pk, report.pk])).content.decode()
    assert "同意报送。" in page and "推广2项。" in page


def test_only_cnipa_opens_a_period(client, designated, reviewers):
    client.force_login(reviewers["province_js"])
    assert client.get(reverse("reporting_periods")).status_code == 200
    assert client.post(reverse("reporting_periods"), {"year": "2025", "title": "x", "opens_at": local(-1),
                                                       "deadline": local(1), "review_deadline": local(2)}
                       ).status_code == 404
    assert not ReportingPeriod.objects.exists()


def test_the_period_page_offers_the_missed_reports_rectification_only_for_bases_not_under_one(
        client, designated, cnipa):
    """After the deadline the page lists the bases that did not report; the button opens rectifications only where
    one would open (an active base): with every missed base already under rectification it is not offered. A base
    revoked since keeps its report on the page."""
    import datetime

    from bases import reports, services
    from bases.models import Base

    # Designated a month ago (the designation's date only; nothing that date decides has happened yet).
    Base.objects.update(designated_on=timezone.localdate() - datetime.timedelta(days=30))
    period = reports.period_open(actor=cnipa, year=timezone.localdate().year, title="已截止的年度报告",
                                 opens_at=timezone.now() - datetime.timedelta(days=9),
                                 deadline=timezone.now() - datetime.timedelta(days=2),
                                 review_deadline=timezone.now() + datetime.timedelta(days=5))
    reported, revoked = designated[0], designated[1]
    for base in (reported, revoked):
        member = base.organisation.members.get()
        reports.report_save(actor=member, base_id=base.pk, period_id=period.pk, values={
            "demand_matching": "x", "organisation": "y", "promotion": "z"}, now=period.opens_at)
        reports.report_submit(actor=member, base_id=base.pk, period_id=period.pk, now=period.opens_at)
    services.base_revoke(actor=cnipa, base_id=revoked.pk, document_number="国知办发〔2027〕9号",
                         document_date=timezone.localdate(), reason="撤销")
    client.force_login(cnipa)
    url, rectify = reverse("reporting_period", args=[period.pk]), reverse("missed_rectify", args=[period.pk])
    page = client.get(url).content.decode()
    assert rectify in page and revoked.name in page  # two active bases missed it; the revoked one reported
    for base in designated[2:]:
        services.rectification_open(actor=cnipa, base_id=base.pk, reason="finding", detail="另案整改",
                                    deadline=timezone.localdate() + datetime.timedelta(days=9))
    page = client.get(url).content.decode()
    assert rectify not in page and all(base.name in page for base in designated[2:])
