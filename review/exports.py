"""Spreadsheets of the review side (SPEC §9)."""

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from applications.models import ServiceRecord, StaffMember
from navportal import xlsx

from .quota import counts_against_quota, has_priority

SUMMARY_COLUMNS = [
    ("序号", 6), ("推荐排序", 8), ("申报主体名称", 30), ("统一社会信用代码", 22), ("主体类型", 16), ("隶属关系", 14),
    ("所在地市", 12), ("重点产业领域", 24), ("是否占用名额", 10), ("免占名额类别及认定文件", 30),
    ("是否地方专利导航服务基地(优先推荐)及文号", 26), ("专利导航人员数", 10), ("服务次数", 8), ("联系人", 10),
    ("联系电话", 16), ("推荐意见", 40), ("备注", 20),
]


def _row_count(model):
    """The number of `model` rows (roster or services) of the recommendation's application, as a subquery: a
    join of both tables with COUNT(DISTINCT) multiplies the rows it reads (staff × services per application)."""
    return Coalesce(Subquery(model.objects.filter(application=OuterRef("application")).order_by().values(
        "application").annotate(n=Count("*")).values("n")), 0)


def with_counts(recommendations):
    """Recommendations with what a summary row needs, the roster and service counts included."""
    return (recommendations.select_related("application", "application__organisation", "application__city")
            .annotate(staff_count=_row_count(StaffMember), service_count=_row_count(ServiceRecord)))


def summary_row(number, recommendation, call, quota):
    """One row of 推荐汇总表 (SPEC §9). `quota` None: the package has none, so nothing occupies a place."""
    app = recommendation.application
    counts = quota is not None and counts_against_quota(app, call)
    exempt = f"{app.get_exempt_category_display()}（{app.exempt_document_number}）" if app.exempt_category else ""
    priority = f"是（{app.local_base_document_number}）" if has_priority(app) else "否"
    remarks = []
    if recommendation.score is not None:
        remarks.append(f"评分 {recommendation.score}")
    if app.exempt_category and counts_against_quota(app, call):
        remarks.append("免占名额申请未核实")
    return [number, recommendation.rank, app.name, app.organisation.credit_code, app.get_applicant_type_display(),
            app.get_affiliation_display(), app.city.name, app.industry_fields, "是" if counts else "否", exempt,
            priority, recommendation.staff_count, recommendation.service_count, app.contact_name,
            app.contact_mobile or app.contact_phone, recommendation.opinion, "；".join(remarks)]


def summary_rows(package):
    recommendations = with_counts(package.recommendations.all()).order_by("rank")
    for number, recommendation in enumerate(recommendations, start=1):
        yield summary_row(number, recommendation, package.call, package.quota)


def package_summary_response(package, user):
    # The official sheet is Chinese whatever the language of the person exporting it.
    with translation.override("zh-hans"):
        return _package_summary(package, user)


def _package_summary(package, user):
    workbook = xlsx.new_workbook()
    unit = package.unit.name
    sheet = xlsx.Sheet(workbook, "推荐汇总表", SUMMARY_COLUMNS, title_row=f"{package.call.title} 推荐汇总表（{unit}）")
    for row in summary_rows(package):
        sheet.append(row)
    sheet.append([], filtered=False)
    sheet.append(["推荐单位", unit], filtered=False)
    sheet.append(["填报人", user.display_name or user.username], filtered=False)
    sheet.append(["日期", timezone.localdate()], filtered=False)
    return xlsx.response(workbook, f"推荐汇总表-{unit}-{timezone.localdate():%Y%m%d}.xlsx")
