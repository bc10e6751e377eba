"""The daily `send_reminders` command: bureaus whose package is still open as the deadline nears are told
once a day, by e-mail and in the portal; nobody else is."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from applications.enums import Affiliation, ApplicantType, State
from applications.models import Application
from navportal.demo.content import TINY_PDF
from navportal.models import Message, Province, Role
from review import services
from review.models import Call, Package, PackageStatus, ReminderLog
from tests.conftest import make_applicant, make_user
from tests.mail_helpers import drain_mail


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the command as cron would, the e-mails leaving on commit; returns its output."""
    def _run(*args):
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_reminders", *args, stdout=out)
        return out.getvalue().strip()
    return _run


@pytest.fixture
def jiangsu(reviewers, submitted):
    """Jiangsu's open package with one recommendation and one application still at its desk; a second
    active reviewer and a former, deactivated one. Zhejiang has nothing at its desk."""
    province = reviewers["province_js"]
    colleague = make_user("prov-js-2", Role.PROVINCE, province=Province.objects.get(code="320000"))
    make_user("prov-js-old", Role.PROVINCE, province=Province.objects.get(code="320000"), is_active=False)
    first, _second = (submitted(make_applicant(f"示例·江苏园区{i}", f"js{i}")) for i in range(2))
    services.application_recommend(actor=province, application_id=first.pk, opinion="同意推荐")
    drain_mail()  # the submissions' and the recommendation's own mails
    return {"package": Package.objects.get(), "reviewers": [province, colleague]}


def reminders():
    return Message.objects.filter(subject__startswith="提醒")


def due_in(call, **delta):
    Call.objects.filter(pk=call.pk).update(deadline=timezone.now() + datetime.timedelta(**delta))


def test_open_package_due_in_two_days(jiangsu, call, run, mailoutbox):
    due_in(call, days=2)
    assert run() == "1 reminders sent"
    assert sorted(m.to[0] for m in mailoutbox) == ["prov-js-2@example.cn", "prov-js@example.cn"]
    mail = mailoutbox[0]
    deadline = timezone.localtime(Call.objects.get(pk=call.pk).deadline).strftime("%Y-%m-%d %H:%M")
    assert "测试批次" in mail.subject and deadline in mail.subject
    assert "江苏省" in mail.body and "仍有1份申请待您审核" in mail.body and "尚未报送" in mail.body
    assert f"/review/packages/{jiangsu['package'].pk}/" in mail.body
    assert sorted(reminders().values_list("recipient__username", flat=True)) == ["prov-js", "prov-js-2"]
    assert list(ReminderLog.objects.values_list("package_id", "sent_on")) == [
        (jiangsu["package"].pk, timezone.localdate())]


def test_a_second_run_the_same_day_sends_nothing(jiangsu, call, run, mailoutbox):
    due_in(call, days=2)
    run()
    assert run() == "0 reminders sent"
    assert len(mailoutbox) == 2
    assert reminders().count() == 2
    # The next day it is sent again.
    ReminderLog.objects.update(sent_on=timezone.localdate() - datetime.timedelta(days=1))
    assert run() == "1 reminders sent"
    assert len(mailoutbox) == 4


def test_a_deadline_further_away_than_the_window(jiangsu, call, run, mailoutbox):
    due_in(call, days=10)
    assert run() == "0 reminders sent"
    assert mailoutbox == [] and ReminderLog.objects.count() == 0
    assert run("--days", "10") == "1 reminders sent"
    assert len(mailoutbox) == 2


def test_a_handed_in_package_is_not_reminded(jiangsu, reviewers, call, run, mailoutbox):
    province, package = reviewers["province_js"], jiangsu["package"]
    waiting = Application.objects.get(call=call, state=State.PROVINCE_REVIEW)
    services.application_decline(actor=province, application_id=waiting.pk, reason="不符合条件")
    services.package_attach_letter(actor=province, package_id=package.pk, upload=SimpleUploadedFile("l.pdf", TINY_PDF))
    services.package_submit(actor=province, package_id=package.pk)
    mailoutbox.clear()  # the decline's and the hand-in's own mails
    due_in(call, days=2)
    assert run() == "0 reminders sent"
    assert mailoutbox == [] and reminders().count() == 0


def test_a_passed_deadline_is_not_reminded(jiangsu, call, run, mailoutbox):
    due_in(call, hours=-1)
    assert run() == "0 reminders sent"
    assert mailoutbox == []


def test_a_package_reopened_by_cnipa_is_reminded_of_its_own_deadline(jiangsu, call, run, mailoutbox):
    due_in(call, hours=-1)
    Package.objects.update(extended_until=timezone.now() + datetime.timedelta(days=1))
    assert run() == "1 reminders sent"
    assert len(mailoutbox) == 2


def test_a_bureau_with_applications_at_its_desk_but_no_package(reviewers, submitted, call, run, mailoutbox):
    submitted(make_applicant("示例·浙江园区", "zj0", city="330100"))
    submitted(make_applicant("示例·某大学中心", "moe0", applicant_type=ApplicantType.INSTITUTION,
                             affiliation=Affiliation.MINISTRY, city="110108", ministry="moe"))
    mailoutbox.clear()  # the submissions' own mails
    due_in(call, days=1)
    assert run() == "2 reminders sent"
    assert sorted(m.to[0] for m in mailoutbox) == ["ministry-moe@example.cn", "prov-zj@example.cn"]
    assert sorted((p.unit.name, p.status, p.quota) for p in Package.objects.all()) == [
        ("教育部", PackageStatus.OPEN, None), ("浙江省", PackageStatus.OPEN, 3)]
    assert ReminderLog.objects.count() == 2
    assert run() == "0 reminders sent"


def test_each_reviewer_is_reminded_in_their_own_language(jiangsu, call, run, mailoutbox):
    """A reviewer who chose English reads the reminder (mail and message) in English; the other in Chinese."""
    province, colleague = jiangsu["reviewers"]
    province.language = "en"
    province.save(update_fields=["language"])
    due_in(call, days=2)
    run()
    mails = {m.to[0]: m for m in mailoutbox}
    assert "Reminder: recommendations for" in mails[province.email].subject
    assert "is due by" in mails[province.email].body and "尚未报送" not in mails[province.email].body
    assert "尚未报送" in mails[colleague.email].body
