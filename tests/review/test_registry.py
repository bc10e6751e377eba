"""The registry (SPEC §5, §6.5): CNIPA's import sheet, matching a claim, retiring titles, the pages."""

import datetime
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from applications import services
from navportal.demo.content import TINY_PDF, credit_code
from navportal.models import AuditEvent, Province
from review import registry
from review.models import RETIRED_WITH_FINAL_LIST, RegistryEntry
from tests.conftest import make_applicant

HEADERS = ["类别", "名称", "别名", "统一社会信用代码", "省份", "认定文件文号", "认定日期", "届满日期"]
URLS = ("registry_list", "registry_template", "registry_import")
CODE_A, CODE_B = credit_code(501), credit_code(502)


def sheet(rows, headers=HEADERS, name="registry.xlsx"):
    """An xlsx as CNIPA would fill it in, with `rows` as dicts header → value."""
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.append(headers)
    for row in rows:
        ws.append([row.get(header) for header in headers] if isinstance(row, dict) else row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), "application/octet-stream")


def good_rows():
    return [
        {"类别": "国家级知识产权保护中心", "名称": "中国（苏州）知识产权保护中心", "别名": "苏州保护中心； 苏州市知识产权保护中心；",
         "统一社会信用代码": CODE_A.lower(), "省份": "江苏", "认定文件文号": "国知办函管字〔2019〕12号",
         "认定日期": datetime.date(2019, 3, 1), "届满日期": "2029-02-28"},
        {"类别": "原国家专利导航产业发展实验区", "名称": "某专利导航实验区", "认定文件文号": "国知办发管字〔2013〕1号",
         "认定日期": "2013年5月6日"},
        {},  # an empty row is skipped
        {"类别": "local_base", "名称": "浙江某地方基地", "别名": "甲、乙\n丙", "省份": "浙江省", "认定文件文号": "浙知发〔2023〕3号",
         "认定日期": "2023/7/1"},
    ]


@pytest.fixture
def cnipa(client, reviewers):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(reviewers["national"])
    # LocaleMiddleware leaves the request's language active in the thread: give the next test its own.
    previous = translation.get_language()
    yield reviewers["national"]
    translation.activate(previous)


def post(client, upload):
    return client.post(reverse("registry_import"), {"file": upload})


def fields(entry):
    return (entry.kind, entry.name, entry.aliases, entry.credit_code, entry.province and entry.province.code,
            entry.document_number, entry.designated_on, entry.term_ends_on, entry.retired_on, entry.retired_by)


# --- Import ---------------------------------------------------------------------------------------

def test_good_sheet_creates_every_entry(client, cnipa):
    response = post(client, sheet(good_rows()))
    assert response.status_code == 200
    assert [(r.number, r.outcome, r.reasons) for r in response.context["rows"]] == [
        (2, "created", []), (3, "created", []), (5, "created", [])]
    assert [fields(e) for e in RegistryEntry.objects.order_by("designated_on")] == [
        ("experimental_zone", "某专利导航实验区", [], "", None, "国知办发管字〔2013〕1号", datetime.date(2013, 5, 6),
         None, None, ""),
        ("protection_centre", "中国（苏州）知识产权保护中心", ["苏州保护中心", "苏州市知识产权保护中心"], CODE_A, "320000",
         "国知办函管字〔2019〕12号", datetime.date(2019, 3, 1), datetime.date(2029, 2, 28), None, ""),
        ("local_base", "浙江某地方基地", ["甲", "乙", "丙"], "", "330000", "浙知发〔2023〕3号",
         datetime.date(2023, 7, 1), None, None, ""),
    ]
    event = AuditEvent.objects.get(action="registry_import")
    assert (event.actor, event.note) == (cnipa, "3 created, 0 updated, registry.xlsx")
    assert "Imported: 3 created, 0 updated." in response.content.decode()


def test_columns_in_another_order_and_without_optional_ones(client, cnipa):
    headers = ["认定日期", "认定文件文号", "名称", "类别"]
    response = post(client, sheet([{"类别": "国家知识产权强国建设示范园区", "名称": "某示范园区", "认定文件文号": "国知发〔2021〕5号",
                                    "认定日期": datetime.datetime(2021, 6, 1)}], headers=headers))
    assert response.status_code == 200
    assert [fields(e) for e in RegistryEntry.objects.all()] == [
        ("demonstration_park", "某示范园区", [], "", None, "国知发〔2021〕5号", datetime.date(2021, 6, 1), None, None, "")]


def test_one_bad_row_among_good_ones_imports_nothing_and_gives_every_reason(client, cnipa):
    bad_check_digit = CODE_B[:-1] + ("1" if CODE_B[-1] != "1" else "2")
    rows = good_rows() + [
        {"类别": "国家知识产权强国建设试点园区", "名称": "某试点园区", "统一社会信用代码": bad_check_digit, "认定文件文号": "",
         "认定日期": "2020-01-01", "届满日期": "2019-12-31", "省份": "火星省"},
        {"类别": "国家级知识产权保护中心", "名称": "中国(苏州)知识产权保护中心", "认定文件文号": "x", "认定日期": "2020-02-30"},
    ]
    response = post(client, sheet(rows))
    assert response.status_code == 400
    assert RegistryEntry.objects.count() == 0
    assert not AuditEvent.objects.filter(action="registry_import").exists()
    report = {r.number: r.reasons for r in response.context["rows"]}
    assert report[2] == report[3] == report[5] == []
    assert report[6] == [
        "类别: “国家知识产权强国建设试点园区” is a pilot park (试点园区): only demonstration parks (示范园区) are exempt, "
        "pilot parks are not.",
        "统一社会信用代码: The check digit of this unified social credit code is wrong; please compare it with the "
        "business licence.",
        "省份: “火星省” is not a province; write its Chinese name, e.g. 江苏省 or 江苏.",
        "认定文件文号: required.",
        "届满日期: the end of term 2019-12-31 lies before the designation date 2020-01-01.",
    ]
    # The same name as row 2 once brackets are compared half-width: a duplicate within the file.
    assert report[7] == [
        "认定日期: “2020-02-30” is not a date; use a date cell or YYYY-MM-DD.",
        "名称: the same category and name already appear in row 2.",
    ]
    page = response.content.decode()
    assert "2 rows were refused, so nothing was imported." in page
    assert "is a pilot park" in page and "required." in page


def test_an_exact_duplicate_and_an_unknown_category_are_refused(cnipa):
    rows = [{"类别": "地方专利导航服务基地", "名称": "某基地", "认定文件文号": "a", "认定日期": "2020-01-01"},
            {"类别": "地方专利导航服务基地", "名称": "某基地", "认定文件文号": "b", "认定日期": "2021-01-01"},
            {"类别": "国家知识产权示范单位", "名称": "某单位", "认定文件文号": "c", "认定日期": "2021-01-01"}]
    with translation.override("en"):
        reports = registry.parse_registry_sheet(sheet(rows))
    assert [r.reasons for r in reports] == [
        [], ["名称: the same category and name already appear in row 2."],
        ["类别: “国家知识产权示范单位” is not a category of the registry; use one of 国家级知识产权保护中心、国家知识产权强国建设示范园区、"
         "原国家专利导航产业发展实验区、原国家专利导航试点工程研究基地、地方专利导航服务基地."]]


def test_a_name_or_number_of_more_than_one_line_is_refused(cnipa):
    """A name, an alias or a document number is one line, as everywhere in the portal (navportal/text.py): a line
    break typed into a cell (Alt+Enter) or a tab is refused, not stored; line breaks between aliases separate them."""
    rows = [{"类别": "地方专利导航服务基地", "名称": "某地方\n专利导航服务基地", "认定文件文号": "a", "认定日期": "2020-01-01"},
            {"类别": "地方专利导航服务基地", "名称": "某基地", "认定文件文号": "浙知发\t〔2023〕3号", "认定日期": "2020-01-01"},
            {"类别": "地方专利导航服务基地", "名称": "另一基地", "别名": "甲\n乙\t丙", "认定文件文号": "b",
             "认定日期": "2020-01-01"},
            {"类别": "地方专利导航服务基地", "名称": "第三基地", "别名": "甲\r\n乙", "认定文件文号": "c",
             "认定日期": "2020-01-01"}]
    with translation.override("en"):
        reports = registry.parse_registry_sheet(sheet(rows))
    assert [r.reasons for r in reports] == [
        ["名称: Only one line: remove the line break, tab or other control character (U+000A)."],
        ["认定文件文号: Only one line: remove the line break, tab or other control character (U+0009)."],
        ["别名: Only one line: remove the line break, tab or other control character (U+0009)."],
        []]
    assert reports[3].values["aliases"] == ["甲", "乙"]


def test_reimport_updates_and_leaves_retirement_alone(client, cnipa):
    post(client, sheet(good_rows()))
    RegistryEntry.objects.filter(name="某专利导航实验区").update(retired_on=datetime.date(2026, 1, 1), retired_by="国知发〔2026〕1号")
    first = {e.name: e.pk for e in RegistryEntry.objects.all()}
    rows = good_rows()
    rows[0].update({"别名": "苏州中心", "认定文件文号": "国知办函管字〔2020〕1号", "届满日期": None})
    rows[1]["认定日期"] = "2013-05-07"
    response = post(client, sheet(rows[:2], name="第二版.xlsx"))
    assert response.status_code == 200
    assert [r.outcome for r in response.context["rows"]] == ["updated", "updated"]
    assert {e.name: e.pk for e in RegistryEntry.objects.all()} == first
    centre = RegistryEntry.objects.get(name="中国（苏州）知识产权保护中心")
    assert (centre.aliases, centre.document_number, centre.term_ends_on) == (["苏州中心"], "国知办函管字〔2020〕1号", None)
    zone = RegistryEntry.objects.get(name="某专利导航实验区")
    assert (zone.designated_on, zone.retired_on, zone.retired_by) == (
        datetime.date(2013, 5, 7), datetime.date(2026, 1, 1), "国知发〔2026〕1号")
    assert AuditEvent.objects.filter(action="registry_import").first().note == "0 created, 2 updated, 第二版.xlsx"


@pytest.mark.parametrize("content, name", [
    (TINY_PDF, "registry.xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "registry.xls"),
    (b"", "empty.xlsx"),
    ("not_xlsx_zip", "registry.xlsx"),
])
def test_anything_but_an_xlsx_is_refused_with_a_clear_message(client, cnipa, content, name):
    if content == "not_xlsx_zip":  # a zip, but no workbook inside (a .docx would look like this)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("word/document.xml", "<w:document/>")
        content = buffer.getvalue()
    response = post(client, SimpleUploadedFile(name, content, "application/vnd.ms-excel"))
    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    if name == "registry.xls":
        assert errors == ["This is an old-format .xls file. Save it in Excel or WPS as “Excel workbook (.xlsx)” "
                          "and upload that."]
    elif name == "empty.xlsx":
        assert errors == ["The submitted file is empty."]
    else:
        assert errors == ["This file is not an Excel workbook (.xlsx). Download the template, fill it in and "
                          "upload it as .xlsx."]
        assert "This file is not an Excel workbook (.xlsx)." in response.content.decode()
    assert RegistryEntry.objects.count() == 0


def test_a_missing_required_header_is_named(client, cnipa):
    headers = ["类别", "名称", "认定日期"]
    response = post(client, sheet([["国家级知识产权保护中心", "某中心", "2020-01-01"]], headers=headers))
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "The header row lacks the required column(s) 认定文件文号. Use the template's column names."]


def test_template_downloads_reopens_and_imports_as_it_is(client, cnipa):
    response = client.get(reverse("registry_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["名录", "说明"]
    rows = list(workbook["名录"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert rows[1][:7] == ("国家级知识产权保护中心", "中国（示例）知识产权保护中心", "示例知识产权保护中心；示例保护中心",
                           "91320500MA1EXAMPLW", "江苏省", "国知办函管字〔2019〕1号", datetime.datetime(2019, 3, 1))
    notes = [row[1] for row in workbook["说明"].iter_rows(min_row=2, values_only=True)]
    assert notes[:5] == ["国家级知识产权保护中心", "国家知识产权强国建设示范园区", "原国家专利导航产业发展实验区",
                         "原国家专利导航试点工程研究基地", "地方专利导航服务基地"]
    assert any("试点园区" in note and "拒绝" in note for note in notes)
    assert any("；" in note for note in notes) and any("YYYY-MM-DD" in note for note in notes)
    # What the template shows is what the import accepts.
    imported = post(client, SimpleUploadedFile("template.xlsx", response.content))
    assert [r.outcome for r in imported.context["rows"]] == ["created"]


# --- Matching and retiring ------------------------------------------------------------------------

def entry(kind="protection_centre", name="某中心", **values):
    return RegistryEntry.objects.create(kind=kind, name=name, document_number=values.pop("document_number", "文号"),
                                        designated_on=values.pop("designated_on", datetime.date(2019, 1, 1)), **values)


@pytest.fixture
def application(call):
    applicant = make_applicant("中国（苏州）知识产权保护中心", "centre")
    return services.application_start(actor=applicant, call=call)


TODAY = datetime.date(2026, 5, 1)


def test_match_by_credit_code(application):
    entry(name="另一个名称")
    wanted = entry(name="名称不同", credit_code=application.organisation.credit_code)
    assert registry.registry_match(application, kind="protection_centre", on=TODAY) == wanted


def test_match_by_alias_with_full_width_brackets(application):
    entry(name="苏州保护中心")
    wanted = entry(name="苏州中心", aliases=["中国 (苏州) 知识产权保护中心"])
    assert registry.registry_match(application, kind="protection_centre", on=TODAY) == wanted


def test_no_match_when_term_ended_or_retired_or_another_kind(application):
    code = application.organisation.credit_code
    ended = entry(name="中国（苏州）知识产权保护中心", credit_code=code, term_ends_on=TODAY - datetime.timedelta(days=1))
    assert registry.registry_match(application, kind="protection_centre", on=TODAY) is None
    assert registry.registry_match(application, kind="protection_centre", on=ended.term_ends_on) == ended
    RegistryEntry.objects.filter(pk=ended.pk).update(term_ends_on=None, retired_on=TODAY, retired_by="文")
    assert registry.registry_match(application, kind="protection_centre", on=TODAY) is None
    day_before = TODAY - datetime.timedelta(days=1)
    assert registry.registry_match(application, kind="protection_centre", on=day_before) == ended
    entry(kind="experimental_zone", name="中国（苏州）知识产权保护中心", credit_code=code)
    assert registry.registry_match(application, kind="pilot_base", on=TODAY) is None
    assert registry.registry_match(application, kind="local_base", on=TODAY) is None


def test_no_match_before_the_designation_date(application):
    entry(name="中国（苏州）知识产权保护中心", designated_on=TODAY + datetime.timedelta(days=1))
    assert registry.registry_match(application, kind="protection_centre", on=TODAY) is None


def test_a_namesake_with_another_credit_code_is_not_a_match(application):
    entry(name="中国（苏州）知识产权保护中心", credit_code=credit_code(999999))
    assert registry.registry_match(application, kind="protection_centre", on=TODAY) is None


def test_retire_marks_only_live_titles_of_the_kinds(db):
    zone, base = entry(kind="experimental_zone", name="区"), entry(kind="pilot_base", name="基地")
    old = entry(kind="pilot_base", name="旧", retired_on=datetime.date(2020, 1, 1), retired_by="旧文")
    centre = entry(name="中心")
    assert registry.registry_retire(kinds=RETIRED_WITH_FINAL_LIST, document="国知发〔2026〕9号", on=TODAY) == 2
    got = {e.pk: (e.retired_on, e.retired_by) for e in RegistryEntry.objects.all()}
    assert got == {zone.pk: (TODAY, "国知发〔2026〕9号"), base.pk: (TODAY, "国知发〔2026〕9号"),
                   old.pk: (datetime.date(2020, 1, 1), "旧文"), centre.pk: (None, "")}


# --- Pages ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["province_js", "city_suzhou", "ministry_moe", "applicant"])
def test_everyone_but_cnipa_gets_404(client, reviewers, applicant, who):
    user = applicant if who == "applicant" else reviewers[who]
    client.force_login(user)
    for name in URLS:
        assert client.get(reverse(name)).status_code == 404, name
    assert post(client, sheet(good_rows())).status_code == 404
    assert RegistryEntry.objects.count() == 0


def test_anonymous_is_sent_to_login(client, db):
    for name in URLS:
        response = client.get(reverse(name))
        assert (response.status_code, response["Location"].split("?")[0]) == (302, reverse("login")), name


def test_import_page_shows_the_form(client, cnipa):
    response = client.get(reverse("registry_import"))
    assert response.status_code == 200
    assert 'type="file"' in response.content.decode() and reverse("registry_template") in response.content.decode()


def test_list_filters_searches_and_shows_status(client, cnipa):
    entry(name="中国（苏州）知识产权保护中心", aliases=["苏州保护中心"], credit_code=CODE_A,
          province=Province.objects.get(code="320000"))
    entry(kind="experimental_zone", name="某实验区", retired_on=datetime.date(2020, 1, 1), retired_by="国知发〔2020〕1号")
    entry(kind="local_base", name="某基地", term_ends_on=datetime.date(2020, 1, 1))

    def names(**params):
        response = client.get(reverse("registry_list"), params)
        assert response.status_code == 200
        return [(e.name, e.status) for e in response.context["page"]]

    assert sorted(names()) == [("中国（苏州）知识产权保护中心", "live"), ("某基地", "term_ended"), ("某实验区", "retired")]
    assert names(kind="experimental_zone") == [("某实验区", "retired")]
    assert names(q="苏州保护") == [("中国（苏州）知识产权保护中心", "live")]  # an alias, in Chinese
    assert names(q=CODE_A.lower()) == [("中国（苏州）知识产权保护中心", "live")]
    assert names(q="实验") == [("某实验区", "retired")]
    page = client.get(reverse("registry_list")).content.decode()
    assert "国知发〔2020〕1号" in page and reverse("registry_import") in page and reverse("registry_template") in page


def test_list_query_count_does_not_grow_with_rows(client, cnipa):
    jiangsu = Province.objects.get(code="320000")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("registry_list")).status_code == 200
        return len(queries)

    entry(name="名录0", province=jiangsu, aliases=["别名"])
    one = count()
    for n in range(1, 5):
        entry(name=f"名录{n}", province=jiangsu, aliases=["别名"])
    assert count() == one
    assert len(client.get(reverse("registry_list")).context["page"]) == 5
