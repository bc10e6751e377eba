"""The decision trail in a browser: the Nanjing city bureau consents with a note, takes the consent back and
gives it again; the Jiangsu province sees the city's note and the whole trail, declines by mistake and takes its
decline back; the applicant sees its part only. Screenshots in Chinese, in English and on a phone.

The application is submitted through the services; every decision is clicked.
"""

import pytest

from applications.enums import State
from applications.models import Application
from navportal.models import AuditEvent

from .conftest import (
    BROWSER_TEST, PHONE, SCREENSHOTS, TIMEOUT_MS, check_page, enrol, log_in, log_out, new_page, shot, submit, tidy_call,
    visit, zh,
)

pytestmark = BROWSER_TEST

CITY_NOTE = "经审核，该中心材料齐全，同意推荐至省局。"


def decide(page, pk, action, check=True, **fields):
    """Open the decision (a <details> element) by keyboard, fill it in, confirm."""
    page.locator(f"details:has(form[action$='/review/applications/{pk}/decide/{action}/']) > summary").focus()
    page.keyboard.press("Enter")
    for name, value in fields.items():
        page.fill(f"[name={action}-{name}]", value)
    submit(page, f"form[action$='/review/applications/{pk}/decide/{action}/'] button[type=submit]", check=check)


def trail_text(page):
    return page.locator("section[aria-labelledby=trail-title]").inner_text()


@pytest.fixture
def nanjing(reviewers, city_institution, submitted, call):
    tidy_call(call)
    enrol(reviewers["city_nanjing"])
    enrol(reviewers["province_js"])
    return submitted(city_institution)


def test_the_trail_from_the_city_to_the_province_and_the_applicant(browser, live_server, page, reviewers, nanjing,
                                                                   city_institution):
    pk = nanjing.pk
    # The city consents with its note, finds it was a mistake, takes it back and consents again.
    log_in(page, "city-nanjing")
    visit(page, f"/review/applications/{pk}/")
    decide(page, pk, "city_consent", note=CITY_NOTE, check=False)   # back at the queue, which is not this test's
    visit(page, f"/review/applications/{pk}/")
    decide(page, pk, "take_back", reason="误点同意，需再核对人员名单。")
    assert Application.objects.get(pk=pk).state == State.CITY_REVIEW
    assert zh("City bureau took back its consent") in trail_text(page)
    shot(page, "trail-city-taken-back")
    decide(page, pk, "city_consent", note=CITY_NOTE)
    log_out(page)

    # The province sees the city's note, who gave it and when; declines by mistake and takes it back.
    log_in(page, "prov-js")
    visit(page, f"/review/applications/{pk}/")
    trail = trail_text(page)
    assert CITY_NOTE in trail and "city-nanjing" in trail and "南京市" in trail
    decide(page, pk, "decline", reason="服务记录不足五次。")
    visit(page, f"/review/applications/{pk}/")
    decide(page, pk, "take_back", reason="误选不予推荐，服务记录实为六次。")
    assert Application.objects.get(pk=pk).state == State.PROVINCE_REVIEW
    assert AuditEvent.objects.filter(action="application_decline_withdraw", object_id=str(pk)).count() == 1
    shot(page, "trail-province")
    log_out(page)

    # The applicant sees the decisions that are its own business: not the city's note, not the officials' names.
    log_in(page, city_institution.username)
    visit(page, f"/applications/{pk}/")
    trail = trail_text(page)
    assert zh("City bureau consented") in trail and "服务记录不足五次。" in trail
    assert CITY_NOTE not in trail and "city-nanjing" not in trail and "prov-js" not in trail
    shot(page, "trail-applicant")


def test_the_trail_in_english_and_on_a_phone(browser, live_server, reviewers, nanjing):
    from review import services

    services.application_city_consent(actor=reviewers["city_nanjing"], application_id=nanjing.pk, note=CITY_NOTE)
    # 1,440 px: at 1,280 the English header still wraps its log-out button onto the page (issue 13 lists that fix
    # separately), which axe rightly refuses.
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-US",
                                  base_url=live_server.url, reduced_motion="reduce")
    context.set_default_timeout(TIMEOUT_MS)
    english = context.new_page()
    try:
        log_in(english, "prov-js")
        visit(english, f"/review/applications/{nanjing.pk}/")
        trail = trail_text(english)
        assert "Decision trail" in trail and "City bureau consented" in trail and CITY_NOTE in trail
        shot(english, "trail-province-en")
    finally:
        context.close()
    phone = new_page(browser, live_server, PHONE)
    try:
        log_in(phone, "prov-js")
        visit(phone, f"/review/applications/{nanjing.pk}/")
        assert CITY_NOTE in trail_text(phone)
        shot(phone, "trail-province-phone")
        # The top of the page as the phone shows it: the decisions, then the trail.
        phone.screenshot(path=str(SCREENSHOTS / "trail-province-phone-top.png"))
    finally:
        phone.context.close()
