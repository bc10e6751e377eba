"""CNIPA's pages: the dashboard, re-check decisions, the notice and objections; nobody else reaches them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.enums import ClaimStatus, State
from applications.models import Application
from review import national
from review.models import Notice, Objection
from tests.conftest import object_confirmed, make_applicant
from tests.review.test_national import during, handed_in, pass_all, person, publish  # noqa: F401 - fixtures


@pytest.fixture
def cnipa(reviewers):
    return reviewers["national"]


def test_dashboard_counts_per_unit(client, cnipa, handed_in, submitted, city_institution, ministry_unit, call):
    submitted(city_institution)  # awaiting city consent in Jiangsu
    submitted(ministry_unit)     # at the Ministry of Education's desk
    national.national_claim_check(actor=cnipa, application_id=handed_in[3].pk, status=ClaimStatus.REJECTED,
                                  note="过期")
    client.force_login(cnipa)
    response = client.get(reverse("dashboard"))
    rows = {str(r["unit"]): r for r in response.context["progress"]["rows"]}
    jiangsu = rows["江苏省"]
    assert (jiangsu["received"], jiangsu["city"], jiangsu["recommended"], jiangsu["counted"], jiangsu["exempt"],
            jiangsu["over"], jiangsu["handed_in"]) == (5, 1, 4, 4, 0, 1, "on_time")
    assert rows["教育部"]["desk"] == 1
    assert rows["浙江省"]["received"] == 0
    assert len(rows) == 32 + 1  # every province, and the one ministry with applications
    assert response.context["progress"]["totals"]["received"] == 6
    assert [str(r["unit"]) for r in response.context["progress"]["over_quota"]] == ["江苏省"]


def test_dashboard_query_count_does_not_grow(client, cnipa, submitted, call):
    def count():
        client.force_login(cnipa)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("dashboard")).status_code == 200
        return len(queries)
    submitted(make_applicant("示例·一", "one"))
    few = count()
    for i in range(4):
        submitted(make_applicant(f"示例·多{i}", f"many{i}", city="330100"))
    assert count() == few <= 15


@pytest.mark.parametrize("who", ["province_js", "city_nanjing", "ministry_moe"])
def test_cnipa_pages_are_404_for_everyone_else(client, reviewers, applicant, call, who):
    for user in (reviewers[who], applicant):
        client.force_login(user)
        for url in (reverse("dashboard"), reverse("notice_manage", args=[call.pk])):
            assert client.get(url).status_code == 404
        assert client.post(reverse("notice_publish", args=[call.pk]), {"text": "x", "contact": "y"}).status_code == 404


def test_recheck_decisions_on_the_application_page(client, cnipa, handed_in):
    client.force_login(cnipa)
    application = handed_in[0]
    response = client.get(reverse("review_application", args=[application.pk]))
    assert sorted(response.context["decisions"]) == ["recheck_fail", "recheck_pass", "return_to_unit"]
    client.post(reverse("review_decide", args=[application.pk, "recheck_fail"]), {"recheck_fail-reason": "不实"})
    assert Application.objects.get(pk=application.pk).state == State.RECHECK_FAILED
    response = client.post(reverse("review_claim", args=[handed_in[3].pk, "national"]),
                           {"national-status": "rejected", "national-note": "文件过期"})
    assert response.status_code == 302
    assert Application.objects.get(pk=handed_in[3].pk).national_exemption_status == ClaimStatus.REJECTED


def test_publish_through_the_page(client, cnipa, handed_in, call):
    pass_all(cnipa, handed_in)
    client.force_login(cnipa)
    response = client.get(reverse("notice_manage", args=[call.pk]))
    assert response.context["passing"] == 4 and response.context["pending"] == 0
    response = client.post(reverse("notice_publish", args=[call.pk]), {"text": "", "contact": "电话"})
    assert response.status_code == 400 and not Notice.objects.exists()
    preview = client.post(reverse("notice_publish", args=[call.pk]), {"text": "公示", "contact": "电话"})
    assert preview.status_code == 200 and not Notice.objects.exists()
    client.post(reverse("notice_publish", args=[call.pk]), {"text": "公示", "contact": "电话",
                                                            "confirmed": preview.context["plan"].digest})
    assert Notice.objects.get().entries.count() == 4


def test_objection_decided_through_the_page(client, cnipa, handed_in, call):
    pass_all(cnipa, handed_in)
    notice = publish(cnipa, call)
    objection = object_confirmed(**person(notice.entries.first()), now=during(notice))
    client.force_login(cnipa)
    assert "王某某" in client.get(reverse("objection_detail", args=[objection.pk])).content.decode()
    response = client.post(reverse("objection_decide", args=[objection.pk]), {"decision": "dismissed", "note": ""})
    assert response.status_code == 400
    client.post(reverse("objection_decide", args=[objection.pk]), {"decision": "dismissed", "note": "不成立"})
    assert Objection.objects.get().decision == "dismissed"


def test_queue_drill_down_by_province(client, cnipa, handed_in, ministry_unit, submitted):
    submitted(ministry_unit)
    client.force_login(cnipa)
    from navportal.models import Province
    response = client.get(reverse("review_queue"), {"state": "", "province": Province.objects.get(code="320000").pk})
    assert response.context["page"].paginator.count == 4


def test_dashboard_adds_up_city_and_province_routes_in_the_same_state(client, cnipa, reviewers, submitted,
                                                                      city_institution, applicant):
    from review import services
    for user, desk in ((city_institution, "city_nanjing"), (applicant, "province_js")):
        application = submitted(user)
        if desk == "city_nanjing":
            services.application_city_consent(actor=reviewers[desk], application_id=application.pk)
        services.application_decline(actor=reviewers["province_js"], application_id=application.pk, reason="择优")
    client.force_login(cnipa)
    rows = {str(r["unit"]): r for r in client.get(reverse("dashboard")).context["progress"]["rows"]}
    assert rows["江苏省"]["received"] == 2


def test_date_fields_are_prefilled_in_the_browsers_format(client, cnipa, handed_in, call):
    from django.utils import timezone
    pass_all(cnipa, handed_in)
    publish(cnipa, call)
    client.force_login(cnipa)
    body = client.get(reverse("notice_manage", args=[call.pk])).content.decode()
    assert f'name="document_date" value="{timezone.localdate():%Y-%m-%d}"' in body


def test_confirming_dates_or_the_list_before_publishing_is_a_clear_refusal(client, cnipa, call):
    client.force_login(cnipa)
    response = client.post(reverse("notice_final", args=[call.pk]), {"document_number": "x",
                                                                      "document_date": "2026-01-01"})
    assert response.status_code == 409
    response = client.post(reverse("notice_dates", args=[call.pk]), {"starts_on": "2026-01-01",
                                                                      "ends_on": "2026-01-08"})
    assert response.status_code == 409
