"""A base of the demo followed through the browser (issue 19's done-when: "a base designated in the demo can be
followed through one full year"): `manage.py load_demo` as `make run` loads it, then 镇江, designated in 2025 — its
first year already there (plan, projects with their results, the 2025 report forwarded and received, the 2025
assessment published: excellent, with the reasons) — goes on into this year as its people would: it files a new
project and submits this year's report; Jiangsu (prov-32) checks the project and forwards the report; CNIPA receives
it and reads the 2025 results with their chart; the public list shows the bases' standings (盐城 under
rectification for its missed report, 连云港 revoked by document).

The demo accounts' own password and second factor, as a person trying the demo would use them (README)."""

from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from bases.models import AnnualReport, Project, ReportState
from portal.management.commands.load_demo import DEMO_PASSWORD

from .conftest import BROWSER_TEST, log_in, log_out, shot, submit, visit, zh

pytestmark = BROWSER_TEST

ZHENJIANG = "示例·镇江高新技术产业开发区"


def test_a_demo_base_goes_on_into_its_second_year(page, live_server):
    with override_settings(DEBUG=True):  # load_demo refuses production settings
        call_command("load_demo")
    year = timezone.localdate().year

    # The base: last year's result with its reasons, then this year's work.
    log_in(page, "zhenjiang@example.cn", password=DEMO_PASSWORD)
    visit(page, "/base/")
    result = page.locator("#assessment-2025, [id^='assessment-'][id$='-2025']").first
    assert "90.00" in result.inner_text() and zh("Excellent (优秀)") in result.inner_text()
    assert "方案落实到位" in result.inner_text()  # an assessor's reason, as the base reads it
    submit(page, f"a:has-text('{zh('File a project')}')", check=False)
    page.fill("[name=title]", "镇江集成电路产业专利导航（第二年）")
    page.fill("[name=need]", "支撑集成电路产业链补链强链。")
    page.check("[name=client_kind][value=authority]")
    page.fill("[name=client]", "镇江市工业和信息化局")
    page.select_option("[name=project_type]", "industry")
    page.fill("[name=service_body]", "某知识产权服务有限公司")
    page.fill("[name=funding]", "40")
    page.fill("[name=funding_source]", "市级知识产权专项资金")
    page.fill("[name=approved_on]", timezone.localdate().isoformat())
    submit(page, "main form button:not([name])")
    assert page.url.endswith("/base/")
    project = Project.objects.get(title="镇江集成电路产业专利导航（第二年）")
    page.locator("a", has_text=f"{year}年度基地建设情况报告").first.click()
    page.wait_for_load_state()
    page.fill("[name=demand_matching]", "走访企业40家，梳理需求15项。")
    page.fill("[name=organisation]", "建设方案按年度目标推进，新立项目1项。")
    page.fill("[name=promotion]", "上年度两个项目成果持续应用。")
    shot(page, "demo-base-report-second-year")
    submit(page, "button[name=submit]")
    report = AnnualReport.objects.get(base__name=ZHENJIANG, period__year=year)
    assert report.state == ReportState.SUBMITTED and report.figures["projects_filed"] >= 1
    log_out(page)

    # Jiangsu checks the new project and forwards the report with its opinion.
    log_in(page, "prov-32", password=DEMO_PASSWORD)
    visit(page, f"/review/bases/{project.base_id}/projects/{project.pk}/")
    page.check("[name=decision][value=acknowledge]")
    submit(page, "main form button")
    visit(page, f"/review/reports/{report.period_id}/{report.pk}/")
    page.check("[name=decision][value=forward]")
    page.fill("[name=text]", "经审核，同意报送。")
    submit(page, "main form button")
    log_out(page)

    # CNIPA receives it, and reads last year's results with their chart.
    log_in(page, "cnipa", password=DEMO_PASSWORD)
    visit(page, f"/review/reports/{report.period_id}/{report.pk}/")
    submit(page, f"button:has-text('{zh('Receive the report')}')")
    report.refresh_from_db()
    project.refresh_from_db()
    assert (report.state, report.opinion, project.state) == (ReportState.RECEIVED, "经审核，同意报送。", "acknowledged")
    last_year = AnnualReport.objects.filter(base__name=ZHENJIANG, period__year=2025).values_list(
        "period_id", flat=True).get()
    visit(page, f"/review/assessment/{last_year}/")
    assert page.locator("svg.grade-chart rect").count() >= 3
    log_out(page)

    # The public list: every standing at once.
    visit(page, "/bases/")
    rows = {name: page.locator("tbody tr", has_text=name).locator("td").last.inner_text() for name in (
        ZHENJIANG, "示例·盐城经济技术开发区", "示例·连云港经济技术开发区")}
    assert zh("Active") in rows[ZHENJIANG] and zh("Under rectification") in rows["示例·盐城经济技术开发区"]
    assert zh("Revoked") in rows["示例·连云港经济技术开发区"] and "87号" in rows["示例·连云港经济技术开发区"]
