"""Spreadsheets of the review side (SPEC §9)."""

from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from applications.models import Application, ServiceRecord, StaffMember
from navportal import xlsx

from .quota import counts_against_quota, has_priority

SUMMARY_COLUMNS = [
    ("序号", 6), ("推荐排序", 8), ("申报主体名称", 30), ("统一社会信用代码", 22), ("主体类型", 16), ("隶属关系", 14),
    ("所在地市", 12), ("重点产业领域", 24), ("是否占用名额", 10), ("免占名额类别及认定文件", 30),
    ("是否地方专利导航服务基地(优先推荐)及文号", 26), ("专利导航人员数", 10), ("服务次数", 8), ("联系人", 10),
    ("联系电话", 16), ("推荐意见", 40), ("备注", 20),
]


def _row_count(model):
    """The number of `model` rows (roster or services) of the application, as a subquery: a join of both tables
    with COUNT(DISTINCT) multiplies the rows it reads (staff × services per application)."""
    return Coalesce(Subquery(model.objects.filter(application=OuterRef("pk")).order_by().values(
        "application").annotate(n=Count("*")).values("n")), 0)


# What summary_row reads of an application, the quota and priority rules (review/quota.py) and the encrypted
# phones' row identity included: an application's long texts and JSON columns are not read. A column missing here
# costs a query per row (tests/test_query_budgets.py, tests/review/test_national_exports.py).
SUMMARY_FIELDS = (
    "name", "applicant_type", "affiliation", "industry_fields", "contact_name", "contact_mobile", "contact_phone",
    "crypt_id", "exempt_category", "exempt_document_number", "exemption_status", "national_exemption_status",
    "local_base", "local_base_document_number", "priority_status",
)


def summary_applications(applications, *fields, **annotations):
    """The recommended `applications` with what a summary row shows, and only that: their organisation's
    credit code, their city's name, their recommendation's rank, score and opinion and their roster and service
    counts as annotations; `fields` and `annotations`: the caller's own columns.

    Read from the application's side, the other tables' values as columns, rather than as recommendations with
    their applications, organisations and cities: a recommendation and its application (one to one) loaded
    together refer to each other, a reference cycle per row that only the garbage collector frees — the national
    summary's memory grew with its rows —, and a row is one model instance instead of seven (building them was
    the largest cost of reading the rows)."""
    return (applications.only(*SUMMARY_FIELDS, *fields)
            .annotate(organisation_credit_code=F("organisation__credit_code"), city_name=F("city__name"),
                      rank=F("recommendation__rank"), score=F("recommendation__score"),
                      opinion=F("recommendation__opinion"), staff_count=_row_count(StaffMember),
                      service_count=_row_count(ServiceRecord), **annotations))


def summary_row(number, app, call, quota):
    """One row of 推荐汇总表 (SPEC §9) for an application of summary_applications. `quota` None: the package
    has none, so nothing occupies a place."""
    counts = quota is not None and counts_against_quota(app, call)
    exempt = f"{app.get_exempt_category_display()}（{app.exempt_document_number}）" if app.exempt_category else ""
    priority = f"是（{app.local_base_document_number}）" if has_priority(app) else "否"
    remarks = []
    if app.score is not None:
        remarks.append(f"评分 {app.score}")
    if app.exempt_category and counts_against_quota(app, call):
        remarks.append("免占名额申请未核实")
    return [number, app.rank, app.name, app.organisation_credit_code, app.get_applicant_type_display(),
            app.get_affiliation_display(), app.city_name, app.industry_fields, "是" if counts else "否", exempt,
            priority, app.staff_count, app.service_count, app.contact_name, app.contact_mobile or app.contact_phone,
            app.opinion, "；".join(remarks)]


def summary_rows(package):
    applications = summary_applications(Application.objects.filter(recommendation__package=package))
    for number, application in enumerate(applications.order_by("recommendation__rank"), start=1):
        yield summary_row(number, application, package.call, package.quota)


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
