"""CNIPA's chain from a handed-in package to the designated list: re-check, the over-quota block, the
public notice and its objections, the final confirmation."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications.enums import ClaimStatus, State
from applications.models import Application
from navportal.demo.content import TINY_PDF
from navportal.errors import PortalError
from navportal.models import AuditEvent
from navportal.privacy_rules import RULES_VERSION
from review import national, services
from review.progress import units_over_quota
from review.models import Notice, NoticeEntry, Objection, Package, RegistryEntry
from tests.conftest import make_applicant, object_confirmed, resealed


@pytest.fixture
def cnipa(reviewers):
    return reviewers["national"]


@pytest.fixture
def handed_in(reviewers, submitted, call):
    """Jiangsu hands in three counted recommendations and one exempt one; all wait for CNIPA's re-check."""
    province = reviewers["province_js"]
    apps = [submitted(make_applicant(f"示例·江苏园区{i}", f"js{i}")) for i in range(4)]
    Application.objects.filter(pk=apps[3].pk).update(exempt_category="protection_centre")
    services.claim_check(actor=province, application_id=apps[3].pk, claim="exemption", status="verified")
    for application in apps:
        services.application_recommend(actor=province, application_id=application.pk, opinion="同意")
    package = Package.objects.get(province=province.province)
    services.package_attach_letter(actor=province, package_id=package.pk, upload=SimpleUploadedFile("l.pdf", TINY_PDF))
    services.package_submit(actor=province, package_id=package.pk)
    return [Application.objects.get(pk=a.pk) for a in apps]


def pass_all(cnipa, apps):
    """CNIPA passes each application, checking first an exemption the province verified (the re-check covers it)."""
    for application in apps:
        application = Application.objects.get(pk=application.pk)
        if application.exemption_status == ClaimStatus.VERIFIED and \
                application.national_exemption_status == ClaimStatus.PENDING:
            national.national_claim_check(actor=cnipa, application_id=application.pk, status=ClaimStatus.VERIFIED)
        national.recheck_pass(actor=cnipa, application_id=application.pk)


def publish(cnipa, call, days_ago=0):
    return national.notice_publish(actor=cnipa, call=call, text="现将拟确定名单予以公示。", contact="电话 010-0000",
                                   published_on=timezone.localdate() - datetime.timedelta(days=days_ago))


def test_only_cnipa_rechecks(reviewers, handed_in):
    for who in ("province_js", "city_suzhou", "ministry_moe"):
        with pytest.raises(PortalError):
            national.recheck_pass(actor=reviewers[who], application_id=handed_in[0].pk)
    assert Application.objects.get(pk=handed_in[0].pk).state == State.NATIONAL_REVIEW


def test_recheck_outcomes(cnipa, handed_in):
    national.recheck_pass(actor=cnipa, application_id=handed_in[0].pk)
    national.recheck_fail(actor=cnipa, application_id=handed_in[1].pk, reason="服务次数不实")
    national.recheck_return_to_unit(actor=cnipa, application_id=handed_in[2].pk, reason="推荐意见缺失")
    states = [Application.objects.get(pk=a.pk).state for a in handed_in[:3]]
    assert states == [State.RECHECK_PASSED, State.RECHECK_FAILED, State.RETURNED_TO_UNIT]
    with pytest.raises(PortalError):
        national.recheck_fail(actor=cnipa, application_id=handed_in[1].pk, reason="again")


def test_returned_to_the_unit_it_is_handed_back_or_dropped(cnipa, reviewers, handed_in):
    province = reviewers["province_js"]
    national.recheck_return_to_unit(actor=cnipa, application_id=handed_in[0].pk, reason="补充")
    national.recheck_return_to_unit(actor=cnipa, application_id=handed_in[1].pk, reason="补充")
    national.unit_resubmit(actor=province, application_id=handed_in[0].pk, note="已补充")
    national.unit_drop(actor=province, application_id=handed_in[1].pk, reason="撤回推荐")
    assert Application.objects.get(pk=handed_in[0].pk).state == State.NATIONAL_REVIEW
    assert Application.objects.get(pk=handed_in[1].pk).state == State.NOT_RECOMMENDED
    assert list(Package.objects.get().recommendations.values_list("rank", flat=True)) == [1, 2, 3]
    with pytest.raises(PortalError):
        national.unit_drop(actor=reviewers["province_zj"], application_id=handed_in[2].pk, reason="x")


def test_rejected_exemption_puts_the_province_over_quota_and_blocks_publishing(cnipa, handed_in, call):
    national.national_claim_check(actor=cnipa, application_id=handed_in[3].pk, status=ClaimStatus.REJECTED,
                                  note="认定文件已过期")
    pass_all(cnipa, handed_in)
    [row] = units_over_quota(call)
    assert (row.counted, row.over) == (4, 1)
    with pytest.raises(PortalError) as exc:
        publish(cnipa, call)
    assert exc.value.code == "quota" and "江苏" in str(exc.value)
    national.recheck_fail(actor=cnipa, application_id=handed_in[2].pk, reason="超出名额，择优保留")
    assert units_over_quota(call) == []
    notice = publish(cnipa, call)
    assert [e.name for e in notice.entries.all()] == ["示例·江苏园区0", "示例·江苏园区1", "示例·江苏园区3"]


def test_publishing_waits_for_every_recheck(cnipa, handed_in, call):
    pass_all(cnipa, handed_in[:3])
    with pytest.raises(PortalError) as exc:
        publish(cnipa, call)
    assert exc.value.code == "pending"


def test_publish_freezes_the_list_and_counts_working_days(cnipa, handed_in, call):
    pass_all(cnipa, handed_in)
    notice = national.notice_publish(actor=cnipa, call=call, text="公示", contact="电话",
                                     published_on=datetime.date(2025, 9, 30))
    assert (notice.starts_on, notice.ends_on, notice.dates_confirmed) == (
        datetime.date(2025, 10, 1), datetime.date(2025, 10, 14), True)
    assert set(Application.objects.filter(call=call).values_list("state", flat=True)) == {State.ON_NOTICE}
    Application.objects.filter(pk=handed_in[0].pk).update(name="改名")
    assert NoticeEntry.objects.get(application=handed_in[0]).name == "示例·江苏园区0"
    with pytest.raises(PortalError):
        publish(cnipa, call)
    assert AuditEvent.objects.filter(action="notice_publish").count() == 1


@pytest.fixture
def on_notice(cnipa, handed_in, call):
    pass_all(cnipa, handed_in)
    notice = publish(cnipa, call)
    return notice, list(notice.entries.order_by("number"))


def person(entry, **overrides):
    data = {"entry_id": entry.pk, "kind": "person", "name": "王某某", "phone": "13800000000",
            "email": "wang@example.cn", "signature": "王某某", "reasons": "该园区服务次数与事实不符。",
            "privacy_version": RULES_VERSION}
    return {**data, **overrides}


def during(notice):
    return timezone.make_aware(datetime.datetime.combine(notice.starts_on, datetime.time(10)))


def test_objections_only_during_the_period(on_notice):
    notice, entries = on_notice
    before = timezone.make_aware(datetime.datetime.combine(notice.starts_on, datetime.time.min)) - \
        datetime.timedelta(seconds=1)
    after = timezone.make_aware(datetime.datetime.combine(notice.ends_on + datetime.timedelta(days=1),
                                                          datetime.time.min))
    for moment in (before, after):
        with pytest.raises(PortalError) as exc:
            object_confirmed(**person(entries[0]), now=moment)
        assert exc.value.code == "period"
    object_confirmed(**person(entries[0]), now=during(notice))
    assert Objection.objects.count() == 1


@pytest.mark.parametrize("overrides", [
    {"name": ""}, {"phone": ""}, {"email": ""}, {"signature": ""}, {"signature": "别人"},
    {"kind": "organisation", "signature": ""},  # an organisation without its sealed letter
])
def test_anonymous_objections_are_refused(on_notice, overrides):
    notice, entries = on_notice
    with pytest.raises(PortalError) as exc:
        object_confirmed(**person(entries[0], **overrides), now=during(notice))
    assert exc.value.code == "anonymous"
    assert Objection.objects.count() == 0


def test_organisation_objects_with_its_sealed_letter(on_notice):
    notice, entries = on_notice
    objection = object_confirmed(**person(entries[1], kind="organisation", name="某某公司", signature=""),
                                          letter=SimpleUploadedFile("函.pdf", TINY_PDF), now=during(notice))
    assert objection.letter.name.endswith(".pdf") and objection.signature == ""


def test_upheld_objection_removes_the_base_and_tells_the_objector(cnipa, on_notice, mailoutbox,
                                                                  django_capture_on_commit_callbacks):
    notice, entries = on_notice
    objection = object_confirmed(**person(entries[0]), now=during(notice))
    with django_capture_on_commit_callbacks(execute=True):
        national.objection_decide(actor=cnipa, objection_id=objection.pk, decision="upheld", note="经核实，异议成立。")
    assert NoticeEntry.objects.get(pk=entries[0].pk).removed_at is not None
    assert Application.objects.get(pk=entries[0].application_id).state == State.NOT_DESIGNATED
    assert [m.to for m in mailoutbox if "outcome" in m.subject.lower() or "结果" in m.subject] == [["wang@example.cn"]]
    with pytest.raises(PortalError):
        national.objection_decide(actor=cnipa, objection_id=objection.pk, decision="dismissed", note="x")


def test_final_confirmation(cnipa, handed_in, call):
    RegistryEntry.objects.create(kind="experimental_zone", name="某实验区", document_number="国知发〔2013〕1号",
                                 designated_on=datetime.date(2013, 1, 1))
    RegistryEntry.objects.create(kind="protection_centre", name="某保护中心", document_number="国知发〔2019〕1号",
                                 designated_on=datetime.date(2019, 1, 1))
    pass_all(cnipa, handed_in)
    notice = publish(cnipa, call, days_ago=0)
    with pytest.raises(PortalError) as exc:  # the period is not over
        national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number="国知办发运字〔2026〕9号",
                               document_date=timezone.localdate())
    assert exc.value.code == "period"
    entry = notice.entries.first()
    objection = object_confirmed(**person(entry), now=during(notice))
    Notice.objects.filter(pk=notice.pk).update(starts_on=timezone.localdate() - datetime.timedelta(days=12),
                                               ends_on=timezone.localdate() - datetime.timedelta(days=5))
    resealed(notice)  # the calendar moved on
    with pytest.raises(PortalError) as exc:
        national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number="国知办发运字〔2026〕9号",
                               document_date=timezone.localdate())
    assert exc.value.code == "objections"
    national.objection_decide(actor=cnipa, objection_id=objection.pk, decision="dismissed", note="异议不成立。")
    national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number="国知办发运字〔2026〕9号",
                           document_date=timezone.localdate())
    assert set(Application.objects.filter(call=call).values_list("state", flat=True)) == {State.DESIGNATED}
    zone = RegistryEntry.objects.get(name="某实验区")
    assert (zone.retired_by, zone.retired_on) == ("国知办发运字〔2026〕9号", timezone.localdate())
    assert RegistryEntry.objects.get(name="某保护中心").retired_on is None
    with pytest.raises(PortalError):
        national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number="x", document_date=timezone.localdate())


def test_unknown_year_needs_cnipa_to_confirm_the_dates(cnipa, handed_in, call):
    pass_all(cnipa, handed_in)
    beijing = datetime.timezone(datetime.timedelta(hours=8))
    # Published on Thursday 2031-03-06, a year the official calendar does not know yet.
    with time_machine.travel(datetime.datetime(2031, 3, 6, 10, tzinfo=beijing), tick=False) as clock:
        notice = national.notice_publish(actor=cnipa, call=call, text="公示", contact="电话")
        assert notice.dates_confirmed is False
        clock.move_to(datetime.datetime(2031, 3, 20, 10, tzinfo=beijing))  # long after the period
        with pytest.raises(PortalError) as exc:
            national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number="x",
                                   document_date=timezone.localdate())
        assert exc.value.code == "dates"
        national.notice_confirm_dates(actor=cnipa, notice_id=notice.pk, starts_on=datetime.date(2031, 3, 7),
                                      ends_on=datetime.date(2031, 3, 13))
        national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number="x",
                               document_date=timezone.localdate())


def test_corrected_notice_dates_start_after_publication(cnipa, handed_in, call):
    """Days before the publication were never public: a correction cannot count them (found by the model)."""
    pass_all(cnipa, handed_in)
    notice = publish(cnipa, call)
    published = timezone.localdate(notice.published_at)
    with pytest.raises(PortalError) as exc:
        national.notice_confirm_dates(actor=cnipa, notice_id=notice.pk, starts_on=published - datetime.timedelta(days=9),
                                      ends_on=published + datetime.timedelta(days=1))
    assert exc.value.code == "invalid"
    assert (Notice.objects.get(pk=notice.pk).starts_on, Notice.objects.get(pk=notice.pk).ends_on) == (
        notice.starts_on, notice.ends_on)


def test_the_service_checks_the_sealed_letter_itself(on_notice):
    notice, entries = on_notice
    with pytest.raises(PortalError) as exc:
        object_confirmed(**person(entries[1], kind="organisation", name="某某公司", signature=""),
                                  letter=SimpleUploadedFile("函.pdf", b"<html>not a pdf</html>"), now=during(notice))
    assert exc.value.code == "file"
    assert Objection.objects.count() == 0
