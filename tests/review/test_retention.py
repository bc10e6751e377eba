"""Retention (个人信息保护法 Art. 19, review.retention): once the periods the rules page states have passed, the
objectors' identities and the people of applications never designated are removed — and nothing a designated base,
the counts or the audit trail still need is touched."""

import contextlib
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from applications import services
from applications.enums import AttachmentKind, State
from applications.models import Application, ApplicationVersion, Attachment, Organisation, StaffMember
from navportal.audit import audit_verify, client_ip
from navportal.demo.content import TINY_PDF
from navportal.models import AuditEvent
from portal import data_requests
from portal.models import DataRequest
from review import national
from review.models import Objection
from review.retention import retention_apply
from tests.conftest import make_applicant, object_confirmed
from tests.review.test_national import handed_in, pass_all, person, publish  # noqa: F401 - fixtures
from tests.review.test_public import cnipa, shift  # noqa: F401 - fixtures


@contextlib.contextmanager
def from_address(ip):
    """What a request from `ip` gives the services (navportal.audit.AuditContextMiddleware)."""
    token = client_ip.set(ip)
    try:
        yield
    finally:
        client_ip.reset(token)


OBJECTOR_IP, CNIPA_IP = "10.1.2.3", "10.9.9.9"


@pytest.fixture
def confirmed(cnipa, handed_in, submitted, call):
    """The four Jiangsu applications designated by a confirmed list after two objections (a person's with
    evidence, an organisation's with its letter) were dismissed; beside them, one application withdrawn after its
    submission and one draft never submitted, to the same call."""
    withdrawn = submitted(make_applicant("示例·撤回园区", "withdrawn"))
    services.application_withdraw(actor=withdrawn.organisation.members.get(), application_id=withdrawn.pk,
                                  reason="不再申报")
    pass_all(cnipa, handed_in)
    notice = shift(publish(cnipa, call), -1, 5)
    entries = list(notice.entries.order_by("number"))
    with from_address(OBJECTOR_IP):  # the objectors' own actions, from their address
        objections = [
            object_confirmed(**person(entries[0], evidence=SimpleUploadedFile("证据.pdf", TINY_PDF)), ip=OBJECTOR_IP),
            object_confirmed(**person(entries[1], kind="organisation", name="某某科技有限公司", signature="",
                                      letter=SimpleUploadedFile("异议函.pdf", TINY_PDF))),
        ]
        request = data_requests.objector_request(reference=objections[0].reference, email=objections[0].email,
                                                 kind="correction", text="电话应为13912345679")
    with from_address(CNIPA_IP):
        for objection in objections:
            national.objection_decide(actor=cnipa, objection_id=objection.pk, decision="dismissed", note="不成立")
        data_requests.data_request_answer(actor=cnipa, request_id=request.pk, answer="已更正。")
    notice = shift(notice, -10, -3)
    notice = national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number="国知办发运字〔2026〕9号",
                                    document_date=notice.ends_on)
    return {"notice": notice, "designated": handed_in, "withdrawn": Application.objects.get(pk=withdrawn.pk),
            "objections": [Objection.objects.get(pk=o.pk) for o in objections]}


def snapshot():
    """Everything the retention may touch, as read from the database."""
    return {
        "applications": {a.pk: (a.contact_name, a.contact_mobile, a.contact_email, a.head_name, a.declarant_name,
                                a.anonymised_at) for a in Application.objects.all()},
        "staff": sorted((s.application_id, s.name, s.title, s.years) for s in StaffMember.objects.all()),
        "versions": {v.pk: (v.data, v.print_html, v.seal) for v in ApplicationVersion.objects.all()},
        "scans": sorted(Attachment.objects.values_list("pk", flat=True)),
        "objections": {o.pk: (o.name, o.phone, o.email, o.signature, o.ip, o.letter.name, o.evidence.name)
                       for o in Objection.objects.all()},
    }


@override_settings(PRIVACY_OBJECTION_DAYS=180, PRIVACY_ROSTER_YEARS=3)
def test_nothing_is_touched_before_its_period_ends(confirmed, call):
    before = snapshot()
    day_before = min(confirmed["notice"].confirmed_at + datetime.timedelta(days=180),
                     call.deadline.replace(year=call.deadline.year + 3)) - datetime.timedelta(minutes=1)
    report = retention_apply(now=day_before)
    assert (report.objections, report.applications, report.files) == (0, 0, 0)
    assert snapshot() == before and not AuditEvent.objects.filter(action="retention_apply").exists()


@override_settings(PRIVACY_OBJECTION_DAYS=180, PRIVACY_ROSTER_YEARS=3)
def test_objectors_are_anonymised_once_the_final_list_is_180_days_old(confirmed, django_capture_on_commit_callbacks):
    objections = confirmed["objections"]
    files = [(f.storage, f.name) for o in objections for f in (o.letter, o.evidence) if f]
    assert len(files) == 2 and all(storage.exists(name) for storage, name in files)
    later = confirmed["notice"].confirmed_at + datetime.timedelta(days=180)
    # The applications' period is far away; the files go after the commit.
    with override_settings(PRIVACY_ROSTER_YEARS=100), django_capture_on_commit_callbacks(execute=True):
        report = retention_apply(now=later)
    assert (report.objections, report.applications, report.files, report.addresses) == (2, 0, 2, 5)
    for before in objections:
        after = Objection.objects.get(pk=before.pk)
        assert (after.name, after.phone, after.email, after.signature, after.ip, after.letter.name,
                after.evidence.name) == ("", "", "", "", None, "", "")
        assert (after.reasons, after.reference, after.decision, after.decision_note, after.kind) == (
            before.reasons, before.reference, before.decision, before.decision_note, before.kind)
        assert after.anonymised_at == later
    assert not any(storage.exists(name) for storage, name in files)
    [line] = AuditEvent.objects.filter(action="retention_apply")
    assert line.note.startswith("2 objections and 0 applications") and line.actor is None
    # The objector's request: its text (which may name them) goes; that it was made and answered stays.
    [request] = DataRequest.objects.all()
    assert (request.text, request.answer, request.kind) == ("", "已更正。", "correction") and request.answered_at
    # The trail: every line stays and the chain holds; the objectors' own lines (sent, confirmed ×2, asked) lose
    # their address, CNIPA's keep theirs.
    assert not AuditEvent.objects.filter(ip=OBJECTOR_IP).exists()
    assert sorted(AuditEvent.objects.filter(ip__isnull=True, ip_digest__gt="").values_list("action", flat=True)) == [
        "data_request", "objection_confirm", "objection_confirm", "objection_submit", "objection_submit"]
    assert set(AuditEvent.objects.filter(ip=CNIPA_IP).values_list("action", flat=True)) == {
        "objection_decide", "data_request_answer"}
    assert audit_verify()[1] is None


@override_settings(PRIVACY_OBJECTION_DAYS=180)
def test_the_address_of_an_objection_never_confirmed_goes_180_days_after_it_was_sent(cnipa, handed_in, call):
    pass_all(cnipa, handed_in)
    notice = shift(publish(cnipa, call), -1, 5)
    with from_address(OBJECTOR_IP):
        objection = national.objection_submit(**person(notice.entries.first()))
    national.objections_purge_unconfirmed(now=objection.confirm_by + datetime.timedelta(seconds=1))
    assert not Objection.objects.exists()
    [line] = AuditEvent.objects.filter(action="objection_submit")
    assert retention_apply(now=line.at + datetime.timedelta(days=179)).addresses == 0
    assert retention_apply(now=line.at + datetime.timedelta(days=180)).addresses == 1
    line.refresh_from_db()
    assert line.ip is None and audit_verify()[1] is None


@override_settings(PRIVACY_OBJECTION_DAYS=180, PRIVACY_ROSTER_YEARS=3)
def test_the_people_of_applications_never_designated_go_after_three_years_and_designated_bases_keep_theirs(
        confirmed, call, applicant, complete, django_capture_on_commit_callbacks):
    draft = complete(applicant)  # never submitted
    designated = confirmed["designated"]
    kept = {pk: value for pk, value in snapshot()["versions"].items()
            if ApplicationVersion.objects.get(pk=pk).application_id in {a.pk for a in designated}}
    kept_staff = [row for row in snapshot()["staff"] if row[0] in {a.pk for a in designated}]
    gone = [confirmed["withdrawn"], draft]
    scans = list(Attachment.objects.filter(application__in=gone, kind=AttachmentKind.SEALED_SCAN))
    assert len(scans) == 2 and all(s.file.storage.exists(s.file.name) for s in scans)
    organisations, trail = Organisation.objects.count(), AuditEvent.objects.count()

    later = call.deadline.replace(year=call.deadline.year + 3)
    with django_capture_on_commit_callbacks(execute=True):
        report = retention_apply(now=later)
    assert (report.objections, report.applications, report.versions, report.files) == (2, 2, 1, 4)
    for application in gone:
        after = Application.objects.get(pk=application.pk)
        assert (after.contact_name, after.contact_mobile, after.contact_phone, after.contact_email, after.head_name,
                after.contact_position, after.declarant_name) == ("",) * 7
        assert after.anonymised_at == later and after.state == application.state and after.name == application.name
        staff = list(after.staff.all())
        assert len(staff) == 5 and {s.name for s in staff} == {""} and all(s.title and s.years for s in staff)
    version = ApplicationVersion.objects.get(application=confirmed["withdrawn"])
    assert version.data["contact_name"] == "" and {row["name"] for row in version.data["staff"]} == {""}
    assert version.data["name"] == confirmed["withdrawn"].name and len(version.data["staff"]) == 5
    assert version.print_html == "" and version.verify().intact  # sealed anew: a later change by SQL shows
    assert not Attachment.objects.filter(pk__in=[s.pk for s in scans]).exists()
    assert not any(s.file.storage.exists(s.file.name) for s in scans)
    # What designated bases, the counts and the trail need stays.
    after = snapshot()
    assert {pk: value for pk, value in after["versions"].items() if pk in kept} == kept
    assert [row for row in after["staff"] if row[0] in {a.pk for a in designated}] == kept_staff
    assert all(Application.objects.get(pk=a.pk).state == State.DESIGNATED for a in designated)
    assert Organisation.objects.count() == organisations
    assert AuditEvent.objects.count() == trail + 2  # the trail: nothing removed; the pass and its addresses recorded

    assert str(retention_apply(now=later + datetime.timedelta(days=1))).startswith("0 objections and 0 applications")
    assert AuditEvent.objects.filter(action="retention_apply").count() == 1


@pytest.mark.django_db
def test_the_daily_command_reports_what_it_did(capsys):
    call_command("apply_retention")
    assert capsys.readouterr().out.strip() == "0 objections and 0 applications (0 submitted versions) anonymised, " \
                                             "0 files removed, 0 addresses removed from the audit trail."
