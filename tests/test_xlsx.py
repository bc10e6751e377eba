"""navportal.xlsx, the writer of every sheet the portal hands out, reopened with openpyxl and read cell by cell:
what each kind of value becomes, how the header and the title look, and how the sheet is set up to sort, to
scroll and to print. Written against the openpyxl writer before the national summary moved to another one
(issue 17): the same sheet must come out of either."""

import datetime
import decimal
import io
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from navportal import xlsx

COLUMNS = [("文本", 30), ("数", 8), ("日期", 12)]


def reopen(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(content))


@pytest.fixture(params=["response", "streamed_response"])
def sent(request):
    """A workbook as sent by either response: whole (small sheets) or streamed from a temporary file."""
    return lambda workbook: reopen(getattr(xlsx, request.param)(workbook, "表.xlsx"))


def written(sent):
    workbook = xlsx.new_workbook()
    sheet = xlsx.Sheet(workbook, "汇" * 40, COLUMNS, title_row="某批次 汇总表")
    sheet.append(["=1+1", 3, datetime.date(2026, 3, 1)])
    sheet.append(["第一行\r\n第二行", 2.5, datetime.datetime(2026, 3, 1, 8, 30, tzinfo=ZoneInfo("Asia/Shanghai"))])
    sheet.append(["第一段\x0b第二段", decimal.Decimal("92.50"), None])
    sheet.append(["", True, datetime.datetime(2026, 3, 1, 8, 30)])
    sheet.append([], filtered=False)
    sheet.append(["合计", 7], filtered=False)
    notes = xlsx.Sheet(workbook, "说明", [("项目", 16), ("说明", 90)])
    notes.append(["+86 10 1234 5678", "@SUM(A1)"])
    return sent(workbook)


def grid(sheet):
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def text_style(cell):
    return (cell.alignment.wrap_text, cell.alignment.vertical)


def test_every_kind_of_value(sent):
    book = written(sent)
    sheet = book.worksheets[0]
    assert sheet.title == "汇" * 31  # Excel's limit on a sheet's name
    assert grid(sheet) == [
        ["某批次 汇总表", None, None],
        ["文本", "数", "日期"],
        ["=1+1", 3, datetime.datetime(2026, 3, 1)],
        # A line break as the sheet's XML reads it back; the local wall time of an aware datetime.
        ["第一行\n第二行", 2.5, datetime.datetime(2026, 3, 1, 8, 30)],
        ["第一段 第二段", 92.5, None],  # a control character becomes a space
        [None, True, datetime.datetime(2026, 3, 1, 8, 30)],
        [None, None, None],
        ["合计", 7, None],
    ]
    # User text is text, whatever it starts with: never a formula.
    assert [sheet[c].data_type for c in ("A3", "A4", "A5", "A8")] == ["s"] * 4
    assert [sheet[c].data_type for c in ("B3", "B4", "B5", "B6")] == ["n", "n", "n", "b"]
    assert [sheet[c].number_format for c in ("C3", "C4", "C6")] == ["yyyy-mm-dd", "yyyy-mm-dd hh:mm",
                                                                      "yyyy-mm-dd hh:mm"]
    assert [sheet[c].is_date for c in ("C3", "C4", "C6")] == [True] * 3
    assert [sheet[c].number_format for c in ("B3", "B4", "B5")] == ["General"] * 3
    # Text, an empty text included, wraps and sits at the top of its row; numbers and dates keep the default.
    assert {text_style(sheet[c]) for c in ("A3", "A4", "A5", "A6", "A8")} == {(True, "top")}
    assert {text_style(sheet[c]) for c in ("B3", "B6", "C3", "C4")} == {(None, None)}
    notes = book["说明"]
    assert grid(notes) == [["项目", "说明"], ["+86 10 1234 5678", "@SUM(A1)"]]
    assert [notes[c].data_type for c in ("A2", "B2")] == ["s", "s"]


def test_title_and_header_look(sent):
    book = written(sent)
    sheet, notes = book.worksheets
    title = sheet["A1"]
    assert (title.font.b, title.font.sz) == (True, 14)
    for header in [*sheet[2], *notes[1]]:
        assert header.font.b is True
        assert (header.font.sz or 11) == 11  # the default size, written or implied
        assert header.fill.fill_type == "solid"
        assert header.fill.fgColor.rgb[-6:] == "F2F2F2"  # Excel ignores a fill colour's alpha byte
        assert text_style(header) == (True, "top")
    body = [sheet["A3"], sheet["B3"], notes["A2"]]
    assert {cell.font.b for cell in body} == {False}
    assert {cell.fill.fill_type for cell in body} == {None}


def test_sheet_set_up_to_sort_scroll_and_print(sent):
    book = written(sent)
    sheet, notes = book.worksheets
    assert {k: d.width for k, d in sheet.column_dimensions.items() if k in "ABC"} == {"A": 30, "B": 8, "C": 12}
    assert {k: d.width for k, d in notes.column_dimensions.items() if k in "AB"} == {"A": 16, "B": 90}
    # The header stays in view; the filter covers the header and the table's rows, not the total after it.
    assert (sheet.freeze_panes, notes.freeze_panes) == ("A3", "A2")
    assert (sheet.auto_filter.ref, notes.auto_filter.ref) == ("A2:C6", "A1:B2")
    assert (sheet.print_title_rows, notes.print_title_rows) == ("$1:$2", "$1:$1")
    for page in (sheet, notes):
        assert page.page_setup.paperSize in (9, "9")  # A4
        assert page.sheet_properties.pageSetUpPr.fitToPage is True
        assert page.page_setup.fitToWidth == 1  # as wide as the page
        assert int(page.page_setup.fitToHeight) == 0  # as long as it takes
        assert page.print_options.gridLines is True
        margins = page.page_margins
        assert (margins.left, margins.right, margins.top, margins.bottom, margins.header, margins.footer) == (
            0.75, 0.75, 1, 1, 0.5, 0.5)
    # 30 + 8 + 12 and 16 + 90 characters fit across a portrait page; the national summary's columns do not.
    assert (sheet.page_setup.orientation, notes.page_setup.orientation) == ("portrait", "portrait")
    wide = xlsx.new_workbook()
    xlsx.Sheet(wide, "宽", [("甲", 60), ("乙", 60)])
    assert sent(wide)["宽"].page_setup.orientation == "landscape"


def test_a_sheet_without_rows_filters_its_header_and_one_row(sent):
    workbook = xlsx.new_workbook()
    xlsx.Sheet(workbook, "空", COLUMNS)
    sheet = sent(workbook)["空"]
    assert grid(sheet) == [["文本", "数", "日期"]]
    assert sheet.auto_filter.ref == "A1:C2"
