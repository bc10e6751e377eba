"""National-scale data for measuring the portal: a whole call with every state, and a past call with its
final list. Deterministic for a given --seed; written in bulk, so it takes seconds, not hours.

    createdb navbench && DATABASE_URL=postgres://…/navbench manage.py migrate && … manage.py generate_national

What it writes (with the default --applications 3000):
  - about 500 reviewer accounts: 3 per province (32), 2 per ministry (18), 5 at CNIPA and one per city for the
    cities the city-affiliated applicants come from, each with a TOTP device (officials pass the second factor);
  - the current call, open for another 30 days: 3,000 organisations and their applications over every state,
    each with a roster of 5–8, 5–8 services, its documents, claims and submitted versions; the recommendation
    package of every province and ministry (handed in by two thirds of them), ranked within the quota; the
    proposed list of the handed-in ones on public notice now, with objections (some decided);
  - a past call whose list was confirmed by a document: about 250 applications, 100-odd designated bases;
  - the audit trail of all of it, chained row by row as audit_record would (`manage.py verify_audit` passes).

Rows are written in bulk rather than through the services, for speed; the states, routes, versions, packages,
quota slots, ranks, notice entries and audit lines are built to be exactly what the services would have left.

It must never write into a production database: it refuses to run with DEBUG off unless told
--not-production, and — whatever the settings — on a database that holds any call already. A production
database always holds calls; a freshly migrated one holds none.
"""

import base64
import datetime
import random
import secrets
import time
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications.enums import (
    Affiliation, ApplicantType, AttachmentKind, ClaimStatus, ExemptCategory, Route, State, Verification, VerifiedVia,
)
from applications.models import (
    SUBMISSION_SERIES, Application, ApplicationVersion, Attachment, Organisation, ServiceRecord, StaffMember,
)
from applications.sections import SECTIONS
from applications.selectors import application_snapshot, content_fingerprint
from applications.workflow import FIRST_STATE, route_for
from bases.models import (
    AnnualReport, AssessmentResult, AssessmentScheme, Base, ClientKind, ConstructionPlan, FilingState, Indicator,
    Project, ProjectType, PublicService, ReportingPeriod, ReportState, Score, ServiceKind,
)
from navportal import seals
from navportal.demo.content import TINY_PDF, complete_values, credit_code
from navportal.models import AuditEvent, AuditHead, City, Ministry, Province, Role, User
from navportal.privacy_rules import RULES_VERSION
from navportal.references import references_reserve
from review.models import (
    OBJECTION_SERIES, Call, Notice, NoticeEntry, Objection, ObjectionDecision, ObjectorKind, Package, PackageStatus, ProvinceDeadline,
    QuotaSlot, Recommendation, RegistryEntry, RegistryKind,
)

from .load_demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

CURRENT_DOCUMENT = "国知办发运字〔生成〕1号"
PAST_DOCUMENT = "国知办发运字〔生成〕0号"
FINAL_DOCUMENT = "国知办函运字〔生成〕9号"

INDUSTRIES = ["集成电路", "生物医药", "新能源汽车", "高端装备制造", "新材料", "人工智能", "现代农业", "节能环保",
              "新一代信息技术", "航空航天", "海洋工程", "数字创意", "轨道交通", "医疗器械", "智能网联汽车"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国志红晓宇浩然思远子涵欣怡"
KINDS = {  # applicant type → what the generated name ends in
    ApplicantType.NATIONAL_PARK: "国家高新技术产业开发区", ApplicantType.PROVINCIAL_PARK: "经济开发区",
    ApplicantType.INSTITUTION: "知识产权服务中心",
}
SECTION_KEYS = [s.key for s in SECTIONS]
# The states an application can be left in by the reviewers before its bureau recommends, with weights.
EARLY_STATES = [(State.DRAFT, 30), (State.WITHDRAWN, 3), (State.RETURNED, 7), ("first_desk", 18),
                (State.CITY_DECLINED, 3), ("desk", 28), (State.NOT_RECOMMENDED, 11)]


def shanghai(*args):
    return timezone.make_aware(datetime.datetime(*args), timezone.get_fixed_timezone(8 * 60))


class Command(BaseCommand):
    help = "Generate a national-scale call (3,000 applications in every state) and a past call, for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=int, default=3000, help="applications in the current call")
        parser.add_argument("--past", type=int, default=None, help="applications in the past call (default: 1/12)")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--not-production", action="store_true",
                            help="run although DEBUG is off (the database must still hold no call)")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["not_production"]:
            raise CommandError("generate_national refuses to run with DEBUG off (production settings). If this "
                               "really is a throw-away database, add --not-production.")
        if Call.objects.exists():
            raise CommandError("generate_national writes only into an empty, freshly migrated database, and this "
                               "one holds calls already (a production or demo database?). Create a new database.")
        started = time.monotonic()
        self.rng = random.Random(options["seed"])
        self.now = timezone.now().replace(microsecond=0)
        self.today = timezone.localdate(self.now)
        self.password = make_password(DEMO_PASSWORD)
        self.totp_key = base64.b32decode(DEMO_TOTP_SECRET).hex()
        self.events = []  # (at, actor, action, obj, from, to, note): chained in time order at the end
        self.org_seed = 100000
        self.moments = {}  # call pk → unit key or action → the moment every application shares
        with transaction.atomic():
            self.reference()
            current, past = self.calls()
            self.officials()
            n = options["applications"]
            self.build_call(current, n, past=False)
            self.build_call(past, options["past"] if options["past"] is not None else max(12, n // 12), past=True)
            self.write_audit()
        counts = {m.__name__: m.objects.count() for m in (
            Organisation, Application, StaffMember, ServiceRecord, Attachment, ApplicationVersion, Package,
            Recommendation, NoticeEntry, Objection, User, AuditEvent)}
        self.stdout.write(self.style.SUCCESS(
            f"Generated in {time.monotonic() - started:.1f} s: " + ", ".join(f"{v} {k}" for k, v in counts.items())))

    # --- Reference data and people ---------------------------------------------------------------

    def reference(self):
        self.provinces = list(Province.objects.order_by("code"))
        self.ministries = list(Ministry.objects.order_by("code"))
        cities = {}
        for city in City.objects.order_by("code"):
            cities.setdefault(city.province_id, []).append(city)
        self.cities = cities

    def person(self):
        return self.rng.choice(SURNAMES) + "".join(self.rng.choices(GIVEN, k=self.rng.choice((1, 2))))

    def make_users(self, users):
        for user in users:
            user.password = self.password
            user.password_changed_at = self.now
            user.email = user.email or f"{user.username}@example.cn"
        created = User.objects.bulk_create(users, batch_size=1000)
        officials = [u for u in created if u.role != Role.APPLICANT]
        TOTPDevice.objects.bulk_create([TOTPDevice(user=u, name="generated", confirmed=True, key=self.totp_key)
                                        for u in officials], batch_size=1000)
        return created

    def officials(self):
        users = [User(username=f"gen-cnipa-{i}", role=Role.NATIONAL, display_name=f"国家局运用促进司{self.person()}")
                 for i in range(1, 6)]
        users += [User(username=f"gen-{name}", role=role, display_name=name)
                  for name, role in (("sysadmin", Role.SYSTEM_ADMIN), ("secadmin", Role.SECURITY_ADMIN),
                                     ("auditadmin", Role.AUDIT_ADMIN))]
        for province in self.provinces:
            users += [User(username=f"gen-prov-{province.code[:2]}-{i}", role=Role.PROVINCE, province=province,
                           display_name=f"{province.name}知识产权局{self.person()}") for i in (1, 2, 3)]
        for ministry in self.ministries:
            users += [User(username=f"gen-ministry-{ministry.code}-{i}", role=Role.MINISTRY, ministry=ministry,
                           display_name=f"{ministry.name}科技司{self.person()}") for i in (1, 2)]
        # One city reviewer for as many cities as make about 500 reviewer accounts; city-affiliated applicants
        # come from these cities (every province keeps at least one).
        all_cities = [c for p in self.provinces for c in self.cities.get(p.pk, [])]
        wanted = max(0, 500 - len(users))
        chosen = {cities[0].pk for cities in self.cities.values()}
        rest = [c for c in all_cities if c.pk not in chosen]
        chosen |= {c.pk for c in self.rng.sample(rest, max(0, min(len(rest), wanted - len(chosen))))}
        self.reviewed_cities = {}
        for city in all_cities:
            if city.pk in chosen:
                self.reviewed_cities.setdefault(city.province_id, []).append(city)
                users.append(User(username=f"gen-city-{city.code}", role=Role.CITY, city=city,
                                  display_name=f"{city.name}知识产权局{self.person()}"))
        created = self.make_users(users)
        self.cnipa = [u for u in created if u.role == Role.NATIONAL]
        self.desk_users = {}
        for user in created:
            key = {Role.PROVINCE: ("province", user.province_id), Role.MINISTRY: ("ministry", user.ministry_id),
                   Role.CITY: ("city", user.city_id)}.get(user.role)
            if key:
                self.desk_users.setdefault(key, []).append(user)

    def calls(self):
        current = Call.objects.create(
            title="国家级专利导航服务基地申报（生成数据·本批次）", document_number=CURRENT_DOCUMENT,
            notice_text="本批次为性能测试生成的数据。申报条件与程序同国知办发运字〔2022〕58号。",
            opens_at=self.now - datetime.timedelta(days=60),
            deadline=(timezone.localtime(self.now) + datetime.timedelta(days=30)).replace(
                hour=0, minute=0, second=0, microsecond=0))
        past = Call.objects.create(
            title="国家级专利导航服务基地申报（生成数据·上一批次）", document_number=PAST_DOCUMENT,
            notice_text="上一批次（生成数据）。", opens_at=current.opens_at - datetime.timedelta(days=365),
            deadline=current.opens_at - datetime.timedelta(days=330))
        ProvinceDeadline.objects.bulk_create(
            ProvinceDeadline(call=current, province=p, deadline=current.deadline - datetime.timedelta(days=5))
            for p in self.provinces[::3])
        return current, past

    # --- One call --------------------------------------------------------------------------------

    def organisation(self, province, kind):
        """A new organisation of `province`: kind is "park", "province_institution", "city_institution" or a
        Ministry."""
        self.org_seed += 1
        if isinstance(kind, Ministry):
            city = self.rng.choice(self.cities[province.pk])
            applicant_type, affiliation, ministry = ApplicantType.INSTITUTION, Affiliation.MINISTRY, kind
        elif kind == "city_institution":
            city = self.rng.choice(self.reviewed_cities[province.pk])
            applicant_type, affiliation, ministry = ApplicantType.INSTITUTION, Affiliation.CITY, None
        elif kind == "province_institution":
            city = self.cities[province.pk][0]
            applicant_type, affiliation, ministry = ApplicantType.INSTITUTION, Affiliation.PROVINCE, None
        else:
            city = self.rng.choice(self.cities[province.pk])
            applicant_type = self.rng.choice((ApplicantType.NATIONAL_PARK, ApplicantType.PROVINCIAL_PARK))
            affiliation, ministry = Affiliation.CITY, None
        name = f"生成·{city.name}{'' if ministry is None else ministry.name + '所属'}{KINDS[applicant_type]}" \
               f"{self.org_seed - 100000:05d}"
        return Organisation(name=name, credit_code=credit_code(self.org_seed), applicant_type=applicant_type,
                            affiliation=affiliation, ministry=ministry, province=province, city=city,
                            verification=Verification.VERIFIED, verified_at=timezone.now(),
                            verified_via=VerifiedVia.BUREAU)

    def units(self, n):
        """[(unit key, province, kind)] for n applications: about one in eight through a ministry."""
        plan = []
        # Every unit at national scale; a small call (tests) in a few, so that each still ranks and recommends.
        provinces = self.provinces[:max(3, min(len(self.provinces), n // 8))]
        ministries = self.ministries[:max(1, min(len(self.ministries), n // 40))]
        weights = [1 + (i * 7) % 4 for i in range(len(provinces))]  # some provinces bigger than others
        for _ in range(n):
            if self.rng.random() < 0.12:
                ministry = self.rng.choice(ministries)
                plan.append((("ministry", ministry.pk), self.rng.choice(provinces), ministry))
            else:
                province = self.rng.choices(provinces, weights)[0]
                kind = self.rng.choices(("park", "province_institution", "city_institution"), (40, 15, 45))[0]
                plan.append((("province", province.pk), province, kind))
        return plan

    def build_call(self, call, n, *, past):
        plan = self.units(n)
        window = (call.deadline if call.deadline < self.now else self.now) - call.opens_at
        publish = call.deadline + datetime.timedelta(days=20) if past else self.now - datetime.timedelta(days=3)
        self.moments[call.pk] = {
            **{key: call.opens_at + window * self.rng.uniform(0.45, 0.6) for key, _p, _k in plan},
            "publish": publish, "objection_uphold": publish + datetime.timedelta(days=2),
            "designate": publish + datetime.timedelta(days=12)}
        orgs = Organisation.objects.bulk_create([self.organisation(p, kind) for _key, p, kind in plan], batch_size=1000)
        applicants = self.make_users([
            # A user name that is no e-mail address (navportal.identifiers); the address is the name @example.cn.
            User(username=f"gen-applicant-{o.credit_code[2:8]}", role=Role.APPLICANT, organisation=o,
                 display_name=self.person()) for o in orgs])
        for org, user in zip(orgs, applicants):
            self.event(call.opens_at - datetime.timedelta(days=30), user, "organisation_register", org)
        by_unit = {}
        for (key, _p, _kind), org, user in zip(plan, orgs, applicants):
            by_unit.setdefault(key, []).append((org, user))
        # Which stage each unit's recommendation package reached: the past call is final everywhere; in the
        # current one a third of the units are still ranking, a third handed in and are being re-checked, and
        # the first third's bases are on public notice now.
        unit_keys = sorted(by_unit)
        self.rng.shuffle(unit_keys)
        stage = {key: ("final" if past else ("notice", "recheck", "open")[i % 3]) for i, key in enumerate(unit_keys)}
        specs = []  # (org, user, unit key, state, exempt, local base, rank or None)
        for key in sorted(by_unit):
            members = by_unit[key]
            self.rng.shuffle(members)
            recommended = min(len(members) // 3, self.rng.randint(3, 5) if key[0] == "province" else
                              self.rng.randint(1, 4))
            for index, (org, user) in enumerate(members):
                if index < recommended:
                    # The fourth and fifth recommendations of a province are exempt: the quota is 3.
                    exempt = key[0] == "province" and index >= 3
                    specs.append((org, user, key, self.recommended_state(stage[key], index), exempt,
                                  index == 0 and self.rng.random() < 0.5, index + 1))
                else:
                    state = self.early_state(org, past)
                    specs.append((org, user, key, state, self.rng.random() < 0.04 and state != State.DRAFT,
                                  self.rng.random() < 0.06, None))
        applications = self.applications(call, specs)
        self.packages(call, specs, applications, stage)
        self.notice(call, specs, applications, past)

    def recommended_state(self, stage, index):
        if stage == "open":
            return State.RECOMMENDED
        if stage == "recheck":
            return [State.NATIONAL_REVIEW, State.RECHECK_PASSED, State.RETURNED_TO_UNIT, State.RECHECK_FAILED,
                    State.NATIONAL_REVIEW][index % 5]
        if stage == "notice":
            return [State.ON_NOTICE, State.ON_NOTICE, State.NOT_DESIGNATED, State.RECHECK_FAILED,
                    State.ON_NOTICE][index % 5] if index != 2 or self.rng.random() < 0.3 else State.ON_NOTICE
        return [State.DESIGNATED, State.DESIGNATED, State.DESIGNATED, State.RECHECK_FAILED,
                State.NOT_DESIGNATED][index % 5]

    def early_state(self, org, past):
        route = route_for(org.applicant_type, org.affiliation)
        while True:
            state = self.rng.choices([s for s, _w in EARLY_STATES], [w for _s, w in EARLY_STATES])[0]
            if past and state in (State.DRAFT, State.RETURNED, "first_desk", "desk"):
                state = State.NOT_RECOMMENDED  # a closed call: every desk decided
            if state == "first_desk":
                state = FIRST_STATE[route]
            if state == "desk":
                state = State.MINISTRY_REVIEW if route == Route.MINISTRY else State.PROVINCE_REVIEW
            if state == State.CITY_DECLINED and route != Route.CITY:
                continue
            return state

    @staticmethod
    def path(route, state):
        """The transitions that took an application from draft to `state`: (action, from, to, desk)."""
        steps, current = [], State.DRAFT
        if state == State.DRAFT:
            return steps

        def go(action, target, desk="applicant"):
            nonlocal current
            steps.append((action, current, target, desk))
            current = target

        first = FIRST_STATE[route]
        go("submit", first)
        if state in (first, State.WITHDRAWN, State.RETURNED):
            if state == State.WITHDRAWN:
                go("withdraw", State.WITHDRAWN)
            elif state == State.RETURNED:
                go("return", State.RETURNED, first)
            return steps
        if route == Route.CITY:
            if state == State.CITY_DECLINED:
                go("city_decline", State.CITY_DECLINED, State.CITY_REVIEW)
                return steps
            go("city_consent", State.PROVINCE_REVIEW, State.CITY_REVIEW)
        desk = State.MINISTRY_REVIEW if route == Route.MINISTRY else State.PROVINCE_REVIEW
        if state == desk:
            return steps
        if state == State.NOT_RECOMMENDED:
            go("decline", State.NOT_RECOMMENDED, desk)
            return steps
        go("recommend", State.RECOMMENDED, desk)
        if state == State.RECOMMENDED:
            return steps
        go("hand_in", State.NATIONAL_REVIEW, desk)
        if state == State.NATIONAL_REVIEW:
            return steps
        if state in (State.RECHECK_FAILED, State.RETURNED_TO_UNIT):
            go("recheck_fail" if state == State.RECHECK_FAILED else "return_to_unit", state, "national")
            return steps
        go("recheck_pass", State.RECHECK_PASSED, "national")
        if state == State.RECHECK_PASSED:
            return steps
        go("publish", State.ON_NOTICE, "national")
        if state != State.ON_NOTICE:
            go("objection_uphold" if state == State.NOT_DESIGNATED else "designate", state, "national")
        return steps

    def applications(self, call, specs):
        rng = self.rng
        apps, staff, services, versions, attachments, paths = [], [], [], [], [], []
        window = (call.deadline if call.deadline < self.now else self.now) - call.opens_at
        values = complete_values(today=timezone.localdate(call.opens_at) + datetime.timedelta(days=20))
        for org, user, key, state, exempt, local_base, rank in specs:
            route = route_for(org.applicant_type, org.affiliation)
            partial = state == State.DRAFT and rng.random() < 0.12
            app = Application(
                call=call, organisation=org, name=org.name, applicant_type=org.applicant_type,
                affiliation=org.affiliation, ministry=org.ministry, province=org.province, city=org.city,
                state=state, route="" if state == State.DRAFT else route, lock_version=rng.randint(9, 14),
                contact_email=user.email, sections_saved=SECTION_KEYS[:2] if partial else SECTION_KEYS,
                privacy_version=RULES_VERSION, privacy_acknowledged_at=call.opens_at + window * 0.2,
                pledged_at=call.opens_at + window * rng.uniform(0.0, 0.2))
            for name, value in values.items():
                if not partial or name in SECTIONS[0].fields or name in SECTIONS[1].fields:
                    setattr(app, name, value)
            app.contact_name = user.display_name
            app.head_name = app.declarant_name = self.person()
            app.industry_fields = "；".join(rng.sample(INDUSTRIES, rng.randint(1, 3)))
            app.funding_amount = Decimal(f"{rng.randrange(100, 2000, 10)}.00")  # two places, as stored
            app.office_area = Decimal(f"{rng.randrange(200, 3000, 10)}.00")
            if exempt:
                app.exempt_category = rng.choice(call.exempt_categories)
                app.exempt_document_number = f"国知发〔20{rng.randint(15, 23)}〕{rng.randint(1, 99)}号（生成）"
                app.exempt_document_date = datetime.date(2020, 3, 1)
            if local_base and not partial:
                app.local_base = True
                app.local_base_document_number = f"省知发〔20{rng.randint(18, 23)}〕{rng.randint(1, 99)}号（生成）"
                app.local_base_document_date = datetime.date(2021, 6, 1)
            steps = self.path(route, state)
            if rank is not None:  # the bureau checked the claims of what it recommends
                app.exemption_status = ClaimStatus.VERIFIED if exempt else ClaimStatus.PENDING
                app.priority_status = ClaimStatus.VERIFIED if local_base else ClaimStatus.PENDING
            if state == State.RETURNED:
                app.returned_from = steps[0][2]
                app.return_reason = "请补充服务案例的成效说明。"
                app.flagged_sections = ["mechanism"]
            elif state in (State.CITY_DECLINED, State.NOT_RECOMMENDED, State.RECHECK_FAILED):
                app.return_reason = "综合评审未予推荐。" if state != State.RECHECK_FAILED else ""
                app.recheck_note = "复核未通过：服务案例不足以证明能力。" if state == State.RECHECK_FAILED else ""
            app_staff = [StaffMember(name=self.person(), department=app.department_name or "知识产权部",
                                     title=rng.choice(("专利分析师", "专利代理师", "部长", "研究员")),
                                     speciality=rng.choice(INDUSTRIES), years=rng.randint(1, 15),
                                     employment=rng.choice(("full", "part")))
                         for _ in range(0 if partial else rng.randint(5, 8))]
            app_services = [ServiceRecord(date=values["declaration_date"] - datetime.timedelta(days=rng.randint(30, 900)),
                                          client=f"生成企业{rng.randint(1, 9999)}", client_kind=rng.choice(
                                              ("authority", "innovator")), project=f"{rng.choice(INDUSTRIES)}专利导航项目",
                                          navigation_type=rng.choice(("regional", "industry", "enterprise", "research",
                                                                      "talent", "other")),
                                          result_form="专利导航报告", effect="支撑产业规划与研发决策。")
                            for _ in range(0 if partial else rng.randint(5, 8))]
            apps.append(app)
            staff.append(app_staff)
            services.append(app_services)
            # Submission, then one decision every few days; a bureau hands in all its recommendations at one
            # moment, CNIPA publishes the whole list at one moment.
            moments, at = [], app.pledged_at
            for action, *_rest in steps:
                at = min(at + window * rng.uniform(0.01, 0.06), self.now - datetime.timedelta(hours=2))
                if action in ("hand_in", "publish", "objection_uphold", "designate"):
                    at = self.moments[call.pk][key if action == "hand_in" else action]
                moments.append(at)
            paths.append((steps, moments, user, key))
        apps = Application.objects.bulk_create(apps, batch_size=500)
        for app, app_staff, app_services in zip(apps, staff, services):
            for row in app_staff + app_services:
                row.application = app
        StaffMember.objects.bulk_create([r for rows in staff for r in rows], batch_size=2000)
        ServiceRecord.objects.bulk_create([r for rows in services for r in rows], batch_size=2000)
        for app, app_staff, app_services, (steps, moments, user, key) in zip(apps, staff, services, paths):
            snapshot = application_snapshot(app, staff=app_staff, services=app_services)
            fingerprint = content_fingerprint(snapshot)
            self.event(app.pledged_at - datetime.timedelta(minutes=5), user, "application_start", app,
                       to_state=State.DRAFT)
            self.event(app.pledged_at, user, "application_pledge", app)
            kinds = [] if app.state == State.DRAFT and "claims" not in app.sections_saved else \
                [AttachmentKind.SEALED_SCAN]
            if app.exempt_category:
                kinds.append(AttachmentKind.EXEMPTION_DOCUMENT)
            if app.local_base:
                kinds.append(AttachmentKind.LOCAL_BASE_DOCUMENT)
            for kind in kinds:
                attachments.append(Attachment(
                    application=app, kind=kind, file=f"applications/{app.pk}/{uuid.UUID(int=self.rng.getrandbits(128)).hex}.pdf",
                    original_name=f"{kind}.pdf", content_type="application/pdf", size=len(TINY_PDF), uploaded_by=user,
                    content_fingerprint=fingerprint if kind == AttachmentKind.SEALED_SCAN else ""))
                self.event(app.pledged_at + datetime.timedelta(hours=1), user, "application_attach", app,
                           note=f"{kind}: {kind}.pdf")
            number = 0
            for (action, source, target, desk), at in zip(steps, moments):
                actor = user if desk == "applicant" else self.desk_actor(desk, app, key)
                if action == "submit":
                    number += 1
                    versions.append(ApplicationVersion(application=app, number=number, submitted_at=at,
                                                       submitted_by=user, data=snapshot))
                    app.submitted_at = at
                if action == "recommend":  # the bureau verified the claims of what it recommends
                    for claim in ("exemption", "priority"):
                        if getattr(app, f"{claim}_status") == ClaimStatus.VERIFIED:
                            self.event(at - datetime.timedelta(minutes=10), actor, f"claim_{claim}_check", app,
                                       from_state=ClaimStatus.PENDING, to_state=ClaimStatus.VERIFIED)
                note = f"version {number}" if action == "submit" else ""
                self.event(at, actor, f"application_{action}", app, from_state=source, to_state=target, note=note)
            app.moments = dict(zip([s[0] for s in steps], moments))
        Attachment.objects.bulk_create(attachments, batch_size=2000)
        for attachment in attachments:
            default_storage.save(attachment.file.name, ContentFile(TINY_PDF))
        number_in_bulk(versions, SUBMISSION_SERIES, lambda version: version.submitted_at)
        for version in versions:
            seals.seal(version)  # as application_submit seals each version it freezes
        ApplicationVersion.objects.bulk_create(versions, batch_size=500)
        Application.objects.bulk_update([a for a in apps if a.submitted_at], ["submitted_at"], batch_size=1000)
        return apps

    def desk_actor(self, desk, app, key):
        if desk == "national":
            return self.rng.choice(self.cnipa)
        if desk == State.CITY_REVIEW:
            return self.desk_users[("city", app.city_id)][0]
        return self.rng.choice(self.desk_users[key])

    def packages(self, call, specs, applications, stage):
        recommended = {}
        for (org, user, key, state, exempt, local_base, rank), app in zip(specs, applications):
            if rank is not None:
                recommended.setdefault(key, []).append((rank, app, exempt))
        slots_to_make, recs = [], []
        for key in sorted(stage):
            is_province = key[0] == "province"
            quota = call.quota if is_province else call.ministry_quota
            handed_in = stage[key] != "open"
            submitted_at = self.moments[call.pk][key]
            submitter = self.rng.choice(self.desk_users[key])
            package = Package.objects.create(
                call=call, quota=quota, status=PackageStatus.SUBMITTED if handed_in else PackageStatus.OPEN,
                submitted_at=submitted_at if handed_in else None, submitted_by=submitter if handed_in else None,
                letter=f"packages/{uuid.UUID(int=self.rng.getrandbits(128)).hex}.pdf" if handed_in else "",
                letter_name="推荐函.pdf" if handed_in else "",
                letter_uploaded_at=submitted_at - datetime.timedelta(hours=3) if handed_in else None,
                **({"province_id": key[1]} if is_province else {"ministry_id": key[1]}))
            if package.letter:
                default_storage.save(package.letter.name, ContentFile(TINY_PDF))
            slots = QuotaSlot.objects.bulk_create(QuotaSlot(package=package, number=i) for i in range(1, (quota or 0) + 1))
            taken = 0
            for rank, app, exempt in sorted(recommended.get(key, []), key=lambda r: r[0]):
                slot = None
                if slots and not exempt:
                    slot, taken = slots[taken], taken + 1
                recs.append(Recommendation(package=package, application=app, rank=rank, score=Decimal(95 - rank * 3),
                                           opinion="该单位专利导航工作基础扎实，同意推荐。", slot=slot))
            if handed_in:
                self.event(submitted_at - datetime.timedelta(hours=3), submitter, "package_letter", package,
                           note="推荐函.pdf")
                self.event(submitted_at - datetime.timedelta(seconds=1), submitter, "package_submit", package,
                           from_state=PackageStatus.OPEN, to_state=PackageStatus.SUBMITTED,
                           note=f"{len(recommended.get(key, []))} recommended")
        Recommendation.objects.bulk_create(recs, batch_size=1000)
        # A registry that pre-verifies half of the claims, so that the detail page looks something up.
        entries = []
        for (org, user, key, state, exempt, local_base, rank), app in zip(specs, applications):
            if (app.exempt_category or app.local_base) and self.rng.random() < 0.5:
                kind = app.exempt_category or RegistryKind.LOCAL_BASE
                entries.append(RegistryEntry(kind=kind, name=app.name, credit_code=org.credit_code,
                                             province=org.province, document_number="认定文件（生成）",
                                             designated_on=datetime.date(2020, 3, 1)))
        RegistryEntry.objects.bulk_create(entries, batch_size=1000, ignore_conflicts=True)

    def notice(self, call, specs, applications, past):
        listed = [(spec, app) for spec, app in zip(specs, applications)
                  if app.state in (State.ON_NOTICE, State.NOT_DESIGNATED, State.DESIGNATED)]
        if not listed:
            return
        listed.sort(key=lambda pair: (pair[1].province.code if pair[1].route != Route.MINISTRY else "z",
                                      pair[1].ministry.code if pair[1].ministry else "", pair[0][6], pair[1].pk))
        published = self.moments[call.pk]["publish"]
        actor = self.cnipa[0]
        if past:
            starts, ends = timezone.localdate(published) + datetime.timedelta(days=1), \
                timezone.localdate(published) + datetime.timedelta(days=8)
        else:  # open now: the period began two days ago and runs another week
            starts, ends = self.today - datetime.timedelta(days=2), self.today + datetime.timedelta(days=7)
        notice = Notice.objects.create(
            call=call, published_at=published, published_by=actor, starts_on=starts, ends_on=ends,
            text="经各地区、各有关部门推荐和国家知识产权局复核，现将拟确定名单予以公示。（生成数据）",
            contact="联系电话：010-00000000；电子邮箱：dh@example.cn；地址：北京市海淀区示例路6号。")
        self.event(published, actor, "notice_publish", notice, note=f"{len(listed)} bases, {starts}–{ends}")
        entries = NoticeEntry.objects.bulk_create(
            NoticeEntry(notice=notice, application=app, number=number, name=app.name,
                        province_name=app.province.name, industry=app.industry_fields,
                        removed_at=app.moments.get("objection_uphold"))
            for number, (_spec, app) in enumerate(listed, start=1))
        objections = []
        for entry, (_spec, app) in zip(entries, listed):
            upheld = app.state == State.NOT_DESIGNATED
            if not upheld and self.rng.random() > (0.4 if not past else 0.1):
                continue
            for i in range(1 if upheld else self.rng.randint(1, 3)):
                decided = upheld and i == 0 or past or self.rng.random() < 0.3
                decision = ObjectionDecision.UPHELD if upheld and i == 0 else (
                    ObjectionDecision.DISMISSED if decided else ObjectionDecision.PENDING)
                submitted = timezone.make_aware(datetime.datetime.combine(starts, datetime.time(10, 0)))
                objection = Objection(
                    entry=entry, kind=ObjectorKind.PERSON, name=self.person(), phone="13900000000",
                    email="objector@example.cn", signature=self.person(), reasons="该单位所报服务案例与实际不符。（生成）",
                    decision=decision, ip="127.0.0.1",
                    decision_note="经核实，异议成立。" if decision == ObjectionDecision.UPHELD else
                    ("经核实，异议不成立。" if decided else ""),
                    decided_at=app.moments.get("objection_uphold") or (submitted + datetime.timedelta(days=1))
                    if decided else None, decided_by=actor if decided else None,
                    # Confirmed by the objector's e-mail within the hour (review.national.objection_confirm).
                    confirmed_at=submitted + datetime.timedelta(minutes=20), confirm_by=submitted + datetime.timedelta(
                        hours=24), confirm_token_hash=secrets.token_hex(32))
                objections.append(objection)
        # auto_now_add is set only on insert: the reference's year is the day the objection is dated.
        number_in_bulk(objections, OBJECTION_SERIES, lambda objection: objection.decided_at or timezone.now())
        Objection.objects.bulk_create(objections, batch_size=1000)
        for objection in objections:
            if objection.decided_at:
                self.event(objection.decided_at, actor, "objection_decide", objection,
                           from_state=ObjectionDecision.PENDING, to_state=objection.decision, note=objection.decision_note)
        if past:
            confirmed = self.moments[call.pk]["designate"]
            notice.final_document_number, notice.final_document_date = FINAL_DOCUMENT, timezone.localdate(confirmed)
            notice.confirmed_at, notice.confirmed_by = confirmed, actor
            notice.save(update_fields=["final_document_number", "final_document_date", "confirmed_at",
                                       "confirmed_by"])
            self.event(confirmed, actor, "final_confirm", notice,
                       note=f"{FINAL_DOCUMENT}: {sum(a.state == State.DESIGNATED for _s, a in listed)} bases")
            # The bases it made (bases.services.bases_designate), active.
            bases = Base.objects.bulk_create(
                Base(application=app, entry=entry, organisation_id=app.organisation_id, province_id=app.province_id,
                     ministry_id=app.ministry_id if app.route == Route.MINISTRY else None, name=entry.name,
                     industry=entry.industry, document_number=FINAL_DOCUMENT,
                     designated_on=notice.final_document_date)
                for entry, (_spec, app) in zip(entries, listed) if app.state == State.DESIGNATED)
            for base in bases:
                self.event(confirmed, actor, "base_designate", base, to_state=base.status, note=FINAL_DOCUMENT)
            self.filings(bases, confirmed)
            self.reporting(bases, confirmed, actor)
        # Sealed as it stands, as review.national leaves a list after each change (read back: the seal covers what
        # the database holds).
        seals.seal_saved(Notice.objects.get(pk=notice.pk))

    def filings(self, bases, designated):
        """What the bases filed since: most a construction plan, some projects at their stages, services."""
        plan_file = default_storage.save("bases/generated-plan.pdf", ContentFile(TINY_PDF))
        day = timezone.localdate(designated)
        plans, projects, services = [], [], []
        for base in bases:
            if self.rng.random() < 0.8:
                plans.append(ConstructionPlan(
                    base=base, summary="需求对接、组织管理、应用推广三项任务安排。（生成）", file=plan_file,
                    file_name="建设方案.pdf", filed_at=designated, state=self.rng.choice(list(FilingState.values)),
                    check_note="请补充年度目标。（生成）"))
            for i in range(self.rng.randint(0, 4)):
                approved = day + datetime.timedelta(days=10 + 20 * i)
                stage = self.rng.randint(0, 3)
                dates = [approved + datetime.timedelta(days=30 * k) for k in range(4)]
                accepted = dates[3] if stage == 3 and dates[3] <= self.today else None
                projects.append(Project(
                    base=base, title=f"{base.name[:20]}专利导航项目{i + 1}（生成）", need="支撑产业链招商与技术攻关。",
                    client_kind=self.rng.choice(list(ClientKind.values)), client="某市工业和信息化局（生成）",
                    project_type=self.rng.choice(list(ProjectType.values)), service_body="某知识产权服务机构（生成）",
                    funding=Decimal(self.rng.randint(5, 200)), funding_source="地方财政专项",
                    approved_on=min(approved, self.today),
                    tendered_on=min(dates[1], self.today) if stage >= 1 and approved <= self.today else None,
                    started_on=min(dates[2], self.today) if stage >= 2 and approved <= self.today else None,
                    accepted_on=accepted if stage >= 2 and approved <= self.today else None,
                    deliverables=["report", "database"] if accepted else [],
                    state=FilingState.ACKNOWLEDGED if self.rng.random() < 0.6 else FilingState.FILED,
                    filed_at=designated, updated_at=designated))
            for i in range(self.rng.randint(0, 3)):
                services.append(PublicService(
                    base=base, kind=self.rng.choice(list(ServiceKind.values)), title=f"专利导航公益培训{i + 1}（生成）",
                    held_on=min(day + datetime.timedelta(days=15 * (i + 1)), self.today),
                    participants=self.rng.randint(20, 200), filed_at=designated))
        for plan in plans:
            if plan.state != FilingState.RETURNED:
                plan.check_note = ""
        ConstructionPlan.objects.bulk_create(plans, batch_size=1000)
        Project.objects.bulk_create(projects, batch_size=1000)
        PublicService.objects.bulk_create(services, batch_size=1000)

    def reporting(self, bases, designated, actor):
        """The designation year's reporting, closed: most bases reported (their reports forwarded or received), the
        others missed it; its assessment published with the standard indicators (bases.assessment), every base
        scored."""
        from bases.assessment import STANDARD_INDICATORS, results

        year = min(timezone.localdate(designated).year, self.today.year)
        opens = max(designated, self.now - datetime.timedelta(days=90))
        period = ReportingPeriod.objects.create(
            year=year, title=f"{year}年度基地建设情况报告（生成）", opens_at=opens,
            deadline=opens + datetime.timedelta(days=30), review_deadline=opens + datetime.timedelta(days=45),
            created_by=actor)
        AnnualReport.objects.bulk_create(
            AnnualReport(period=period, base=base, state=self.rng.choice([ReportState.FORWARDED, ReportState.RECEIVED]),
                         demand_matching="对接需求若干项。（生成）", organisation="制度完善。（生成）",
                         promotion="推广成果。（生成）", figures={}, updated_at=opens, submitted_at=opens,
                         opinion="同意报送。（生成）", forwarded_at=opens + datetime.timedelta(days=35))
            for base in bases if self.rng.random() < 0.85)
        scheme = AssessmentScheme.objects.create(period=period)
        indicators = Indicator.objects.bulk_create(
            Indicator(scheme=scheme, group=group, name=name, kind=kind, figure=figure, target=target,
                      points=Decimal(points), order=order)
            for order, (group, name, kind, figure, target, points) in enumerate(STANDARD_INDICATORS))
        Score.objects.bulk_create(
            Score(indicator=indicator, base=base, points=Decimal(self.rng.randint(2, int(indicator.points))),
                  reason="依据年度报告和备案材料评分。（生成）", scored_by=actor, scored_at=self.now)
            for indicator in indicators if indicator.kind == "scored" for base in bases)
        AssessmentResult.objects.bulk_create(
            AssessmentResult(scheme=scheme, base=row.base, total=row.total, grade=row.grade, detail=row.detail)
            for row in results(scheme, bases))
        scheme.published_at, scheme.published_by = self.now, actor
        scheme.save(update_fields=["published_at", "published_by"])

    # --- The audit trail -------------------------------------------------------------------------

    def event(self, at, actor, action, obj, *, from_state="", to_state="", note=""):
        self.events.append((at, actor, action, obj, str(from_state), str(to_state), note))

    def write_audit(self):
        """Chain every collected event in time order onto the trail's head, exactly as audit_record does."""
        head, _created = AuditHead.objects.select_for_update().get_or_create(id=1)
        previous = head.last_hash
        rows = []
        for at, actor, action, obj, from_state, to_state, note in sorted(self.events, key=lambda e: e[0]):
            # In UTC, as the database gives it back: the digest covers the time's ISO form.
            event = AuditEvent(at=at.astimezone(datetime.timezone.utc), actor=actor, username=actor.get_username(), role=actor.role, ip="127.0.0.1",
                               action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk),
                               from_state=from_state, to_state=to_state, note=note, prev_hash=previous)
            event.seal()
            previous = event.hash
            rows.append(event)
        # One INSERT per batch, in order: the ids follow the chain.
        AuditEvent.objects.bulk_create(rows, batch_size=2000)
        head.last_hash = previous
        head.save(update_fields=["last_hash"])


def number_in_bulk(rows, series, moment):
    """Give each row its reference number (受理编号), in the order of `moment` within each year."""
    by_year = {}
    for row in sorted(rows, key=moment):
        by_year.setdefault(timezone.localdate(moment(row)).year, []).append(row)
    for year, rows_of_year in by_year.items():
        for row, reference in zip(rows_of_year, references_reserve(series, year, len(rows_of_year))):
            row.reference = reference
