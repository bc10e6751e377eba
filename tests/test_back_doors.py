"""Back doors: ways round the rules of SPEC §4–§6 that the pages leave open today.

Each test walks the scene through the pages (the Django test client), as the people concerned would, and
asserts what the rule demands: the refusal's HTTP status and, above all, what the database holds afterwards.
Services set the scene only; the step that breaks the rule is always a request (break 7 excepted: there the
forms already refuse, and the services must refuse as well, since they are the one way in). Every test fails
on the code of 220745a (break 8: on SQLite), except those named `..._control`, which pin down what must keep
working while the rules are fixed.

Break → tests (the parametrised variants in brackets):

1  a registry title whose term ended   test_province_cannot_verify_an_exemption_whose_registry_term_ended [2 ends]
                                       test_cnipa_cannot_verify_an_exemption_whose_registry_term_ended
2  a claim edited after verification   test_a_claim_changed_during_a_return_is_pending_again [5 changes]
3  identity and route after a return   test_province_and_city_cannot_be_moved_during_a_return
                                       test_a_corrected_affiliation_starts_again_at_the_city
4  over quota, handed in again         test_an_over_quota_package_cannot_be_handed_in_again
5  notice dates shortened              test_corrected_notice_dates_never_shorten_the_period [2 corrections]
                                       test_corrected_notice_dates_may_lengthen_the_period_control
6  exempt categories after packages    test_exempt_categories_are_fixed_once_a_package_exists [2 edits]
                                       test_exempt_categories_change_before_any_package_control
7  services store what forms refuse    test_registration_service_refuses_a_wrong_check_digit
                                       test_section_service_drops_blank_roster_rows
                                       test_section_service_refuses_control_characters_in_one_line [3 characters]
                                       test_registration_service_refuses_control_characters_in_the_name [3 characters]
8  ids out of range (SQLite only: on   test_public_notice_ids_out_of_range_are_404 [3 pages × 2 ids]
   PostgreSQL these answer 404 today)  test_notice_export_ids_out_of_range_are_404 [2 ids]
                                       test_signed_in_ids_out_of_range_are_404_control [4 pages × 2 ids]
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applications import services as applicant_services
from applications.enums import Affiliation, ApplicantType, AttachmentKind, ClaimStatus, Route, State
from applications.models import Application, Organisation, StaffMember
from applications.sections import SECTION_BY_KEY
from navportal.demo.content import TINY_PDF, credit_code, staff_rows
from navportal.errors import PortalError
from navportal.models import City, Province, User
from navportal.privacy_rules import RULES_VERSION
from review import national, services
from review.models import Call, Notice, Package, PackageStatus, RegistryEntry
from navportal.identifiers import users_by_email
from tests.conftest import PASSWORD, attach_scan, make_applicant, read_rows, resealed, version_of
from tests.review.test_national import handed_in, pass_all  # noqa: F401 - the handed-in package, a fixture

BIG_IDS = [2**63, 99999999999999999999999]


# --- How the pages are driven ----------------------------------------------------------------------

@pytest.fixture
def signed_in(db):
    """A browser of its own for each person, signed in and asking for English. Server errors come back as
    answers (status 500), as a user would see them, instead of being raised into the test."""
    def _signed_in(user=None):
        browser = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
        if user is not None:
            browser.force_login(user)
        return browser
    return _signed_in


def fresh(application):
    return Application.objects.get(pk=application.pk)


def section_url(application, key):
    return reverse("application_section", args=[application.pk, key])


def as_posted(value):
    if isinstance(value, bool):
        # The local-base claim is a pair of radios (True/False); a checkbox takes "True" too and is not posted
        # unticked.
        return "True" if value else "False"
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def section_post(application, key, **changes):
    """What a section's page posts when the applicant changes `changes` and leaves the rest as shown."""
    application = fresh(application)
    data = {"lock_version": application.lock_version}
    for name in SECTION_BY_KEY[key].fields:
        value = as_posted(getattr(application, Application._meta.get_field(name).attname))
        data[name] = value
    for name, value in changes.items():
        value = as_posted(value)
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def pdf(name="文件.pdf"):
    return SimpleUploadedFile(name, TINY_PDF, "application/pdf")


def save_section(browser, application, key, **changes):
    return browser.post(section_url(application, key), section_post(application, key, **changes))


def resubmit(browser, application):
    """Print, stamp and upload the form again (its content changed), then submit it: as the applicant would."""
    response = save_section(browser, application, "declaration", sealed_scan=pdf("盖章扫描件.pdf"))
    assert response.status_code == 302, "the new sealed scan was refused"
    response = browser.post(reverse("application_submit", args=[application.pk]))
    assert response.status_code == 302
    return fresh(application)


def decide(browser, application, action, **fields):
    return browser.post(reverse("review_decide", args=[application.pk, action]),
                        {f"{action}-{name}": value for name, value in fields.items()})


def check_claim(browser, application, claim, status, note=""):
    return browser.post(reverse("review_claim", args=[application.pk, claim]),
                        {f"{claim}-status": status, f"{claim}-note": note})


def messages_of(response):
    return " ".join(str(message) for message in response.context["messages"])


# --- The scene: a park of Jiangsu claiming an exemption and priority -------------------------------

CLAIMS = {
    "exempt_category": "demonstration_park", "exempt_document_number": "国知发保字〔2021〕5号",
    "exempt_document_date": datetime.date(2021, 5, 10),
    "local_base": True, "local_base_document_number": "苏知发〔2020〕12号",
    "local_base_document_date": datetime.date(2020, 8, 1),
}


@pytest.fixture
def claimant(applicant, complete):
    """The Suzhou park (a 示范 park and a local base of Jiangsu), submitted with both claims and their
    documents: at the provincial desk."""
    application = complete(applicant, values=CLAIMS, scan=False)
    for kind in (AttachmentKind.EXEMPTION_DOCUMENT, AttachmentKind.LOCAL_BASE_DOCUMENT):
        applicant_services.application_attach(actor=applicant, application_id=application.pk, kind=kind,
                                              upload=pdf(f"{kind}.pdf"), content_type="application/pdf")
    attach_scan(applicant, application)
    assert applicant_services.application_submit(actor=applicant, application_id=application.pk) == []
    return fresh(application)


def registry_title(application, term_ends_on):
    """The 示范 park's entry in CNIPA's registry, found by the organisation's credit code."""
    return RegistryEntry.objects.create(
        kind="demonstration_park", name="示例·国家知识产权强国建设示范园区", credit_code=application.credit_code,
        document_number="国知发保字〔2021〕5号", designated_on=datetime.date(2019, 1, 1), term_ends_on=term_ends_on)


TERM_ENDS = {
    "ended-2022-06-30": lambda call: datetime.date(2022, 6, 30),
    # Still running today, but ended on the call's deadline, which is the day that counts (SPEC §5).
    "ends-the-day-before-the-deadline": lambda call: timezone.localdate(call.deadline) - datetime.timedelta(days=1),
}


# --- Break 1: a registry title whose term ended before the call's deadline ------------------------

@pytest.mark.parametrize("term", TERM_ENDS)
def test_province_cannot_verify_an_exemption_whose_registry_term_ended(signed_in, reviewers, claimant, call, term):
    term_ends_on = TERM_ENDS[term](call)
    registry_title(claimant, term_ends_on)
    province = signed_in(reviewers["province_js"])
    response = check_claim(province, claimant, "exemption", ClaimStatus.VERIFIED)
    assert response.status_code == 409
    assert fresh(claimant).exemption_status == ClaimStatus.PENDING
    # The reviewer is shown why: the title's term ended on that day (no other field of the page holds it).
    page = province.get(reverse("review_application", args=[claimant.pk]))
    assert page.status_code == 200
    assert term_ends_on.isoformat() in page.content.decode()


def test_cnipa_cannot_verify_an_exemption_whose_registry_term_ended(signed_in, reviewers, claimant, call):
    province = reviewers["province_js"]
    services.application_recommend(actor=province, application_id=claimant.pk, opinion="同意推荐")
    package = Package.objects.get(call=call, province=province.province)
    services.package_attach_letter(actor=province, package_id=package.pk, upload=pdf("推荐函.pdf"))
    services.package_submit(actor=province, package_id=package.pk)
    # The province's verification, set directly: once the rule holds, no page lets it verify this claim.
    Application.objects.filter(pk=claimant.pk).update(exemption_status=ClaimStatus.VERIFIED)
    registry_title(claimant, datetime.date(2022, 6, 30))
    assert fresh(claimant).state == State.NATIONAL_REVIEW
    response = check_claim(signed_in(reviewers["national"]), claimant, "national", ClaimStatus.VERIFIED)
    assert response.status_code == 409
    assert fresh(claimant).national_exemption_status == ClaimStatus.PENDING


# --- Break 2: a claim changed after it was verified -------------------------------------------------

# The claim, and what the applicant posts on the claims page.
CLAIM_CHANGES = {
    "exemption-document-number": ("exemption", lambda: {"exempt_document_number": "国知发保字〔2022〕8号"}),
    "exemption-category": ("exemption", lambda: {"exempt_category": "protection_centre"}),
    "exemption-date": ("exemption", lambda: {"exempt_document_date": datetime.date(2021, 6, 1)}),
    "exemption-new-file": ("exemption", lambda: {"exemption_document": pdf("新认定文件.pdf")}),
    "priority-document-number": ("priority", lambda: {"local_base_document_number": "苏知发〔2021〕3号"}),
}


@pytest.mark.parametrize("change", CLAIM_CHANGES)
def test_a_claim_changed_during_a_return_is_pending_again(signed_in, reviewers, applicant, claimant, change):
    claim, changes = CLAIM_CHANGES[change]
    province = signed_in(reviewers["province_js"])
    assert check_claim(province, claimant, claim, ClaimStatus.VERIFIED).status_code == 302
    assert getattr(fresh(claimant), f"{claim}_status") == ClaimStatus.VERIFIED
    assert decide(province, claimant, "return", reason="请补充建设方案。").status_code == 302

    owner = signed_in(applicant)
    assert save_section(owner, claimant, "claims", **changes()).status_code == 302
    assert resubmit(owner, claimant).state == State.PROVINCE_REVIEW

    application = fresh(claimant)
    assert getattr(application, f"{claim}_status") == ClaimStatus.PENDING
    assert application.national_exemption_status == ClaimStatus.PENDING


# --- Break 3: identity and route after a return ------------------------------------------------------

def test_province_and_city_cannot_be_moved_during_a_return(signed_in, reviewers, applicant, submitted):
    application = submitted(applicant)
    jiangsu, suzhou = application.province_id, application.city_id
    province = signed_in(reviewers["province_js"])
    assert decide(province, application, "return", reason="请核实地址。").status_code == 302

    owner = signed_in(applicant)
    response = save_section(owner, application, "basic", province=Province.objects.get(code="330000").pk,
                            city=City.objects.get(code="330100").pk)
    assert response.status_code in (302, 400, 409)  # refused, or saved without the place
    stored = fresh(application)
    assert (stored.province_id, stored.city_id) == (jiangsu, suzhou)
    organisation = Organisation.objects.get(pk=application.organisation_id)
    assert (organisation.province_id, organisation.city_id) == (jiangsu, suzhou)

    owner.post(reverse("application_submit", args=[application.pk]))
    assert fresh(application).state == State.PROVINCE_REVIEW
    assert province.get(reverse("review_application", args=[application.pk])).status_code == 200


def test_a_corrected_affiliation_starts_again_at_the_city(signed_in, reviewers, submitted):
    park = make_applicant("示例·江苏省级园区", "js-provincial-park", applicant_type=ApplicantType.PROVINCIAL_PARK,
                          affiliation=Affiliation.PROVINCE, city="320100")
    application = submitted(park)
    assert (application.route, application.state) == (Route.PROVINCE, State.PROVINCE_REVIEW)
    province = signed_in(reviewers["province_js"])
    assert decide(province, application, "return", reason="主体类型填写有误。").status_code == 302

    # A city-affiliated public-welfare institution: SPEC §4 routes it through its city's consent.
    owner = signed_in(park)
    assert save_section(owner, application, "basic", applicant_type=ApplicantType.INSTITUTION,
                        affiliation=Affiliation.CITY).status_code == 302
    application = resubmit(owner, application)
    assert (application.state, application.route) == (State.CITY_REVIEW, Route.CITY)

    page = province.get(reverse("review_application", args=[application.pk])).content.decode()
    start = page.index("Changed since the previous version")
    changed = page[start:page.index("</table>", start)]
    assert "affiliation" in changed.lower()
    # Shown as the labels the reviewer knows, not the stored values.
    assert "Province-affiliated" in changed and "City- or county-affiliated" in changed


# --- Break 4: an over-quota package handed in again --------------------------------------------------

def test_an_over_quota_package_cannot_be_handed_in_again(signed_in, reviewers, handed_in, call):  # noqa: F811
    cnipa, province = reviewers["national"], reviewers["province_js"]
    national.national_claim_check(actor=cnipa, application_id=handed_in[3].pk, status=ClaimStatus.REJECTED,
                                  note="认定文件与名录不符")
    package = Package.objects.get(call=call, province=province.province)
    until = timezone.localtime() + datetime.timedelta(days=3)
    response = signed_in(cnipa).post(reverse("package_reopen", args=[package.pk]), {
        "reason": "免占名额未通过复核，请调整推荐名单。", "until": until.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    assert Package.objects.get(pk=package.pk).status == PackageStatus.OPEN

    # The preview says why, before any click that does something, and offers no confirmation.
    response = signed_in(province).post(reverse("package_submit", args=[package.pk]))
    assert response.status_code == 200 and 'id="preview-confirm"' not in response.content.decode()
    refusals = " ".join(r.message for r in response.context["plan"].refusals)
    assert "3" in refusals and "quota" in refusals.lower()
    # A confirmation forged anyway is refused by the service, with the same words.
    response = signed_in(province).post(reverse("package_submit", args=[package.pk]), {"confirmed": "0" * 32})
    assert response.status_code == 409
    assert Package.objects.get(pk=package.pk).status == PackageStatus.OPEN
    message = messages_of(response)
    assert "3" in message and "quota" in message.lower()


# --- Break 5: notice dates shortened -----------------------------------------------------------------

@pytest.fixture
def notice(reviewers, handed_in, call):  # noqa: F811
    """The proposed list published on Monday 2025-06-09: 5 working days, 2025-06-10 to 2025-06-16."""
    cnipa = reviewers["national"]
    pass_all(cnipa, handed_in)
    notice = national.notice_publish(actor=cnipa, call=call, text="现将拟确定名单予以公示。", contact="电话 010-0000",
                                     published_on=datetime.date(2025, 6, 9))
    # Recorded as published that day too: a corrected period starts after the publication.
    Notice.objects.filter(pk=notice.pk).update(published_at=timezone.make_aware(datetime.datetime(2025, 6, 9, 10)))
    resealed(notice)  # the calendar moved on (navportal.seals)
    assert (call.notice_working_days, notice.starts_on, notice.ends_on) == (
        5, datetime.date(2025, 6, 10), datetime.date(2025, 6, 16))
    return notice


def notice_dates(browser, call, starts_on, ends_on):
    return browser.post(reverse("notice_dates", args=[call.pk]), {"starts_on": starts_on, "ends_on": ends_on})


@pytest.mark.parametrize("starts_on, ends_on", [
    ("2025-06-10", "2025-06-10"),  # one working day
    ("2025-06-13", "2025-06-16"),  # a later start, the same end: two working days
])
def test_corrected_notice_dates_never_shorten_the_period(signed_in, reviewers, notice, call, starts_on, ends_on):
    response = notice_dates(signed_in(reviewers["national"]), call, starts_on, ends_on)
    assert response.status_code in (400, 409)
    notice = Notice.objects.get(pk=notice.pk)
    assert (notice.starts_on, notice.ends_on) == (datetime.date(2025, 6, 10), datetime.date(2025, 6, 16))


def test_corrected_notice_dates_may_lengthen_the_period_control(signed_in, reviewers, notice, call):
    response = notice_dates(signed_in(reviewers["national"]), call, "2025-06-10", "2025-06-23")
    assert response.status_code == 302
    notice = Notice.objects.get(pk=notice.pk)
    assert (notice.starts_on, notice.ends_on) == (datetime.date(2025, 6, 10), datetime.date(2025, 6, 23))


# --- Break 6: the call's exempt categories once a package exists -------------------------------------

def call_post(call, **changes):
    """What the call's page posts when CNIPA changes `changes` and leaves the rest as shown."""
    data = {"title": call.title, "document_number": call.document_number, "notice_text": call.notice_text,
            "opens_at": timezone.localtime(call.opens_at).strftime("%Y-%m-%dT%H:%M"),
            "deadline": timezone.localtime(call.deadline).strftime("%Y-%m-%dT%H:%M"), "quota": call.quota,
            "ministry_quota": call.ministry_quota or "", "notice_working_days": call.notice_working_days,
            "exempt_categories": list(call.exempt_categories)}
    return {**data, **changes}


CATEGORY_EDITS = {
    "one-removed": ["protection_centre", "demonstration_park", "experimental_zone"],
    "all-removed": [],
}


@pytest.mark.parametrize("edit", CATEGORY_EDITS)
def test_exempt_categories_are_fixed_once_a_package_exists(signed_in, reviewers, call, edit):
    before = list(call.exempt_categories)
    assert "pilot_base" in before
    services.package_get_or_create(actor=reviewers["province_js"], call=call)
    response = signed_in(reviewers["national"]).post(
        reverse("call_edit", args=[call.pk]), call_post(call, exempt_categories=CATEGORY_EDITS[edit]))
    # The page shows the categories disabled once a package exists: a changed value posted anyway is ignored
    # (Django's disabled field) or refused — never stored. call_save itself refuses it (tests/review/test_calls.py).
    assert response.status_code in (302, 400, 409)
    assert Call.objects.get(pk=call.pk).exempt_categories == before


def test_exempt_categories_change_before_any_package_control(signed_in, reviewers, call):
    response = signed_in(reviewers["national"]).post(
        reverse("call_edit", args=[call.pk]), call_post(call, exempt_categories=CATEGORY_EDITS["one-removed"]))
    assert response.status_code == 302
    assert Call.objects.get(pk=call.pk).exempt_categories == CATEGORY_EDITS["one-removed"]


# --- Break 7: services store what the forms refuse ---------------------------------------------------

NEW_CODE = credit_code(900001)  # a seed far from the ones tests.conftest.make_org counts up from


def register(**overrides):
    suzhou = City.objects.get(code="320500")
    arguments = {"name": "示例·新注册园区", "credit_code": NEW_CODE, "applicant_type": "national_park",
                 "affiliation": "city", "ministry": None, "province": suzhou.province, "city": suzhou,
                 "contact_name": "李联络", "email": "new-park@example.cn", "password": PASSWORD}
    return applicant_services.organisation_register(**{**arguments, **overrides}, privacy_version=RULES_VERSION)


def test_registration_service_refuses_a_wrong_check_digit(db):
    wrong = NEW_CODE[:-1] + ("1" if NEW_CODE[-1] != "1" else "2")
    with pytest.raises(PortalError):
        register(credit_code=wrong)
    assert not Organisation.objects.filter(credit_code=wrong).exists()
    assert not users_by_email("new-park@example.cn").exists()


BLANK_STAFF = {"name": "", "department": "", "title": "", "speciality": "", "years": None, "employment": ""}


@pytest.fixture
def draft(applicant, call):
    application = applicant_services.application_start(actor=applicant, call=call)
    applicant_services.application_pledge(actor=applicant, application_id=application.pk)
    return fresh(application)


def test_section_service_drops_blank_roster_rows(applicant, draft):
    first, second, third = staff_rows(3)
    applicant_services.application_save_section(
        actor=applicant, application_id=draft.pk, section_key="department", values={"department_name": "运营部"},
        rows=[first, dict(BLANK_STAFF), second, dict(BLANK_STAFF), third], lock_version=version_of(draft),
                                                privacy_version=RULES_VERSION)
    assert read_rows(StaffMember.objects.filter(application=draft), "name", flat=True) == [
        "示例人员1", "示例人员2", "示例人员3"]


CONTROL_CHARACTERS = {"nul": "\x00", "escape": "\x1b", "newline": "\n"}


@pytest.mark.parametrize("character", CONTROL_CHARACTERS.values(), ids=CONTROL_CHARACTERS.keys())
def test_section_service_refuses_control_characters_in_one_line(applicant, draft, character):
    with pytest.raises(PortalError):
        applicant_services.application_save_section(
            actor=applicant, application_id=draft.pk, section_key="basic",
            values={"contact_name": f"李{character}联络"}, lock_version=version_of(draft), privacy_version=RULES_VERSION)
    assert (fresh(draft).contact_name, fresh(draft).lock_version) == (draft.contact_name, draft.lock_version)


@pytest.mark.parametrize("character", CONTROL_CHARACTERS.values(), ids=CONTROL_CHARACTERS.keys())
def test_registration_service_refuses_control_characters_in_the_name(db, character):
    with pytest.raises(PortalError):
        register(name=f"示例{character}园区")
    assert not Organisation.objects.filter(credit_code=NEW_CODE).exists()
    assert not users_by_email("new-park@example.cn").exists()


# --- Break 8: ids out of the database's integer range -----------------------------------------------

# A notice is looked up by its call's id, a foreign key: Django's range check of integer lookups does not cover
# it, and SQLite's driver cannot bind the number (OverflowError, a server error). PostgreSQL answers 404 today.

@pytest.mark.parametrize("pk", BIG_IDS)
@pytest.mark.parametrize("url", ["/notice/{}/", "/notice/{}/object/1/", "/notice/{}/object/done/"])
def test_public_notice_ids_out_of_range_are_404(signed_in, url, pk):
    assert signed_in().get(url.format(pk)).status_code == 404


@pytest.mark.parametrize("pk", BIG_IDS)
def test_notice_export_ids_out_of_range_are_404(signed_in, reviewers, pk):
    assert signed_in(reviewers["national"]).get(f"/review/calls/{pk}/notice/proposed.xlsx").status_code == 404


# Lookups by primary key answer 404 on both databases today (Django 5 leaves out-of-range values out of
# integer lookups): kept as a control, so that the signed-in pages stay so whatever fetches their objects.

@pytest.mark.parametrize("pk", BIG_IDS)
@pytest.mark.parametrize("who, url", [
    ("applicant", "/applications/{}/"),
    ("province_js", "/review/applications/{}/"),
    ("province_js", "/review/packages/{}/"),
    ("national", "/review/objections/{}/"),
])
def test_signed_in_ids_out_of_range_are_404_control(signed_in, reviewers, applicant, who, url, pk):
    user = applicant if who == "applicant" else reviewers[who]
    assert signed_in(user).get(url.format(pk)).status_code == 404
