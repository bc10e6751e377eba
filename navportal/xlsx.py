"""Spreadsheets that open cleanly in Excel and WPS, written row by row (openpyxl's write-only mode).

User text is always written as text: a name such as "=HYPERLINK(…)" or "+86 …" stays a string and is
never evaluated as a formula. Dates are real dates with a date format; headers are frozen.
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

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
WRAP = Alignment(wrap_text=True, vertical="top")


class Sheet:
    """One write-only worksheet with a frozen, styled header row and set column widths."""

    def __init__(self, workbook, title, columns, *, title_row=None):
        self.ws = workbook.create_sheet(title=title[:31])
        for index, (_header, width) in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        # The sheet's top (views, widths) is written with the first row: set everything before appending.
        self.ws.freeze_panes = "A3" if title_row else "A2"
        if title_row:
            cell = WriteOnlyCell(self.ws, value=title_row)
            cell.font = Font(bold=True, size=14)
            self.ws.append([cell])
        self.ws.append([self._header(header) for header, _width in columns])

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

    def append(self, values):
        self.ws.append([self.cell(v) for v in values])


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
