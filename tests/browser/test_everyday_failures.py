"""The everyday failures of a web form, in a browser: a double-clicked submit changes state once; two tabs
on one draft — the second save is refused and its typed text stays on screen; an expired session sends
the user back, after logging in again (with the second factor for an official), to the page they were on,
with what they had typed put back in the form."""

import time

from django.contrib.sessions.models import Session
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications import services
from applications.enums import State
from applications.models import Application, ApplicationVersion
from navportal.models import AuditEvent
from tests.conftest import PASSWORD, totp_code

from .conftest import BROWSER_TEST, check_page, enrol, log_in, submit, visit

pytestmark = BROWSER_TEST


def test_double_clicking_submit_submits_once(page, applicant, complete, monkeypatch):
    application = complete(applicant)
    # A busy server: the first click's request is still being worked on when the second click comes.
    slow_submit = services.application_submit

    def busy(**kwargs):
        time.sleep(0.5)
        return slow_submit(**kwargs)

    monkeypatch.setattr(services, "application_submit", busy)
    log_in(page, applicant.username)
    visit(page, f"/applications/{application.pk}/")
    button = page.locator(f"form[action$='/applications/{application.pk}/submit/'] button")
    # Two clicks 150 ms apart, as a hand double-clicks: the first request is on its way when the second
    # click comes (clicks within one task would be merged by the browser itself).
    button.evaluate("button => { button.click(); setTimeout(() => button.click(), 150); }")
    # The page before had no message: the first one shown is the answer to the last request sent.
    page.wait_for_selector(".messages .alert")
    page.wait_for_load_state("networkidle")
    check_page(page)
    # One answer: not "Submitted" and "cannot be submitted" side by side.
    assert page.locator(".messages .alert").count() == 1, page.locator(".messages").inner_text()
    assert page.locator(".messages .alert-success").count() == 1
    assert Application.objects.get(pk=application.pk).state == State.PROVINCE_REVIEW
    assert AuditEvent.objects.filter(action="application_submit").count() == 1
    assert ApplicationVersion.objects.filter(application=application).count() == 1


def test_two_tabs_on_one_draft_the_second_save_is_refused_and_keeps_its_text(page, second_page, applicant, complete):
    application = complete(applicant, scan=False)
    log_in(page, applicant.username)
    url = f"/applications/{application.pk}/sections/plan/"
    visit(page, url)
    visit(second_page, url)

    page.fill("[name=plan_goals]", "第一个标签页写的目标。")
    submit(page, "button[name=save]")
    assert Application.objects.get(pk=application.pk).plan_goals == "第一个标签页写的目标。"

    second_page.fill("[name=plan_goals]", "第二个标签页写的目标，不能悄悄覆盖第一个。")
    submit(second_page, "button[name=save]")
    assert second_page.locator(".messages .alert-danger").is_visible()
    assert second_page.input_value("[name=plan_goals]") == "第二个标签页写的目标，不能悄悄覆盖第一个。"
    assert Application.objects.get(pk=application.pk).plan_goals == "第一个标签页写的目标。"


def test_after_the_session_expires_an_applicant_returns_to_the_section(page, applicant, complete):
    application = complete(applicant, scan=False)
    log_in(page, applicant.username)
    url = f"/applications/{application.pk}/sections/conditions/"
    visit(page, url)
    page.fill("[name=funding_source]", "财政专项资金")
    Session.objects.all().delete()                 # 30 minutes without a request: the session is gone
    submit(page, "button[name=save]")
    assert "/accounts/login/" in page.url, page.url
    page.fill("[name=username]", applicant.username)
    page.fill("[name=password]", PASSWORD)
    submit(page, "main form button[type=submit]")
    assert page.url.endswith(url), page.url
    # What was typed before the session ended is back, and the user is told to save it.
    assert page.locator("#draft-restored").is_visible()
    assert page.input_value("[name=funding_source]") == "财政专项资金"
    assert Application.objects.get(pk=application.pk).funding_source != "财政专项资金"
    submit(page, "button[name=save]")
    assert Application.objects.get(pk=application.pk).funding_source == "财政专项资金"
    assert not page.locator("#draft-restored").is_visible()


def test_after_the_session_expires_an_official_returns_to_the_page_through_the_second_factor(page, reviewers):
    province = enrol(reviewers["province_js"])
    log_in(page, province.username)
    visit(page, "/review/deadline/")
    Session.objects.all().delete()
    page.reload()
    assert page.url.endswith("/accounts/login/?next=/review/deadline/"), page.url
    check_page(page)
    page.fill("[name=username]", province.username)
    page.fill("[name=password]", PASSWORD)
    submit(page, "main form button[type=submit]")
    assert "/accounts/second-factor/" in page.url, page.url
    page.fill("[name=code]", totp_code(TOTPDevice.objects.get(user=province)))
    submit(page, "main form button[type=submit]")
    assert page.url.endswith("/review/deadline/"), page.url
