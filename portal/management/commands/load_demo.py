"""Demo data for `make run`: one account per role, reviewers for all 32 provincial units, fictional
organisations (marked 示例) in several provinces, the 2022 call as history, a 2025 call whose list was confirmed
(its bases: active, under rectification, revoked), a call on public notice and an open call whose deadline lies a
month from today. Safe to run again: what exists is left as it is.

Applications are created through the same services a user's clicks go through, so the demo data obeys
every rule the portal enforces.
"""

import base64
import datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications import services
from applications.enums import Affiliation, ApplicantType, AttachmentKind, DocumentKind, State, Verification, VerifiedVia
from applications.models import Application, Organisation
from applications.organisations import organisation_documents_upload
from applications.sections import SECTIONS
from bases import assessment as base_assessment
from bases import filings as base_filings
from bases import reports as base_reports
from bases import services as base_services
from bases.models import Base, Indicator
from navportal import seals
from navportal.demo import content as demo_content
from navportal.demo.content import TINY_PDF, complete_values, credit_code, service_rows, staff_rows
from navportal.administration import account_request_create
from navportal.identifiers import is_email, opaque_username, users_by_email
from navportal.models import AccountRequest, City, Ministry, Province, Role, User
from navportal.privacy_rules import RULES_VERSION
from navportal.second_factor import needs_second_factor
from portal.models import BureauContact
from portal.services import contact_save
from review import national
from review import services as review_services
from review.calendar import notice_period
from review.calls import call_save
from review.models import Call, Notice, all_exempt_categories

DEMO_PASSWORD = "Demo-navportal-2026"
# The second factor of every demo official and administrator: one published TOTP key (base32, 160 bits as
# RFC 4226 recommends), to add to any authenticator app or to run `oathtool --totp -b <key>`.
DEMO_TOTP_SECRET = "NAVPORTALDEMO234NAVPORTALDEMO234"
NOTICE_2022 = Path(demo_content.__file__).with_name("notice-2022-58.zh.txt")

# (the contact's e-mail address, with which they sign in; organisation, type, affiliation, city code, ministry code,
# how far the demo takes it)
ORGANISATIONS = [
    ("park@example.cn", "示例·苏州工业园区知识产权服务中心", ApplicantType.NATIONAL_PARK, Affiliation.CITY, "320500",
     None, "submitted"),
    ("nanjing@example.cn", "示例·南京市专利信息服务中心", ApplicantType.INSTITUTION, Affiliation.CITY, "320100",
     None, "submitted"),
    ("jsipc@example.cn", "示例·江苏省知识产权保护中心", ApplicantType.INSTITUTION, Affiliation.PROVINCE, "320100",
     None, "complete"),
    ("hangzhou@example.cn", "示例·杭州高新技术产业开发区", ApplicantType.PROVINCIAL_PARK, Affiliation.CITY, "330100",
     None, "partial"),
    ("univ@example.cn", "示例·某大学知识产权信息服务中心", ApplicantType.INSTITUTION, Affiliation.MINISTRY, "110108",
     "moe", "submitted"),
    ("applicant@example.cn", "示例·广州开发区专利导航中心", ApplicantType.PROVINCIAL_PARK, Affiliation.CITY, "440100",
     None, "none"),
    # More of Jiangsu, so that the province's ranking reaches its quota of three in the demo.
    ("wuxi@example.cn", "示例·无锡国家高新技术产业开发区", ApplicantType.NATIONAL_PARK, Affiliation.CITY, "320200",
     None, "submitted"),
    ("changzhou@example.cn", "示例·常州科教城", ApplicantType.PROVINCIAL_PARK, Affiliation.CITY, "320400",
     None, "submitted"),
    ("nantong@example.cn", "示例·南通高新区专利导航服务中心", ApplicantType.PROVINCIAL_PARK, Affiliation.CITY, "320600",
     None, "submitted-local-base"),
    ("ipcentre@example.cn", "示例·中国（江苏）知识产权保护中心", ApplicantType.INSTITUTION, Affiliation.PROVINCE,
     "320100", None, "submitted-exempt"),
]

# The second demo call, on public notice: three Jiangsu parks (e-mail address, …, as ORGANISATIONS).
NOTICE_CALL = "示例〔2026〕2号"
NOTICE_ORGANISATIONS = [
    ("yangzhou@example.cn", "示例·扬州国家高新技术产业开发区", ApplicantType.NATIONAL_PARK, Affiliation.CITY, "321000",
     None, "submitted"),
    ("xuzhou@example.cn", "示例·徐州经济技术开发区", ApplicantType.NATIONAL_PARK, Affiliation.CITY, "320300",
     None, "submitted"),
    ("taizhou@example.cn", "示例·泰州医药高新技术产业开发区", ApplicantType.NATIONAL_PARK, Affiliation.CITY, "321200",
     None, "submitted"),
]

# An earlier demo call whose final list CNIPA confirmed by document (SPEC §6.4, §12): five parks in three provinces,
# now national-level bases. Its dates are those of 2025; the services stamp the moment they run, so the command sets
# the call's and the notice's dates back afterwards (see call_designated).
BASES_CALL = "示例〔2025〕1号"
BASES_DESIGNATION = "国知办发运字〔2025〕36号（示例）"
BASES_DESIGNATED_ON = datetime.date(2025, 10, 20)
BASES_PUBLISHED_ON = datetime.date(2025, 9, 15)      # its notice period: 16–22 September, five working days
BASES_ORGANISATIONS = [
    # Under rectification: the contact signs in as base@example.cn and answers it on 我的基地 (/base/).
    ("base@example.cn", "示例·盐城经济技术开发区", ApplicantType.NATIONAL_PARK, Affiliation.CITY, "320900",
     None, "submitted"),
    ("zhenjiang@example.cn", "示例·镇江高新技术产业开发区", ApplicantType.NATIONAL_PARK, Affiliation.CITY, "321100",
     None, "submitted"),
    # Revoked by document.
    ("lianyungang@example.cn", "示例·连云港经济技术开发区", ApplicantType.NATIONAL_PARK, Affiliation.CITY, "320700",
     None, "submitted"),
    ("ningbo@example.cn", "示例·宁波国家高新技术产业开发区", ApplicantType.NATIONAL_PARK, Affiliation.CITY, "330200",
     None, "submitted"),
    ("foshan@example.cn", "示例·佛山国家高新技术产业开发区", ApplicantType.NATIONAL_PARK, Affiliation.CITY, "440600",
     None, "submitted"),
]

# A registration still provisional (SPEC §10): its documents uploaded, waiting in Jiangsu's verification queue.
PROVISIONAL_ORGANISATIONS = [
    ("pending@example.cn", "示例·昆山高新技术产业开发区", ApplicantType.PROVINCIAL_PARK, Affiliation.CITY, "320500",
     None, "provisional"),
]

CITY_REVIEWERS = [("city-nanjing", "320100"), ("city-suzhou", "320500"), ("city-hangzhou", "330100"),
                  ("city-guangzhou", "440100")]
MINISTRY_REVIEWERS = [("ministry-moe", "moe"), ("ministry-cas", "cas")]


def shanghai(*args):
    return timezone.make_aware(datetime.datetime(*args), timezone.get_fixed_timezone(8 * 60))


class Command(BaseCommand):
    help = "Load demo accounts, organisations and calls (idempotent)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            # Demo accounts share one published password: they must never exist in production.
            raise CommandError("load_demo refuses to run with DEBUG off (production settings).")
        # The notifications the demo's submissions and decisions write stay in the portal (每个账户的“消息”);
        # their e-mails are kept back, not printed or sent.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            mail.outbox = []
            with transaction.atomic():
                self.users()
                self.contacts()
                self.account_request()
                call_2022, demo_call = self.calls()
            for username, *rest in ORGANISATIONS:
                self.organisation(username, *rest, call=demo_call)
            self.call_designated()
            self.call_on_notice()
            for username, *rest in PROVISIONAL_ORGANISATIONS:
                self.organisation(username, *rest, call=demo_call)
            if mail.outbox:
                self.stdout.write(f"{len(mail.outbox)} notifications are in the demo accounts' messages (their "
                                  "e-mails were not sent).")
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready. Every demo account's password is {DEMO_PASSWORD}; officials and administrators "
            f"add the TOTP key {DEMO_TOTP_SECRET} to an authenticator app (see README.md)."))

    def password_hash(self):
        """The demo password's hash, made once: PBKDF2-HMAC-SM3 costs half a second a time (docs/cryptography.md),
        and every demo account shares the password."""
        if not hasattr(self, "_password_hash"):
            self._password_hash = make_password(DEMO_PASSWORD)
        return self._password_hash

    def user(self, username, role, name, **scope):
        """The demo account `username` — or, for a contact, the account of the e-mail address given instead: its
        user name is opaque (navportal.identifiers), and its holder signs in with the address."""
        if is_email(username):
            user, email = users_by_email(username).first(), username
        else:
            user, email = User.objects.filter(username=username).first(), f"{username}@example.cn"
        if user is None:
            # A contact person's account comes from the registration, whose form asks for the acknowledgement of the
            # personal information rules and keeps its version (applications.services.organisation_register).
            # Officials' and administrators' accounts are asked for by the system administrator, with no such form:
            # the rules are the applicants' and objectors', and an acknowledgement here would record one never given.
            acknowledged = {"privacy_version": RULES_VERSION, "privacy_acknowledged_at": timezone.now()} \
                if role == Role.APPLICANT else {}
            user = User(username=opaque_username() if is_email(username) else username, role=role,
                        display_name=name, email=email, **scope, **acknowledged)
            user.password = self.password_hash()
            user.save()
        if needs_second_factor(user) and not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            # django-otp keeps the key in hex.
            TOTPDevice.objects.create(user=user, name="demo", confirmed=True,
                                      key=base64.b32decode(DEMO_TOTP_SECRET).hex())
        return user

    def account_request(self):
        """A request of the system administrator awaiting the security administrator (two people for powers): a
        Wuxi city reviewer's account, so that the queue has something to decide. Approving it makes the account."""
        if not AccountRequest.objects.exists():
            account_request_create(actor=User.objects.get(username="sysadmin"), username="city-wuxi",
                                   display_name="无锡市知识产权局（示例）", email="city-wuxi@example.cn", role=Role.CITY,
                                   scope=City.objects.get(code="320200"))

    def contacts(self):
        """The help page's contacts: CNIPA's department and a few provincial bureaus (fictional numbers)."""
        cnipa = User.objects.get(username="cnipa")
        for code, office, phone in ((None, "国家知识产权局知识产权运用促进司（示例）", "010-00000000"),
                                    ("320000", "江苏省知识产权局运用促进处（示例）", "025-00000000"),
                                    ("330000", "浙江省知识产权局运用促进处（示例）", "0571-00000000"),
                                    ("440000", "广东省知识产权局运用促进处（示例）", "020-00000000")):
            province = Province.objects.get(code=code) if code else None
            if not BureauContact.objects.filter(province=province, national=province is None).exists():
                contact_save(actor=cnipa, province=province, values={
                    "office": office, "phone": phone, "email": f"contact-{code or 'cnipa'}@example.cn",
                    "address": ""})

    def users(self):
        self.user("cnipa", Role.NATIONAL, "国家局运用促进司（示例）")
        self.user("sysadmin", Role.SYSTEM_ADMIN, "系统管理员（示例）")
        self.user("secadmin", Role.SECURITY_ADMIN, "安全管理员（示例）")
        self.user("auditadmin", Role.AUDIT_ADMIN, "审计管理员（示例）")
        for province in Province.objects.all():
            self.user(f"prov-{province.code[:2]}", Role.PROVINCE, f"{province.name}知识产权局（示例）",
                      province=province)
        for username, code in CITY_REVIEWERS:
            city = City.objects.get(code=code)
            self.user(username, Role.CITY, f"{city.name}知识产权局（示例）", city=city)
        for username, code in MINISTRY_REVIEWERS:
            ministry = Ministry.objects.get(code=code)
            self.user(username, Role.MINISTRY, f"{ministry.name}科技司（示例）", ministry=ministry)

    def calls(self):
        call_2022, _ = Call.objects.get_or_create(document_number="国知办发运字〔2022〕58号", defaults={
            "title": "2022年国家级专利导航服务基地申报", "notice_text": NOTICE_2022.read_text(encoding="utf-8"),
            "opens_at": shanghai(2022, 11, 11, 0, 0), "deadline": shanghai(2022, 11, 24, 0, 0)})
        now = timezone.now()
        demo_call, _ = Call.objects.get_or_create(document_number="示例〔2026〕1号", defaults={
            "title": "国家级专利导航服务基地申报（示例批次）",
            "notice_text": "本批次为演示数据。申报条件与程序同国知办发运字〔2022〕58号。",
            "opens_at": now - datetime.timedelta(days=7),
            "deadline": (timezone.localtime(now) + datetime.timedelta(days=30)).replace(
                hour=0, minute=0, second=0, microsecond=0)})
        return call_2022, demo_call

    def call_on_notice(self):
        """A second demo call, already on public notice with objections, so that every stage can be seen at
        once: three Jiangsu parks submitted, recommended, handed in and passed by CNIPA; the list published a
        few days ago (its period includes today), two objections of which CNIPA dismissed one; then CNIPA moved
        the call's deadline to before the publication, where it belongs. Every step is a service call."""
        if Call.objects.filter(document_number=NOTICE_CALL).exists():
            return
        cnipa, province = User.objects.get(username="cnipa"), User.objects.get(username="prov-32")
        now = timezone.now()
        today = timezone.localdate(now)
        # The latest publication day whose period (from the next day, the call's working days) includes today.
        published_on = next(day for day in (today - datetime.timedelta(days=n) for n in range(1, 15))
                            if notice_period(day, 5)[0] <= today <= notice_period(day, 5)[1])
        values = {"title": "国家级专利导航服务基地申报（示例·公示中批次）", "document_number": NOTICE_CALL,
                  "notice_text": "本批次为演示数据：名单正在公示，可在公示页面提出异议。", "opens_at": now - datetime.timedelta(days=60),
                  "deadline": now + datetime.timedelta(hours=2), "quota": 3, "ministry_quota": None,
                  "notice_working_days": 5, "exempt_categories": all_exempt_categories()}
        call = call_save(actor=cnipa, values=values)
        for username, *rest in NOTICE_ORGANISATIONS:
            self.organisation(username, *rest, call=call)
        applications = list(Application.objects.filter(call=call).order_by("pk"))
        self.hand_in(province, call, applications)
        for application in applications:
            national.recheck_pass(actor=cnipa, application_id=application.pk, note="复核通过。（示例）")
        notice = national.notice_publish(actor=cnipa, call=call, text="经推荐和复核，现将拟确定名单予以公示。（示例）",
                                         contact="联系电话：010-00000000；电子邮箱：contact-cnipa@example.cn",
                                         published_on=published_on)
        first, second = notice.entries.order_by("number")[:2]
        # Each objector confirms the e-mail address by the link mailed (as they would): only then does it count.
        sent = national.objection_submit(
            entry_id=first.pk, kind="person", name="张某某（示例）", phone="13800000000", email="objector@example.cn",
            signature="张某某（示例）", reasons="该单位所报服务案例与实际不符。（示例）", privacy_version=RULES_VERSION)
        dismissed = national.objection_confirm(token=sent.confirmation_token)
        sent = national.objection_submit(
            entry_id=second.pk, kind="organisation", name="某某科技有限公司（示例）", phone="025-00000000",
            email="legal@example.cn", reasons="该园区专职人员数量存疑。（示例）",
            letter=SimpleUploadedFile("异议函（示例）.pdf", TINY_PDF, "application/pdf"), privacy_version=RULES_VERSION)
        national.objection_confirm(token=sent.confirmation_token)
        national.objection_decide(actor=cnipa, objection_id=dismissed.pk, decision="dismissed",
                                  note="经核实，所报服务案例属实，异议不成立。（示例）")
        closed = timezone.make_aware(datetime.datetime.combine(published_on - datetime.timedelta(days=1),
                                                               datetime.time(18, 0)))
        call_save(actor=cnipa, call_id=call.pk, values={**values, "opens_at": call.opens_at, "deadline": closed})

    def hand_in(self, bureau, call, applications):
        """`bureau` recommends `applications`, ranked in this order, and hands its package in with its letter."""
        for application in applications:
            review_services.application_recommend(actor=bureau, application_id=application.pk,
                                                  opinion="符合申报条件，同意推荐。（示例）")
        package = review_services.package_get_or_create(actor=bureau, call=call)
        review_services.package_attach_letter(actor=bureau, package_id=package.pk,
                                              upload=SimpleUploadedFile("推荐函（示例）.pdf", TINY_PDF, "application/pdf"))
        review_services.package_submit(actor=bureau, package_id=package.pk)

    def call_designated(self):
        """An earlier call (2025) whose list CNIPA confirmed by document, so that the bases after designation can be
        seen: five parks in Jiangsu, Zhejiang and Guangdong submitted, recommended by their provinces, re-checked and
        listed, the list confirmed; then CNIPA required one Jiangsu base (base@example.cn) to rectify, with a date to
        answer by some weeks ahead, and revoked another's title by document. Every step is a service call; only the
        dates the services stamp with the present are set back afterwards to those of 2025 — the call's through
        call_save, the notice's publication by SQL and re-sealed as the calendar moving on (as the browser journeys'
        `move_period`), so that the newest notice stays the call on notice's and the public pages read as history."""
        if Call.objects.filter(document_number=BASES_CALL).exists():
            return
        cnipa = User.objects.get(username="cnipa")
        now = timezone.now()
        today = timezone.localdate(now)
        values = {"title": "2025年国家级专利导航服务基地申报（示例·已确定批次）", "document_number": BASES_CALL,
                  "notice_text": "本批次为演示数据：名单已发文确定，基地在建设和动态管理之中。",
                  "opens_at": now - datetime.timedelta(days=60), "deadline": now + datetime.timedelta(hours=2),
                  "quota": 3, "ministry_quota": None, "notice_working_days": 5,
                  "exempt_categories": all_exempt_categories()}
        call = call_save(actor=cnipa, values=values)
        for username, *rest in BASES_ORGANISATIONS:
            self.organisation(username, *rest, call=call)
        applications = list(Application.objects.filter(call=call).select_related("province").order_by("pk"))
        for code in dict.fromkeys(application.province.code for application in applications):
            self.hand_in(User.objects.get(username=f"prov-{code[:2]}"), call,
                         [application for application in applications if application.province.code == code])
        for application in applications:
            national.recheck_pass(actor=cnipa, application_id=application.pk, note="复核通过。（示例）")
        notice = national.notice_publish(actor=cnipa, call=call, text="经推荐和复核，现将拟确定名单予以公示。（示例）",
                                         contact="联系电话：010-00000000；电子邮箱：contact-cnipa@example.cn",
                                         published_on=BASES_PUBLISHED_ON)
        Notice.objects.filter(pk=notice.pk).update(published_at=shanghai(2025, 9, 15, 10, 0))
        seals.seal_saved(Notice._base_manager.get(pk=notice.pk))
        call_save(actor=cnipa, call_id=call.pk, values={
            **values, "opens_at": shanghai(2025, 6, 3, 9, 0), "deadline": shanghai(2025, 8, 29, 17, 0)})
        national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number=BASES_DESIGNATION,
                               document_date=BASES_DESIGNATED_ON)
        bases = {base.organisation.name: base for base in Base.objects.filter(entry__notice=notice).select_related(
            "organisation")}
        self.bases_year(cnipa, bases, today)
        base_services.base_revoke(
            actor=cnipa, base_id=bases["示例·连云港经济技术开发区"].pk,
            document_number=f"国知办发运字〔{today.year}〕87号（示例）", document_date=today,
            reason="考核不合格，且整改期内未按要求整改；年度报告所列成果应用证明经核查不实。（示例）")
        # This year's reporting, open now: the bases write their reports on 2026 in the demo.
        base_reports.period_open(actor=cnipa, year=today.year, title=f"{today.year}年度基地建设情况报告（示例）",
                                 opens_at=now - datetime.timedelta(days=5),
                                 deadline=shanghai(*(today + datetime.timedelta(days=60)).timetuple()[:3], 17, 0),
                                 review_deadline=shanghai(*(today + datetime.timedelta(days=75)).timetuple()[:3], 17, 0))

    def bases_year(self, cnipa, bases, today):
        """The bases' first year (2025), as the issue's done-when follows it: their plans, projects with their
        results and trainings, checked by their provinces; the 2025 reporting — four reports submitted and forwarded
        with the provinces' opinions, one missed (盐城, put under rectification); the assessment with computed and
        scored indicators, published: 镇江 excellent; 佛山 and 连云港 unqualified and put under rectification; 佛山
        answered and its rectification was closed, 连云港's title is revoked (call_designated). The dates are 2025's
        and early 2026's, given to the services that take them."""
        province = {code: User.objects.get(username=f"prov-{code}") for code in ("32", "33", "44")}
        supervisor = {name: province[base.province.code[:2]] for name, base in bases.items()}
        # How much each base did in 2025: (projects, of them accepted with evidence, trainings' participants).
        work = {"示例·镇江高新技术产业开发区": (3, 2, 260), "示例·宁波国家高新技术产业开发区": (2, 1, 120),
                "示例·佛山国家高新技术产业开发区": (1, 0, 30), "示例·连云港经济技术开发区": (1, 0, 0),
                "示例·盐城经济技术开发区": (1, 0, 40)}
        for name, (projects, accepted, participants) in work.items():
            base = bases[name]
            member = User.objects.get(organisation=base.organisation_id, role=Role.APPLICANT)
            check = supervisor[name]
            base_filings.plan_file(
                actor=member, base_id=base.pk, summary="需求对接：建立产业链专利需求库；组织管理：设立基地办公室，配备专职人员；"
                "应用推广：每年开展产业规划类专利导航项目不少于2项。（示例）",
                upload=SimpleUploadedFile("基地建设方案（示例）.pdf", TINY_PDF, "application/pdf"))
            base_filings.plan_check(actor=check, base_id=base.pk, acknowledge=True, note="同意备案。（示例）")
            for i in range(projects):
                done = i < accepted
                project = base_filings.project_save(actor=member, base_id=base.pk, values={
                    "title": f"{name[3:]}{('产业规划类', '企业经营类', '研发活动类')[i % 3]}专利导航项目（示例）",
                    "need": "摸清重点产业链专利布局，支撑招商引资和关键技术攻关。（示例）",
                    "client_kind": ("authority", "innovator")[i % 2],
                    "client": ("市工业和信息化局（示例）", "某新材料有限公司（示例）")[i % 2],
                    "project_type": ("industry", "enterprise", "research")[i % 3],
                    "service_body": "某知识产权服务有限公司（示例）", "funding": str(30 + 10 * i),
                    "funding_source": "市级知识产权专项资金", "approved_on": datetime.date(2025, 11, 3 + i),
                    "tendered_on": datetime.date(2025, 11, 10 + i), "started_on": datetime.date(2025, 11, 17 + i),
                    "accepted_on": datetime.date(2025, 12, 22 + i) if done else None,
                    "deliverables": ["report", "database"] if done else []},
                    evidence=SimpleUploadedFile("成果应用证明（示例）.pdf", TINY_PDF, "application/pdf") if done else None)
                base_filings.project_check(actor=check, base_id=base.pk, project_id=project.pk, acknowledge=True)
                if name == "示例·镇江高新技术产业开发区" and done and i == 0:
                    base_filings.project_exemplary(actor=cnipa, base_id=base.pk, project_id=project.pk, exemplary=True)
            if participants:
                service = base_filings.service_file(actor=member, base_id=base.pk, kind="training",
                                                    title="专利导航实务培训班（示例）", held_on=datetime.date(2025, 12, 5),
                                                    participants=participants)
                base_filings.service_check(actor=check, base_id=base.pk, service_id=service.pk, acknowledge=True)
        period = base_reports.period_open(actor=cnipa, year=2025, title="2025年度基地建设情况报告（示例）",
                                          opens_at=shanghai(2026, 1, 5, 9, 0), deadline=shanghai(2026, 2, 27, 17, 0),
                                          review_deadline=shanghai(2026, 3, 13, 17, 0))
        for name in work:
            if name == "示例·盐城经济技术开发区":
                continue  # the report missed
            base = bases[name]
            member = User.objects.get(organisation=base.organisation_id, role=Role.APPLICANT)
            base_reports.report_save(actor=member, base_id=base.pk, period_id=period.pk, now=shanghai(2026, 2, 10, 9, 0),
                                     values={"demand_matching": "走访企业36家，梳理专利导航需求12项。（示例）",
                                             "organisation": "建设方案已备案，设立基地办公室，配备专职人员5名。（示例）",
                                             "promotion": "开展专利导航项目并推动成果在招商和研发中应用。（示例）"})
            report = base_reports.report_submit(actor=member, base_id=base.pk, period_id=period.pk,
                                                now=shanghai(2026, 2, 10, 10, 0))
            base_reports.report_review(actor=supervisor[name], report_id=report.pk, forward=True,
                                       text="经审核，同意报送。（示例）", now=shanghai(2026, 3, 2, 10, 0))
            base_reports.report_receive(actor=cnipa, report_id=report.pk, now=shanghai(2026, 3, 16, 10, 0))
        base_assessment.rectify_missed(actor=cnipa, period_id=period.pk, deadline=today + datetime.timedelta(days=28),
                                       now=shanghai(2026, 3, 2, 9, 0))
        base_assessment.indicators_standard(actor=cnipa, period_id=period.pk)
        marks = {"示例·镇江高新技术产业开发区": 10, "示例·宁波国家高新技术产业开发区": 8, "示例·佛山国家高新技术产业开发区": 3,
                 "示例·连云港经济技术开发区": 1, "示例·盐城经济技术开发区": 4}
        reasons = {10: "方案落实到位，保障有力。（示例）", 8: "总体落实较好，经费保障有待加强。（示例）",
                   4: "未按期报送年度报告，保障措施不足。（示例）", 3: "方案落实滞后，人员和经费保障不足。（示例）",
                   1: "方案基本未落实，成果应用证明存疑。（示例）"}
        for indicator in Indicator.objects.filter(scheme__period=period, kind="scored"):
            for name, mark in marks.items():
                base_assessment.score_save(actor=cnipa, period_id=period.pk, base_id=bases[name].pk,
                                           indicator_id=indicator.pk, points=Decimal(mark), reason=reasons[mark])
        base_assessment.assessment_publish(actor=cnipa, period_id=period.pk,
                                           rectify_by=today + datetime.timedelta(days=30))
        foshan = bases["示例·佛山国家高新技术产业开发区"]
        base_services.rectification_answer(
            actor=User.objects.get(organisation=foshan.organisation_id, role=Role.APPLICANT), base_id=foshan.pk,
            answer="已补充备案专利导航项目2项，落实专职人员3名和专项经费50万元。（示例）")
        base_services.rectification_close(actor=cnipa, base_id=foshan.pk, note="整改措施到位，恢复在建。（示例）")

    def organisation(self, username, name, applicant_type, affiliation, city_code, ministry_code, stage, *, call):
        if users_by_email(username).exists():
            return
        city = City.objects.select_related("province").get(code=city_code)
        seed = 100 + [o[0] for o in ORGANISATIONS + NOTICE_ORGANISATIONS + PROVISIONAL_ORGANISATIONS
                      + BASES_ORGANISATIONS].index(username)
        # The demo's organisations are verified as the bureaus would have (SPEC §10), but the provisional one.
        verified = {} if stage == "provisional" else {
            "verification": Verification.VERIFIED, "verified_at": timezone.now(), "verified_via": VerifiedVia.BUREAU}
        with transaction.atomic():
            org = Organisation.objects.create(
                name=name, credit_code=credit_code(seed), applicant_type=applicant_type, affiliation=affiliation,
                ministry=Ministry.objects.get(code=ministry_code) if ministry_code else None,
                province=city.province, city=city, **verified)
            user = self.user(username, Role.APPLICANT, "李联络", organisation=org)
        if stage == "provisional":
            organisation_documents_upload(actor=user, documents={
                DocumentKind.AUTHORISATION: (SimpleUploadedFile("法人授权委托书（示例）.pdf", TINY_PDF), "application/pdf"),
                DocumentKind.LICENCE: (SimpleUploadedFile("营业执照（示例）.pdf", TINY_PDF), "application/pdf")})
            return
        if stage == "none":
            return
        application = services.application_start(actor=user, call=call)
        services.application_pledge(actor=user, application_id=application.pk)
        values = complete_values()
        if stage == "submitted-local-base":
            values.update(local_base=True, local_base_document_number="苏知发〔2021〕12号（示例）",
                          local_base_document_date=datetime.date(2021, 6, 1))
        if stage == "submitted-exempt":
            values.update(exempt_category="protection_centre", exempt_document_number="国知办函〔2020〕8号（示例）",
                          exempt_document_date=datetime.date(2020, 3, 1))
        sections = SECTIONS if stage != "partial" else SECTIONS[:2]
        for section in sections:
            version = Application.objects.get(pk=application.pk).lock_version
            rows = {"staff": staff_rows(6), "services": service_rows(6)}.get(section.rows)
            services.application_save_section(
                actor=user, application_id=application.pk, section_key=section.key,
                values={f: values[f] for f in section.fields if f in values}, rows=rows, lock_version=version,
                privacy_version=RULES_VERSION)
        if stage == "partial":
            return
        claim = {"submitted-local-base": AttachmentKind.LOCAL_BASE_DOCUMENT,
                 "submitted-exempt": AttachmentKind.EXEMPTION_DOCUMENT}.get(stage)
        if claim:
            services.application_attach(
                actor=user, application_id=application.pk, kind=claim,
                upload=SimpleUploadedFile("认定文件（示例）.pdf", TINY_PDF, "application/pdf"),
                content_type="application/pdf")
        services.application_attach(
            actor=user, application_id=application.pk, kind=AttachmentKind.SEALED_SCAN,
            upload=SimpleUploadedFile("申请表盖章扫描件.pdf", TINY_PDF, "application/pdf"),
            content_type="application/pdf")
        if stage.startswith("submitted"):
            problems = services.application_submit(actor=user, application_id=application.pk)
            assert not problems, problems
            assert Application.objects.get(pk=application.pk).state != State.DRAFT
