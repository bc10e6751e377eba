"""CNIPA's spreadsheets (SPEC §9): the national summary with its per-unit counts, the proposed list and the
final list. Always in Chinese, whatever the language of the person exporting: they are official sheets."""

from django.db.models import F
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from applications.enums import State
from applications.models import Application
from navportal import seals, xlsx
from navportal.errors import PortalError

from . import deadlines
from .exports import SUMMARY_COLUMNS, summary_applications, summary_row
from .progress import unit_progress, unit_totals
from .selectors import with_final_numbers

# The province summary's columns, with the recommending unit after the applicant's name and the
# re-check outcome at the end.
_NAME_AT = [header for header, _width in SUMMARY_COLUMNS].index("申报主体名称") + 1
NATIONAL_COLUMNS = [*SUMMARY_COLUMNS[:_NAME_AT], ("推荐单位", 14), *SUMMARY_COLUMNS[_NAME_AT:],
                    ("复核结果", 12), ("复核意见", 36)]

# What a row of the national summary reads of the application beyond the province summary's
# (exports.SUMMARY_FIELDS): the re-check outcome.
NATIONAL_FIELDS = ("state", "recheck_note")

UNIT_COLUMNS = [("推荐单位", 22), ("收到申请数", 10), ("推荐数", 8), ("占用名额数", 10), ("免占名额数", 10),
                ("是否超出名额", 10), ("推荐材料是否报送", 12), ("是否按时", 10)]

LIST_COLUMNS = [("序号", 6), ("基地名称（申报主体）", 44), ("所在省份", 14), ("重点产业领域", 40)]

# The re-check outcome as CNIPA's sheet names it. A recommendation in a package not handed in yet has
# not reached CNIPA.
RECHECK_RESULT = {
    State.RECOMMENDED: "未报送",
    State.NATIONAL_REVIEW: "复核中",
    State.RECHECK_PASSED: "复核通过",
    State.RECHECK_FAILED: "复核未通过",
    State.RETURNED_TO_UNIT: "退回推荐单位",
    State.ON_NOTICE: "公示中",
    State.DESIGNATED: "已认定",
    State.NOT_DESIGNATED: "未认定",
}


# (推荐材料是否报送, 是否按时) by review.deadlines.hand_in_status.
HAND_IN = {
    deadlines.NOT_HANDED_IN: ("未报送", "未报送"),
    deadlines.ON_TIME: ("已报送", "按时"),
    deadlines.LATE: ("已报送", "逾期"),
}


def national_summary_response(call, user):
    """全国汇总表 of `call`: every recommendation of every package, and the counts per recommending unit."""
    with translation.override("zh-hans"):
        return _national_summary(call, user)


def _national_summary(call, user):
    """Written row by row (navportal.xlsx: one row in memory at a time) and sent from a temporary file: memory
    stays flat whatever the number of recommendations — rows are read 100 at a time and none is kept."""
    workbook = xlsx.new_workbook()
    sheet = xlsx.Sheet(workbook, "全国汇总表", NATIONAL_COLUMNS, title_row=f"{call.title} 全国汇总表")
    applications = (
        summary_applications(
            Application.objects.filter(recommendation__package__call=call), *NATIONAL_FIELDS,
            package_quota=F("recommendation__package__quota"),
            unit_name=Coalesce("recommendation__package__province__name", "recommendation__package__ministry__name"))
        # Provinces by code, then ministries by code; within a package, by rank.
        .order_by(F("recommendation__package__province__code").asc(nulls_last=True),
                  "recommendation__package__ministry__code", "recommendation__package_id", "recommendation__rank"))
    for number, application in enumerate(applications.iterator(chunk_size=100), start=1):
        # 序号 runs through the whole sheet; 推荐排序 stays the unit's own rank.
        row = summary_row(number, application, call, application.package_quota)
        row.insert(_NAME_AT, application.unit_name)
        sheet.append([*row, RECHECK_RESULT.get(application.state, ""), application.recheck_note])
    sheet.append([], filtered=False)
    sheet.append(["填报人", user.display_name or user.username], filtered=False)
    sheet.append(["日期", timezone.localdate()], filtered=False)
    _unit_sheet(workbook, call)
    return xlsx.streamed_response(workbook, f"全国汇总表-{timezone.localdate():%Y%m%d}.xlsx")


def unit_rows(call):
    """One row per recommending unit of `call` — every province, a ministry once it has an application or a
    package —, provinces by code, then ministries by code (review.progress, two queries), and the totals."""
    listed = unit_progress(call)
    rows = [[row.body.name, row.received, row.recommended, row.counted, row.exempt, "是" if row.over else "否",
             *HAND_IN[row.hand_in]] for row in listed]
    sums = unit_totals(listed)
    return rows, [sums[name] for name in ("received", "recommended", "counted", "exempt")]


def _unit_sheet(workbook, call):
    sheet = xlsx.Sheet(workbook, "各单位统计", UNIT_COLUMNS, title_row=f"{call.title} 各单位统计")
    rows, totals = unit_rows(call)
    for row in rows:
        sheet.append(row)
    sheet.append(["合计", *totals], filtered=False)


# --- The lists attached to the notice ------------------------------------------------------------

def _list_workbook(notice, title):
    """The bases still on the list, numbered as the public page numbers them: during the notice by their
    numbers on the proposed list (which objections name), once confirmed 1 to n (review.selectors.
    with_final_numbers)."""
    workbook = xlsx.new_workbook()
    sheet = xlsx.Sheet(workbook, title, LIST_COLUMNS, title_row=title)
    entries = notice.entries.filter(removed_at__isnull=True).order_by("number")
    if notice.is_final:
        entries = with_final_numbers(entries)
    for entry in entries:
        sheet.append([entry.final_number if notice.is_final else entry.number, entry.name, entry.province_name,
                      entry.industry])
    return workbook, sheet


def check_list_seal(notice):
    """PortalError (code "seal") unless the list's seal verifies: an official sheet is made only of the list as
    published, never of one changed outside the portal."""
    verdict = notice.verify()
    if not verdict.intact:
        raise PortalError(seals.refusal(verdict, _("The list cannot be exported")), code="seal")


def proposed_list_response(notice):
    """拟确定名单 as attached to the public notice: the bases still on the list."""
    check_list_seal(notice)
    with translation.override("zh-hans"):
        workbook, _sheet = _list_workbook(notice, "国家级专利导航服务基地拟确定名单")
        return xlsx.response(workbook, f"国家级专利导航服务基地拟确定名单-{notice.starts_on:%Y%m%d}.xlsx")


def final_list_response(notice):
    """国家级专利导航服务基地名单 as confirmed by CNIPA's document; 404 until the list is confirmed."""
    if not notice.is_final:
        raise Http404("The list is not confirmed yet.")
    check_list_seal(notice)
    with translation.override("zh-hans"):
        workbook, sheet = _list_workbook(notice, "国家级专利导航服务基地名单")
        sheet.append([], filtered=False)
        sheet.append([f"依据：{notice.final_document_number}（{notice.final_document_date:%Y-%m-%d}）"], filtered=False)
        return xlsx.response(workbook, f"国家级专利导航服务基地名单-{notice.final_document_date:%Y%m%d}.xlsx")
