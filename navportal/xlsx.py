"""Spreadsheets that open cleanly in Excel and WPS, written row by row (XlsxWriter's constant_memory mode).

User text is always written as text: a name such as "=HYPERLINK(…)" or "+86 …" stays a string and is
never evaluated as a formula. Dates are real dates with a date format. Every sheet is ready to sort and to
print: the header is frozen and carries an autofilter, the header rows repeat on every printed page, the
sheet is fitted to the page's width on A4, in landscape when its columns are wider than a portrait page.

Why XlsxWriter and not openpyxl, which wrote these sheets until issue 17: the national summary of 3,000
recommendations spent most of its time in openpyxl building a cell object per value, setting its style
through hashed style objects and serialising it with et_xmlfile; XlsxWriter formats each row straight into
its XML (measured in docs/performance.md). Its constant_memory mode keeps one row in memory and writes text
inline (no shared-string table that would grow with the rows), so memory stays flat with the number of rows.
openpyxl still reads the sheets people upload (review/registry.py). tests/test_xlsx.py pins what a sheet
holds; it was written against the openpyxl writer and passes on both.
"""

import datetime
import decimal
import re
import tempfile
from urllib.parse import quote

import xlsxwriter
from django.http import FileResponse, HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# About how many characters of column width fit across an A4 page in portrait (fitted to the page's width,
# slightly smaller): a sheet wider than that prints in landscape.
PORTRAIT_WIDTH = 110
# A column's width in characters is stored as is when given in pixels, 7 to a character (the default font's
# digit); XlsxWriter's set_column would add its 5 pixels of padding, making every column wider than before.
PIXELS_PER_CHARACTER = 7
A4 = 9
# Characters XML 1.0 has no place for: the sheet writes a space for each (a vertical tab from Word separates two
# words). The same set as openpyxl's ILLEGAL_CHARACTERS_RE; tab, line feed and carriage return are allowed.
CONTROL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


class Workbook:
    """A workbook being written. Each sheet's rows go to a temporary file as they come; close() assembles the
    xlsx in another. All of them live in a temporary directory of the workbook's own, removed by close() or,
    if the export fails half-way, when the workbook is collected: no copy of the personal data a sheet holds
    stays behind on disk."""

    def __init__(self):
        self._directory = tempfile.TemporaryDirectory(prefix="navportal-xlsx-")
        self._file = tempfile.TemporaryFile(dir=self._directory.name)
        self.book = xlsxwriter.Workbook(self._file, {"constant_memory": True, "tmpdir": self._directory.name})
        add = self.book.add_format
        self.title_format = add({"bold": True, "font_size": 14})
        self.header_format = add({"bold": True, "bg_color": "#F2F2F2", "text_wrap": True, "valign": "top"})
        self.text_format = add({"text_wrap": True, "valign": "top"})
        self.date_format = add({"num_format": "yyyy-mm-dd"})
        self.datetime_format = add({"num_format": "yyyy-mm-dd hh:mm"})
        self.sheets = []

    def close(self):
        """The finished xlsx: a temporary file (deleted once closed), positioned at its start."""
        for sheet in self.sheets:
            sheet.close()
        self.book.close()
        self._file.seek(0)
        # The file stays open, and readable, where it was; only the sheets' row files go with the directory.
        self._directory.cleanup()
        return self._file


class Sheet:
    """One worksheet with a frozen, styled header row and set column widths."""

    def __init__(self, workbook, title, columns, *, title_row=None):
        self.workbook = workbook
        self.ws = ws = workbook.book.add_worksheet(title[:31])
        workbook.sheets.append(self)
        for index, (_header, width) in enumerate(columns):
            ws.set_column_pixels(index, index, width * PIXELS_PER_CHARACTER)
        self.header_row = 1 if title_row else 0  # rows and columns count from 0 here, from 1 in Excel's names
        ws.freeze_panes(self.header_row + 1, 0)
        ws.repeat_rows(0, self.header_row)
        ws.set_paper(A4)
        if sum(width for _header, width in columns) > PORTRAIT_WIDTH:
            ws.set_landscape()
        else:
            ws.set_portrait()
        # As wide as the page, as long as it takes. The width "1" as text: XlsxWriter leaves out a 1 (the default,
        # which Excel and WPS assume), and openpyxl, which wrote it, reads its absence as None.
        ws.fit_to_pages("1", 0)
        ws.hide_gridlines(0)  # gridlines on screen and on paper
        # The margins openpyxl wrote (Excel's "normal" margins are slightly narrower).
        ws.set_margins(left=0.75, right=0.75, top=1, bottom=1)
        ws.set_header("", margin=0.5)
        ws.set_footer("", margin=0.5)
        if title_row:
            ws.write_string(0, 0, title_row, workbook.title_format)
        for column, (header, _width) in enumerate(columns):
            ws.write_string(self.header_row, column, header, workbook.header_format)
        self.next_row, self.rows, self.last_column = self.header_row + 1, 0, len(columns) - 1

    def append(self, values, *, filtered=True):
        """Add a row; `filtered=False` for a row after the table (a total, a signature) that sorting must not move."""
        ws, row, workbook = self.ws, self.next_row, self.workbook
        for column, value in enumerate(values):
            if isinstance(value, str):
                if "\r" in value:
                    # What an XML reader made of a carriage return in the text openpyxl wrote: a line feed.
                    value = value.replace("\r\n", "\n").replace("\r", "\n")
                value = CONTROL_CHARACTERS.sub(" ", value)
                # Always a string, never a formula, whatever the text starts with. An empty text is a blank cell
                # that keeps the text's style. Text beyond Excel's 32,767 characters a cell is cut there.
                if value:
                    ws.write_string(row, column, value, workbook.text_format)
                else:
                    ws.write_blank(row, column, None, workbook.text_format)
            elif value is None:
                continue
            elif isinstance(value, bool):
                ws.write_boolean(row, column, value)
            elif isinstance(value, (int, float, decimal.Decimal)):
                ws.write_number(row, column, value)
            elif isinstance(value, datetime.datetime):
                ws.write_datetime(row, column, value.replace(tzinfo=None), workbook.datetime_format)
            elif isinstance(value, datetime.date):
                ws.write_datetime(row, column, value, workbook.date_format)
            else:
                raise TypeError(f"cannot write {type(value).__name__} into a sheet: {value!r}")
        self.next_row += 1
        if filtered:
            self.rows += 1

    def close(self):
        # The filter covers the header and the table's rows (one row at least), not the rows after the table.
        self.ws.autofilter(self.header_row, 0, self.header_row + max(self.rows, 1), self.last_column)


def new_workbook():
    return Workbook()


def _headers(reply, filename):
    reply["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    reply["Cache-Control"] = "private, no-store"
    return reply


def response(workbook, filename):
    """The workbook sent whole: for sheets of a few hundred rows at most."""
    with workbook.close() as file:
        return _headers(HttpResponse(file.read(), content_type=XLSX), filename)


def streamed_response(workbook, filename):
    """The workbook sent from its temporary file in chunks: for sheets of thousands of rows, whose bytes need
    never be in memory at once (the file is removed when the response is closed)."""
    return _headers(FileResponse(workbook.close(), content_type=XLSX), filename)
