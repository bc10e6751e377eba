"""A base's first year after designation in a browser (SPEC §12, issue 19's done-when): its contact files the
construction plan, two navigation projects carried through to acceptance with their deliverables and evidence of use,
and a training; Jiangsu checks each; CNIPA opens the year's reporting; the base writes its report, saves it, submits
it with the figures its filings give; Jiangsu returns it once, then forwards it with its opinion; CNIPA receives it,
sets up the assessment from the standard set, scores the base, publishes — the base good, the two others unqualified
and put under rectification —; one of them answers and is restored, the other's title is revoked by document. The
base reads its grade with the reasons; the public list shows each standing; the results page draws its chart and
gives the table as a spreadsheet.

Three Jiangsu bases, designated through the services as tests/bases/conftest.py does (one of the four handed in fails
CNIPA's re-check, so that the list stays short). The two other bases are scored by another assessor through the
services; the journey's base is scored in the browser.
"""

import datetime
import io
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from openpyxl import load_workbook

from applications.models import Application, Organisation
from bases import assessment
from bases.models import (
    AnnualReport, AssessmentResult, AssessmentScheme, Base, BaseStatus, ConstructionPlan, FilingState, Grade,
    IndicatorKind, Project, PublicService, Rectification, RectificationOutcome, RectificationReason, ReportingPeriod,
    ReportState,
)
from navportal.demo.content import TINY_PDF
from review import national
from tests.review.test_national import cnipa, handed_in, pass_all, publish  # noqa: F401 (fixtures)
from tests.review.test_public import shift

from .conftest import BROWSER_TEST, check_page, enrol, log_in, new_page, shot, submit, tidy_call, visit, zh

pytestmark = BROWSER_TEST

DESIGNATION = "国知办发运字〔2026〕36号"
REVOCATION = "国知办发运字〔2026〕48号"
# By the applications handed in: the third fails CNIPA's re-check and is not designated.
NAMES = ["示例·苏州工业园区", "示例·南京江北新区", "示例·常州科教城", "示例·无锡高新技术产业开发区"]
GOOD, RECTIFIED, REVOKED = NAMES[0], NAMES[1], NAMES[3]
SCORES = {"建设方案落实情况": ("9", "建设方案按年度目标推进，三项任务均有专人负责。"),
          "组织机构与人员保障": ("9", "设专门机构，专职人员8名，其中专利代理师3名。"),
          "经费保障": ("8", "年度经费到位，但自筹比例偏低。")}
RETURN_REASON = "请补充两个项目成果在园区企业中的具体应用情况。"
OPINION = "报告内容完整，项目成果应用情况属实，同意报送。"
ANSWER = "已充实专职人员并落实年度经费，补报两个专利导航项目立项材料。"


def designate(cnipa, apps, call):
    """Three of the four Jiangsu applications designated by a confirmed list (the third fails the re-check); named as
    a reader of the screenshots can tell apart. Their bases by name."""
    tidy_call(call)
    for application, name in zip(apps, NAMES):
        Application.objects.filter(pk=application.pk).update(name=name)
        Organisation.objects.filter(pk=application.organisation_id).update(name=name)
    national.recheck_fail(actor=cnipa, application_id=apps[2].pk, reason="服务能力证明材料不足，择优保留。")
    pass_all(cnipa, [apps[0], apps[1], apps[3]])
    notice = shift(publish(cnipa, call), -10, -3)
    national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number=DESIGNATION,
                           document_date=timezone.localdate() - datetime.timedelta(days=1))
    return {base.name: base for base in Base.objects.all()}


def day(days_ago):
    """A date `days_ago` before today, but not before the year began: what the year's figures count."""
    today = timezone.localdate()
    return max(today - datetime.timedelta(days=days_ago), today.replace(month=1, day=1))


def moment(hours):
    """A datetime-local input's value, `hours` from now in the portal's time zone."""
    return f"{timezone.localtime() + datetime.timedelta(hours=hours):%Y-%m-%dT%H:%M}"


def click(page, locator):
    """Click a button or link that leads to another page, wait for it and check it (submit() by a locator)."""
    with page.expect_navigation():
        locator.click()
    check_page(page)


def success(page):
    return page.locator(".alert-success").inner_text()


def figures(page):
    """The figures panel beside a report: {label: number}."""
    panel = page.locator("main dl.small")
    return dict(zip(panel.locator("dt").all_inner_texts(), (int(n) for n in panel.locator("dd").all_inner_texts())))


def status_of(public, name):
    return public.locator("tbody tr", has_text=name).locator("td").last.inner_text().splitlines()


def file_project(page, base, *, title, need, client_kind, client, project_type, stages):
    """The base's contact files a project from its page: what it is, for whom, and the stages reached so far (days
    ago, in their order: approved, tendered, running)."""
    click(page, page.locator(f"main a[href='/base/{base.pk}/projects/new/']"))
    page.fill("[name=title]", title)
    page.fill("[name=need]", need)
    page.check(f"[name=client_kind][value={client_kind}]")
    page.fill("[name=client]", client)
    page.select_option("[name=project_type]", value=project_type)
    page.fill("[name=service_body]", "示例·苏州工业园区专利导航服务中心")
    page.fill("[name=funding]", "45")
    page.fill("[name=funding_source]", "园区知识产权专项资金")
    for field, days_ago in zip(("approved_on", "tendered_on", "started_on"), stages):
        page.fill(f"[name={field}]", f"{day(days_ago):%Y-%m-%d}")


def accept(page, *, days_ago, deliverables, evidence):
    """On a project's form: accepted (验收) `days_ago`, with its deliverables and the evidence that they are in use."""
    page.fill("[name=accepted_on]", f"{day(days_ago):%Y-%m-%d}")
    for deliverable in deliverables:
        page.check(f"[name=deliverables][value={deliverable}]")
    page.set_input_files("[name=evidence]", str(evidence))


def file_it(page):
    submit(page, "main form button.btn-primary")
    assert zh("The project was filed with the bureau that supervises the base.") in success(page)


def test_a_base_s_year_plan_projects_report_review_assessment_rectification_and_revocation(
        page, browser, live_server, handed_in, cnipa, call, reviewers, tmp_path):
    bases = designate(cnipa, handed_in, call)
    good, rectified, revoked = bases[GOOD], bases[RECTIFIED], bases[REVOKED]
    assert len(bases) == 3
    year = timezone.localdate().year
    pdf = tmp_path / "成果应用证明.pdf"
    pdf.write_bytes(TINY_PDF)
    plan_pdf = tmp_path / "建设方案.pdf"
    plan_pdf.write_bytes(TINY_PDF)
    enrol(cnipa)
    province = enrol(reviewers["province_js"])
    log_in(page, "cnipa")
    base_page = new_page(browser, live_server)
    jiangsu = new_page(browser, live_server)
    others = []
    try:
        log_in(base_page, good.organisation.members.get().email)
        log_in(jiangsu, province.username)

        # --- 1. The base's contact files its construction plan, two projects and a training ----------------------
        visit(base_page, "/base/")
        click(base_page, base_page.locator(f"main a[href='/base/{good.pk}/plan/']"))
        base_page.fill("[name=summary]", "需求对接：建立园区重点产业专利导航需求库；组织管理：设基地办公室，专人负责；"
                                         "应用推广：每年开展专利导航成果发布和培训。")
        base_page.set_input_files("[name=file]", str(plan_pdf))
        submit(base_page, "main form button.btn-primary")
        assert zh("The construction plan was filed with the bureau that supervises the base.") in success(base_page)
        # One project filed once it was accepted, every stage at once ...
        file_project(base_page, good, title="集成电路产业规划类专利导航", need="摸清园区集成电路产业链专利布局，"
                     "提出补链强链的技术路线。", client_kind="authority", client="苏州工业园区科技创新委员会",
                     project_type="industry", stages=(300, 270, 240))
        accept(base_page, days_ago=60, deliverables=("report", "database"), evidence=pdf)
        shot(base_page, "base-year-project-form")
        file_it(base_page)
        # ... the other filed while it ran, and again at its acceptance with the evidence of use.
        file_project(base_page, good, title="生物医药企业研发专利导航", need="为园区创新药企业的在研管线"
                     "识别专利风险和布局空白。", client_kind="innovator", client="示例·苏州某生物医药有限公司",
                     project_type="research", stages=(200, 180, 150))
        file_it(base_page)
        assert zh("Running (执行)") in base_page.locator("main tr", has_text="生物医药企业研发专利导航").inner_text()
        click(base_page, base_page.locator("main table a", has_text="生物医药企业研发专利导航"))
        assert base_page.input_value("[name=started_on]") == f"{day(150):%Y-%m-%d}"
        accept(base_page, days_ago=20, deliverables=("report", "tool"), evidence=pdf)
        file_it(base_page)
        click(base_page, base_page.locator(f"main a[href='/base/{good.pk}/services/new/']"))
        base_page.check("[name=kind][value=training]")
        base_page.fill("[name=title]", "园区企业专利导航实务培训")
        base_page.fill("[name=held_on]", f"{timezone.localdate():%Y-%m-%d}")
        base_page.fill("[name=participants]", "200")
        base_page.fill("[name=description]", "讲解专利导航指南系列国家标准和项目组织实施。")
        submit(base_page, "main form button.btn-primary")
        assert zh("Filed with the bureau that supervises the base.") in success(base_page)
        projects = base_page.locator("main table").first.locator("tbody tr").all_inner_texts()
        assert len(projects) == 2 and all(zh("Accepted (验收)") in text for text in projects)
        assert [p.state for p in Project.objects.filter(base=good)] == [FilingState.FILED] * 2

        # --- 2. Jiangsu checks the plan, each project on its page, and the training -------------------------------
        visit(jiangsu, "/review/bases/")
        click(jiangsu, jiangsu.locator("tbody a", has_text=GOOD))
        jiangsu.check("form[action$='/plan/check/'] [name=decision][value=acknowledge]")
        submit(jiangsu, "form[action$='/plan/check/'] button")
        assert zh("Recorded; the base was told.") in success(jiangsu)
        for project in Project.objects.filter(base=good):
            click(jiangsu, jiangsu.locator("main table a", has_text=project.title))
            assert f"{project.accepted_on:%Y-%m-%d}" in jiangsu.locator("main dl").inner_text()
            jiangsu.check("[name=decision][value=acknowledge]")
            submit(jiangsu, f"form[action$='/projects/{project.pk}/check/'] button")
            assert zh("Recorded; the base was told.") in success(jiangsu)
            click(jiangsu, jiangsu.locator(".breadcrumb a", has_text=GOOD))
        submit(jiangsu, "form[action*='/services/'][action$='/check/'] button")
        assert zh("Recorded.") in success(jiangsu)
        assert [p.state for p in Project.objects.filter(base=good)] == [FilingState.ACKNOWLEDGED] * 2
        assert (ConstructionPlan.objects.get(base=good).state, PublicService.objects.get(base=good).state) == (
            FilingState.ACKNOWLEDGED, FilingState.ACKNOWLEDGED)
        assert all(p.in_use for p in Project.objects.filter(base=good))

        # --- 3. CNIPA opens the year's reporting ------------------------------------------------------------------
        visit(page, "/review/reports/")
        page.fill("[name=year]", str(year))
        page.fill("[name=title]", f"{year}年度国家级专利导航服务基地建设情况报告")
        page.fill("[name=opens_at]", moment(-1))
        page.fill("[name=deadline]", moment(24 * 30))
        page.fill("[name=review_deadline]", moment(24 * 45))
        submit(page, "main form button.btn-primary")
        assert zh("The reporting period is open; the bases were told.") in success(page)
        period = ReportingPeriod.objects.get(year=year)
        assert page.url.endswith(f"/review/reports/{period.pk}/")

        # --- 4. The base writes its report, saves a draft, submits it -----------------------------------------------
        visit(base_page, "/base/")
        click(base_page, base_page.locator(f"main a[href='/base/{good.pk}/reports/{period.pk}/']"))
        base_page.fill("[name=demand_matching]", "走访园区重点企业42家，收集专利导航需求17项，对接完成12项。")
        base_page.fill("[name=organisation]", "建设方案经江苏省知识产权局确认；基地办公室专职人员8名；"
                                              "年内立项并验收专利导航项目2项。")
        submit(base_page, "main form button[name=save]")
        assert zh("Saved.") in success(base_page)
        assert AnnualReport.objects.get(base=good).state == ReportState.DRAFT
        assert base_page.input_value("[name=organisation]").startswith("建设方案经江苏省知识产权局确认")
        base_page.fill("[name=promotion]", "两个项目成果均已应用：集成电路产业专利数据库向园区企业开放。")
        submit(base_page, "main form button[name=submit]")
        assert zh("The report was submitted to the bureau that supervises the base.") in success(base_page)
        shown = figures(base_page)
        assert (shown[zh("Projects accepted in the year")], shown[zh("Of those, results in use")],
                shown[zh("Trainings")], shown[zh("Participants")]) == (2, 2, 1, 200)
        report = AnnualReport.objects.get(base=good)
        assert (report.state, report.figures["projects_completed"], report.figures["results_in_use"]) == (
            ReportState.SUBMITTED, 2, 2)

        # --- 5. Jiangsu returns it once; the base revises and submits again; Jiangsu forwards it; CNIPA receives ---
        visit(jiangsu, f"/review/reports/{period.pk}/")
        click(jiangsu, jiangsu.locator("tbody a", has_text=GOOD))
        jiangsu.check("[name=decision][value=return]")
        jiangsu.fill("[name=text]", RETURN_REASON)
        submit(jiangsu, "form[action$='/review/'] button")
        assert AnnualReport.objects.get(base=good).state == ReportState.RETURNED
        visit(base_page, f"/base/{good.pk}/reports/{period.pk}/")
        assert RETURN_REASON in base_page.locator(".alert-warning").inner_text()
        base_page.fill("[name=promotion]", base_page.input_value("[name=promotion]")
                       + "生物医药项目形成的专利风险分析工具已在3家企业的研发立项中使用。")
        submit(base_page, "main form button[name=submit]")
        assert AnnualReport.objects.get(base=good).state == ReportState.SUBMITTED
        visit(jiangsu, jiangsu.url)
        assert "3家企业" in jiangsu.locator("main").inner_text()
        jiangsu.check("[name=decision][value=forward]")
        jiangsu.fill("[name=text]", OPINION)
        shot(jiangsu, "base-year-report-review")
        submit(jiangsu, "form[action$='/review/'] button")
        assert zh("Recorded; the base was told.") in success(jiangsu)
        visit(page, f"/review/reports/{period.pk}/{report.pk}/")
        submit(page, "form[action$='/receive/'] button")
        assert zh("Received.") in success(page)
        report.refresh_from_db()
        assert (report.state, report.opinion) == (ReportState.RECEIVED, OPINION)

        # --- 6. CNIPA's assessment: the standard set, the thresholds, the scores; published ------------------------
        visit(page, f"/review/assessment/{period.pk}/")
        submit(page, "form:has(input[name=action][value=standard]) button")
        assert page.locator("main table").first.locator("tbody tr").count() == 8
        page.fill("[name=excellent]", "90")
        page.fill("[name=good]", "75")
        page.fill("[name=qualified]", "60")
        submit(page, "form:has(input[name=action][value=thresholds]) button")
        assert zh("Saved.") in success(page)
        scheme = AssessmentScheme.objects.get(period=period)
        assert (scheme.excellent, scheme.good, scheme.qualified) == (Decimal(90), Decimal(75), Decimal(60))
        # Another assessor scores the two other bases low (their filings, none, give no computed points either).
        scored = list(scheme.indicators.filter(kind=IndicatorKind.SCORED))
        for base in (rectified, revoked):
            for indicator in scored:
                assessment.score_save(actor=cnipa, period_id=period.pk, base_id=base.pk, indicator_id=indicator.pk,
                                      points=Decimal(3), reason="未报送建设方案和年度报告，人员和经费保障不足。")
        visit(page, f"/review/assessment/{period.pk}/")
        click(page, page.locator("tbody a", has_text=GOOD))
        accepted = page.locator("main section", has_text="验收的专利导航项目")
        assert accepted.locator("p").inner_text() == zh(
            "Computed from the checked filings: %(value)s of %(target)s for full points.") % {"value": 2, "target": 2}
        assert accepted.locator("strong").inner_text() == "15.00"
        for name, (points, reason) in SCORES.items():
            section = page.locator("main section", has_text=name)
            section.locator("[name=points]").fill(points)
            section.locator("[name=reason]").fill(reason)
            click(page, section.locator("button"))
            assert zh("Saved.") in success(page)
        # 2 of 3 projects approved 13.33 + 2 of 2 accepted 15 + results in use 15 + no service 0 + 200 trained 10
        # + the scores 26.
        total = page.locator("main p.text-muted strong").inner_text()
        assert total == "79.33"
        click(page, page.locator(".breadcrumb a").first)
        page.fill("[name=rectify_by]", f"{timezone.localdate() + datetime.timedelta(days=30):%Y-%m-%d}")
        page.check("[name=confirm]")
        submit(page, "form[action$='/publish/'] button")
        assert zh("Published; each base was told. Rectifications opened: %(n)s.") % {"n": 2} in success(page)
        results = {r.base.name: (r.total, r.grade) for r in AssessmentResult.objects.select_related("base")}
        assert results == {GOOD: (Decimal("79.33"), Grade.GOOD), RECTIFIED: (Decimal("9.00"), Grade.UNQUALIFIED),
                           REVOKED: (Decimal("9.00"), Grade.UNQUALIFIED)}
        assert [Base.objects.get(pk=b.pk).status for b in (good, rectified, revoked)] == [
            BaseStatus.ACTIVE, BaseStatus.RECTIFYING, BaseStatus.RECTIFYING]
        assert page.locator("main figure svg.grade-chart rect").count() == 2       # Jiangsu: one good, two unqualified
        shot(page, "base-year-assessment-results")
        with page.expect_download() as download:
            page.locator("main a[href$='/results.xlsx']").click()
        assert download.value.suggested_filename == f"考核结果-{year}.xlsx"
        sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))["考核结果"]
        rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
        assert [(row[1], row[-2], row[-1]) for row in rows] == [
            (GOOD, 79.33, zh("Good (良好)")), (RECTIFIED, 9.0, zh("Unqualified (不合格)")),
            (REVOKED, 9.0, zh("Unqualified (不合格)"))]

        # --- 7. One unqualified base answers its rectification and CNIPA closes it; the other is revoked ----------
        other = new_page(browser, live_server)
        others.append(other)
        log_in(other, rectified.organisation.members.get().email)
        visit(other, "/base/")
        requirement = other.locator("main .card.border-warning").inner_text()
        assert zh("Graded unqualified in the assessment") in requirement
        assert zh("Unqualified (不合格)") in other.locator(f"#assessment-{year}").inner_text()
        other.fill("[name=answer]", ANSWER)
        submit(other, f"form[action$='/base/{rectified.pk}/rectification/answer/'] button")
        assert zh("Your answer went to CNIPA.") in success(other)
        visit(page, f"/review/bases/{rectified.pk}/")
        assert ANSWER in page.locator("main").inner_text()
        page.fill("[name=note]", "人员和经费已落实，整改到位。")
        submit(page, f"form[action$='/review/bases/{rectified.pk}/rectification/close/'] button")
        assert zh("The rectification was closed; the base is active again.") in success(page)
        visit(page, f"/review/bases/{revoked.pk}/")
        revoke = f"form[action$='/review/bases/{revoked.pk}/revoke/']"
        page.fill(f"{revoke} [name=document_number]", REVOCATION)
        page.fill(f"{revoke} [name=reason]", "考核不合格，整改期内未提交整改报告。")
        page.check(f"{revoke} [name=confirm]")
        submit(page, f"{revoke} button")
        assert zh("The title was revoked; the public list shows the document.") in success(page)
        outcomes = {r.base_id: (r.reason, r.outcome) for r in Rectification.objects.all()}
        assert outcomes == {rectified.pk: (RectificationReason.UNQUALIFIED, RectificationOutcome.CLOSED),
                            revoked.pk: (RectificationReason.UNQUALIFIED, RectificationOutcome.REVOKED)}

        # --- 8. The base reads its grade and the reasons; the public list shows each standing ----------------------
        visit(base_page, "/base/")
        result = base_page.locator(f"#assessment-{year}").inner_text()
        assert "79.33" in result and zh("Good (良好)") in result
        assert all(reason in result for _points, reason in SCORES.values())
        shot(base_page, "base-year-own-result")
        public = new_page(browser, live_server)
        others.append(public)
        visit(public, "/bases/")
        assert [status_of(public, name)[0] for name in (GOOD, RECTIFIED, REVOKED)] == [
            zh("Active"), zh("Active"), zh("Revoked")]
        assert REVOCATION in status_of(public, REVOKED)[1]
        assert public.locator("tbody tr", has_text=NAMES[2]).count() == 0     # failed the re-check: never designated
    finally:
        for other in (base_page, jiangsu, *others):
            other.context.close()
