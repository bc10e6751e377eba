"""Spreadsheets that open cleanly in Excel and WPS, written row by row (openpyxl's write-only mode).

User text is always written as text: a name such as "=HYPERLINK(…)" or "+86 …" stays a string and is
never evaluated as a formula. Dates are real dates with a date format. Every sheet is ready to sort and to
print: the header is frozen and carries an autofilter, the header rows repeat on every printed page, the
sheet is fitted to the page's width on A4, in landscape when its columns are wider than a portrait page.
"""

import datetime
import tempfile
from io import BytesIO
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
WRAP = Alignment(wrap_text=True, vertical="top")
# About how many characters of column width fit across an A4 page in portrait (fitted to the page's width,
# slightly smaller): a sheet wider than that prints in landscape.
PORTRAIT_WIDTH = 110


class Sheet:
    """One write-only worksheet with a frozen, styled header row and set column widths."""

    def __init__(self, workbook, title, columns, *, title_row=None):
        self.ws = workbook.create_sheet(title=title[:31])
        for index, (_header, width) in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        # The sheet's top (views, widths, fitting to the page) is written with the first row: set it before appending.
        header_row = 2 if title_row else 1
        self.ws.freeze_panes = f"A{header_row + 1}"
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True
        if title_row:
            cell = WriteOnlyCell(self.ws, value=title_row)
            cell.font = Font(bold=True, size=14)
            self.ws.append([cell])
        self.ws.append([self._header(header) for header, _width in columns])
        # Its tail (filter, page set-up) is written when the workbook is saved: the filter grows with every row.
        last_column = get_column_letter(len(columns))
        self.header_row, self.rows, self.last_column = header_row, 0, last_column
        self.ws.print_title_rows = f"1:{header_row}"
        self.ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        wide = sum(width for _header, width in columns) > PORTRAIT_WIDTH
        self.ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE if wide else Worksheet.ORIENTATION_PORTRAIT
        self.ws.page_setup.fitToWidth, self.ws.page_setup.fitToHeight = 1, 0  # as wide as the page, as long as it takes
        self.ws.print_options.gridLines = True
        self._filter()

    def _header(self, value):
        cell = WriteOnlyCell(self.ws, value=value)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
        return cell

    def cell(self, value):
        if isinstance(value, str):
            # Control characters (a vertical tab from Word, say) are not allowed in the file format.
            value = ILLEGAL_CHARACTERS_RE.sub(" ", value)
        if isinstance(value, datetime.datetime):
            value = value.replace(tzinfo=None)
        cell = WriteOnlyCell(self.ws, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text starts with
            cell.alignment = WRAP
        elif isinstance(value, datetime.datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, datetime.date):
            cell.number_format = "yyyy-mm-dd"
        return cell

    def append(self, values, *, filtered=True):
        """Add a row; `filtered=False` for a row after the table (a total, a signature) that sorting must not move."""
        self.ws.append([self.cell(v) for v in values])
        if filtered:
            self.rows += 1
            self._filter()

    def _filter(self):
        self.ws.auto_filter.ref = f"A{self.header_row}:{self.last_column}{self.header_row + max(self.rows, 1)}"


def new_workbook():
    return Workbook(write_only=True)


def response(workbook, filename):
    buffer = BytesIO()
    workbook.save(buffer)
    reply = HttpResponse(buffer.getvalue(), content_type=XLSX)
    reply["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    reply["Cache-Control"] = "private, no-store"
    return reply


def streamed_response(workbook, filename):
    """The workbook, written to a temporary file and sent from it in chunks: for sheets of thousands of rows,
    whose bytes need never be in memory at once (the file is removed when the response is closed)."""
    spool = tempfile.TemporaryFile()
    workbook.save(spool)
    spool.seek(0)
    reply = FileResponse(spool, content_type=XLSX)
    reply["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    reply["Cache-Control"] = "private, no-store"
    return reply
