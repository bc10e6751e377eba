"""The bases after designation in a browser (SPEC §12, issue 19): CNIPA reaches the bases from its review queue,
opens a base's page and requires a rectification — refused without a date to answer by, then opened; the base's
contact finds its base on "My applications" and the requirement on its own page, and answers; CNIPA reads the answer
and closes the rectification, then revokes another base's title by document — refused until the confirmation is
ticked. The public list of bases shows each one's standing as it changes, in Chinese and in English.

The list is designated through the services as tests/bases/conftest.py does (Jiangsu's package handed in and
passed, the notice period moved into the past as the calendar would, the list confirmed by document); a third base
was already required to rectify, so that the public list shows every standing at once.
"""

import datetime

from django.utils import timezone

from applications.models import Application, Organisation
from bases import services
from bases.models import Base, BaseStatus, RectificationOutcome
from navportal.models import AuditEvent
from review import national
from tests.review.test_national import cnipa, handed_in, pass_all, publish  # noqa: F401 (fixtures)
from tests.review.test_public import shift

from .conftest import BROWSER_TEST, check_page, enrol, log_in, new_page, shot, submit, tidy_call, visit, zh

pytestmark = BROWSER_TEST

DESIGNATION = "国知办发运字〔2026〕36号"
REVOCATION = "国知办发运字〔2026〕27号"
NAMES = ["示例·苏州工业园区", "示例·南京江北新区", "示例·无锡高新技术产业开发区", "示例·江苏省知识产权保护中心"]
DETAIL = "未按期报送年度基地建设情况报告。请补报年度报告，并说明逾期原因和改进措施。"
ANSWER = "已于本月补报2025年度基地建设情况报告，并建立年度报告提醒和复核制度。"


def designate(cnipa, apps, call):
    """The four Jiangsu applications designated by a confirmed list, named as a reader of the screenshots can tell
    apart (applications and their organisations); their bases by name."""
    tidy_call(call)
    for application, name in zip(apps, NAMES):
        Application.objects.filter(pk=application.pk).update(name=name)
        Organisation.objects.filter(pk=application.organisation_id).update(name=name)
    pass_all(cnipa, apps)
    notice = shift(publish(cnipa, call), -10, -3)
    national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number=DESIGNATION,
                           document_date=timezone.localdate() - datetime.timedelta(days=1))
    return {base.name: base for base in Base.objects.all()}


def status_of(public, name):
    """The standing the public list shows in the row of base `name`."""
    return public.locator("tbody tr", has_text=name).locator("td").last.inner_text()


def test_cnipa_requires_a_rectification_the_base_answers_cnipa_closes_it_and_revokes_another(
        page, browser, live_server, handed_in, cnipa, call):
    bases = designate(cnipa, handed_in, call)
    rectified, revoked, earlier = bases[NAMES[0]], bases[NAMES[2]], bases[NAMES[3]]
    today = timezone.localdate()
    services.rectification_open(actor=cnipa, base_id=earlier.pk, reason="unqualified",
                                detail="年度评估结果为不合格。请对照评估意见逐项整改。", deadline=today + datetime.timedelta(days=20))
    contact = rectified.organisation.members.get()
    enrol(cnipa)
    log_in(page, "cnipa")

    # --- CNIPA: from the review queue to the bases, and to the base ------------------------------------------
    visit(page, "/review/")
    with page.expect_navigation():
        page.locator("main a[href='/review/bases/']", has_text=zh("National-level bases")).click()
    check_page(page)
    assert page.locator("tbody tr").count() == 4
    with page.expect_navigation():
        page.locator("tbody a", has_text=NAMES[0]).click()
    check_page(page)
    assert page.url.endswith(f"/review/bases/{rectified.pk}/")
    assert DESIGNATION in page.locator("main").inner_text()

    # --- A rectification without a date to answer by is refused, what was typed kept; then opened -------------
    rectify = f"form[action$='/review/bases/{rectified.pk}/rectify/']"
    page.check(f"{rectify} [name=reason][value=missed_report]")
    page.fill(f"{rectify} [name=detail]", DETAIL)
    submit(page, f"{rectify} button")
    assert page.locator(f"{rectify} .error-summary").is_visible()
    assert page.locator(f"{rectify} [name=deadline].is-invalid").count() == 1
    assert page.input_value(f"{rectify} [name=detail]") == DETAIL
    assert page.is_checked(f"{rectify} [name=reason][value=missed_report]")
    assert Base.objects.get(pk=rectified.pk).status == BaseStatus.ACTIVE
    shot(page, "base-rectification-required")
    deadline = today + datetime.timedelta(days=28)
    page.fill(f"{rectify} [name=deadline]", f"{deadline:%Y-%m-%d}")
    submit(page, f"{rectify} button")
    assert zh("The rectification was opened; the base was told.") in page.locator(".alert-success").inner_text()
    assert Base.objects.get(pk=rectified.pk).status == BaseStatus.RECTIFYING
    assert page.locator(f"{rectify}").count() == 0              # one open at a time: the form is gone
    assert zh("Waiting for the base's answer.") in page.locator("main").inner_text()

    public = new_page(browser, live_server)
    try:
        visit(public, "/bases/")
        assert status_of(public, NAMES[0]) == zh("Under rectification")
        assert status_of(public, NAMES[1]) == zh("Active")

        # --- The base's contact: the banner on "My applications", the requirement on its own page --------------
        base_page = new_page(browser, live_server)
        try:
            log_in(base_page, contact.email)
            visit(base_page, "/applications/")
            banner = base_page.locator("#designated")
            assert zh("Your organisation is a national-level patent navigation service base.") in banner.inner_text()
            with base_page.expect_navigation():
                banner.locator("a").click()
            check_page(base_page)
            assert base_page.url.endswith("/base/")
            requirement = base_page.locator("main .card.border-warning")
            text = requirement.inner_text()
            assert zh("Rectification required") in text and DETAIL in text and f"{deadline:%Y-%m-%d}" in text
            assert zh("Annual report not submitted") in text
            # The other bases' requirements are not its business: only its own base is on its page.
            assert base_page.locator("main section").count() == 1
            assert NAMES[3] not in base_page.locator("main").inner_text()
            base_page.fill("[name=answer]", ANSWER)
            shot(base_page, "base-own-rectification")
            submit(base_page, f"form[action$='/base/{rectified.pk}/rectification/answer/'] button")
            assert zh("Your answer went to CNIPA.") in base_page.locator(".alert-success").inner_text()
            assert ANSWER in base_page.locator("main").inner_text()
            assert base_page.locator("[name=answer]").count() == 0   # once
            visit(base_page, "/messages/")
            told = zh("Rectification required: %(name)s") % {"name": NAMES[0]}
            assert told in base_page.locator("main").inner_text()
        finally:
            base_page.context.close()

        # --- CNIPA reads the answer and closes the rectification ----------------------------------------------
        visit(page, f"/review/bases/{rectified.pk}/")
        assert ANSWER in page.locator(f"#rectification-{rectified.rectifications.get().pk}").inner_text()
        page.fill("[name=note]", "年度报告已补报，整改到位。")
        submit(page, f"form[action$='/review/bases/{rectified.pk}/rectification/close/'] button")
        assert zh("The rectification was closed; the base is active again.") in page.locator(
            ".alert-success").inner_text()
        rectification = rectified.rectifications.get()
        assert (Base.objects.get(pk=rectified.pk).status, rectification.outcome) == (
            BaseStatus.ACTIVE, RectificationOutcome.CLOSED)

        # --- CNIPA revokes another base's title by document: not before the confirmation is ticked -------------
        visit(page, "/review/bases/")
        with page.expect_navigation():
            page.locator("tbody a", has_text=NAMES[2]).click()
        check_page(page)
        revoke = f"form[action$='/review/bases/{revoked.pk}/revoke/']"
        assert page.input_value(f"{revoke} [name=document_date]") == f"{today:%Y-%m-%d}"
        page.fill(f"{revoke} [name=document_number]", REVOCATION)
        page.fill(f"{revoke} [name=reason]", "经核查，该基地所报专利导航项目成果应用证明不实。")
        submit(page, f"{revoke} button")
        assert page.locator(f"{revoke} .error-summary").is_visible()
        assert page.locator(f"{revoke} [name=confirm].is-invalid").count() == 1
        assert page.input_value(f"{revoke} [name=document_number]") == REVOCATION
        assert Base.objects.get(pk=revoked.pk).status == BaseStatus.ACTIVE
        page.check(f"{revoke} [name=confirm]")
        submit(page, f"{revoke} button")
        assert zh("The title was revoked; the public list shows the document.") in page.locator(
            ".alert-success").inner_text()
        assert REVOCATION in page.locator("main dl").inner_text()
        assert page.locator("main form").count() == 0               # nothing left to do with a revoked base
        assert (Base.objects.get(pk=revoked.pk).status, Base.objects.get(pk=revoked.pk).revoked_document) == (
            BaseStatus.REVOKED, REVOCATION)
        assert list(AuditEvent.objects.filter(object_type="bases.base", object_id=str(revoked.pk)).order_by(
            "id").values_list("action", flat=True)) == ["base_designate", "base_revoke"]

        # --- The public list: each base's standing, the revoking document — in Chinese, then in English --------
        visit(public, "/bases/")
        assert [status_of(public, name).splitlines()[0] for name in NAMES] == [
            zh("Active"), zh("Active"), zh("Revoked"), zh("Under rectification")]
        assert REVOCATION in status_of(public, NAMES[2])
        shot(public, "bases-public-revoked")
        public.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        visit(public, "/bases/")
        assert public.locator("html").get_attribute("lang") == "en"
        assert [status_of(public, name).splitlines()[0] for name in NAMES] == [
            "Active", "Active", "Revoked", "Under rectification"]
        assert status_of(public, NAMES[2]).splitlines()[1] == f"by document {REVOCATION} of {today:%Y-%m-%d}"
    finally:
        public.context.close()
