"""The registry of exempting titles and local bases (SPEC §5, §6.5): CNIPA's import sheet, matching a
claim against it, and retiring titles when the final list is confirmed.

The sheet is checked as a whole before anything is written: `parse_registry_sheet` returns one report
per row with every reason a row is refused, and `registry_import` writes all rows or none.
"""

import datetime
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from applications.validators import normalize_credit_code, validate_credit_code
from navportal import xlsx
from navportal.audit import audit_record
from navportal.errors import PortalError
from navportal.models import Province, Role
from navportal.text import validate_single_line

from .models import RegistryEntry, RegistryKind

# The sheet's columns: field → Chinese header, as in the template CNIPA downloads.
HEADERS = {
    "kind": "类别",
    "name": "名称",
    "aliases": "别名",
    "credit_code": "统一社会信用代码",
    "province": "省份",
    "document_number": "认定文件文号",
    "designated_on": "认定日期",
    "term_ends_on": "届满日期",
}
REQUIRED_HEADERS = ("kind", "name", "document_number", "designated_on")
TEMPLATE_WIDTHS = {"kind": 30, "name": 36, "aliases": 30, "credit_code": 22, "province": 10,
                   "document_number": 24, "designated_on": 12, "term_ends_on": 12}

# The official names of the categories, as they appear in designation documents.
KIND_NAMES = {
    "国家级知识产权保护中心": RegistryKind.PROTECTION_CENTRE,
    "国家知识产权强国建设示范园区": RegistryKind.DEMONSTRATION_PARK,
    "原国家专利导航产业发展实验区": RegistryKind.EXPERIMENTAL_ZONE,
    "原国家专利导航试点工程研究基地": RegistryKind.PILOT_BASE,
    "地方专利导航服务基地": RegistryKind.LOCAL_BASE,
}

MAX_ROWS = 5000
# Past the template's columns a sheet may hold notes in a few more; a value beyond MAX_COLUMNS is refused (a
# row reaching column XFD would otherwise be read as 16,384 cells).
MAX_COLUMNS = 50
# What the workbook may expand to, as its zip directory declares (Python's zipfile never inflates a member past
# its declared size): a registry of MAX_ROWS rows is a few megabytes; a zip bomb of a few kilobytes declares
# gigabytes and is refused before anything is inflated.
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_XLSX_MEMBERS = 500
HEADER_SEARCH_ROWS = 10  # a title row or two above the headers is tolerated
ALIAS_SEPARATORS = re.compile(r"[；;、\n\r]+")
PROVINCE_SUFFIX = re.compile(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区)$")
DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format


@dataclass
class RowReport:
    """One data row of the sheet: what was read, every reason it is refused, and what the import did."""

    number: int  # as Excel numbers it
    kind_text: str = ""
    name: str = ""
    values: dict = field(default_factory=dict)  # field → clean value, only for the sheet's columns
    reasons: list = field(default_factory=list)
    outcome: str = ""  # "created" or "updated", set by registry_import

    @property
    def accepted(self):
        return not self.reasons

    @property
    def kind_label(self):
        kind = self.values.get("kind")
        return RegistryKind(kind).label if kind else self.kind_text


def name_key(value):
    """A name as compared: no whitespace at all, brackets half-width, case folded."""
    text = "".join((value or "").split())
    return text.translate(str.maketrans("（）", "()")).casefold()


# --- Reading the sheet ---------------------------------------------------------------------------

def open_registry_workbook(file):
    """The workbook in `file`, opened read-only; PortalError when it is not an xlsx openpyxl can read."""
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if head.startswith(OLE2_MAGIC):
        raise PortalError(_("This is an old-format .xls file. Save it in Excel or WPS as “Excel workbook "
                            "(.xlsx)” and upload that."), code="file_type")
    not_xlsx = PortalError(_("This file is not an Excel workbook (.xlsx). Download the template, fill it in "
                             "and upload it as .xlsx."), code="file_type")
    if not zipfile.is_zipfile(file):
        raise not_xlsx
    file.seek(0)
    try:
        members = zipfile.ZipFile(file).infolist()
    except Exception:  # a damaged zip directory
        raise not_xlsx from None
    file.seek(0)
    expanded = sum(member.file_size for member in members)
    if len(members) > MAX_XLSX_MEMBERS or expanded > MAX_XLSX_UNCOMPRESSED:
        raise PortalError(_("This workbook would expand to %(size)s; a registry sheet is at most %(limit)s. Save "
                            "only the registry's sheet, without pictures, and upload that.")
                          % {"size": filesizeformat(expanded), "limit": filesizeformat(MAX_XLSX_UNCOMPRESSED)},
                          code="too_large")
    try:
        return load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl signals a broken or foreign zip by many exception types
        raise not_xlsx from None


def _read_rows(workbook):
    """The first sheet's rows as lists of values, numbered as in Excel; bounded by MAX_ROWS."""
    if not workbook.worksheets:
        raise PortalError(_("The workbook has no worksheet."), code="empty")
    sheet = workbook.worksheets[0]
    # Some programs write a wrong sheet size; without this read-only mode would silently cut rows off.
    sheet.reset_dimensions()
    rows = []
    try:
        for number, row in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            if number > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise PortalError(_("The sheet has more than %(n)d rows; split it into several files.")
                                  % {"n": MAX_ROWS}, code="too_many_rows")
            if len(row) > MAX_COLUMNS:
                if any(value not in (None, "") for value in row[MAX_COLUMNS:]):
                    raise PortalError(_("Row %(row)d has values beyond column %(n)d; the registry's columns are "
                                        "the template's. Delete the columns on the right and upload again.")
                                      % {"row": number, "n": MAX_COLUMNS}, code="too_many_columns")
                row = row[:MAX_COLUMNS]  # formatted but empty cells on the right, as some programs write
            rows.append((number, list(row)))
    except PortalError:
        raise
    except Exception:  # the sheet's XML is read lazily: a damaged file fails here, not when opened
        raise PortalError(_("This workbook is damaged and cannot be read. Save it again as .xlsx and "
                            "upload that."), code="file_type") from None
    return rows


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _blank(row):
    return all(_text(value) == "" for value in row)


def _header_key(value):
    text = "".join(_text(value).split()).rstrip("*＊")
    return re.sub(r"[（(](必填|选填|可选)[）)]$", "", text)


def _find_header(rows):
    """(index in rows, {field: column}) of the header row; PortalError when there is none or it lacks columns."""
    by_header = {header: key for key, header in HEADERS.items()}
    for index, (_number, row) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns = {}
        for column, value in enumerate(row):
            key = by_header.get(_header_key(value))
            if key is None:
                continue
            if key in columns:
                raise PortalError(_("The column “%(header)s” appears twice in the header row.")
                                  % {"header": HEADERS[key]}, code="header")
            columns[key] = column
        if len(columns) >= 2:
            missing = [HEADERS[key] for key in REQUIRED_HEADERS if key not in columns]
            if missing:
                raise PortalError(_("The header row lacks the required column(s) %(columns)s. Use the template's "
                                    "column names.") % {"columns": "、".join(missing)}, code="header")
            return index, columns
    raise PortalError(_("No header row found: the first sheet must have a row with the column names %(columns)s.")
                      % {"columns": "、".join(HEADERS.values())}, code="header")


def _provinces():
    """Province by its Chinese name, full (江苏省) or short (江苏)."""
    names = {}
    for province in Province.objects.all():
        names[province.name] = province
        names.setdefault(PROVINCE_SUFFIX.sub("", province.name), province)
    return names


def _date(value):
    """A date from a date cell or a text; raises ValueError when it is none."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        text = "".join(value.split())
        for pattern in DATE_PATTERNS:
            match = pattern.match(text)
            if match:
                return datetime.date(*map(int, match.groups()))  # ValueError for 2月30日
    raise ValueError(value)


def _problem(row, header, message):
    row.reasons.append(_("%(column)s: %(problem)s") % {"column": header, "problem": message})


def _check_kind(row, raw):
    text = _text(raw)
    row.kind_text = text
    if not text:
        _problem(row, HEADERS["kind"], _("required."))
        return
    compact = "".join(text.split())
    kind = KIND_NAMES.get(compact) or KIND_NAMES.get(f"原{compact}")
    if kind is None and compact in RegistryKind.values:
        kind = RegistryKind(compact)
    if kind is not None:
        row.values["kind"] = kind.value
    elif "试点" in compact and ("园区" in compact or "强国" in compact):
        _problem(row, HEADERS["kind"], _("“%(value)s” is a pilot park (试点园区): only demonstration parks "
                                         "(示范园区) are exempt, pilot parks are not.") % {"value": text})
    else:
        _problem(row, HEADERS["kind"], _("“%(value)s” is not a category of the registry; use one of %(kinds)s.")
                 % {"value": text, "kinds": "、".join(KIND_NAMES)})


def _check_text(row, key, raw, *, max_length, required):
    text = _text(raw)
    if not text and required:
        _problem(row, HEADERS[key], _("required."))
    elif len(text) > max_length:
        _problem(row, HEADERS[key], _("at most %(n)d characters.") % {"n": max_length})
    else:
        try:
            validate_single_line(text)  # a name or a number is one line, as everywhere in the portal
        except ValidationError as exc:
            _problem(row, HEADERS[key], exc.messages[0])
        else:
            row.values[key] = text
    return text


def _check_credit_code(row, raw):
    if isinstance(raw, (int, float)):
        _problem(row, HEADERS["credit_code"], _("enter the code as text: a number cell keeps only 15 digits."))
        return
    code = normalize_credit_code(unicodedata.normalize("NFKC", _text(raw)))
    if code:
        try:
            validate_credit_code(code)
        except ValidationError as exc:
            _problem(row, HEADERS["credit_code"], exc.messages[0])
            return
    row.values["credit_code"] = code


def _check_province(row, raw, provinces):
    text = "".join(_text(raw).split())
    if not text:
        row.values["province"] = None
    elif text in provinces:
        row.values["province"] = provinces[text]
    else:
        _problem(row, HEADERS["province"], _("“%(value)s” is not a province; write its Chinese name, e.g. 江苏省 "
                                             "or 江苏.") % {"value": text})


def _check_dates(row, designated_raw, end_raw, columns):
    designated = end = None
    if _text(designated_raw) == "":
        _problem(row, HEADERS["designated_on"], _("required."))
    else:
        try:
            designated = row.values["designated_on"] = _date(designated_raw)
        except ValueError:
            _problem(row, HEADERS["designated_on"], _("“%(value)s” is not a date; use a date cell or YYYY-MM-DD.")
                     % {"value": _text(designated_raw)})
    if "term_ends_on" not in columns:
        return
    if _text(end_raw) == "":
        row.values["term_ends_on"] = None
        return
    try:
        end = row.values["term_ends_on"] = _date(end_raw)
    except ValueError:
        _problem(row, HEADERS["term_ends_on"], _("“%(value)s” is not a date; use a date cell or YYYY-MM-DD.")
                 % {"value": _text(end_raw)})
        return
    if designated is not None and end < designated:
        _problem(row, HEADERS["term_ends_on"], _("the end of term %(end)s lies before the designation date "
                                                 "%(start)s.") % {"end": end, "start": designated})


def _aliases(raw, name):
    aliases = []
    for alias in ALIAS_SEPARATORS.split(_text(raw)):
        alias = alias.strip()
        if alias and alias != name and alias not in aliases:
            aliases.append(alias)
    return aliases


def _check_row(number, cells, columns, provinces):
    def cell(key):
        return cells[columns[key]] if key in columns and columns[key] < len(cells) else None

    row = RowReport(number=number)
    _check_kind(row, cell("kind"))
    row.name = _check_text(row, "name", cell("name"), max_length=200, required=True)
    if "aliases" in columns:
        aliases = row.values["aliases"] = _aliases(cell("aliases"), row.name)
        try:
            for alias in aliases:
                validate_single_line(alias)  # one per line is fine: line breaks separate them
        except ValidationError as exc:
            _problem(row, HEADERS["aliases"], exc.messages[0])
    if "credit_code" in columns:
        _check_credit_code(row, cell("credit_code"))
    if "province" in columns:
        _check_province(row, cell("province"), provinces)
    _check_text(row, "document_number", cell("document_number"), max_length=100, required=True)
    _check_dates(row, cell("designated_on"), cell("term_ends_on"), columns)
    return row


def parse_registry_sheet(file):
    """Read and check every row of the first sheet of the xlsx in `file`.

    Returns one RowReport per non-empty data row, in sheet order; a refused row carries every reason.
    Raises PortalError for what makes the whole file unusable: not an xlsx, no header row, a required
    column missing, no data rows, too many rows.
    """
    workbook = open_registry_workbook(file)
    try:
        rows = _read_rows(workbook)
    finally:
        workbook.close()
    header_index, columns = _find_header(rows)
    provinces = _provinces()
    reports, seen = [], {}
    for number, cells in rows[header_index + 1:]:
        if _blank(cells):
            continue
        row = _check_row(number, cells, columns, provinces)
        if "kind" in row.values and "name" in row.values:
            key = (row.values["kind"], name_key(row.name))
            if key in seen:
                _problem(row, HEADERS["name"], _("the same category and name already appear in row %(n)d.")
                         % {"n": seen[key]})
            else:
                seen[key] = number
        reports.append(row)
    if not reports:
        raise PortalError(_("The sheet has a header row but no entries below it."), code="empty")
    return reports


# --- Writing --------------------------------------------------------------------------------------

def registry_import(*, actor, rows, file_name=""):
    """Write the checked rows of a sheet: all of them, or none.

    Preconditions: `actor` is CNIPA staff; every row was accepted by parse_registry_sheet.
    Effects: an existing entry of the same category and name is updated (only in the sheet's columns;
    its retirement is left alone), any other row creates an entry; each row's `outcome` is set; one audit
    line "N created, M updated, file". Returns (created, updated), lists of RegistryEntry.
    Errors: PortalError when a precondition fails or the registry changed under the import.
    """
    if actor.role != Role.NATIONAL:
        raise PortalError(_("Only CNIPA staff can do this."), code="forbidden")
    if not rows or any(not row.accepted for row in rows):
        raise PortalError(_("Nothing was imported: the sheet has refused rows."), code="refused")
    created, updated = [], []
    try:
        with transaction.atomic():
            kinds = {row.values["kind"] for row in rows}
            exact, similar = {}, {}
            for entry in RegistryEntry.objects.select_for_update().filter(kind__in=kinds):
                exact[(entry.kind, entry.name)] = entry
                similar.setdefault((entry.kind, name_key(entry.name)), entry)
            for row in rows:
                values = dict(row.values)
                kind, name = values.pop("kind"), values.pop("name")
                entry = exact.get((kind, name)) or similar.get((kind, name_key(name)))
                if entry is None:
                    entry = RegistryEntry.objects.create(kind=kind, name=name, **values)
                    row.outcome = "created"
                    created.append(entry)
                    continue
                entry.name = name
                for key, value in values.items():
                    setattr(entry, key, value)
                # Possible only when the sheet has no 届满日期 column and moves the designation date.
                if entry.term_ends_on is not None and entry.term_ends_on < entry.designated_on:
                    raise PortalError(_("Row %(n)d: the registry's end of term %(end)s would lie before the new "
                                        "designation date; add the 届满日期 column.")
                                      % {"n": row.number, "end": entry.term_ends_on}, code="term")
                entry.save(update_fields=["name", *values])
                row.outcome = "updated"
                updated.append(entry)
            audit_record(actor=actor, action="registry_import",
                         note=f"{len(created)} created, {len(updated)} updated, {file_name}")
    except IntegrityError:
        # Two imports at once creating the same entry: the later one is refused whole.
        raise PortalError(_("The registry changed while this sheet was imported; nothing was imported. "
                            "Upload it again."), code="conflict") from None
    return created, updated


def titles_to_retire(kinds):
    """The entries of `kinds` not yet retired: what confirming the final list retires (its preview lists them)."""
    return RegistryEntry.objects.filter(kind__in=list(kinds), retired_on__isnull=True)


def registry_retire(*, kinds, document, on, only=None):
    """Mark every entry of `kinds` not yet retired as retired on `on` by `document` (SPEC §6.5); `only`: just
    these of them (the ids the confirmed preview listed).

    Called inside the final-list confirmation, whose transaction and audit line cover it. Returns the count.
    """
    entries = titles_to_retire(kinds)
    if only is not None:
        entries = entries.filter(pk__in=only)
    return entries.update(retired_on=on, retired_by=document)


# --- Reading the registry -------------------------------------------------------------------------

def live_entries(kind, on):
    return RegistryEntry.objects.filter(kind=kind, designated_on__lte=on).filter(
        Q(retired_on__isnull=True) | Q(retired_on__gt=on), Q(term_ends_on__isnull=True) | Q(term_ends_on__gte=on))


def _matching(application, entries):
    """The entries among `entries` that are this application's body, in pk order.

    A match by the organisation's credit code comes first; otherwise by the application's name equal to
    the entry's name or one of its aliases, compared without whitespace and with brackets half-width.
    """
    entries = entries.select_related("province").order_by("pk")
    code = normalize_credit_code(application.organisation.credit_code)
    if code:
        by_code = list(entries.filter(credit_code=code))
        if by_code:
            return by_code
    wanted = name_key(application.name)
    if not wanted:
        return []
    # A namesake with another credit code is another body: never pre-verify on the name then.
    return [entry for entry in entries  # one category's titles: a few hundred at most
            if not (entry.credit_code and code and entry.credit_code != code)
            and wanted in {name_key(name) for name in [entry.name, *entry.aliases]}]


def registry_match(application, *, kind, on):
    """The live entry of `kind` (an ExemptCategory value or "local_base") that is this application's body,
    or None."""
    if kind not in RegistryKind.values:
        raise ValueError(f"not a registry kind: {kind!r}")
    matches = _matching(application, live_entries(kind, on))
    return matches[0] if matches else None


def registry_lookup(application, *, kind, on):
    """(entry, standing) of the application's body in the registry on `on`: its live entry ("live") if it
    has one, otherwise the entry whose title ended last ("term_ended" or "retired"), or (None, None).

    `on` is the call's deadline: a title whose term ended by then does not exempt (SPEC §5).
    """
    if kind not in RegistryKind.values:
        raise ValueError(f"not a registry kind: {kind!r}")
    live = registry_match(application, kind=kind, on=on)
    if live is not None:
        return live, "live"
    ended = _matching(application, RegistryEntry.objects.filter(kind=kind, designated_on__lte=on))
    if not ended:
        return None, None
    entry = max(ended, key=lambda e: min(d for d in (e.term_ends_on, e.retired_on) if d is not None))
    return entry, registry_status(entry, on)


def registry_hint(application, kind, on):
    """What the reviewer is told of a claim: {"entry", "standing", "ended_on"}, or {} when nothing matches."""
    entry, standing = registry_lookup(application, kind=kind, on=on)
    if entry is None:
        return {}
    return {"entry": entry, "standing": standing, "ended_on": registry_end(entry) if standing != "live" else None}


def registry_end(entry):
    """The day the entry's title stopped holding: its retirement or the end of its term, whichever came first."""
    return min(d for d in (entry.term_ends_on, entry.retired_on) if d is not None)


def registry_status(entry, on):
    """The entry's standing on `on`: "retired", "term_ended" or "live"."""
    if entry.retired_on is not None and entry.retired_on <= on:
        return "retired"
    if entry.term_ends_on is not None and entry.term_ends_on < on:
        return "term_ended"
    return "live"


def registry_entries(*, kind="", q=""):
    """The registry as CNIPA lists it, filtered by category and a search in name, aliases and credit code."""
    entries = RegistryEntry.objects.select_related("province")
    if kind:
        entries = entries.filter(kind=kind)
    term = (q or "").strip()
    if term:
        # SQLite stores JSON with non-ASCII characters escaped (\uXXXX), PostgreSQL as they are: search both.
        escaped = json.dumps(term)[1:-1]
        entries = entries.filter(Q(name__icontains=term) | Q(aliases__icontains=term) | Q(aliases__icontains=escaped)
                                 | Q(credit_code=normalize_credit_code(term)))
    return entries


# --- The template ---------------------------------------------------------------------------------

EXAMPLE_ROW = ["国家级知识产权保护中心", "中国（示例）知识产权保护中心", "示例知识产权保护中心；示例保护中心",
               "91320500MA1EXAMPLW", "江苏省", "国知办函管字〔2019〕1号", datetime.date(2019, 3, 1), ""]


def registry_template_response():
    """The xlsx CNIPA fills in: the headers, one example row, and a sheet of instructions (说明)."""
    workbook = xlsx.new_workbook()
    sheet = xlsx.Sheet(workbook, "名录", [(HEADERS[key], TEMPLATE_WIDTHS[key]) for key in HEADERS])
    sheet.append(EXAMPLE_ROW)
    notes = xlsx.Sheet(workbook, "说明", [("项目", 16), ("说明", 90)])
    for kind_name in KIND_NAMES:
        notes.append(["类别（可填）", kind_name])
    for item, text in (
        ("不予登记", "国家知识产权强国建设试点园区（试点园区）不属于免占名额类别，导入时将被拒绝；只有示范园区免占名额。"),
        ("必填列", "类别、名称、认定文件文号、认定日期。"),
        ("别名", "多个别名之间用全角分号“；”分隔。"),
        ("统一社会信用代码", "可不填；填写时须为18位有效代码，请以文本格式填写。"),
        ("省份", "可不填；填写省级行政区的中文名称，如“江苏省”或“江苏”。"),
        ("日期", "认定日期、届满日期填写日期格式单元格，或文本 YYYY-MM-DD（如 2019-03-01）；届满日期可不填，且不得早于认定日期。"),
        ("重复导入", "同一类别下名称相同的条目将被更新，其余新建；任一行有误时整个文件不导入。"),
        ("示例行", "第2行为示例，导入前请删除或替换。"),
    ):
        notes.append([item, text])
    return xlsx.response(workbook, "专利导航名录导入模板.xlsx")
