"""The mail outbox against a real SMTP server (aiosmtpd, started here on a free port): what arrives and with
which headers; a change that commits while the server is down, its mail kept queued and delivered once the
server is back; a header injection that never goes out, the change kept; one mail per decision; the
recipient's language; the system administrator's page and resend.

The tests that need a real commit run in transactional tests (serialized_rollback keeps the reference data),
so "committed" means committed here, on SQLite and on PostgreSQL alike."""

import datetime
import email
import email.policy
from email.header import decode_header, make_header
import re
import socket

import pytest
from aiosmtpd.controller import Controller
from django.core import mail as django_mail
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from post_office.models import STATUS, Email

from navportal.mail import REFUSED, mail_resend, outbox_send
from navportal.errors import PortalError
from navportal.models import Message, Role, User
from navportal.notify import notify
from navportal.privacy_rules import RULES_VERSION
from review import national, services
from applications.models import Application
from django.core.files.uploadedfile import SimpleUploadedFile
from navportal.demo.content import TINY_PDF
from review.models import Package
from tests.conftest import make_applicant, make_user
from tests.review.test_national import during, pass_all, publish

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class Inbox:
    """What the SMTP server received: envelope and parsed message, one per DATA."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.original_content or envelope.content,
                                                       policy=email.policy.default)))
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free port, and the outbox's worker pointed at it (started: smtp.start())."""
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.POST_OFFICE = {**settings.POST_OFFICE,
                            "BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"},
                            "RETRY_INTERVAL": datetime.timedelta(0)}  # the retry is due at once
    inbox.start, inbox.stop = controller.start, controller.stop
    yield inbox
    try:
        controller.stop()
    except AssertionError:  # not running
        pass


def subject(message):
    """The Subject as a mail program shows it: its encoded words decoded (RFC 2047)."""
    raw = email.message_from_bytes(message.as_bytes())  # the compat32 parser: the header as it was on the wire
    return str(make_header(decode_header(raw["Subject"])))


def run_worker():
    """One round of the worker, as `manage.py mail_worker --once` runs it."""
    return outbox_send()


def test_a_decision_arrives_over_smtp_with_its_headers_and_body(smtp, reviewers, city_institution, submitted):
    smtp.start()
    application = submitted(city_institution)
    Email.objects.all().delete()  # the submission's own mails
    city_institution.language = "en"
    city_institution.save(update_fields=["language"])
    services.application_city_decline(actor=reviewers["city_nanjing"], application_id=application.pk,
                                      reason="材料不全。")
    assert run_worker() == (1, 0, 0)
    ((mail_from, rcpt_tos, message),) = smtp.received
    queued = Email.objects.get()
    reference = application.versions.get().reference
    assert (mail_from, rcpt_tos) == ("navportal@localhost", [city_institution.email])
    assert message["From"] == "navportal@localhost" and message["To"] == city_institution.email
    # Chinese in an English subject (the application's name): encoded on the wire, whole once decoded.
    assert "=?utf-8?" in message.as_string().split("\n\n", 1)[0].lower()
    assert subject(message) == (f"【National patent navigation service bases】The city bureau did not consent: "
                                       f"{application.name}（{reference}）")
    assert message["Message-ID"] == queued.message_id and re.fullmatch(r"<.+@127\.0\.0\.1>", queued.message_id)
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert body.startswith(f"Dear {city_institution.display_name or city_institution.username},")
    assert "材料不全。" in body and f"Reference number: {reference}" in body and application.name in body
    assert f"http://127.0.0.1:8000/applications/{application.pk}/" in body
    assert Email.objects.get().status == STATUS.sent


def test_with_the_server_down_the_account_is_made_the_mail_waits_and_goes_out_when_it_is_back(
        smtp, client, reviewers):
    """The welcome mail of a new official: no 500 with SMTP down (it used to be sent after commit, inside the
    request); the account is committed, the mail queued with its error visible, and delivered later."""
    sysadmin = make_user("sysadmin-mail", Role.SYSTEM_ADMIN)
    client.force_login(sysadmin)
    nanjing = reviewers["city_nanjing"].city
    response = client.post(reverse("account_create"), {
        "username": "nj-new", "display_name": "南京市知识产权局 新审核", "email": "new@nj.example.cn",
        "role": "city", "province": nanjing.province_id, "city": nanjing.pk})
    assert response.status_code == 302
    # Approved by the security administrator (two people for powers): the account is made, its mail queued.
    from django.conf import settings
    from navportal import administration
    from navportal.models import AccountRequest
    request = AccountRequest.objects.get(username="nj-new")
    administration.account_request_approve(actor=make_user("secadmin-mail", Role.SECURITY_ADMIN),
                                           request_id=request.pk, site_url=settings.SITE_URL + "/")
    assert User.objects.filter(username="nj-new").exists()  # committed: a transactional test
    waiting = Email.objects.count()  # the welcome mail, and the decision's notice to the system administrator
    assert run_worker() == (0, 0, waiting)  # the server is down: each tried, to be tried again
    queued = Email.objects.get(to__contains="new@nj.example.cn")
    assert queued.status == STATUS.requeued and queued.number_of_retries == 1
    page = client.get(reverse("mail_list"), {"status": "queued"}).content.decode()
    assert "new@nj.example.cn" in page and "Connection refused" in page
    smtp.start()
    assert run_worker() == (waiting, 0, 0)
    ((_from, rcpt_tos, message),) = [r for r in smtp.received if r[1] == ["new@nj.example.cn"]]
    assert "nj-new" in message.get_content()
    assert re.search(r"http://127\.0\.0\.1:8000/accounts/reset/\S+", message.get_content())
    assert Email.objects.get(pk=queued.pk).status == STATUS.sent
    assert "已发送" in client.get(reverse("mail_list")).content.decode()


def test_a_mail_that_keeps_failing_is_marked_failed_and_can_be_sent_again(smtp, settings, client):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "MAX_RETRIES": 2}
    with transaction.atomic():
        send_mail("测试", "正文", None, ["someone@example.cn"])
    assert [run_worker() for _ in range(3)] == [(0, 0, 1), (0, 0, 1), (0, 1, 0)]
    failed = Email.objects.get()
    assert failed.status == STATUS.failed and failed.logs.filter(status=STATUS.failed).count() == 3
    sysadmin = make_user("sysadmin-mail", Role.SYSTEM_ADMIN)
    client.force_login(sysadmin)
    assert "3" in client.get(reverse("mail_list"), {"status": "failed"}).content.decode()
    assert client.post(reverse("mail_resend", args=[failed.pk])).status_code == 302
    smtp.start()
    assert run_worker() == (1, 0, 0) and len(smtp.received) == 1
    # A mail that is sent is not sent twice.
    with pytest.raises(PortalError) as exc:
        mail_resend(actor=sysadmin, email_id=failed.pk)
    assert exc.value.code == "state"


def test_a_header_injection_never_goes_out_and_the_change_is_kept(smtp, reviewers, client):
    """A line break in a subject or an address (an objector types the address) — the mail is refused before
    it is queued, without raising: the change it reports commits, the refusal is on the administrator's page,
    and it can never be resent."""
    smtp.start()
    cnipa = reviewers["national"]
    with transaction.atomic():
        notify([cnipa], subject="Hello\r\nBcc: victim@example.org", body="x")
        send_mail("ok", "body", None, ["a@example.cn\nBcc: victim@example.org"])
    assert Message.objects.filter(recipient=cnipa).count() == 1  # the change (its in-portal message) committed
    refused = list(Email.objects.order_by("pk"))
    assert [(e.status, e.to, e.logs.get().exception_type) for e in refused] == [
        (STATUS.failed, [], REFUSED), (STATUS.failed, [], REFUSED)]
    assert "line break in the Subject header" in refused[0].logs.get().message
    assert "line break in a to address" in refused[1].logs.get().message
    assert run_worker() == (0, 0, 0) and smtp.received == []
    with pytest.raises(PortalError) as exc:
        mail_resend(actor=make_user("sysadmin-mail", Role.SYSTEM_ADMIN), email_id=refused[0].pk)
    assert exc.value.code == "refused"


def test_an_objectors_address_with_a_line_break_is_refused_before_anything_is_stored(smtp, on_notice_public):
    """The objection counts only once its address is confirmed by a mail sent there: an address carrying a header
    (a line break, a Bcc) is refused at once with a clear message; nothing is stored, nothing queued or sent."""
    smtp.start()
    notice, entry = on_notice_public
    queued = Email.objects.count()
    with pytest.raises(PortalError) as refusal:
        national.objection_submit(
            entry_id=entry.pk, kind="person", name="王某", phone="13912345678",
            email="wang@example.cn\r\nBcc: victim@example.org", reasons="理由。", signature="王某", now=during(notice),
                                  privacy_version=RULES_VERSION)
    assert refusal.value.code == "invalid"
    assert not national.Objection.objects.exists() and Email.objects.count() == queued
    run_worker()
    assert all("victim@example.org" not in rcpt for _f, rcpts, _m in smtp.received for rcpt in rcpts)


def test_a_rolled_back_change_sends_nothing(smtp, reviewers):
    smtp.start()
    with pytest.raises(RuntimeError), transaction.atomic():
        notify([reviewers["national"]], subject="会回滚", body="x")
        raise RuntimeError
    assert Email.objects.count() == 0 and run_worker() == (0, 0, 0) and smtp.received == []


def test_a_decision_taken_back_in_the_same_transaction_mails_once(smtp, reviewers, city_institution, submitted):
    smtp.start()
    application = submitted(city_institution)
    Email.objects.all().delete()
    city = reviewers["city_nanjing"]
    with transaction.atomic():
        services.application_city_decline(actor=city, application_id=application.pk, reason="误操作")
        services.application_take_back(actor=city, application_id=application.pk, reason="撤回误操作")
    run_worker()
    to_applicant = [m for _f, rcpts, m in smtp.received if rcpts == [city_institution.email]]
    assert len(to_applicant) == 1 and "撤回" in subject(to_applicant[0]) + to_applicant[0].get_content()


@pytest.fixture
def on_notice_public(reviewers, submitted, call):
    """A published notice with one base on it, its period running now."""
    province, cnipa = reviewers["province_js"], reviewers["national"]
    application = submitted(make_applicant("示例·江苏园区", "js-mail"))
    services.application_recommend(actor=province, application_id=application.pk, opinion="同意")
    package = Package.objects.get()
    services.package_attach_letter(actor=province, package_id=package.pk, upload=SimpleUploadedFile("l.pdf", TINY_PDF))
    services.package_submit(actor=province, package_id=package.pk)
    pass_all(cnipa, [Application.objects.get(pk=application.pk)])
    notice = publish(cnipa, call)
    Email.objects.all().delete()
    django_mail.outbox = []
    return notice, notice.entries.get()


def test_one_worker_at_a_time(smtp, settings, tmp_path):
    """`manage.py mail_worker --once` sends; a second worker finds the lock taken and stops without sending
    (PostgreSQL: an advisory lock held by another session, as by a worker on another host; SQLite: the file
    lock in var/)."""
    import io

    from django.core.management import call_command
    from django.db import connection

    from navportal.management.commands.mail_worker import ADVISORY_KEY

    smtp.start()
    settings.VAR_DIR = tmp_path
    with transaction.atomic():
        send_mail("测试", "正文", None, ["someone@example.cn"])
    if connection.vendor == "postgresql":
        import psycopg2
        params = connection.get_connection_params()
        other = psycopg2.connect(**params)
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_KEY])

        def release():
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])
            other.close()
    else:
        from post_office.lockfile import FileLock
        lock = FileLock(str(tmp_path / "mail-worker"))
        lock.acquire()
        release = lock.release
    out = io.StringIO()
    call_command("mail_worker", "--once", stdout=out)
    assert "another mail worker holds the lock" in out.getvalue() and smtp.received == []
    release()
    out = io.StringIO()
    call_command("mail_worker", "--once", stdout=out)
    assert "1 sent" in out.getvalue() and len(smtp.received) == 1


def test_a_return_says_what_to_do_and_by_when_in_chinese(smtp, reviewers, city_institution, submitted):
    from applications.deadline_checks import applicant_deadline
    from django.utils import timezone

    smtp.start()
    application = submitted(city_institution)
    Email.objects.all().delete()
    services.application_return(actor=reviewers["city_nanjing"], application_id=application.pk, reason="请补充服务记录。")
    run_worker()
    ((_f, _rcpts, message),) = [r for r in smtp.received if r[1] == [city_institution.email]]
    deadline = timezone.localtime(applicant_deadline(application)).strftime("%Y-%m-%d %H:%M")
    reference = application.versions.get().reference
    assert subject(message).startswith("【国家级专利导航服务基地】") and subject(message).endswith(
        f"{application.name}（{reference}）")
    body = message.get_content()
    assert "请补充服务记录。" in body and f"请按要求修改申请，并于 {deadline} 前重新提交。" in body
    assert f"http://127.0.0.1:8000/applications/{application.pk}/" in body


def test_the_mail_page_masks_an_objectors_address(smtp, on_notice_public, client):
    notice, entry = on_notice_public
    national.objection_submit(entry_id=entry.pk, kind="person", name="王某", phone="13912345678",
                              email="wang@example.cn", reasons="理由。", signature="王某", now=during(notice),
                              privacy_version=RULES_VERSION)
    client.force_login(make_user("sysadmin-mail", Role.SYSTEM_ADMIN))
    page = client.get(reverse("mail_list")).content.decode()
    assert "w***@example.cn" in page and "wang@example.cn" not in page


def test_a_sent_mail_keeps_no_address_text_or_link_and_the_page_still_finds_it(smtp, settings, client):
    """Once delivered, an outbox row keeps its subject, status and times; its recipients are masked and its text,
    with the one-time links mails carry, is gone (navportal.mail.redact_delivered). A mail not yet sent, or failed
    and waiting to be sent again, keeps them."""
    settings.POST_OFFICE = {**settings.POST_OFFICE, "MAX_RETRIES": 1}
    with transaction.atomic():
        send_mail("重置密码", "请打开 https://portal.example.cn/accounts/reset/abc/token-123/", None, ["zhang@example.cn"])
    assert [run_worker() for _ in range(2)] == [(0, 0, 1), (0, 1, 0)]  # the server is down: failed, kept whole
    kept = Email.objects.get()
    assert (kept.to, "token-123" in kept.message) == (["zhang@example.cn"], True)

    smtp.start()
    with transaction.atomic():
        send_mail("通知", "张某某：您的申请已退回。", None, ["li@example.cn"])
    assert run_worker() == (1, 0, 0)
    (_sender, recipients, message), = smtp.received
    assert recipients == ["li@example.cn"] and "张某某" in message.get_body().get_content()
    sent = Email.objects.get(subject="通知")
    assert (sent.status, sent.to, sent.message, sent.html_message) == (STATUS.sent, ["l***@example.cn"], "", "")
    assert Email.objects.get(pk=kept.pk).to == ["zhang@example.cn"]

    client.force_login(make_user("sysadmin-mail", Role.SYSTEM_ADMIN))
    page = client.get(reverse("mail_list"), {"q": "li@example.cn"}).content.decode()
    assert "通知" in page and "l***@example.cn" in page and "重置密码" not in page


@pytest.mark.django_db
def test_a_subject_is_written_as_typed_not_as_html():
    """A mail's subject is plain text: an organisation named “A&B <示例>” is not turned into “A&amp;B &lt;示例&gt;”."""
    user = make_user("subject-reader", Role.NATIONAL)
    with transaction.atomic():
        notify([user], subject="材料 A&B <示例> \"引号\"", body="正文 A&B")
    row = Email.objects.get()
    assert "材料 A&B <示例> \"引号\"" in row.subject and "&amp;" not in row.subject and "&amp;" not in row.message
