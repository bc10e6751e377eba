"""Uploads checked by what they hold (applications/uploads.py): PDFs with script or launch actions, markup hidden
deep inside an image, images declaring a decompression bomb's pixels; and the registry's xlsx bounded before it
is expanded (review/registry.py). Every file here is a real one, made by pypdf, Pillow, zlib or openpyxl."""

import io
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from applications.uploads import MAX_IMAGE_PIXELS, check_upload
from navportal.demo.content import TINY_PDF
from navportal.errors import PortalError
from review.registry import HEADERS, MAX_COLUMNS, MAX_XLSX_UNCOMPRESSED, parse_registry_sheet

ACTIVE = "contains script or actions that run when it is opened"


def upload(name, content):
    return SimpleUploadedFile(name, content, "application/octet-stream")


def pdf(decorate=None):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if decorate:
        decorate(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def js_action():
    return DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                             NameObject("/JS"): TextStringObject("app.alert('x')")})


def refusal(content, name="a.pdf"):
    with pytest.raises(ValidationError) as caught:
        check_upload(upload(name, content))
    return caught.value.messages[0]


@pytest.fixture(autouse=True)
def _english(settings):
    from django.utils import translation
    with translation.override("en"):
        yield


def test_plain_pdfs_pass():
    assert check_upload(upload("blank.pdf", pdf())) == "application/pdf"
    assert check_upload(upload("tiny.pdf", TINY_PDF)) == "application/pdf"  # no xref: the raw scan decides
    # A destination to open at is no action: scanners write it.
    assert check_upload(upload("open-at.pdf", pdf(lambda w: w._root_object.__setitem__(
        NameObject("/OpenAction"), w._root_object["/Pages"]["/Kids"]))) ) == "application/pdf"


@pytest.mark.parametrize("name, decorate", [
    ("document-javascript.pdf", lambda w: w._root_object.__setitem__(NameObject("/Names"), DictionaryObject({
        NameObject("/JavaScript"): DictionaryObject({NameObject("/Names"): ArrayObject([
            TextStringObject("x"), w._add_object(js_action())])})}))),                  # run when the file opens
    ("open-action-js.pdf", lambda w: w._root_object.__setitem__(NameObject("/OpenAction"), js_action())),
    ("launch.pdf", lambda w: w._root_object.__setitem__(NameObject("/OpenAction"), DictionaryObject({
        NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")}))),
    ("page-aa.pdf", lambda w: w.pages[0].__setitem__(NameObject("/AA"), DictionaryObject({
        NameObject("/O"): js_action()}))),
])
def test_a_pdf_with_script_or_launch_actions_is_refused(name, decorate):
    assert ACTIVE in refusal(pdf(decorate), name)


def test_an_action_packed_in_a_compressed_object_stream_is_found():
    """/Type /ObjStm: objects stored zlib-compressed, invisible to a scan of the raw bytes. The same file with a
    harmless object in the stream passes."""
    def with_object_stream(body):
        packed = zlib.compress(b"4 0 " + body)
        return (b"%PDF-1.5\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
                b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
                b"5 0 obj<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length " + str(len(packed)).encode()
                + b">>stream\n" + packed + b"\nendstream\nendobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    assert ACTIVE in refusal(with_object_stream(b"<</S/JavaScript/JS(app.alert(1))>>"))
    assert check_upload(upload("ok.pdf", with_object_stream(b"<</Type/Metadata>>"))) == "application/pdf"


def test_a_name_spelled_with_escapes_is_found():
    assert ACTIVE in refusal(TINY_PDF.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/J#61vaScript"
                                                                 b"/J#53(app.alert(1))>>"))


def test_the_portals_own_pdf_passes():
    from weasyprint import HTML
    made = HTML(string="<h1>申请表</h1><p>示例</p>").write_pdf()
    assert check_upload(upload("form.pdf", made)) == "application/pdf"


# --- Images ------------------------------------------------------------------------------------------------------

def png(width=4, height=4, text_chunk=b""):
    image = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(image, "PNG")
    data = image.getvalue()
    if text_chunk:  # a tEXt chunk right before IEND
        chunk = struct.pack(">I", len(text_chunk)) + b"tEXt" + text_chunk
        chunk += struct.pack(">I", zlib.crc32(b"tEXt" + text_chunk))
        data = data[:-12] + chunk + data[-12:]
    return data


def test_markup_deep_inside_an_image_is_found():
    """The check used to read the first 4 KB only: markup after 8 KB of padding went through."""
    assert check_upload(upload("ok.png", png(text_chunk=b"Comment\x00" + b"x" * 9000))) == "image/png"
    assert "is not a valid" in refusal(png(text_chunk=b"Comment\x00" + b"x" * 9000 + b"<script>alert(1)</script>"),
                                       "x.png")


def bomb_png(width, height):
    """A PNG whose header declares width × height pixels, with one tiny compressed row: a few hundred bytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    ihdr = struct.pack(">I", 13) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    data = zlib.compress(b"\x00" * 1024)
    idat = struct.pack(">I", len(data)) + b"IDAT" + data + struct.pack(">I", zlib.crc32(b"IDAT" + data))
    iend = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + iend


@pytest.mark.parametrize("width, height", [(10_000, 10_000), (60_000, 60_000)])
def test_an_image_declaring_too_many_pixels_is_refused(width, height):
    content = bomb_png(width, height)
    assert len(content) < 2000
    message = refusal(content, "bomb.png")
    assert f"at most {MAX_IMAGE_PIXELS // 10**6} million pixels" in message


def test_a_jpeg_declaring_too_many_pixels_is_refused():
    image = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(image, "JPEG")
    data = bytearray(image.getvalue())
    at = data.index(b"\xff\xc0")  # the frame header: height, then width, two bytes each
    data[at + 5:at + 9] = struct.pack(">HH", 40_000, 40_000)
    assert "at most" in refusal(bytes(data), "bomb.jpg")
    assert check_upload(upload("ok.jpg", image.getvalue())) == "image/jpeg"


# --- The registry's spreadsheet ------------------------------------------------------------------------------

def test_a_zip_bomb_workbook_is_refused_before_it_is_expanded():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        bomb.writestr("xl/worksheets/sheet1.xml", b" " * (MAX_XLSX_UNCOMPRESSED + 1))
    assert len(out.getvalue()) < 200_000
    with pytest.raises(PortalError) as caught:
        parse_registry_sheet(upload("bomb.xlsx", out.getvalue()))
    assert caught.value.code == "too_large"


def test_a_value_beyond_the_columns_is_refused_and_empty_formatted_cells_are_not(db):
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADERS.values()))
    sheet.cell(row=2, column=1, value="示例·某中心")
    sheet.cell(row=2, column=MAX_COLUMNS + 30).number_format = "@"  # formatted, empty
    out = io.BytesIO()
    book.save(out)
    parse_registry_sheet(upload("wide-but-empty.xlsx", out.getvalue()))  # no refusal for the width
    sheet.cell(row=3, column=16000, value="x")
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(PortalError) as caught:
        parse_registry_sheet(upload("wide.xlsx", out.getvalue()))
    assert caught.value.code == "too_many_columns"
