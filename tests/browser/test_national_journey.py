"""CNIPA's journey and the public's, in a browser: CNIPA re-checks Jiangsu's handed-in package, rejects the
exemption it claims — which puts Jiangsu over quota and blocks publication — resolves it by failing one
application, and publishes the notice. A member of the public cannot object before the period opens, objects
during it; another, whose form is sent after the period ended, is refused and keeps what was typed. CNIPA
decides the objection and confirms the final list by document; the public final list shows the bases.

Jiangsu's package is handed in through the services (tests/review/test_national.py's `handed_in`); the
passing of the notice period is simulated by moving its dates, as the calendar would.
"""

import datetime
import re

from django.utils import timezone

from applications.enums import ClaimStatus, State
from applications.models import Application
from navportal.models import AuditEvent
from review.models import Notice, Objection, ObjectionDecision
from tests.conftest import resealed
from tests.review.test_national import cnipa, handed_in  # noqa: F401 (fixtures)

from .conftest import (
    BROWSER_TEST, check_page, enrol, log_in, new_page, shot, shot_phone, submit, tidy_call, visit, zh,
)
from tests.mail_helpers import deliver_mail

pytestmark = BROWSER_TEST

DOCUMENT = "国知办发运字〔2026〕18号"
NAMES = ["示例·苏州工业园区", "示例·南京江北新区", "示例·无锡高新技术产业开发区", "示例·江苏省知识产权保护中心"]


def decide(page, pk, action, **fields):
    """Open one of an application's decisions, fill it and confirm."""
    page.locator(f"details:has(form[action$='/review/applications/{pk}/decide/{action}/']) > summary").click()
    for name, value in fields.items():
        page.fill(f"[name={action}-{name}]", value)
    submit(page, f"form[action$='/review/applications/{pk}/decide/{action}/'] button[type=submit]")


def move_period(notice, starts, ends):
    """The calendar moves on: the notice period now runs from `starts` to `ends` days from today, and
    was published the day before it started."""
    today = timezone.localdate()
    starts_on = today + datetime.timedelta(days=starts)
    published_at = timezone.make_aware(datetime.datetime.combine(starts_on - datetime.timedelta(days=1),
                                                                 datetime.time(10)))
    Notice.objects.filter(pk=notice.pk).update(starts_on=starts_on, ends_on=today + datetime.timedelta(days=ends),
                                               published_at=published_at)
    resealed(notice)  # the calendar moved, not an attacker: the list's seal goes with it


def fill_objection(page, name, reasons):
    page.check("[name=kind][value=person]")
    page.fill("[name=name]", name)
    page.fill("[name=phone]", "13912345678")
    page.fill("[name=email]", "objector@example.cn")
    page.fill("[name=reasons]", reasons)
    page.fill("[name=signature]", name)
    page.check("[name=declaration]")
    page.check("[name=privacy]")      # the personal information rules acknowledged


def test_cnipa_rechecks_publishes_decides_and_confirms(page, browser, live_server, handed_in, cnipa, call):
    apps = handed_in                  # three counted, the fourth exempt (a protection centre, verified by Jiangsu)
    tidy_call(call)
    for application, name in zip(apps, NAMES):           # names a reader of the screenshots can tell apart
        Application.objects.filter(pk=application.pk).update(name=name)
    enrol(cnipa)
    log_in(page, "cnipa")

    # --- Re-check: the exemption is rejected, every application passes ---------------------------
    visit(page, f"/review/?call={call.pk}&state=national_review")
    assert page.locator("a[href*='/review/applications/']").count() == 4
    visit(page, f"/review/applications/{apps[3].pk}/")
    page.check("[name=national-status][value=rejected]")
    page.fill("[name=national-note]", "保护中心认定文件已过有效期。")
    submit(page, f"form[action$='/review/applications/{apps[3].pk}/claims/national/'] button")
    assert Application.objects.get(pk=apps[3].pk).national_exemption_status == ClaimStatus.REJECTED
    for application in apps:
        visit(page, f"/review/applications/{application.pk}/")
        decide(page, application.pk, "recheck_pass", note="材料齐全。")
        assert Application.objects.get(pk=application.pk).state == State.RECHECK_PASSED

    # --- Jiangsu is over quota: the dashboard says so and publishing is blocked -----------------------
    visit(page, f"/review/dashboard/?call={call.pk}")
    over = page.locator("tr.table-danger")
    assert over.count() == 1 and "江苏" in over.inner_text()
    assert "4 / 3" in over.inner_text()
    shot(page, "cnipa-dashboard")
    with page.expect_navigation():
        page.locator(f"a[href$='/review/calls/{call.pk}/notice/']").click()
    check_page(page)
    assert page.locator(f"form[action$='/notice/publish/'] button").is_disabled()
    assert "江苏" in page.locator("li.text-danger").inner_text()

    # --- Resolved by failing the last-ranked counted application -------------------------------------
    visit(page, f"/review/applications/{apps[2].pk}/")
    decide(page, apps[2].pk, "recheck_fail", reason="江苏省超出推荐名额，按推荐排序不予通过。")
    assert Application.objects.get(pk=apps[2].pk).state == State.RECHECK_FAILED
    visit(page, f"/review/dashboard/?call={call.pk}")
    assert page.locator("tr.table-danger").count() == 0

    # --- Publish the proposed list --------------------------------------------------------------
    visit(page, f"/review/calls/{call.pk}/notice/")
    submit(page, f"form[action$='/notice/publish/'] button")
    # The preview: the exact list, the dates the calendar computes, who is told — and nothing published yet.
    preview = page.locator("#preview-table").inner_text()
    assert page.locator("#preview-table tbody tr").count() == 3
    assert all(name in preview for name in (NAMES[0], NAMES[1], NAMES[3])) and NAMES[2] not in preview
    assert page.locator("#preview-sends-table tbody tr").count() == 3
    period = page.locator("[data-period] strong").inner_text()
    assert not Notice.objects.filter(call=call).exists()
    shot(page, "notice-publish-preview")
    shot_phone(page, "notice-publish-preview-phone")
    submit(page, "#preview-confirm")
    assert zh("The proposed list is published; the public notice is open.") in page.locator(".alert-success").inner_text()
    notice = Notice.objects.get(call=call)
    assert period == f"{notice.starts_on:%Y-%m-%d} — {notice.ends_on:%Y-%m-%d}"
    entries = list(notice.entries.order_by("number"))
    assert [e.name for e in entries] == [NAMES[0], NAMES[1], NAMES[3]]
    assert notice.starts_on == timezone.localdate() + datetime.timedelta(days=1) or not notice.dates_confirmed
    assert set(Application.objects.filter(pk__in=[e.application_id for e in entries])
               .values_list("state", flat=True)) == {State.ON_NOTICE}

    # --- The public: not open yet on the day of publication ------------------------------------
    public = new_page(browser, live_server)
    try:
        visit(public, "/notice/")
        assert public.url.endswith(f"/notice/{call.pk}/")
        assert public.locator("tbody tr").count() == 3
        assert public.locator("a[href*='/object/']").count() == 0, "objections offered before the period"
        visit(public, f"/notice/{call.pk}/object/{entries[0].pk}/")
        assert public.locator("[data-period=upcoming]").is_visible()
        assert public.locator("button[type=submit]", has_text=zh("Send the objection")).count() == 0

        # During the period: one objection, under real name.
        move_period(notice, -1, 5)
        visit(public, f"/notice/{call.pk}/")
        shot(public, "public-notice")
        with public.expect_navigation():
            public.locator(f"a[href$='/notice/{call.pk}/object/{entries[0].pk}/']").click()
        check_page(public)
        fill_objection(public, "王某某", "该园区所报服务次数与事实不符。")
        submit(public, "main form button[type=submit]")
        assert public.url.endswith(f"/notice/{call.pk}/object/done/")
        objection = Objection.objects.get()
        assert (objection.entry_id, objection.name, objection.decision) == (
            entries[0].pk, "王某某", ObjectionDecision.PENDING)
        # It counts once the objector follows the link mailed to the address given (SPEC §7).
        assert objection.confirmed_at is None
        visit(public, re.search(r"https?://\S+(/notice/objection/confirm/[\w-]+/)", deliver_mail()[-1].body).group(1))
        check_page(public)
        submit(public, "main form button[type=submit]")
        assert public.url.endswith(f"/notice/{call.pk}/object/done/")
        assert public.locator("[data-reference]").inner_text() == Objection.objects.get().reference

        # Another objector fills the form in, but sends it after the period has ended: refused, text kept.
        visit(public, f"/notice/{call.pk}/object/{entries[1].pk}/")
        fill_objection(public, "赵某某", "该单位专利导航人员数量不足。")
        move_period(notice, -8, -1)
        submit(public, "main form button[type=submit]")
        summary = public.locator(".error-summary")
        assert summary.is_visible()
        assert public.evaluate("document.activeElement.classList.contains('error-summary')")
        assert public.input_value("[name=reasons]") == "该单位专利导航人员数量不足。"
        assert Objection.objects.count() == 1
    finally:
        public.context.close()

    # --- CNIPA decides the objection and confirms the list --------------------------------------
    visit(page, f"/review/calls/{call.pk}/notice/")
    with page.expect_navigation():
        page.locator(f"a[href$='/review/objections/{objection.pk}/']").click()
    check_page(page)
    page.check("[name=decision][value=dismissed]")
    page.fill("[name=note]", "经核实，服务记录真实，异议不成立。")
    submit(page, f"form[action$='/review/objections/{objection.pk}/decide/'] button")
    assert Objection.objects.get(pk=objection.pk).decision == ObjectionDecision.DISMISSED

    visit(page, f"/review/calls/{call.pk}/notice/")
    if not Notice.objects.get(pk=notice.pk).dates_confirmed:  # a year the official calendar does not know yet
        submit(page, f"form[action$='/notice/dates/'] button")
    page.fill("[name=document_number]", DOCUMENT)
    submit(page, f"form[action$='/notice/final/'] button")
    assert page.locator("#preview-table tbody tr").count() == 3 and DOCUMENT in page.locator("main").inner_text()
    assert not Notice.objects.get(pk=notice.pk).is_final
    shot(page, "final-list-preview")
    submit(page, "#preview-confirm")
    assert zh("The list is confirmed: the bases are designated.") in page.locator(".alert-success").first.inner_text()
    assert set(Application.objects.filter(pk__in=[e.application_id for e in entries])
               .values_list("state", flat=True)) == {State.DESIGNATED}
    assert Notice.objects.get(pk=notice.pk).final_document_number == DOCUMENT
    assert AuditEvent.objects.filter(action="final_confirm").count() == 1

    # --- The public final list ------------------------------------------------------------------
    public = new_page(browser, live_server)
    try:
        visit(public, "/bases/")
        rows = public.locator("tbody tr")
        assert rows.count() == 3
        text = public.locator("main").inner_text()
        assert all(name in text for name in (NAMES[0], NAMES[1], NAMES[3]))
        assert NAMES[2] not in text
        assert DOCUMENT in text
        shot(public, "final-list")
    finally:
        public.context.close()
