"""CNIPA's spreadsheets, reopened with openpyxl and read cell by cell: the national summary with its
per-unit counts, the proposed list and the final list."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from applications.enums import Affiliation, ApplicantType, ClaimStatus, ExemptCategory
from applications.models import Application
from navportal.demo.content import TINY_PDF
from review import national, services
from navportal.models import Province
from review.exports import package_summary_response
from review.models import Notice, Package
from review.national_exports import final_list_response, national_summary_response, proposed_list_response
from tests.conftest import make_applicant, object_confirmed, resealed

EXEMPT_DOCUMENT = "国知发保字〔2019〕1号"


@pytest.fixture
def cnipa(reviewers):
    return reviewers["national"]


def book(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    # The national summary is streamed from a temporary file; the lists are small and sent whole.
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(content))


def values(sheet, row):
    return [cell.value for cell in sheet[row]]


def exempt(application, reviewer):
    Application.objects.filter(pk=application.pk).update(exempt_category=ExemptCategory.PROTECTION_CENTRE,
                                                         exempt_document_number=EXEMPT_DOCUMENT)
    services.claim_check(actor=reviewer, application_id=application.pk, claim="exemption", status="verified")


def recommend(reviewer, apps, *, hand_in=True):
    for application in apps:
        services.application_recommend(actor=reviewer, application_id=application.pk, opinion="同意推荐")
    package = services.package_get_or_create(actor=reviewer, call=apps[0].call)
    if hand_in:
        services.package_attach_letter(actor=reviewer, package_id=package.pk,
                                       upload=SimpleUploadedFile("l.pdf", TINY_PDF))
        services.package_submit(actor=reviewer, package_id=package.pk)
    return Package.objects.get(pk=package.pk)


def fresh(application):
    return Application.objects.select_related("organisation", "city").get(pk=application.pk)


@pytest.fixture
def nation(reviewers, submitted, complete, city_institution, call, cnipa):
    """Jiangsu: four recommendations handed in on time, the exempt one rejected by CNIPA after passing (over
    quota), and one application still with a city. Zhejiang: a counted and an exempt one handed in late, the
    counted one failed, plus a draft. MOE: one recommendation in a package not handed in. CAS: one
    application at its desk, no package. Guangdong: a draft only."""
    js, zj = reviewers["province_js"], reviewers["province_zj"]
    jiangsu = [submitted(make_applicant(name, f"js{i}")) for i, name in enumerate(
        ["=1+1", "示例·江苏园区1", "示例·江苏园区2", "示例·江苏保护中心"])]
    submitted(city_institution)  # awaiting the city's consent: received by Jiangsu, not at its desk
    exempt(jiangsu[3], js)
    recommend(js, jiangsu)
    zhejiang = [submitted(make_applicant(name, f"zj{i}", city="330100"))
                for i, name in enumerate(["示例·浙江园区", "示例·浙江保护中心"])]
    complete(make_applicant("示例·浙江草稿", "zj-draft", city="330100"))
    exempt(zhejiang[1], zj)
    late = recommend(zj, zhejiang)
    Package.objects.filter(pk=late.pk).update(submitted_at=call.deadline + datetime.timedelta(hours=1))
    moe = submitted(make_applicant("示例·某大学中心", "moe-unit", applicant_type=ApplicantType.INSTITUTION,
                                   affiliation=Affiliation.MINISTRY, city="110108", ministry="moe"))
    recommend(reviewers["ministry_moe"], [moe], hand_in=False)
    cas = submitted(make_applicant("示例·某研究所中心", "cas-unit", applicant_type=ApplicantType.INSTITUTION,
                                   affiliation=Affiliation.MINISTRY, city="110108", ministry="cas"))
    complete(make_applicant("示例·广州草稿", "gd-draft", city="440100"))

    national.recheck_pass(actor=cnipa, application_id=jiangsu[0].pk)
    national.recheck_pass(actor=cnipa, application_id=jiangsu[1].pk)
    national.recheck_return_to_unit(actor=cnipa, application_id=jiangsu[2].pk, reason="推荐意见缺失")
    national.national_claim_check(actor=cnipa, application_id=jiangsu[3].pk, status=ClaimStatus.REJECTED,
                                  note="认定文件已过期")
    national.recheck_pass(actor=cnipa, application_id=jiangsu[3].pk, note="认定文件已过期")
    national.recheck_fail(actor=cnipa, application_id=zhejiang[0].pk, reason="服务次数不实")
    return {"jiangsu": [fresh(a) for a in jiangsu], "zhejiang": [fresh(a) for a in zhejiang],
            "moe": fresh(moe), "cas": fresh(cas)}


NATIONAL_HEADERS = ["序号", "推荐排序", "申报主体名称", "推荐单位", "统一社会信用代码", "主体类型", "隶属关系", "所在地市",
                    "重点产业领域", "是否占用名额", "免占名额类别及认定文件", "是否地方专利导航服务基地(优先推荐)及文号",
                    "专利导航人员数", "服务次数", "联系人", "联系电话", "推荐意见", "备注", "复核结果", "复核意见"]


def test_national_summary_cell_by_cell(nation, cnipa, call):
    workbook = book(national_summary_response(call, cnipa))
    assert workbook.sheetnames == ["全国汇总表", "各单位统计"]
    sheet = workbook["全国汇总表"]
    assert sheet["A1"].value == "测试批次 全国汇总表"
    assert sheet.freeze_panes == "A3"
    assert values(sheet, 2) == NATIONAL_HEADERS
    with translation.override("zh-hans"):
        park, institution = str(ApplicantType.NATIONAL_PARK.label), str(ApplicantType.INSTITUTION.label)
        city_affiliated, ministry_affiliated = str(Affiliation.CITY.label), str(Affiliation.MINISTRY.label)
        centre = f"{ExemptCategory.PROTECTION_CENTRE.label}（{EXEMPT_DOCUMENT}）"
    js0, _js1, _js2, js3 = nation["jiangsu"]
    moe = nation["moe"]

    assert values(sheet, 3) == [1, 1, "=1+1", "江苏省", js0.organisation.credit_code, park, city_affiliated, "苏州市",
                                "集成电路；生物医药", "是", None, "否", 5, 5, "李联络", "13800138000", "同意推荐", None,
                                "复核通过", None]
    assert sheet["C3"].data_type == "s"  # a formula-looking name stays text
    assert values(sheet, 4)[:4] == [2, 2, "示例·江苏园区1", "江苏省"]
    assert values(sheet, 4)[-2:] == ["复核通过", None]
    assert values(sheet, 5)[:4] == [3, 3, "示例·江苏园区2", "江苏省"]
    assert values(sheet, 5)[-2:] == ["退回推荐单位", "推荐意见缺失"]
    # The exemption CNIPA rejected: it counts now, and the remark says so.
    assert values(sheet, 6) == [4, 4, "示例·江苏保护中心", "江苏省", js3.organisation.credit_code, park, city_affiliated,
                                "苏州市", "集成电路；生物医药", "是", centre, "否", 5, 5, "李联络", "13800138000", "同意推荐",
                                "免占名额申请未核实", "复核通过", "认定文件已过期"]
    assert values(sheet, 7)[:4] == [5, 1, "示例·浙江园区", "浙江省"]
    assert values(sheet, 7)[7] == "杭州市"
    assert values(sheet, 7)[-2:] == ["复核未通过", "服务次数不实"]
    assert values(sheet, 8)[:4] == [6, 2, "示例·浙江保护中心", "浙江省"]
    assert values(sheet, 8)[9:11] == ["否", centre]
    assert values(sheet, 8)[-2:] == ["复核中", None]
    assert values(sheet, 9) == [7, 1, "示例·某大学中心", "教育部", moe.organisation.credit_code, institution,
                                # ministries have no quota in this call: nothing occupies a place
                                ministry_affiliated, moe.city.name, "集成电路；生物医药", "否", None, "否", 5, 5, "李联络",
                                "13800138000", "同意推荐", None, "未报送", None]
    footer = {r[0].value: r[1].value for r in sheet.iter_rows(min_row=10) if r[0].value}
    assert footer["填报人"] == "cnipa"
    assert footer["日期"].date() == timezone.localdate()
    assert [r[0].value for r in sheet.iter_rows(min_row=10)] == [None, "填报人", "日期"]


def test_per_unit_sheet(nation, cnipa, call):
    sheet = book(national_summary_response(call, cnipa))["各单位统计"]
    assert sheet["A1"].value == "测试批次 各单位统计"
    assert sheet.freeze_panes == "A3"
    assert values(sheet, 2) == ["推荐单位", "收到申请数", "推荐数", "占用名额数", "免占名额数", "是否超出名额",
                                "推荐材料是否报送", "是否按时"]
    rows = {values(sheet, n)[0]: values(sheet, n) for n in range(3, sheet.max_row + 1)}
    # Four handed in plus the city-route application still with the city; CNIPA's rejection of the
    # exemption makes four count against a quota of three.
    assert rows["江苏省"] == ["江苏省", 5, 4, 4, 0, "是", "已报送", "按时"]
    # The draft is not received; the failed recommendation no longer counts; handed in after the deadline.
    assert rows["浙江省"] == ["浙江省", 2, 2, 0, 1, "否", "已报送", "逾期"]
    # Ministries by code: CAS has an application at its desk and no package, MOE an open package.
    assert rows["中国科学院"] == ["中国科学院", 1, 0, 0, 0, "否", "未报送", "未报送"]
    assert rows["教育部"] == ["教育部", 1, 1, 1, 0, "否", "未报送", "未报送"]
    # Every province is listed, one that sent nothing too (Guangdong has a draft only), so that CNIPA sees
    # who is missing; a ministry with nothing in the call is no unit of it.
    assert rows["广东省"] == ["广东省", 0, 0, 0, 0, "否", "未报送", "未报送"]
    names = [values(sheet, n)[0] for n in range(3, sheet.max_row + 1)]
    assert names[:Province.objects.count()] == list(Province.objects.order_by("code").values_list("name", flat=True))
    assert names[Province.objects.count():] == ["中国科学院", "教育部", "合计"]
    assert rows["合计"] == ["合计", 9, 7, 5, 1, None, None, None]


def test_summary_queries_do_not_grow_with_packages(reviewers, submitted, call, cnipa):
    js, zj, moe = reviewers["province_js"], reviewers["province_zj"], reviewers["ministry_moe"]
    recommend(js, [submitted(make_applicant(f"示例·江苏园区{i}", f"js{i}")) for i in range(2)])
    with CaptureQueriesContext(connection) as one:
        first = book(national_summary_response(call, cnipa))
    recommend(zj, [submitted(make_applicant(f"示例·浙江园区{i}", f"zj{i}", city="330100")) for i in range(3)])
    recommend(moe, [submitted(make_applicant(f"示例·大学中心{i}", f"moe{i}", applicant_type=ApplicantType.INSTITUTION,
                                             affiliation=Affiliation.MINISTRY, city="110108", ministry="moe"))
                    for i in range(2)], hand_in=False)
    with CaptureQueriesContext(connection) as three:
        second = book(national_summary_response(call, cnipa))
    assert Package.objects.count() == 3
    assert [first["全国汇总表"].max_row, second["全国汇总表"].max_row] == [2 + 2 + 3, 2 + 7 + 3]
    provinces = Province.objects.count()
    assert [first["各单位统计"].max_row, second["各单位统计"].max_row] == [2 + provinces + 1, 2 + provinces + 1 + 1]
    assert len(one) == len(three) <= 3



def test_rows_are_read_with_every_column_they_show(nation, cnipa, call):
    """The summaries read only the columns a row shows (review.exports.SUMMARY_FIELDS): a verified local base,
    exemptions verified and rejected, re-check notes and the encrypted phones come with the rows, not one query
    per row later."""
    local_base = nation["jiangsu"][1]
    Application.objects.filter(pk=local_base.pk).update(local_base=True, local_base_document_number="苏知发〔2020〕1号",
                                                        priority_status=ClaimStatus.VERIFIED)
    with CaptureQueriesContext(connection) as queries:
        sheet = book(national_summary_response(call, cnipa))["全国汇总表"]
    assert len(queries) <= 3
    assert values(sheet, 4)[:3] == [2, 2, "示例·江苏园区1"]
    assert values(sheet, 4)[11] == "是（苏知发〔2020〕1号）"
    assert values(sheet, 4)[15] == "13800138000"
    package = Package.objects.select_related("call", "province").get(province__code="320000", call=call)
    with CaptureQueriesContext(connection) as queries:
        sheet = book(package_summary_response(package, cnipa))["推荐汇总表"]
    assert len(queries) <= 2
    assert values(sheet, 4)[10] == "是（苏知发〔2020〕1号）"


# --- The proposed and final lists ----------------------------------------------------------------

@pytest.fixture
def notice(reviewers, submitted, complete, cnipa, call):
    """Three Jiangsu bases and one of Zhejiang on notice; the second Jiangsu base removed by an upheld
    objection."""
    js, zj = reviewers["province_js"], reviewers["province_zj"]
    jiangsu = [submitted(make_applicant(f"示例·江苏园区{i}", f"js{i}")) for i in range(3)]
    applicant = make_applicant("=HYPERLINK(\"http://x\")", "zj0", city="330100")
    application = complete(applicant, values={"industry_fields": "+新能源汽车"})
    from applications import services as applicant_services
    assert applicant_services.application_submit(actor=applicant, application_id=application.pk) == []
    recommend(js, jiangsu)
    recommend(zj, [application])
    for app in Application.objects.filter(call=call):
        national.recheck_pass(actor=cnipa, application_id=app.pk)
    notice = national.notice_publish(actor=cnipa, call=call, text="现将拟确定名单予以公示。", contact="电话 010-0000")
    entry = notice.entries.get(name="示例·江苏园区1")
    during = timezone.make_aware(datetime.datetime.combine(notice.starts_on, datetime.time(10)))
    objection = object_confirmed(entry_id=entry.pk, kind="person", name="王某某", phone="13800000000",
                                          email="wang@example.cn", signature="王某某", reasons="服务次数不实。",
                                          now=during)
    national.objection_decide(actor=cnipa, objection_id=objection.pk, decision="upheld", note="异议成立。")
    return Notice.objects.get(pk=notice.pk)


LIST_HEADERS = ["序号", "基地名称（申报主体）", "所在省份", "重点产业领域"]
# On the proposed list the bases keep the numbers they were published with (objections name them); the final
# list numbers them 1 to n.
PROPOSED = [
    [1, "示例·江苏园区0", "江苏省", "集成电路；生物医药"],
    [3, "示例·江苏园区2", "江苏省", "集成电路；生物医药"],
    [4, "=HYPERLINK(\"http://x\")", "浙江省", "+新能源汽车"],
]
LISTED = [[number, *row[1:]] for number, row in enumerate(PROPOSED, start=1)]


def test_proposed_list(notice):
    sheet = book(proposed_list_response(notice)).active
    assert sheet.title == "国家级专利导航服务基地拟确定名单"
    assert sheet["A1"].value == "国家级专利导航服务基地拟确定名单"
    assert sheet.freeze_panes == "A3"
    assert values(sheet, 2) == LIST_HEADERS
    assert [values(sheet, n) for n in range(3, sheet.max_row + 1)] == PROPOSED  # the removed base is gone
    assert sheet["B5"].data_type == "s" and sheet["D5"].data_type == "s"


def test_final_list_only_once_confirmed(notice, cnipa):
    with pytest.raises(Http404):
        final_list_response(notice)
    today = timezone.localdate()
    Notice.objects.filter(pk=notice.pk).update(starts_on=today - datetime.timedelta(days=12),
                                               ends_on=today - datetime.timedelta(days=5))
    resealed(notice)  # the calendar moved on (navportal.seals)
    national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number="国知办发运字〔2026〕9号",
                           document_date=datetime.date(2026, 3, 2))
    sheet = book(final_list_response(Notice.objects.get(pk=notice.pk))).active
    assert sheet["A1"].value == "国家级专利导航服务基地名单"
    assert values(sheet, 2) == LIST_HEADERS
    rows = [values(sheet, n) for n in range(3, sheet.max_row + 1)]
    assert rows == [*LISTED, [None] * 4, ["依据：国知办发运字〔2026〕9号（2026-03-02）", None, None, None]]


def test_the_final_list_is_numbered_alike_on_the_pages_and_in_the_sheet(notice, cnipa):
    """The public notice (once final), the list of bases and the spreadsheet give each base the same number."""
    import re

    today = timezone.localdate()
    Notice.objects.filter(pk=notice.pk).update(starts_on=today - datetime.timedelta(days=12),
                                               ends_on=today - datetime.timedelta(days=5))
    resealed(notice)  # the calendar moved on (navportal.seals)
    national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number="国知办发运字〔2026〕9号",
                           document_date=datetime.date(2026, 3, 2))
    notice = Notice.objects.get(pk=notice.pk)
    public = Client()
    sheet = book(final_list_response(notice)).active
    in_sheet = [(row[0], row[1]) for row in (values(sheet, n) for n in range(3, 3 + len(LISTED)))]
    assert in_sheet == [(row[0], row[1]) for row in LISTED]

    def numbered(html):
        return [(int(n), name.replace("&quot;", '"')) for n, name in re.findall(r"<tr><td>(\d+)</td>\s*<td>([^<]+)</td>",
                                                                               re.sub(r">\s+<", "><", html))]

    assert numbered(public.get("/bases/").content.decode()) == in_sheet
    assert numbered(public.get(f"/notice/{notice.call_id}/").content.decode()) == in_sheet
    # Filtered to one province, a base keeps its number.
    zhejiang = numbered(public.get("/bases/?province=浙江省").content.decode())
    assert zhejiang == [(3, '=HYPERLINK("http://x")')]


def test_every_sheet_is_ready_to_sort_and_print(nation, cnipa, call):
    """Autofilter over the table (not the lines after it), the header frozen and repeated on every printed page,
    fitted to the page's width on A4, landscape when wide."""
    summary = book(national_summary_response(call, cnipa))
    national_sheet, units = summary["全国汇总表"], summary["各单位统计"]
    for sheet in (national_sheet, units):
        assert sheet.freeze_panes == "A3"
        assert sheet.print_title_rows == "$1:$2"
        assert sheet.page_setup.paperSize == 9  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert national_sheet.page_setup.orientation == "landscape"
    assert units.page_setup.orientation == "portrait"
    # The filter covers the header and the rows, not the signature lines or the total under them.
    assert national_sheet.auto_filter.ref == f"A2:{national_sheet.cell(2, national_sheet.max_column).column_letter}" \
        f"{national_sheet.max_row - 3}"
    assert units.auto_filter.ref == f"A2:H{units.max_row - 1}"


def test_the_lists_are_ready_to_sort_and_print(notice):
    proposed = book(proposed_list_response(notice)).active
    assert proposed.auto_filter.ref == "A2:D5" and proposed.page_setup.orientation == "portrait"
