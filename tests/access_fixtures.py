"""The world the access matrix (tests/test_access_matrix.py) is run against.

One build holds an object for every route, each in a state in which the route's action would succeed for
the user in scope, so that a refused request that "changes nothing" proves something: the same request
by the right user does change it (the matrix checks that too).

Three calls, so that one province can hold an open package and a handed-in one at the same time:

- `call` (the newest, where the work is in progress): a Nanjing institution's application awaiting the
  city's consent (city route: in scope of Nanjing, Jiangsu and CNIPA); a draft without the pledge; a
  complete draft; a withdrawn application; and Jiangsu's open package with two recommendations (the second
  claims an exemption not yet checked) and its sealed letter — ready to hand in.
- `call_notice`: three Jiangsu parks handed in, passed by CNIPA and on public notice, whose period runs
  today, with one pending objection by a person and one by an organisation (letter and evidence).
- `call_ready`: a Ministry of Education unit recommended by its ministry, handed in and passed by CNIPA:
  the proposed list can be published.

"In scope" in the matrix means the bureaus these objects belong to: Nanjing (city), Jiangsu (province),
Ministry of Education (ministry); "out of scope" is a bureau of the same kind elsewhere: Suzhou, Zhejiang,
the Chinese Academy of Sciences.
"""

import datetime
import re
from dataclasses import dataclass

from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice
from post_office.models import STATUS, Email

from applications import organisations
from applications import services as applicant_services
from applications.enums import Affiliation, ApplicantType, AttachmentKind, DocumentKind, State
from applications.models import Application, Organisation, OrganisationDocument
from bases import filings as base_filings
from bases import assessment as base_assessment
from bases import reports as base_reports
from bases.models import Base
from navportal import administration
from navportal.demo.content import TINY_PDF, credit_code
from navportal.models import AccountRequest, City, Ministry, Province, Role
from navportal.privacy_rules import RULES_VERSION
from review import deadlines, national, services as review_services
from review.models import Call, Notice, Objection, Package, PackageStatus, Recommendation
from tests.conftest import object_confirmed, fill, make_applicant, make_user, resealed
from tests.mail_helpers import deliver_mail

# Distinctive file names and bytes: a 404 must not carry them (tests/test_access_matrix.py looks for them).
SCAN_NAME = "nanjing-sealed-scan-3f9a.pdf"
JS_LETTER_NAME = "jiangsu-letter-7c21.pdf"
MOE_LETTER_NAME = "moe-letter-b640.pdf"
OBJECTION_LETTER_NAME = "objector-letter-51de.pdf"
PENDING_LETTER_NAME = "pending-authorisation-2b8c.pdf"
TRANSFER_LETTER_NAME = "transfer-authorisation-e04f.pdf"
BASE_PLAN_NAME = "base-plan-91c3.pdf"
EVIDENCE_NAME = "base-evidence-6d07.pdf"
REPORT_NAME = "base-report-a5e2.pdf"
SECRET_PDF = TINY_PDF.replace(b"%%EOF", b"% access-matrix-secret-5e1d\n%%EOF")


@dataclass
class World:
    users: dict       # matrix column → user; "owner" is per route (see `owners`)
    owners: dict      # the applicant owning each subject application
    call: Call
    call_notice: Call
    call_ready: Call
    app_city: Application       # Nanjing institution, awaiting city consent (city route)
    app_draft: Application      # a draft whose pledge is not yet accepted
    app_complete: Application   # a complete draft, ready to submit
    app_withdrawn: Application
    app_rec1: Application       # Jiangsu park, recommended (rank 1)
    app_rec2: Application       # Jiangsu park, recommended (rank 2), exemption claimed, not yet checked
    app_moe: Application        # Ministry of Education unit, passed CNIPA's re-check
    package_js: Package         # Jiangsu's open package in `call`
    package_moe: Package        # the Ministry of Education's handed-in package in `call_ready`
    rec1: Recommendation
    rec2: Recommendation
    notice: Notice              # `call_notice`'s, open today
    entries: list
    objection_person: Objection
    objection_org: Objection
    objection_token: str        # the link's token of an objection sent, not yet confirmed
    registration_token: str     # the link's token of a registration waiting for its address
    transfer_token: str         # the link's token mailed to a registration of a registered code (a transfer)
    org_pending: Organisation   # a Jiangsu park's provisional registration, its documents at the province
    org_transfer: Organisation  # a verified Jiangsu park whose account a second registration asks for
    pending_letter: OrganisationDocument
    reset: tuple                # (uidb64, token) of a valid password-reset link
    lockout: AccessAttempt      # a user name locked out now (the security administrator may lift it)
    failed_mail: object         # a mail the worker gave up on (the system administrator may send it again)
    account_request: AccountRequest  # the system administrator's, pending: a new CNIPA account
    base: Base                        # a base after designation (owner "base"), supervised by Jiangsu, active
    project: object                   # its project, accepted with its evidence of use, filed (to check)
    service: object                   # its training, filed (to check)
    period: object                    # this year's reporting, open
    report: object                    # the base's report in it, submitted (to review), with its attachment
    past_period: object               # last year's reporting, its assessment published


def _submitted(user, call, scan_name="scan.pdf", scan=TINY_PDF):
    application = applicant_services.application_start(actor=user, call=call)
    fill(user, application, scan=False)
    applicant_services.application_attach(
        actor=user, application_id=application.pk, kind=AttachmentKind.SEALED_SCAN,
        upload=SimpleUploadedFile(scan_name, scan, "application/pdf"), content_type="application/pdf")
    assert applicant_services.application_submit(actor=user, application_id=application.pk) == []
    return Application.objects.get(pk=application.pk)


def _letter(actor, package, name):
    review_services.package_attach_letter(actor=actor, package_id=package.pk,
                                          upload=SimpleUploadedFile(name, SECRET_PDF, "application/pdf"))


def build_world():
    now = timezone.now()
    today = timezone.localdate()

    def new_call(title, days_ago):
        return Call.objects.create(title=title, document_number=f"矩阵〔2026〕{days_ago}号",
                                   opens_at=now - datetime.timedelta(days=days_ago),
                                   deadline=now + datetime.timedelta(days=30))

    # The newest call by opening is the one package_current and the dashboard pick.
    call_done = new_call("矩阵·认定批次", 4)
    call_ready = new_call("矩阵·部委批次", 3)
    call_notice = new_call("矩阵·公示批次", 2)
    call = new_call("矩阵·当前批次", 1)

    users = {
        "city_in": make_user("city-nanjing", Role.CITY, city=City.objects.get(code="320100")),
        "city_out": make_user("city-suzhou", Role.CITY, city=City.objects.get(code="320500")),
        "prov_in": make_user("prov-js", Role.PROVINCE, province=Province.objects.get(code="320000")),
        "prov_out": make_user("prov-zj", Role.PROVINCE, province=Province.objects.get(code="330000")),
        "min_in": make_user("ministry-moe", Role.MINISTRY, ministry=Ministry.objects.get(code="moe")),
        "min_out": make_user("ministry-cas", Role.MINISTRY, ministry=Ministry.objects.get(code="cas")),
        "cnipa": make_user("cnipa", Role.NATIONAL),
        "sysadmin": make_user("sysadmin", Role.SYSTEM_ADMIN),
        "secadmin": make_user("secadmin", Role.SECURITY_ADMIN),
        "auditadmin": make_user("auditadmin", Role.AUDIT_ADMIN),
        # Another organisation in the same city as the parks below, with no application of its own.
        "other": make_applicant("示例·另一园区", "outsider"),
    }
    province, ministry, cnipa = users["prov_in"], users["min_in"], users["cnipa"]
    owners = {
        "city": make_applicant("示例·南京市中心", "nanjing-inst", applicant_type=ApplicantType.INSTITUTION,
                               affiliation=Affiliation.CITY, city="320100"),
        "draft": make_applicant("示例·草稿园区", "draft-park"),
        "complete": make_applicant("示例·待提交园区", "complete-park"),
        "withdrawn": make_applicant("示例·已撤回园区", "withdrawn-park"),
        "rec1": make_applicant("示例·江苏推荐园区一", "js-rec1"),
        "rec2": make_applicant("示例·江苏推荐园区二", "js-rec2"),
        "moe": make_applicant("示例·某大学中心", "moe-unit", applicant_type=ApplicantType.INSTITUTION,
                              affiliation=Affiliation.MINISTRY, city="110108", ministry="moe"),
        "pending": make_applicant("示例·待核园区", "pending-park", verified=False),
        "transfer": make_applicant("示例·转移园区", "transfer-park"),
    }

    # --- Registrations: one awaiting Jiangsu's verification, one verified with a transfer requested --------
    organisations.organisation_documents_upload(actor=owners["pending"], documents={
        DocumentKind.AUTHORISATION: (SimpleUploadedFile(PENDING_LETTER_NAME, SECRET_PDF), "application/pdf"),
        DocumentKind.LICENCE: (SimpleUploadedFile("licence.pdf", SECRET_PDF), "application/pdf")})
    organisations.organisation_transfer_request(
        credit_code=owners["transfer"].organisation.credit_code, contact_name="矩阵·新联络",
        email="transfer-new@example.cn", password_hash=make_password("Zq7!matrix-Pass"), documents={
            DocumentKind.AUTHORISATION: (SimpleUploadedFile(TRANSFER_LETTER_NAME, SECRET_PDF), "application/pdf"),
            DocumentKind.LICENCE: (SimpleUploadedFile("licence.pdf", SECRET_PDF), "application/pdf")})

    # --- `call`: work in progress ---------------------------------------------------------------
    app_city = _submitted(owners["city"], call, SCAN_NAME, SECRET_PDF)
    app_draft = applicant_services.application_start(actor=owners["draft"], call=call)
    app_complete = fill(owners["complete"], applicant_services.application_start(actor=owners["complete"], call=call))
    app_withdrawn = _submitted(owners["withdrawn"], call)
    applicant_services.application_withdraw(actor=owners["withdrawn"], application_id=app_withdrawn.pk)
    app_rec1 = _submitted(owners["rec1"], call)
    app_rec2 = _submitted(owners["rec2"], call)
    Application.objects.filter(pk=app_rec2.pk).update(exempt_category="protection_centre")
    for application in (app_rec1, app_rec2):
        review_services.application_recommend(actor=province, application_id=application.pk, opinion="同意推荐")
    package_js = Package.objects.get(call=call, province=province.province)
    _letter(province, package_js, JS_LETTER_NAME)

    # --- `call_notice`: on public notice, objections pending --------------------------------------
    noticed = [_submitted(make_applicant(f"示例·公示园区{i}", f"js-notice{i}"), call_notice) for i in range(3)]
    for application in noticed:
        review_services.application_recommend(actor=province, application_id=application.pk, opinion="同意推荐")
    package_notice = Package.objects.get(call=call_notice, province=province.province)
    _letter(province, package_notice, "letter.pdf")
    review_services.package_submit(actor=province, package_id=package_notice.pk)
    for application in noticed:
        national.recheck_pass(actor=cnipa, application_id=application.pk)
    notice = national.notice_publish(actor=cnipa, call=call_notice, text="现将拟确定名单予以公示。",
                                     contact="电话 010-0000")
    # Published three days ago, the period running today (a correction may start from the day after publication).
    Notice.objects.filter(pk=notice.pk).update(published_at=now - datetime.timedelta(days=3),
                                               starts_on=today - datetime.timedelta(days=1),
                                               ends_on=today + datetime.timedelta(days=5))
    notice = resealed(notice)  # the calendar moved, not an attacker: the list's seal goes with it
    entries = list(notice.entries.order_by("number"))
    objection_person = object_confirmed(
        entry_id=entries[0].pk, kind="person", name="王某某", phone="13800000000", email="wang@example.cn",
        signature="王某某", reasons="该园区服务次数与事实不符。")
    objection_org = object_confirmed(
        entry_id=entries[1].pk, kind="organisation", name="某某公司", phone="010-12345678",
        email="org@example.cn", reasons="材料不实。",
        letter=SimpleUploadedFile(OBJECTION_LETTER_NAME, SECRET_PDF, "application/pdf"),
        evidence=SimpleUploadedFile("evidence.pdf", SECRET_PDF, "application/pdf"))
    applicant_services.registration_request(
        name="示例·待确认园区", credit_code=credit_code(987555), applicant_type="national_park", affiliation="city",
        ministry=None, province=Province.objects.get(code="320000"), city=City.objects.get(code="320500"),
        contact_name="待确认", email="pending@example.cn", password="Zq7!pending-Pass", privacy_version=RULES_VERSION)
    registration_token = re.search(r"/register/confirm/([\w-]+)/", deliver_mail()[-1].body).group(1)
    # A registration of a registered code (the draft park's): the mail holds the link to request the transfer.
    applicant_services.registration_request(
        name="示例·草稿园区", credit_code=owners["draft"].organisation.credit_code, applicant_type="national_park",
        affiliation="city", ministry=None, province=Province.objects.get(code="320000"),
        city=City.objects.get(code="320500"), contact_name="想接管", email="taker@example.cn",
        password="Zq7!taker-Pass", privacy_version=RULES_VERSION)
    transfer_token = re.search(r"/register/transfer/([\w-]+)/", deliver_mail()[-1].body).group(1)
    unconfirmed = national.objection_submit(
        entry_id=entries[2].pk, kind="person", name="未确认人", phone="13800000001", email="later@example.cn",
        signature="未确认人", reasons="尚未确认的异议。", privacy_version=RULES_VERSION)

    # --- `call_ready`: a ministry's recommendation passed, ready to publish -----------------------
    app_moe = _submitted(owners["moe"], call_ready)
    review_services.application_recommend(actor=ministry, application_id=app_moe.pk, opinion="同意推荐")
    package_moe = Package.objects.get(call=call_ready, ministry=ministry.ministry)
    _letter(ministry, package_moe, MOE_LETTER_NAME)
    review_services.package_submit(actor=ministry, package_id=package_moe.pk)
    national.recheck_pass(actor=cnipa, application_id=app_moe.pk)

    # --- `call_done`: its list confirmed; the one base it designated (owner "base") supervised by Jiangsu ------
    owners["base"] = make_applicant("示例·江苏认定基地", "js-base")
    app_base = _submitted(owners["base"], call_done)
    review_services.application_recommend(actor=province, application_id=app_base.pk, opinion="同意推荐")
    package_done = Package.objects.get(call=call_done, province=province.province)
    _letter(province, package_done, "letter.pdf")
    review_services.package_submit(actor=province, package_id=package_done.pk)
    national.recheck_pass(actor=cnipa, application_id=app_base.pk)
    notice_done = national.notice_publish(actor=cnipa, call=call_done, text="现将拟确定名单予以公示。",
                                          contact="电话 010-0000")
    Notice.objects.filter(pk=notice_done.pk).update(published_at=now - datetime.timedelta(days=20),
                                                    starts_on=today - datetime.timedelta(days=15),
                                                    ends_on=today - datetime.timedelta(days=8))
    national.final_confirm(actor=cnipa, notice_id=resealed(notice_done).pk, document_number="矩阵〔2026〕9号",
                           document_date=today - datetime.timedelta(days=5))
    base = Base.objects.get(application=app_base)
    # What it filed since: its plan, a project accepted with its evidence of use, a training — none checked yet.
    base_filings.plan_file(actor=owners["base"], base_id=base.pk, summary="矩阵·三项任务。",
                           upload=SimpleUploadedFile(BASE_PLAN_NAME, SECRET_PDF, "application/pdf"))
    project = base_filings.project_save(actor=owners["base"], base_id=base.pk, values={
        "title": "矩阵·产业规划类专利导航", "need": "矩阵·需求", "client_kind": "authority", "client": "矩阵·工信局",
        "project_type": "industry", "service_body": "矩阵·服务机构", "funding": "10", "funding_source": "矩阵·专项",
        "approved_on": today - datetime.timedelta(days=4), "tendered_on": None,
        "started_on": today - datetime.timedelta(days=3), "accepted_on": today - datetime.timedelta(days=1),
        "deliverables": ["report"]}, evidence=SimpleUploadedFile(EVIDENCE_NAME, SECRET_PDF, "application/pdf"))
    service = base_filings.service_file(actor=owners["base"], base_id=base.pk, kind="training", title="矩阵·培训",
                                        held_on=today, participants=30)
    # The year's reporting, open; the base's report submitted with its attachment, for Jiangsu to review.
    period = base_reports.period_open(actor=cnipa, year=today.year, title="矩阵·年度报告",
                                      opens_at=now - datetime.timedelta(hours=1),
                                      deadline=now + datetime.timedelta(days=30),
                                      review_deadline=now + datetime.timedelta(days=40))
    base_reports.report_save(actor=owners["base"], base_id=base.pk, period_id=period.pk, values={
        "demand_matching": "矩阵·需求对接", "organisation": "矩阵·组织管理", "promotion": "矩阵·应用推广"},
        upload=SimpleUploadedFile(REPORT_NAME, SECRET_PDF, "application/pdf"))
    report = base_reports.report_submit(actor=owners["base"], base_id=base.pk, period_id=period.pk)
    # Its assessment being prepared (the standard indicators, nothing scored); last year's, published (no base).
    base_assessment.indicators_standard(actor=cnipa, period_id=period.pk)
    past_period = base_reports.period_open(actor=cnipa, year=today.year - 1, title="矩阵·上年度报告",
                                           opens_at=now - datetime.timedelta(days=60),
                                           deadline=now - datetime.timedelta(days=30),
                                           review_deadline=now - datetime.timedelta(days=20))
    base_assessment.indicators_standard(actor=cnipa, period_id=past_period.pk)
    base_assessment.assessment_publish(actor=cnipa, period_id=past_period.pk,
                                       rectify_by=today + datetime.timedelta(days=30))

    # A reset link of a user no matrix cell signs in as (signing in invalidates a reset token).
    reset_user = owners["rec1"]
    reset = (urlsafe_base64_encode(force_bytes(reset_user.pk)), default_token_generator.make_token(reset_user))
    lockout = AccessAttempt.objects.create(
        username="locked-out-official", ip_address="10.9.8.7", failures_since_start=5, user_agent="matrix",
        http_accept="*/*", path_info="/accounts/login/", get_data="", post_data="")
    # The second factor the security administrator may reset (the other officials get theirs when they sign in).
    TOTPDevice.objects.create(user=users["city_out"], name="matrix", confirmed=True)
    # A request of the system administrator awaiting the security administrator (two people for powers).
    account_request = administration.account_request_create(
        actor=users["sysadmin"], username="matrix-asked", display_name="矩阵·待批准", email="asked@example.cn",
        role=Role.NATIONAL, scope=None)

    # A mail that failed for good: the system administrator may queue it again.
    failed_mail = Email.objects.create(from_email="navportal@localhost", to=["gone@example.cn"], subject="矩阵·失败",
                                       message="…", status=STATUS.failed, number_of_retries=6)

    world = World(
        users=users, owners=owners, call=call, call_notice=call_notice, call_ready=call_ready,
        app_city=Application.objects.get(pk=app_city.pk), app_draft=Application.objects.get(pk=app_draft.pk),
        app_complete=Application.objects.get(pk=app_complete.pk),
        app_withdrawn=Application.objects.get(pk=app_withdrawn.pk),
        app_rec1=Application.objects.get(pk=app_rec1.pk), app_rec2=Application.objects.get(pk=app_rec2.pk),
        app_moe=Application.objects.get(pk=app_moe.pk), package_js=Package.objects.get(pk=package_js.pk),
        package_moe=Package.objects.get(pk=package_moe.pk),
        rec1=Recommendation.objects.get(application=app_rec1), rec2=Recommendation.objects.get(application=app_rec2),
        notice=notice, entries=entries, objection_person=objection_person, objection_org=objection_org,
        objection_token=unconfirmed.confirmation_token, registration_token=registration_token,
        transfer_token=transfer_token,
        org_pending=Organisation.objects.get(pk=owners["pending"].organisation_id),
        org_transfer=Organisation.objects.get(pk=owners["transfer"].organisation_id),
        pending_letter=OrganisationDocument.objects.get(organisation=owners["pending"].organisation_id,
                                                        kind=DocumentKind.AUTHORISATION),
        reset=reset, lockout=lockout, failed_mail=failed_mail, account_request=account_request, base=base,
        project=project, service=service, period=period, report=report, past_period=past_period)
    _check(world)
    return world


def _check(w):
    """The states the matrix relies on: if one of these moves, the matrix would test something else."""
    states = {name: getattr(w, name).state for name in (
        "app_city", "app_draft", "app_complete", "app_withdrawn", "app_rec1", "app_rec2", "app_moe")}
    assert states == {
        "app_city": State.CITY_REVIEW, "app_draft": State.DRAFT, "app_complete": State.DRAFT,
        "app_withdrawn": State.WITHDRAWN, "app_rec1": State.RECOMMENDED, "app_rec2": State.RECOMMENDED,
        "app_moe": State.RECHECK_PASSED}
    assert w.app_draft.pledged_at is None and w.app_complete.pledged_at is not None
    assert (w.rec1.rank, w.rec2.rank) == (1, 2)
    assert (w.package_js.status, w.package_moe.status) == (PackageStatus.OPEN, PackageStatus.SUBMITTED)
    assert w.app_rec2.exempt_category == "protection_centre" and w.app_rec2.exemption_status == "pending"
    assert deadlines.notice_is_open(w.notice, timezone.now())
    assert not Notice.objects.filter(call=w.call_ready).exists()
