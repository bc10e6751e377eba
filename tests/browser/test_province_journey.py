"""The provincial bureau's journey in a browser: it returns one application for revision, the applicant fixes
and resubmits it, and the province sees what changed; it verifies an exemption and a local base's priority,
recommends until the quota refuses one more, ranks with the keyboard alone, justifies ranking a non-priority
applicant above the local base, uploads its sealed letter (a wrong file first) and hands the package in —
after which it is locked.

The five Jiangsu applications are submitted through the services; everything the province does is clicked.
"""

import datetime

import pytest

from applications.enums import ClaimStatus, State
from applications.models import Application
from navportal.demo.content import TINY_PDF
from navportal.models import AuditEvent
from review.models import Package, PackageStatus
from tests.conftest import make_applicant

from .conftest import (
    BROWSER_TEST, check_page, enrol, log_in, log_out, new_page, shot, shot_phone, submit, tidy_call, visit, zh,
)

pytestmark = BROWSER_TEST

NAMES = ["示例·苏州工业园区", "示例·无锡保护中心", "示例·常州导航基地", "示例·南通园区", "示例·扬州园区"]


@pytest.fixture
def desk(reviewers, submitted):
    """Five Jiangsu parks at the province's desk: one claims an exemption, one is a local base (priority)."""
    users = [make_applicant(name, f"js{i}") for i, name in enumerate(NAMES)]
    apps = [submitted(user) for user in users]
    Application.objects.filter(pk=apps[1].pk).update(
        exempt_category="protection_centre", exempt_document_number="国知发保字〔2019〕12号",
        exempt_document_date=datetime.date(2019, 6, 1))
    Application.objects.filter(pk=apps[2].pk).update(
        local_base=True, local_base_document_number="苏知发〔2023〕5号", local_base_document_date=datetime.date(2023, 5, 1))
    enrol(reviewers["province_js"])
    return users, [Application.objects.get(pk=a.pk) for a in apps]


def open_decision(page, pk, action):
    """Open an application's decision (a <details> element) by keyboard: focus its summary, press Enter."""
    page.locator(f"details:has(form[action$='/review/applications/{pk}/decide/{action}/']) > summary").focus()
    page.keyboard.press("Enter")


def decide(page, pk, action):
    submit(page, f"form[action$='/review/applications/{pk}/decide/{action}/'] button[type=submit]")


def recommend(page, application, opinion):
    visit(page, f"/review/applications/{application.pk}/")
    open_decision(page, application.pk, "recommend")
    page.fill("[name=recommend-opinion]", opinion)
    decide(page, application.pk, "recommend")


def ranking(package):
    return list(package.recommendations.order_by("rank").values_list("application__name", flat=True))


def test_province_returns_verifies_ranks_and_hands_in(page, browser, live_server, desk, reviewers):
    users, apps = desk
    tidy_call(apps[0].call)
    returned, exempt, local, fourth, fifth = apps
    log_in(page, "prov-js")

    # --- Return the first for revision, flagging its basic information -----------------------
    visit(page, "/review/")
    assert page.locator("a[href*='/review/applications/']").count() == 5
    with page.expect_navigation():
        page.locator(f"a[href$='/review/applications/{returned.pk}/']").click()
    check_page(page)
    open_decision(page, returned.pk, "return")
    decide(page, returned.pk, "return")                          # no reason: refused, with the summary
    summary = page.locator(f"form[action$='/decide/return/'] .error-summary")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert Application.objects.get(pk=returned.pk).state == State.PROVINCE_REVIEW
    page.fill("[name=return-reason]", "请核实通讯地址。")
    page.check("[name=return-sections][value=basic]")
    decide(page, returned.pk, "return")
    application = Application.objects.get(pk=returned.pk)
    assert (application.state, application.return_reason, application.flagged_sections) == (
        State.RETURNED, "请核实通讯地址。", ["basic"])

    # --- The applicant, in its own browser, fixes the address and resubmits --------------------
    applicant = new_page(browser, live_server)
    try:
        log_in(applicant, users[0].username)
        visit(applicant, f"/applications/{returned.pk}/")
        assert "请核实通讯地址。" in applicant.locator(".alert-warning").inner_text()
        assert applicant.locator(".status-needs_attention").count() == 1
        with applicant.expect_navigation():
            applicant.locator(f"a[href$='/applications/{returned.pk}/sections/basic/']").click()
        check_page(applicant)
        applicant.fill("[name=address]", "江苏省苏州市工业园区星湖街328号")
        submit(applicant, "button[name=save]")
        visit(applicant, f"/applications/{returned.pk}/")
        submit(applicant, f"form[action$='/applications/{returned.pk}/submit/'] button")
        # The sealed scan shows the old check code: the portal asks for a new one, naming it.
        problems = applicant.locator("#problems li")
        assert problems.count() == 1, problems.all_inner_texts()
        assert problems.locator("a[href$='/sections/declaration/#field-sealed_scan']").count() == 1
        visit(applicant, f"/applications/{returned.pk}/sections/declaration/")
        applicant.set_input_files("[name=sealed_scan]", files=[
            {"name": "申请表-盖章-第二版.pdf", "mimeType": "application/pdf", "buffer": TINY_PDF}])
        submit(applicant, "button[name=save]")
        visit(applicant, f"/applications/{returned.pk}/")
        submit(applicant, f"form[action$='/applications/{returned.pk}/submit/'] button")
        assert applicant.locator(".alert-success").count() == 1
    finally:
        applicant.context.close()
    application = Application.objects.get(pk=returned.pk)
    assert (application.state, application.versions.count()) == (State.PROVINCE_REVIEW, 2)

    # --- The province sees what changed ---------------------------------------------------------
    visit(page, f"/review/applications/{returned.pk}/")
    changes = page.locator(".card.border-warning table tbody tr")
    assert changes.count() == 1
    assert changes.locator("del").inner_text() == "示例省示例市高新大道1号"
    assert changes.locator("td").nth(3).inner_text() == "江苏省苏州市工业园区星湖街328号"
    shot(page, "review-what-changed")

    # --- Verify the exemption and the local base's priority ------------------------------------
    visit(page, f"/review/applications/{exempt.pk}/")
    page.check("[name=exemption-status][value=verified]")
    page.fill("[name=exemption-note]", "与名录一致。")
    submit(page, f"form[action$='/claims/exemption/'] button")
    visit(page, f"/review/applications/{local.pk}/")
    page.check("[name=priority-status][value=verified]")
    submit(page, f"form[action$='/claims/priority/'] button")
    assert Application.objects.get(pk=exempt.pk).exemption_status == ClaimStatus.VERIFIED
    assert Application.objects.get(pk=local.pk).priority_status == ClaimStatus.VERIFIED

    # --- Recommend until the quota refuses one more --------------------------------------------
    for application in (returned, exempt, fourth, local):
        recommend(page, application, "同意推荐。")
        assert Application.objects.get(pk=application.pk).state == State.RECOMMENDED
    package = Package.objects.get(province=reviewers["province_js"].province)
    visit(page, f"/review/packages/{package.pk}/")
    assert page.locator("[data-quota-counted]").inner_text() == "3 / 3"
    assert page.locator("[data-quota-exempt]").inner_text() == "1"
    recommend(page, fifth, "同意推荐。")
    assert zh("The quota of %(quota)d is used up. Take back a recommendation first, or verify an exemption "
              "claim.") % {"quota": 3} in page.locator(".alert-danger").first.inner_text()
    assert page.locator("[name=recommend-opinion]").input_value() == "同意推荐。", "the typed opinion was lost"
    assert Application.objects.get(pk=fifth.pk).state == State.PROVINCE_REVIEW
    open_decision(page, fifth.pk, "decline")
    page.fill("[name=decline-reason]", "名额已满，择优推荐其他单位。")
    decide(page, fifth.pk, "decline")
    assert Application.objects.get(pk=fifth.pk).state == State.NOT_RECOMMENDED

    # --- Rank with the keyboard: the local base up two places -----------------------------------
    visit(page, f"/review/packages/{package.pk}/")
    assert ranking(package) == [NAMES[0], NAMES[1], NAMES[3], NAMES[2]]
    page.focus(f"#move-{package.recommendations.get(application=local).pk}-up")
    for _ in range(2):
        with page.expect_navigation():
            page.keyboard.press("Enter")
        # The page comes back with the focus on the same button: Enter again moves it once more.
        assert page.evaluate("document.activeElement.id") == f"move-{package.recommendations.get(application=local).pk}-up"
    check_page(page)
    assert ranking(package) == [NAMES[0], NAMES[2], NAMES[1], NAMES[3]]
    assert AuditEvent.objects.filter(action="package_rank").count() == 2

    # --- Handing in is refused until the override is justified and the letter is there ---------
    problems = page.locator("section[aria-labelledby=submit-title] .alert-warning li")
    assert problems.count() == 2, problems.all_inner_texts()
    submit(page, f"form[action$='/packages/{package.pk}/submit/'] button")
    # The preview says the same two things in plain words and offers no confirmation.
    assert page.locator("#preview-refusals li").count() == 2 and page.locator("#preview-confirm").count() == 0
    assert Package.objects.get(pk=package.pk).status == PackageStatus.OPEN
    shot(page, "package-hand-in-preview-refused")
    with page.expect_navigation():
        page.locator("main a.btn-link", has_text=zh("Back without doing anything")).click()
    check_page(page)
    page.fill("[name=justification]", "苏州工业园区集成电路产业基础最强，经局务会研究排在首位。")
    submit(page, f"form[action$='/packages/{package.pk}/justification/'] button")
    assert Package.objects.get(pk=package.pk).priority_justification.startswith("苏州工业园区")

    page.set_input_files("[name=letter]", files=[{"name": "推荐函.txt", "mimeType": "text/plain",
                                                  "buffer": "不是PDF".encode()}])
    submit(page, f"form[action$='/packages/{package.pk}/letter/'] button")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')"), "focus not on the errors"
    assert not Package.objects.get(pk=package.pk).letter
    page.set_input_files("[name=letter]", files=[{"name": "推荐函.pdf", "mimeType": "application/pdf",
                                                  "buffer": TINY_PDF}])
    submit(page, f"form[action$='/packages/{package.pk}/letter/'] button")
    assert page.locator(f"a[href$='/packages/{package.pk}/letter/download/']").inner_text() == "推荐函.pdf"
    assert page.locator("section[aria-labelledby=submit-title] .alert-warning").count() == 0
    shot(page, "ranking-with-quota")

    submit(page, f"form[action$='/packages/{package.pk}/submit/'] button")
    # The preview: the ranking as it goes to CNIPA, the quota, the letter, who is told; nothing handed in yet.
    ranked = [row.inner_text() for row in page.locator("#preview-table tbody tr").all()]
    assert len(ranked) == 4 and "推荐函.pdf" in page.locator("main").inner_text()
    assert Package.objects.get(pk=package.pk).status == PackageStatus.OPEN
    shot(page, "package-hand-in-preview")
    shot_phone(page, "package-hand-in-preview-phone")
    submit(page, "#preview-confirm")
    assert zh("The package was handed in to CNIPA. It is now locked.") in page.locator(".alert-success").inner_text()

    # --- Locked: no control changes it any more -------------------------------------------------
    for control in ("[id^=move-]", "[name=letter]", "form[action$='/submit/']", "form[action*='/recommendations/']"):
        assert page.locator(control).count() == 0, f"{control} is still offered"
    assert page.locator("[name=justification]").is_disabled()
    package = Package.objects.get(pk=package.pk)
    assert package.status == PackageStatus.SUBMITTED
    assert set(Application.objects.filter(pk__in=[returned.pk, exempt.pk, local.pk, fourth.pk])
               .values_list("state", flat=True)) == {State.NATIONAL_REVIEW}
    event = AuditEvent.objects.get(action="package_submit")
    assert (event.from_state, event.to_state, event.actor_id) == (
        PackageStatus.OPEN, PackageStatus.SUBMITTED, reviewers["province_js"].pk)
    log_out(page)
