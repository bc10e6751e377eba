"""The decision trail through the pages: every later desk sees the earlier desks' decisions (what, who, which
unit, when, with which opinion); the applicant sees only its part. Outcomes go back up the chain; a consent or
decline given by mistake is taken back by the same desk until the package is handed in."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications import services as applicant_services
from applications.enums import State
from applications.models import Application
from navportal.demo.content import TINY_PDF
from navportal.models import AuditEvent, Message
from review import national, services
from review.models import Package
from tests.conftest import make_applicant, object_confirmed, resealed

CITY_NOTE = "市局意见：材料齐全，同意推荐至省局。"
RETURN_REASON = "请补充近三年服务记录的成果应用证明。"
OPINION = "省局推荐意见：服务能力突出，同意推荐。"
FAIL_REASON = "复核发现专利导航人员不足五人。"


def page(client, user, application, name="review_application"):
    client.force_login(user)
    response = client.get(reverse(name, args=[application.pk]))
    assert response.status_code == 200
    return response.content.decode()


def decide(client, user, application, action, **data):
    client.force_login(user)
    response = client.post(reverse("review_decide", args=[application.pk, action]),
                           {f"{action}-{key}": value for key, value in data.items()})
    assert response.status_code == 302, response.content.decode()[:3000]


def hand_in(province):
    package = Package.objects.get(province=province.province)
    services.package_attach_letter(actor=province, package_id=package.pk,
                                   upload=SimpleUploadedFile("letter.pdf", TINY_PDF))
    services.package_submit(actor=province, package_id=package.pk)


@pytest.fixture
def city_routed(client, reviewers, city_institution, submitted):
    """A Nanjing institution: the city consents with a note, the province returns it, the applicant resubmits,
    the province recommends it with its opinion — all through the pages but the applicant's resubmission."""
    application = submitted(city_institution)
    decide(client, reviewers["city_nanjing"], application, "city_consent", note=CITY_NOTE)
    decide(client, reviewers["province_js"], application, "return", reason=RETURN_REASON)
    assert applicant_services.application_submit(actor=city_institution, application_id=application.pk) == []
    decide(client, reviewers["province_js"], application, "recommend", opinion=OPINION)
    return Application.objects.get(pk=application.pk)


def test_the_city_consent_note_reaches_the_province(client, reviewers, city_institution, submitted):
    application = submitted(city_institution)
    decide(client, reviewers["city_nanjing"], application, "city_consent", note=CITY_NOTE)
    body = page(client, reviewers["province_js"], application)
    trail = body[body.index('id="trail-title"'):]
    assert CITY_NOTE in trail
    assert "city-nanjing" in trail and "南京市" in trail      # the person, and the unit
    assert "地市知识产权局同意" in trail


def test_every_later_desk_sees_each_earlier_decision(client, reviewers, city_routed):
    province, cnipa = reviewers["province_js"], reviewers["national"]
    hand_in(province)
    body = page(client, cnipa, city_routed)
    trail = body[body.index('id="trail-title"'):body.index("</section>", body.index('id="trail-title"'))]
    for text in (CITY_NOTE, RETURN_REASON, OPINION, "city-nanjing", "prov-js", "南京市", "江苏省"):
        assert text in trail, text
    # In order: the city's consent, the return, the recommendation, the hand-in.
    assert trail.index(CITY_NOTE) < trail.index(RETURN_REASON) < trail.index(OPINION)
    assert "rank" not in trail and "city_consent" not in trail


def test_the_applicant_sees_returns_declines_and_the_outcome_but_nothing_internal(
        client, reviewers, city_routed, city_institution):
    hand_in(reviewers["province_js"])
    national.recheck_fail(actor=reviewers["national"], application_id=city_routed.pk, reason=FAIL_REASON)
    body = page(client, city_institution, city_routed, name="application_tasks")
    trail = body[body.index('id="trail-title"'):body.index("</section>", body.index('id="trail-title"'))]
    assert RETURN_REASON in trail and FAIL_REASON in trail
    assert "推荐至国家知识产权局" in trail or "CNIPA" in trail or "国家知识产权局" in trail
    # Not the city's note to the province, not the province's opinion, not the officials' names.
    for text in (CITY_NOTE, OPINION, "city-nanjing", "prov-js", "cnipa"):
        assert text not in trail, text
    # Why it was not designated, at the top of its page.
    assert 'id="not-designated"' in body and body.index(FAIL_REASON) < body.index('id="trail-title"')


def test_an_applicant_not_designated_after_an_objection_sees_why(client, reviewers, city_routed, city_institution):
    hand_in(reviewers["province_js"])
    cnipa = reviewers["national"]
    national.recheck_pass(actor=cnipa, application_id=city_routed.pk)
    notice = national.notice_publish(actor=cnipa, call=city_routed.call, text="公示", contact="010-0000")
    objection = _object(notice)
    national.objection_decide(actor=cnipa, objection_id=objection.pk, decision="upheld", note="经核实，服务记录不实。")
    body = page(client, city_institution, city_routed, name="application_tasks")
    assert 'id="not-designated"' in body and "经核实，服务记录不实。" in body


def _object(notice):
    import datetime

    from django.utils import timezone

    entry = notice.entries.get()
    moment = timezone.make_aware(datetime.datetime.combine(notice.starts_on, datetime.time(10)))
    return object_confirmed(entry_id=entry.pk, kind="person", name="王某某", phone="13800000000",
                                     email="wang@example.cn", signature="王某某", reasons="不实。", now=moment)


def test_the_trail_is_read_once_per_change_and_costs_nothing_after(client, reviewers, city_routed,
                                                                     django_assert_num_queries):
    """The trail (and the versions) are cached under the application's lock_version: read in one query after a
    change, whatever the trail's length, then from the cache; a new decision shows at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def audit_queries(queries):
        return [q for q in queries if "navportal_auditevent" in q["sql"]]

    cnipa = reviewers["national"]
    hand_in(reviewers["province_js"])
    client.force_login(cnipa)
    url = reverse("review_application", args=[city_routed.pk])
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    assert len(audit_queries(first.captured_queries)) == 1
    with CaptureQueriesContext(connection) as warm:
        assert client.get(url).status_code == 200
    assert audit_queries(warm.captured_queries) == []
    warm_count = len(warm.captured_queries)  # read before the log is cleared again
    national.recheck_return_to_unit(actor=cnipa, application_id=city_routed.pk, reason="请核实此项")
    national.unit_resubmit(actor=reviewers["province_js"], application_id=city_routed.pk, note="已核实")
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as changed:
        page = client.get(url).content.decode()
    assert len(audit_queries(changed.captured_queries)) == 1 and "请核实此项" in page
    with django_assert_num_queries(warm_count):
        client.get(url)


# --- Outcomes up the chain ---------------------------------------------------------------------------------

def _told(user, words):
    return Message.objects.filter(recipient=user, subject__contains=words).exists()


def test_a_failed_recheck_is_told_to_the_province_and_the_city(client, reviewers, city_routed, mailoutbox,
                                                              django_capture_on_commit_callbacks):
    hand_in(reviewers["province_js"])
    client.force_login(reviewers["national"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("review_decide", args=[city_routed.pk, "recheck_fail"]),
                               {"recheck_fail-reason": FAIL_REASON})
    assert response.status_code == 302
    for who in ("province_js", "city_nanjing"):
        message = Message.objects.filter(recipient=reviewers[who]).latest("id")
        assert city_routed.name in message.subject and FAIL_REASON in message.body
        assert message.link == f"/review/applications/{city_routed.pk}/"
    addresses = {address for mail in mailoutbox for address in mail.to}
    assert {reviewers["province_js"].email, reviewers["city_nanjing"].email} <= addresses
    assert not Message.objects.filter(recipient__in=[reviewers["province_zj"], reviewers["city_suzhou"]]).exists()


def test_a_return_to_the_bureau_is_told_to_the_city_too(reviewers, city_routed):
    hand_in(reviewers["province_js"])
    national.recheck_return_to_unit(actor=reviewers["national"], application_id=city_routed.pk, reason="请核实人员")
    assert Message.objects.filter(recipient=reviewers["city_nanjing"], body__contains="请核实人员").exists()
    assert Message.objects.filter(recipient=reviewers["province_js"], body__contains="请核实人员").exists()


def test_designation_and_an_upheld_objection_go_back_up_the_chain(reviewers, submitted, call, city_institution):
    import datetime

    from django.utils import timezone

    province, cnipa = reviewers["province_js"], reviewers["national"]
    city_app = submitted(city_institution)
    services.application_city_consent(actor=reviewers["city_nanjing"], application_id=city_app.pk)
    park = submitted(make_applicant("示例·苏州园区甲", "sz-park"))
    for application in (city_app, park):
        services.application_recommend(actor=province, application_id=application.pk, opinion="同意")
    hand_in(province)
    for application in (city_app, park):
        national.recheck_pass(actor=cnipa, application_id=application.pk)
    notice = national.notice_publish(actor=cnipa, call=call, text="公示", contact="010-0000")
    entry = notice.entries.get(application=city_app)
    moment = timezone.make_aware(datetime.datetime.combine(notice.starts_on, datetime.time(10)))
    objection = object_confirmed(entry_id=entry.pk, kind="person", name="王某某", phone="13800000000",
                                          email="wang@example.cn", signature="王某某", reasons="不实。", now=moment)
    Message.objects.all().delete()
    national.objection_decide(actor=cnipa, objection_id=objection.pk, decision="upheld", note="异议成立。")
    assert _told(reviewers["province_js"], city_app.name) and _told(reviewers["city_nanjing"], city_app.name)
    Message.objects.all().delete()
    type(notice).objects.filter(pk=notice.pk).update(starts_on=timezone.localdate() - datetime.timedelta(days=12),
                                                     ends_on=timezone.localdate() - datetime.timedelta(days=5))
    resealed(notice)  # the calendar moved on (navportal.seals)
    national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number="国知办发运字〔2026〕9号",
                           document_date=timezone.localdate())
    assert _told(reviewers["province_js"], park.name)
    # The Suzhou park came through the province alone: no city is told of it.
    assert not Message.objects.filter(recipient__role="city").exists()


# --- Taking back a decision given by mistake -----------------------------------------------------------------

def take_back(client, user, application, reason="误操作，撤回。"):
    client.force_login(user)
    return client.post(reverse("review_decide", args=[application.pk, "take_back"]), {"take_back-reason": reason})


def test_the_city_takes_back_its_consent_while_the_province_has_not_decided(
        client, reviewers, city_institution, submitted):
    application = submitted(city_institution)
    city, province = reviewers["city_nanjing"], reviewers["province_js"]
    decide(client, city, application, "city_consent", note="同意")
    assert "take_back" in (client.get(reverse("review_application", args=[application.pk])).context["decisions"])
    client.force_login(province)   # not the province's decision to take back
    assert "take_back" not in client.get(reverse("review_application", args=[application.pk])).context["decisions"]
    response = take_back(client, city, application)
    assert response.status_code == 302 and response.url == reverse("review_application", args=[application.pk])
    assert Application.objects.get(pk=application.pk).state == State.CITY_REVIEW
    event = AuditEvent.objects.filter(object_id=str(application.pk)).latest("id")
    assert (event.action, event.from_state, event.to_state, event.note) == (
        "application_city_consent_withdraw", State.PROVINCE_REVIEW, State.CITY_REVIEW, "误操作，撤回。")
    assert Message.objects.filter(recipient=province, subject__contains=application.name).count() == 2
    body = page(client, province, application)
    assert "误操作，撤回。" in body
    # Once the province has decided (here: declined), the consent is no longer the city's to take back.
    decide(client, city, application, "city_consent", note="同意")
    decide(client, province, application, "decline", reason="不予推荐")
    client.force_login(city)
    assert "take_back" not in client.get(reverse("review_application", args=[application.pk])).context["decisions"]
    assert take_back(client, city, application).status_code == 409


def test_the_city_takes_back_its_refusal(client, reviewers, city_institution, submitted):
    application = submitted(city_institution)
    decide(client, reviewers["city_nanjing"], application, "city_decline", reason="不同意")
    assert take_back(client, reviewers["city_nanjing"], application).status_code == 302
    application.refresh_from_db()
    assert application.state == State.CITY_REVIEW and application.return_reason == ""
    body = page(client, city_institution, application, name="application_tasks")
    assert "不同意" in body   # the refusal stays on the applicant's trail, followed by its withdrawal


def test_the_province_takes_back_a_decline_until_the_package_is_handed_in(client, reviewers, submitted):
    province = reviewers["province_js"]
    declined = submitted(make_applicant("示例·苏州园区乙", "sz-b"))
    recommended = submitted(make_applicant("示例·苏州园区丙", "sz-c"))
    decide(client, province, declined, "decline", reason="服务次数不足")
    client.force_login(reviewers["province_zj"])
    assert take_back(client, reviewers["province_zj"], declined).status_code == 404
    assert take_back(client, province, declined).status_code == 302
    assert Application.objects.get(pk=declined.pk).state == State.PROVINCE_REVIEW
    decide(client, province, declined, "decline", reason="服务次数不足")
    decide(client, province, recommended, "recommend", opinion="同意")
    hand_in(province)
    response = take_back(client, province, declined)
    assert response.status_code == 409
    assert "handed in" in response.content.decode() or "已报送" in response.content.decode() \
        or "锁定" in response.content.decode()
    assert Application.objects.get(pk=declined.pk).state == State.NOT_RECOMMENDED


def test_taking_back_needs_a_reason(client, reviewers, submitted):
    province = reviewers["province_js"]
    application = submitted(make_applicant("示例·苏州园区丁", "sz-d"))
    decide(client, province, application, "decline", reason="不推荐")
    assert take_back(client, province, application, reason="").status_code == 400
    assert Application.objects.get(pk=application.pk).state == State.NOT_RECOMMENDED
