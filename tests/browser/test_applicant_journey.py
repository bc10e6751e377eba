"""The applicant's whole journey in a browser: register, start, fill in over two sessions, be refused at
submission with the named failures (too few staff, no sealed scan), fix them, submit; then the city reviewer
sets up the second factor (a code computed here from the device, as the authenticator app would show it),
finds it on the desk and consents. The journey runs on a desktop screen and on a 390 px phone.

Fields are found by their `name` attribute: the interface is Chinese by default and its translations
may be incomplete, so visible texts are compared only with what Django itself renders for them.
"""

import base64
import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications import organisations as registrations
from applications.enums import APPLICANT_LABELS, DocumentKind, State
from applications.models import Application, ApplicationVersion, Organisation
from navportal.demo.content import TINY_PDF, complete_values, credit_code, service_rows, staff_rows
from navportal.models import AuditEvent, City, Province, Role, User
from review.models import Call
from tests.conftest import totp_code, user_by_email

from .conftest import (
    BROWSER_TEST, DESKTOP, PHONE, check_page, log_in, log_out, new_page, register, shot, submit, tidy_call, visit, zh,
)
from tests.mail_helpers import deliver_mail

pytestmark = BROWSER_TEST

PASSWORD = "Correct-horse-42"
ORG_NAME = "南京市示例专利导航服务中心"
EMAIL = "lianluo@example.cn"
SAVE = "button[name=save]"
SAVE_NEXT = "button[name=save_next]"


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def screen(request, browser, live_server):
    """The journey's page, on a desktop screen and on a phone."""
    page = new_page(browser, live_server, viewport=request.param)
    try:
        yield page
    finally:
        page.context.close()


def picture(page, name):
    """Screenshots for people are taken on the desktop; the phone run keeps a few of its own."""
    phone = page.viewport_size["width"] < 576
    if not phone:
        shot(page, name)
    elif name in ("task-list", "section-basic-with-errors"):
        shot(page, f"{name}-phone")


def fill_fields(page, values, names):
    for name in names:
        value = values[name]
        if isinstance(value, datetime.date):
            value = value.isoformat()
        page.fill(f"[name={name}]", str(value))


def fill_rows(page, prefix, rows, selects=()):
    for index, row in enumerate(rows):
        for name, value in row.items():
            selector = f"[name={prefix}-{index}-{name}]"
            if name in selects:
                page.select_option(selector, value=value)
            else:
                page.fill(selector, value.isoformat() if isinstance(value, datetime.date) else str(value))


def open_section(page, pk, key):
    visit(page, f"/applications/{pk}/sections/{key}/")
    assert page.locator("h1.page-title").is_visible()


def save_and_continue(page, pk, next_key):
    submit(page, SAVE_NEXT)
    target = f"/applications/{pk}/sections/{next_key}/" if next_key else f"/applications/{pk}/"
    assert page.url.endswith(target), f"expected {target} after saving, got {page.url}"


def test_applicant_registers_fills_in_submits_and_city_consents(screen, live_server):
    page = screen
    now = timezone.now()
    call = tidy_call(Call.objects.create(title="", document_number="测试〔2026〕1号",
                                         opens_at=now - datetime.timedelta(days=1),
                                         deadline=now + datetime.timedelta(days=30)))
    jiangsu = Province.objects.get(code="320000")
    nanjing = City.objects.get(code="320100")
    hangzhou = City.objects.get(code="330100")
    code = credit_code(424242)
    values = complete_values()

    # --- Registration -------------------------------------------------------------------------
    register(page, name=ORG_NAME, code=code, applicant_type="institution", province=jiangsu, city=nanjing,
             contact_name="李联络", email=EMAIL, password=PASSWORD)
    # The same answer whoever registers (SPEC §7); the link mailed to the address finishes the registration.
    assert page.locator("h1").inner_text() == "请查收电子邮件"
    check_page(page)
    link = re.search(r"https?://\S+(/register/confirm/[\w-]+/)", deliver_mail()[-1].body).group(1)
    visit(page, link)
    submit(page, "main form button[type=submit]")
    # Signed in on the organisation's page, which asks for the two documents of the verification.
    assert page.url.endswith("/organisation/"), page.url
    assert page.locator("[name=authorisation]").is_visible() and page.locator("[name=licence]").is_visible()
    organisation = Organisation.objects.get(credit_code=code)
    assert (organisation.name, organisation.applicant_type, organisation.affiliation) == (
        ORG_NAME, "institution", "city")
    assert (organisation.province_id, organisation.city_id) == (jiangsu.pk, nanjing.pk)
    assert user_by_email(EMAIL).role == Role.APPLICANT
    # Provisional until Nanjing's bureau verifies the registration (SPEC §10): seeded with the services here, as
    # tests/browser/test_identity_journey.py clicks that stage.
    visit(page, "/applications/")
    assert page.locator("#verification").is_visible()
    registrations.organisation_documents_upload(actor=user_by_email(EMAIL), documents={
        kind: (SimpleUploadedFile(f"{kind}.pdf", TINY_PDF), "application/pdf") for kind in DocumentKind})
    verifier = User.objects.create_user(username="nanjing-verifier", role=Role.CITY, city=nanjing)
    registrations.organisation_verify(actor=verifier, organisation_id=organisation.pk)
    visit(page, "/applications/")

    # --- Start the application and accept the pledge -----------------------------------------
    assert page.get_by_text(call.title).is_visible()
    submit(page, f"form[action$='/applications/start/{call.pk}/'] button")
    match = re.search(r"/applications/(\d+)/$", page.url)
    assert match, page.url
    pk = int(match.group(1))
    submit_button = f"form[action$='/applications/{pk}/submit/'] button"
    page.locator(f"a[href$='/applications/{pk}/pledge/']").click()
    page.wait_for_url(f"**/applications/{pk}/pledge/")
    # The pledge by keyboard alone: Space ticks the box, Enter sends the form.
    page.focus("[name=pledge]")
    page.keyboard.press("Space")
    assert page.is_checked("[name=pledge]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check_page(page)
    assert page.url.endswith(f"/applications/{pk}/")
    assert Application.objects.get(pk=pk).pledged_at is not None

    # --- Section 1, first with a city outside the chosen province ----------------------------
    page.locator(f"a[href$='/applications/{pk}/sections/basic/']").first.click()
    page.wait_for_url(f"**/applications/{pk}/sections/basic/")
    # The form starts from the registration.
    assert page.input_value("[name=name]") == ORG_NAME
    assert page.input_value("[name=city]") == str(nanjing.pk)
    basic = ["address", "postcode", "head_name", "contact_name", "contact_position", "contact_mobile",
             "contact_phone", "contact_email", "industry_fields"]
    fill_fields(page, values, basic)
    # Names and telephone numbers are stored only once the personal information rules are acknowledged: without
    # the tick nothing is saved, the summary leads to the box, and what was typed stays.
    submit(page, SAVE)
    summary = page.locator(".error-summary")
    assert summary.locator("a[href='#id_privacy']").count() == 1
    assert page.input_value("[name=contact_mobile]") == values["contact_mobile"], "typed values were lost"
    assert Application.objects.get(pk=pk).contact_mobile == ""
    assert page.locator("main form a[href='/privacy/']").count() == 1
    picture(page, "section-basic-privacy")
    page.check("[name=privacy]")
    # The page's script is meant to offer only the chosen province's cities; a stale page or a browser
    # without scripts can still send another one, which the server must refuse with the error summary.
    # The option is made selectable first, so the step works whether or not the filter is active.
    page.evaluate("""([value]) => {
        const select = document.querySelector("[name=city]");
        const option = select.querySelector(`option[value="${value}"]`);
        option.parentElement.disabled = false;
        option.parentElement.hidden = false;
        select.value = value;
    }""", [str(hangzhou.pk)])
    submit(page, SAVE)
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert summary.locator("a[href='#id_city']").count() == 1
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.input_value("[name=address]") == values["address"], "typed values were lost"
    assert Application.objects.get(pk=pk).city_id == nanjing.pk
    picture(page, "section-basic-with-errors")

    page.select_option("[name=city]", value=str(nanjing.pk))
    submit(page, SAVE)
    assert page.locator(".error-summary").count() == 0
    assert page.url.endswith(f"/applications/{pk}/sections/basic/")
    application = Application.objects.get(pk=pk)
    assert (application.address, application.contact_mobile, application.city_id) == (
        values["address"], values["contact_mobile"], nanjing.pk)

    # --- Log out and back in: the draft is kept --------------------------------------------------
    log_out(page)
    visit(page, f"/applications/{pk}/")
    assert "/accounts/login/" in page.url, "a logged-out visitor must not see the application"
    log_in(page, EMAIL, PASSWORD, next_path=f"/applications/{pk}/")
    assert page.url.endswith(f"/applications/{pk}/"), "the login did not lead back to the application"
    open_section(page, pk, "basic")
    assert page.input_value("[name=address]") == values["address"]

    # --- Sections 2 to 5 ---------------------------------------------------------------------------
    open_section(page, pk, "department")
    assert page.locator("[name^=staff-][name$=-name]").count() == 5
    fill_fields(page, values, ["department_name", "department_founded", "department_duties"])
    staff = staff_rows(5)
    fill_rows(page, "staff", staff[:4], selects=("employment",))     # one person short, as yet
    save_and_continue(page, pk, "mechanism")

    assert page.locator("[name^=services-][name$=-project]").count() == 5
    fill_fields(page, values, ["mechanism"])
    fill_rows(page, "services", service_rows(5), selects=("client_kind", "navigation_type"))
    save_and_continue(page, pk, "conditions")

    fill_fields(page, values, ["funding_amount", "funding_source", "office_area", "office_address",
                               "data_resources"])
    save_and_continue(page, pk, "plan")

    fill_fields(page, values, ["plan_goals", "plan_demand", "plan_organisation", "plan_promotion"])
    save_and_continue(page, pk, "claims")

    visit(page, f"/applications/{pk}/")
    assert page.locator(".status-complete").count() == 4     # drafts are not checked: section 2 shows in progress
    assert page.locator(".status-not_started").count() == 2
    picture(page, "task-list")

    # --- Sections 6 and 7, without the sealed scan -----------------------------------------------
    open_section(page, pk, "claims")
    save_and_continue(page, pk, "declaration")       # nothing claimed: saved as it is
    page.check("[name=integrity_declared]")
    fill_fields(page, values, ["declarant_name", "declaration_date"])
    save_and_continue(page, pk, None)

    # --- Submitting is refused, naming the four-person roster and the missing scan ------------------
    submit(page, submit_button)
    problems = page.locator("#problems")
    assert problems.is_visible()
    assert page.evaluate("document.activeElement.id") == "problems", "focus is not on the list of problems"
    assert problems.locator("li").count() == 2, problems.inner_text()
    assert problems.locator(f"a[href$='/applications/{pk}/sections/department/#field-staff']").count() == 1
    assert problems.locator(f"a[href$='/applications/{pk}/sections/declaration/#field-sealed_scan']").count() == 1
    assert page.locator(".status-needs_attention").count() == 2
    assert Application.objects.get(pk=pk).state == State.DRAFT
    assert not AuditEvent.objects.filter(action="application_submit").exists()
    picture(page, "task-list-with-problems")

    visit(page, f"/applications/{pk}/print/")
    check_code = page.locator(".doc-code")
    assert check_code.is_visible()
    assert page.get_by_text(code).first.is_visible()
    picture(page, "print-view")

    # --- Fix both: the fifth person, then the sealed scan --------------------------------------
    visit(page, f"/applications/{pk}/")
    with page.expect_navigation():
        problems.locator("a[href*='/sections/department/']").click()
    check_page(page)
    fill_rows(page, "staff", staff, selects=("employment",))
    submit(page, SAVE)
    assert page.locator(".error-summary").count() == 0
    assert Application.objects.get(pk=pk).staff.count() == 5

    open_section(page, pk, "declaration")
    page.set_input_files("[name=sealed_scan]", files=[
        {"name": "sealed-form.pdf", "mimeType": "application/pdf", "buffer": TINY_PDF}])
    submit(page, SAVE)
    assert page.locator(".error-summary").count() == 0
    assert page.locator(f"a[href$='/applications/{pk}/attachments/sealed_scan/']").inner_text() == "sealed-form.pdf"

    visit(page, f"/applications/{pk}/")
    submit(page, submit_button)
    assert page.url.endswith(f"/applications/{pk}/"), page.url
    assert page.locator("#problems").count() == 0
    assert page.locator(submit_button).count() == 0, "a submitted application offers no second submission"
    assert page.locator(".state-badge").inner_text().strip() == zh(APPLICANT_LABELS[State.CITY_REVIEW])
    assert page.locator(".alert-success").count() == 1

    application = Application.objects.get(pk=pk)
    assert application.state == State.CITY_REVIEW
    assert application.route == "city"
    assert application.submitted_at is not None
    assert (application.staff.count(), application.services.count()) == (5, 5)
    assert ApplicationVersion.objects.filter(application=application).count() == 1
    event = AuditEvent.objects.get(action="application_submit", object_id=str(pk))
    assert (event.from_state, event.to_state, event.actor.email) == (State.DRAFT, State.CITY_REVIEW, EMAIL)

    # --- The Nanjing city reviewer sets up the second factor, finds it on the desk and consents ---
    reviewer = User.objects.create_user(username="nanjing-reviewer", email="reviewer@example.cn", password=PASSWORD,
                                        role=Role.CITY, city=nanjing, display_name="南京市审核员")
    log_out(page)
    log_in(page, "nanjing-reviewer", PASSWORD)
    assert "/accounts/second-factor/setup/" in page.url, page.url
    assert page.locator("img.otp-qr").evaluate("img => img.complete && img.naturalWidth > 0"), "no QR code shown"
    device = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    assert page.locator(".otp-secret").inner_text().replace(" ", "") == base64.b32encode(device.bin_key).decode()
    page.fill("[name=code]", totp_code(device))     # what the reviewer's authenticator app shows now
    submit(page, "main form button[type=submit]")
    assert "/second-factor/" not in page.url, page.url
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    visit(page, "/review/")
    row = page.locator(f"a[href$='/review/applications/{pk}/']")
    assert row.count() == 1
    assert row.inner_text().strip() == ORG_NAME
    assert page.get_by_text(code).is_visible()
    picture(page, "review-queue")

    with page.expect_navigation():
        row.click()
    check_page(page)
    page.locator("details:has(form[action$='/decide/city_consent/']) > summary").click()
    page.fill("[name=city_consent-note]", "同意推荐。")
    submit(page, f"form[action$='/review/applications/{pk}/decide/city_consent/'] button")
    assert page.url.endswith("/review/"), page.url
    assert page.locator(".alert-success").inner_text().strip() == zh(
        "Consented; the application is now with the province.")
    assert page.locator(f"a[href$='/review/applications/{pk}/']").count() == 0, "still on the city's desk"
    application = Application.objects.get(pk=pk)
    assert application.state == State.PROVINCE_REVIEW
    event = AuditEvent.objects.get(action="application_city_consent", object_id=str(pk))
    assert (event.from_state, event.to_state, event.actor_id) == (State.CITY_REVIEW, State.PROVINCE_REVIEW,
                                                                   reviewer.pk)

    # The applicant sees its own label for the new state.
    log_out(page)
    log_in(page, EMAIL, PASSWORD)
    visit(page, f"/applications/{pk}/")
    assert page.locator(".state-badge").inner_text().strip() == zh(APPLICANT_LABELS[State.PROVINCE_REVIEW])
