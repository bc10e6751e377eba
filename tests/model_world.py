"""The small world the model-based test (tests/test_model_process.py) and its found examples
(tests/test_model_found.py) run in, built once per test function through the services.

Two provinces and two ministries under one call with a quota of 2 and Jiangsu's own earlier deadline; a
registry with live, ended and retired titles of the exempt categories and a live local base; fourteen
organisations of every type and affiliation, whose complete drafts are prepared here once so that a step of
the model is one service call. Part of the call has already happened when a run starts, so that a few dozen
random steps reach the later stages too:

- Jiangsu recommended three parks — one exempt (a 示范 park, verified by the province, not yet by CNIPA), one
  priority (a verified local base), one plain — and handed its package in. CNIPA passed the local base; the
  other two wait for its re-check. The two quota slots are taken: CNIPA rejecting the exemption puts the
  package over quota.
- An institution of Suzhou and one of Hangzhou wait for their city's consent; a Hangzhou park (a protection
  centre, whose exemption Zhejiang verified) waits at Zhejiang's desk; the Ministry of Education returned its
  unit (in Nanjing) to have its affiliation and type checked.
- The rest are complete drafts (one of an ineligible type); one organisation has not registered yet.

The clock stands still at START (Monday 2026-09-21, 09:00 in Beijing) until a step moves it: Jiangsu's
applicants' deadline is that Thursday, the call's the next Tuesday; the National Day holidays follow.
"""

import datetime
from dataclasses import dataclass, field

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from applications import services as applicant_services
from applications.enums import Affiliation, ApplicantType, AttachmentKind, ClaimStatus, Verification, VerifiedVia
from applications.models import Application, Organisation
from navportal.demo.content import TINY_PDF, credit_code
from navportal.models import City, Ministry, Province, Role, User
from navportal.privacy_rules import RULES_VERSION
from review import calls, national, services as review_services
from review.models import Call, Package, RegistryEntry
from tests.conftest import PASSWORD, fill, make_user

BEIJING = datetime.timezone(datetime.timedelta(hours=8))


def moment(*args):
    return datetime.datetime(*args, tzinfo=BEIJING)


START = moment(2026, 9, 21, 9, 0)            # Monday
OPENS = moment(2026, 9, 1, 9, 0)
JIANGSU_DEADLINE = moment(2026, 9, 24, 18, 0)  # Thursday: Jiangsu's own deadline for its applicants
CALL_DEADLINE = moment(2026, 9, 29, 18, 0)     # Tuesday: the packages are due at CNIPA

PLACES = {  # name → (province code, city code)
    "nanjing": ("320000", "320100"),
    "suzhou": ("320000", "320500"),
    "hangzhou": ("330000", "330100"),
    "ningbo": ("330000", "330200"),
}

# What an organisation is: key → (type, affiliation, ministry code or None).
KINDS = {
    "national_park": (ApplicantType.NATIONAL_PARK, Affiliation.CITY, None),
    "provincial_park": (ApplicantType.PROVINCIAL_PARK, Affiliation.PROVINCE, None),
    "city_institution": (ApplicantType.INSTITUTION, Affiliation.CITY, None),
    "province_institution": (ApplicantType.INSTITUTION, Affiliation.PROVINCE, None),
    "moe_unit": (ApplicantType.INSTITUTION, Affiliation.MINISTRY, "moe"),
    "cas_unit": (ApplicantType.INSTITUTION, Affiliation.MINISTRY, "cas"),
    "other": (ApplicantType.OTHER, Affiliation.CITY, None),
}

EXEMPTION = {"exempt_document_number": "国知发〔2021〕5号", "exempt_document_date": datetime.date(2021, 5, 10)}
LOCAL_BASE = {"local_base": True, "local_base_document_number": "省知发〔2020〕12号",
              "local_base_document_date": datetime.date(2020, 8, 1)}


@dataclass(frozen=True)
class Org:
    key: str
    name: str          # distinct, and none inside another: the public pages are searched for them
    kind: str
    place: str
    claims: dict = field(default_factory=dict)
    stage: str = "draft"   # draft, submitted, handed_in, unregistered
    seed: int = 0


ORGS = [
    Org("suzhou_park", "模型苏州国家高新园区", "national_park", "suzhou",
        {"exempt_category": "demonstration_park", **EXEMPTION}, "handed_in", 9101),
    Org("nanjing_park", "模型南京省级开发园区", "provincial_park", "nanjing", dict(LOCAL_BASE), "handed_in", 9102),
    Org("kunshan_park", "模型昆山省级产业园区", "provincial_park", "suzhou", {}, "handed_in", 9103),
    Org("suzhou_centre", "模型苏州知识产权中心", "city_institution", "suzhou",
        {"exempt_category": "protection_centre", **EXEMPTION}, "submitted", 9104),
    Org("nanjing_institution", "模型南京市导航研究所", "city_institution", "nanjing",
        {"exempt_category": "experimental_zone", **EXEMPTION}, "draft", 9105),
    Org("suzhou_institution", "模型苏州市信息研究院", "city_institution", "suzhou",
        {"exempt_category": "experimental_zone", **EXEMPTION}, "draft", 9106),
    Org("jiangsu_institution", "模型江苏省专利服务站", "province_institution", "nanjing",
        {"exempt_category": "pilot_base", **EXEMPTION}, "draft", 9107),
    Org("nanjing_company", "模型南京某科技公司", "other", "nanjing", {}, "draft", 9108),
    Org("moe_centre", "模型某大学导航中心", "moe_unit", "nanjing", {}, "submitted", 9109),
    Org("hangzhou_park", "模型杭州国家级园区", "national_park", "hangzhou",
        {"exempt_category": "protection_centre", **EXEMPTION}, "submitted", 9110),
    Org("hangzhou_institution", "模型杭州市创新服务院", "city_institution", "hangzhou", {}, "submitted", 9111),
    Org("zhejiang_park", "模型宁波省级经济园区", "provincial_park", "ningbo", dict(LOCAL_BASE), "draft", 9112),
    Org("cas_institute", "模型中科某研究所", "cas_unit", "hangzhou", {}, "draft", 9113),
    Org("latecomer", "模型常州后到园区", "national_park", "nanjing", {}, "unregistered", 9114),
]
ORG_BY_KEY = {org.key: org for org in ORGS}

# The registry (SPEC §5): live, ended (term over before the call's deadline) and retired titles.
REGISTRY = [
    ("demonstration_park", "suzhou_park", {"term_ends_on": None}),                       # live
    ("local_base", "nanjing_park", {"term_ends_on": None}),                               # live local base
    ("experimental_zone", "suzhou_institution", {"term_ends_on": None}),                 # live; retired by the final list
    ("experimental_zone", "nanjing_institution", {"retired_on": datetime.date(2024, 12, 1),
                                                  "retired_by": "国知办发〔2024〕3号"}),  # retired
    ("pilot_base", "jiangsu_institution", {"term_ends_on": datetime.date(2022, 6, 30)}),  # ended long ago
    ("protection_centre", "suzhou_centre", {"term_ends_on": datetime.date(2026, 9, 25)}),  # ends before the deadline
    ("protection_centre", "hangzhou_park", {"term_ends_on": None}),                      # live
]

OFFICIALS = {
    "city_nanjing": (Role.CITY, {"city": "320100"}),
    "city_suzhou": (Role.CITY, {"city": "320500"}),
    "city_hangzhou": (Role.CITY, {"city": "330100"}),
    "province_js": (Role.PROVINCE, {"province": "320000"}),
    "province_zj": (Role.PROVINCE, {"province": "330000"}),
    "ministry_moe": (Role.MINISTRY, {"ministry": "moe"}),
    "ministry_cas": (Role.MINISTRY, {"ministry": "cas"}),
    "cnipa": (Role.NATIONAL, {}),
}
BUREAUS = {"jiangsu": "province_js", "zhejiang": "province_zj", "moe": "ministry_moe", "cas": "ministry_cas"}


def contact(org, index):
    """Personal data of the org's contact person, distinct per organisation: never on a public page."""
    return {"contact_name": f"联络员{'甲乙丙丁戊己庚辛壬癸子丑寅卯'[index]}某", "contact_mobile": f"1390000{9100 + index:04d}",
            "contact_phone": f"0512-8800{9100 + index:04d}", "contact_email": f"{org.key}@contact.example.cn"}


def pdf(name):
    return SimpleUploadedFile(name, TINY_PDF, "application/pdf")


def place_of(name):
    province, city = PLACES[name]
    return Province.objects.get(code=province), City.objects.get(code=city)


def basic_values(org, index):
    applicant_type, affiliation, ministry = KINDS[org.kind]
    province, city = place_of(org.place)
    return {"name": org.name, "applicant_type": applicant_type, "affiliation": affiliation,
            "ministry": Ministry.objects.get(code=ministry) if ministry else None, "province": province,
            "city": city, **contact(org, index)}


def register(org):
    """The organisation registers itself with its contact person's account (the user name is the key)."""
    applicant_type, affiliation, ministry = KINDS[org.kind]
    province, city = place_of(org.place)
    user = applicant_services.organisation_register(
        name=org.name, credit_code=credit_code(org.seed), applicant_type=applicant_type, affiliation=affiliation,
        ministry=Ministry.objects.get(code=ministry) if ministry else None, province=province, city=city,
        contact_name=f"{org.key}联系人", email=f"{org.key}@example.cn", password=PASSWORD, privacy_version=RULES_VERSION)
    User.objects.filter(pk=user.pk).update(username=org.key)
    # Verified at once (SPEC §10): the model exercises the process after registration, not the verification.
    Organisation.objects.filter(pk=user.organisation_id).update(
        verification=Verification.VERIFIED, verified_at=timezone.now(), verified_via=VerifiedVia.BUREAU)
    return User.objects.get(pk=user.pk)


def prepare_draft(user, org, index, call):
    """Start and completely fill the application, claims and their documents included, sealed scan last."""
    application = applicant_services.application_start(actor=user, call=call)
    fill(user, application, values={**basic_values(org, index), **org.claims}, scan=False)
    for claim, kind in (("exempt_category", AttachmentKind.EXEMPTION_DOCUMENT),
                        ("local_base", AttachmentKind.LOCAL_BASE_DOCUMENT)):
        if org.claims.get(claim):
            applicant_services.application_attach(actor=user, application_id=application.pk, kind=kind,
                                                  upload=pdf(f"{kind}.pdf"), content_type="application/pdf")
    applicant_services.application_attach(actor=user, application_id=application.pk, kind=AttachmentKind.SEALED_SCAN,
                                          upload=pdf("sealed-scan.pdf"), content_type="application/pdf")
    return application


@dataclass
class World:
    call: Call
    applications: dict   # org key → application pk (not the latecomer's)
    packages: dict       # bureau → package pk
    ids: dict = field(default_factory=dict)
    verified: dict = field(default_factory=dict)


def build_world():
    """Build the world at START (the caller has frozen the clock there)."""
    assert timezone.now() == START, "freeze the clock at START first"
    officials = {}
    for name, (role, scope) in OFFICIALS.items():
        resolved = {"city": lambda code: City.objects.get(code=code),
                    "province": lambda code: Province.objects.get(code=code),
                    "ministry": lambda code: Ministry.objects.get(code=code)}
        officials[name] = make_user(name, role, **{k: resolved[k](v) for k, v in scope.items()})
    cnipa = officials["cnipa"]
    call = calls.call_save(actor=cnipa, values={
        "title": "模型·2026年国家级专利导航服务基地申报", "document_number": "国知办发运字〔2026〕58号",
        "notice_text": "模型测试批次", "opens_at": OPENS, "deadline": CALL_DEADLINE, "quota": 2,
        "ministry_quota": None, "notice_working_days": 5,
        "exempt_categories": ["protection_centre", "demonstration_park", "experimental_zone", "pilot_base"]})
    calls.province_deadline_set(actor=officials["province_js"], call=call, deadline=JIANGSU_DEADLINE)

    for kind, org_key, extra in REGISTRY:
        org = ORG_BY_KEY[org_key]
        RegistryEntry.objects.create(
            kind=kind, name=org.name, credit_code=credit_code(org.seed),
            province=place_of(org.place)[0] if kind == "local_base" else None,
            document_number=f"登记〔2019〕{org.seed}号", designated_on=datetime.date(2019, 1, 1), **extra)

    users, applications = {}, {}
    for index, org in enumerate(ORGS):
        if org.stage == "unregistered":
            continue
        users[org.key] = register(org)
        applications[org.key] = prepare_draft(users[org.key], org, index, call).pk
        if org.stage in ("submitted", "handed_in"):
            assert applicant_services.application_submit(actor=users[org.key],
                                                         application_id=applications[org.key]) == [], org.key

    packages = {bureau: review_services.package_get_or_create(actor=officials[reviewer], call=call).pk
                for bureau, reviewer in BUREAUS.items()}
    review_services.application_return(actor=officials["ministry_moe"], application_id=applications["moe_centre"],
                                       reason="请核实隶属关系与主体类型。")
    review_services.claim_check(actor=officials["province_zj"], application_id=applications["hangzhou_park"],
                                claim="exemption", status=ClaimStatus.VERIFIED)
    province = officials["province_js"]
    review_services.claim_check(actor=province, application_id=applications["suzhou_park"], claim="exemption",
                                status=ClaimStatus.VERIFIED)
    review_services.claim_check(actor=province, application_id=applications["nanjing_park"], claim="priority",
                                status=ClaimStatus.VERIFIED)
    for key in ("nanjing_park", "suzhou_park", "kunshan_park"):
        review_services.application_recommend(actor=province, application_id=applications[key], opinion="同意推荐")
    review_services.package_attach_letter(actor=province, package_id=packages["jiangsu"], upload=pdf("推荐函.pdf"))
    review_services.package_submit(actor=province, package_id=packages["jiangsu"])
    national.recheck_pass(actor=cnipa, application_id=applications["nanjing_park"])
    assert Package.objects.get(pk=packages["jiangsu"]).status == "submitted"
    assert Application.objects.filter(state="national_review").count() == 2
    return World(call=Call.objects.get(pk=call.pk), applications=applications, packages=packages)


CLAIM_FIELDS = {
    "exemption": ("exempt_category", "exempt_document_number", "exempt_document_date"),
    "priority": ("local_base", "local_base_document_number", "local_base_document_date"),
}
CLAIM_FILES = {"exemption": AttachmentKind.EXEMPTION_DOCUMENT, "priority": AttachmentKind.LOCAL_BASE_DOCUMENT}


def claim_now(application_id, claim):
    """The claim as it stands: its fields and its document (a new upload is a new row) — read raw, as the
    model-based test's snapshots are."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(CLAIM_FIELDS[claim])} FROM applications_application WHERE id = %s",
                       [application_id])
        fields = cursor.fetchone()
        cursor.execute("SELECT id, file FROM applications_attachment WHERE application_id = %s AND kind = %s "
                       "ORDER BY id", [application_id, str(CLAIM_FILES[claim])])
        files = cursor.fetchall()
    return tuple(fields), tuple(tuple(f) for f in files)


@pytest.fixture
def frozen_clock():
    """The clock stands at START until a step moves it (time-machine: timezone.now() and date.today() follow)."""
    traveller = time_machine.travel(START, tick=False)
    coordinates = traveller.start()
    yield coordinates
    traveller.stop()


@pytest.fixture
def model_world(db, frozen_clock):
    """The world, with what the steps need to know of it: ids of the reference rows, and the claims verified
    while it was built, as they were then."""
    world = build_world()
    world.ids = {"ministries": {m.code: m.pk for m in Ministry.objects.all()},
                 "provinces": {p.code: p.pk for p in Province.objects.all()},
                 "cities": {c.pk: c.code for c in City.objects.filter(code__in=[c for _p, c in PLACES.values()])}}
    world.verified = {}
    for key, app_id in world.applications.items():
        application = Application.objects.get(pk=app_id)
        for claim, status in (("exemption", application.exemption_status), ("priority", application.priority_status)):
            if status == ClaimStatus.VERIFIED:
                world.verified[(key, claim)] = claim_now(app_id, claim)
    return world
