"""Spreadsheets that open cleanly in Excel and WPS, written row by row.

User text is always written as text: a name such as "=HYPERLINK(…)" or "+86 …" stays a string and is
never evaluated as a formula. Dates are real dates with a date format. Every sheet is ready to sort and to
print: the header is frozen and carries an autofilter, the header rows repeat on every printed page, the
sheet is fitted to the page's width on A4, in landscape when its columns are wider than a portrait page.

Written here, not by a library, because the national summary of 3,000 recommendations spent most of its time
in the writer: openpyxl built a cell object per value and serialised it through et_xmlfile, and XlsxWriter,
three times faster, still spent ten times longer on a row than formatting it straight into XML does
(measured in docs/performance.md). What is written is the XML openpyxl's write-only mode wrote for these
sheets until issue 17 — the parts, elements and attributes Excel and WPS have been opening — with fixed cell
styles. Each sheet's rows go to a temporary file as they come (one row in memory at a time, text inline: no
shared-string table growing with the rows); close() puts the parts into the zip. tests/test_xlsx.py, written
against the openpyxl writer, reads every kind of value and every setting back with openpyxl. openpyxl still
reads the sheets people upload (review/registry.py).
"""

import datetime
import decimal
import io
import re
import shutil
import tempfile
import zipfile
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from django.http import FileResponse, HttpResponse
from django.utils import timezone
from openpyxl.styles.colors import COLOR_INDEX
from openpyxl.utils.datetime import to_excel
from openpyxl.writer.theme import theme_xml

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# About how many characters of column width fit across an A4 page in portrait (fitted to the page's width,
# slightly smaller): a sheet wider than that prints in landscape.
PORTRAIT_WIDTH = 110
# Characters XML 1.0 has no place for: the sheet writes a space for each (a vertical tab from Word separates two
# words). The same set as openpyxl's ILLEGAL_CHARACTERS_RE; tab, line feed and carriage return are allowed.
CONTROL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
# What a text may need changed before it goes into the XML: control characters, carriage returns, markup.
NEEDS_CARE = re.compile(r"[\000-\010\013\014\016-\037\r&<>]")
# Characters Excel refuses in a sheet's name.
NOT_IN_SHEET_NAMES = re.compile(r"[\\*?:/\[\]]")

# The cell styles, by their index in STYLES' cellXfs: openpyxl's styles.xml for these sheets, with the date-time
# format always present (openpyxl numbered the styles in the order a sheet first used them).
TITLE, HEADER, TEXT, DATE, DATETIME = 1, 2, 3, 4, 5
_XF = 'borderId="0" pivotButton="0" quotePrefix="0" xfId="0"'
STYLES = (
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="3"><font><name val="Calibri"/><family val="2"/><color theme="1"/><sz val="11"/>'
    '<scheme val="minor"/></font><font><b val="1"/><sz val="14"/></font><font><b val="1"/></font></fonts>'
    '<fills count="3"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="00F2F2F2"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6">'
    f'<xf numFmtId="0" fontId="0" fillId="0" {_XF}/>'
    f'<xf numFmtId="0" fontId="1" fillId="0" {_XF}/>'  # TITLE: bold, 14 pt
    f'<xf numFmtId="0" fontId="2" fillId="2" applyAlignment="1" {_XF}>'  # HEADER: bold on grey, wrapped, at the top
    '<alignment vertical="top" wrapText="1"/></xf>'
    f'<xf numFmtId="0" fontId="0" fillId="0" applyAlignment="1" {_XF}>'  # TEXT: wrapped, at the top
    '<alignment vertical="top" wrapText="1"/></xf>'
    f'<xf numFmtId="164" fontId="0" fillId="0" {_XF}/>'  # DATE
    f'<xf numFmtId="165" fontId="0" fillId="0" {_XF}/>'  # DATETIME
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0" hidden="0"/></cellStyles>'
    '<tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
    '<colors><indexedColors>' + "".join(f'<rgbColor rgb="{rgb}"/>' for rgb in COLOR_INDEX[:64])
    + '</indexedColors></colors></styleSheet>'
)
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT = "application/vnd.openxmlformats-officedocument"


def column_letter(index):
    """"A" for column 1, "Z" for 26, "AA" for 27."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class Workbook:
    """A workbook being written: its sheets, in order; close() makes the xlsx."""

    def __init__(self):
        self.sheets = []

    def close(self):
        """The finished xlsx: a temporary file (deleted once closed), positioned at its start."""
        file = tempfile.TemporaryFile()
        with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as package:
            now = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
            package.writestr("docProps/app.xml", (
                '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
                '<Application>navportal</Application></Properties>'))
            package.writestr("docProps/core.xml", (
                '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
                ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
                ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>navportal</dc:creator>'
                f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
                f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>'))
            package.writestr("xl/theme/theme1.xml", theme_xml)
            for number, sheet in enumerate(self.sheets, start=1):
                with package.open(f"xl/worksheets/sheet{number}.xml", "w") as part:
                    sheet.close(part)
            package.writestr("xl/styles.xml", STYLES)
            package.writestr("_rels/.rels", (
                f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
                f'<Relationship Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml" Id="rId1"/>'
                f'<Relationship Type="{PACKAGE_RELATIONSHIPS}/metadata/core-properties" Target="docProps/core.xml"'
                ' Id="rId2"/>'
                f'<Relationship Type="{RELATIONSHIPS}/extended-properties" Target="docProps/app.xml" Id="rId3"/>'
                '</Relationships>'))
            package.writestr("xl/workbook.xml", self._workbook())
            count = len(self.sheets)
            package.writestr("xl/_rels/workbook.xml.rels", (
                f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
                + "".join(f'<Relationship Type="{RELATIONSHIPS}/worksheet" Target="/xl/worksheets/sheet{n}.xml"'
                          f' Id="rId{n}"/>' for n in range(1, count + 1))
                + f'<Relationship Type="{RELATIONSHIPS}/styles" Target="styles.xml" Id="rId{count + 1}"/>'
                f'<Relationship Type="{RELATIONSHIPS}/theme" Target="theme/theme1.xml" Id="rId{count + 2}"/>'
                '</Relationships>'))
            package.writestr("[Content_Types].xml", (
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/xl/styles.xml" ContentType="{CONTENT}.spreadsheetml.styles+xml"/>'
                f'<Override PartName="/xl/theme/theme1.xml" ContentType="{CONTENT}.theme+xml"/>'
                '<Override PartName="/docProps/core.xml"'
                ' ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
                f'<Override PartName="/docProps/app.xml" ContentType="{CONTENT}.extended-properties+xml"/>'
                + "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml"'
                          f' ContentType="{CONTENT}.spreadsheetml.worksheet+xml"/>' for n in range(1, count + 1))
                + f'<Override PartName="/xl/workbook.xml" ContentType="{CONTENT}.spreadsheetml.sheet.main+xml"/>'
                '</Types>'))
        file.seek(0)
        return file

    def _workbook(self):
        sheets, names = [], []
        for index, sheet in enumerate(self.sheets):
            sheets.append(f'<sheet name={quoteattr(sheet.title)} sheetId="{index + 1}" state="visible"'
                          f' r:id="rId{index + 1}"/>')
            quoted = "'" + sheet.title.replace("'", "''") + "'"
            names.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
                         f'{escape(quoted)}!{sheet.filter_range(absolute=True)}</definedName>'
                         f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">'
                         f'{escape(quoted)}!$1:${sheet.header_row}</definedName>')
        return (f'<workbook xmlns:r="{RELATIONSHIPS}"'
                ' xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<workbookPr/><workbookProtection/><bookViews><workbookView visibility="visible" minimized="0"'
                ' showHorizontalScroll="1" showVerticalScroll="1" showSheetTabs="1" tabRatio="600" firstSheet="0"'
                ' activeTab="0" autoFilterDateGrouping="1"/></bookViews>'
                f'<sheets>{"".join(sheets)}</sheets><definedNames>{"".join(names)}</definedNames>'
                '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')


class Sheet:
    """One worksheet with a frozen, styled header row and set column widths."""

    def __init__(self, workbook, title, columns, *, title_row=None):
        title = title[:31]  # Excel's limit
        if NOT_IN_SHEET_NAMES.search(title):
            raise ValueError(f"Excel refuses a sheet named {title!r}")
        self.title = title
        workbook.sheets.append(self)
        self.header_row = header_row = 2 if title_row else 1  # Excel's numbers, from 1
        self.letters = [column_letter(index) for index in range(1, len(columns) + 1)]
        self.last_letter = self.letters[-1]
        self.rows, self.next_row = 0, 1
        wide = sum(width for _header, width in columns) > PORTRAIT_WIDTH
        self.orientation = "landscape" if wide else "portrait"
        # The rows, as XML, in a temporary file (deleted when closed, or when the process ends): copied into the
        # xlsx by close().
        self._rows = io.TextIOWrapper(tempfile.TemporaryFile(), encoding="utf-8", newline="")
        self._head = (
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetPr>'
            '<outlinePr summaryBelow="1" summaryRight="1"/><pageSetUpPr fitToPage="1"/></sheetPr>'
            f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{header_row}" topLeftCell="A{header_row + 1}"'
            ' activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A1" sqref="A1"/>'
            '</sheetView></sheetViews><sheetFormatPr baseColWidth="8" defaultRowHeight="15"/><cols>'
            + "".join(f'<col width="{width:g}" customWidth="1" min="{index}" max="{index}"/>'
                      for index, (_header, width) in enumerate(columns, start=1))
            + "</cols><sheetData>")
        if title_row:
            self._write([self._text(title_row, TITLE, "A1")])
        self._write([self._text(header, HEADER, f"{letter}{header_row}")
                     for letter, (header, _width) in zip(self.letters, columns)])

    def append(self, values, *, filtered=True):
        """Add a row; `filtered=False` for a row after the table (a total, a signature) that sorting must not move."""
        row, letters = self.next_row, self.letters
        cells = []
        for index, value in enumerate(values):
            if value is None:
                continue
            if index >= len(letters):
                letters.append(column_letter(index + 1))
            reference = f"{letters[index]}{row}"
            if isinstance(value, str):
                cells.append(self._text(value, TEXT, reference))
            elif isinstance(value, bool):
                cells.append(f'<c r="{reference}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, (int, float, decimal.Decimal)):
                cells.append(f'<c r="{reference}" t="n"{_number(value)}')
            elif isinstance(value, datetime.datetime):
                cells.append(f'<c r="{reference}" s="{DATETIME}" t="n"{_number(to_excel(value.replace(tzinfo=None)))}')
            elif isinstance(value, datetime.date):
                cells.append(f'<c r="{reference}" s="{DATE}" t="n"{_number(to_excel(value))}')
            else:
                raise TypeError(f"cannot write {type(value).__name__} into a sheet: {value!r}")
        self._write(cells)
        if filtered:
            self.rows += 1

    @staticmethod
    def _text(value, style, reference):
        """A string cell, never a formula whatever the text starts with; an empty text an empty one, which keeps
        the text's style."""
        if NEEDS_CARE.search(value):  # most texts need nothing: one scan tells
            # A carriage return becomes what an XML reader made of it in the text openpyxl wrote: a line feed.
            value = value.replace("\r\n", "\n").replace("\r", "\n")
            value = escape(CONTROL_CHARACTERS.sub(" ", value))
        if not value:
            return f'<c r="{reference}" s="{style}" t="inlineStr"/>'
        space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
        return f'<c r="{reference}" s="{style}" t="inlineStr"><is><t{space}>{value}</t></is></c>'

    def _write(self, cells):
        self._rows.write(f'<row r="{self.next_row}">{"".join(cells)}</row>')
        self.next_row += 1

    def filter_range(self, absolute=False):
        """The filter's range: the header and the table's rows (one row at least), not the rows after the table."""
        dollar = "$" if absolute else ""
        last_row = self.header_row + max(self.rows, 1)
        return f"{dollar}A{dollar}{self.header_row}:{dollar}{self.last_letter}{dollar}{last_row}"

    def close(self, part):
        """Write the sheet's XML into `part` (binary): its head, its rows, its tail."""
        part.write(self._head.encode())
        rows = self._rows.detach()  # the binary file under the text: its bytes are copied as they are
        rows.seek(0)
        shutil.copyfileobj(rows, part)
        rows.close()
        part.write(
            f'</sheetData><autoFilter ref="{self.filter_range()}"/><printOptions gridLines="1"/>'
            '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
            f'<pageSetup orientation="{self.orientation}" paperSize="9" fitToHeight="0" fitToWidth="1"/>'
            '</worksheet>'.encode())


def _number(value):
    """The rest of a number's cell, formatted as openpyxl did; a value Excel cannot hold (NaN, infinite) left
    empty."""
    if value != value or value in (float("inf"), float("-inf")):
        return "/>"
    return f"><v>{'%.16g' % value}</v></c>"


def new_workbook():
    return Workbook()


def _headers(reply, filename):
    reply["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return reply


def response(workbook, filename):
    """The workbook sent whole: for sheets of a few hundred rows at most."""
    with workbook.close() as file:
        return _headers(HttpResponse(file.read(), content_type=XLSX), filename)


def streamed_response(workbook, filename):
    """The workbook sent from its temporary file in chunks: for sheets of thousands of rows, whose bytes need
    never be in memory at once (the file is removed when the response is closed)."""
    return _headers(FileResponse(workbook.close(), content_type=XLSX), filename)
