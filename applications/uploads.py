"""Checking an uploaded document by its content, never by its name or the browser's word for it.

What is refused, and why:
- anything that is not really a PDF, JPEG or PNG (its bytes, not its name);
- a PDF that carries script or launch actions (/JS, /JavaScript, /Launch and the like, an /OpenAction or /AA that
  runs them): an official opening an objection's evidence must not run the sender's code. The PDF is parsed with
  pypdf — every object of the file, those packed in compressed object streams included — and its raw bytes are
  scanned as well, for objects no cross-reference table names;
- markup or script anywhere inside what claims to be an image (how a "picture" turns into a page);
- an image declaring more pixels than MAX_IMAGE_PIXELS (a decompression bomb: a few kilobytes that expand to
  gigabytes wherever the image is decoded), read from its header by Pillow without decoding it.
"""

import re
import warnings
import zlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
ALL_TYPES = (PDF, JPEG, PNG)

# Markup or script inside what claims to be an image or a PDF is how a "picture" turns into a page.
_MARKUP = (b"<html", b"<script", b"<svg", b"<!doctype", b"<?xml", b"<body", b"<iframe")
_CHUNK = 1024 * 1024

# An A4 page scanned at 600 dpi is about 35 million pixels; no document here needs more.
MAX_IMAGE_PIXELS = 50_000_000
# A scan of a few hundred pages has a few thousand objects; a file of more is not a document to read here.
MAX_PDF_OBJECTS = 100_000

# Actions that run something: script, another program, a form sent elsewhere, data imported, embedded media run.
_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/RichMediaExecute", "/GoToE"}
# Keys that hold script or trigger actions on opening, closing, printing, a page or a field: never in a document.
_ACTIVE_KEYS = {"/JS", "/JavaScript", "/AA", "/Launch"}
# A name may spell a character as #xx (/J#61vaScript is /JavaScript).
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
ACTIVE_PDF = _("“%(name)s” contains script or actions that run when it is opened (JavaScript, launching a program). "
               "Such files are refused: print it to PDF again, or scan it, and upload that.")


def sniff(head, tail):
    """The content type the bytes really are (one of ALL_TYPES), or None."""
    if head.startswith(b"%PDF-") and b"%%EOF" in tail:
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR" and b"IEND" in tail:
        return PNG
    if head.startswith(b"\xff\xd8\xff") and b"\xff\xd9" in tail:
        return JPEG
    return None


def _chunks(upload, overlap=16):
    """The whole file, in chunks that overlap by `overlap` bytes (so no marker falls between two)."""
    upload.seek(0)
    previous = b""
    while chunk := upload.read(_CHUNK):
        yield previous + chunk
        previous = chunk[-overlap:]
    upload.seek(0)


def _has_markup(upload):
    return any(marker in chunk.lower() for chunk in _chunks(upload) for marker in _MARKUP)


def _active_names(data):
    """Whether `data` (PDF syntax) names /JS, /JavaScript, /Launch or /AA, also #-escaped."""
    for match in re.finditer(rb"/[A-Za-z0-9#]{2,40}", data):
        name = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group())
        if name in (b"/JS", b"/JavaScript", b"/Launch", b"/AA"):
            return True
    return False


def _raw_pdf_is_active(upload):
    """The bytes scanned without a parser: the file as written, and every object stream (/Type /ObjStm, where
    a PDF packs objects compressed) inflated within a bound — so that a file pypdf cannot parse, or an object no
    cross-reference table names, is still checked. Other streams (page content, images) hold no actions."""
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if _active_names(data):
        return True
    budget = 64 * 1024 * 1024  # inflated bytes in all, against a compressed bomb
    for match in re.finditer(rb"stream\r?\n", data):
        header = data[max(0, match.start() - 2048):match.start()]
        header = header[header.rfind(b"obj"):] if b"obj" in header else header
        if b"/ObjStm" not in _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), header):
            continue
        end = data.find(b"endstream", match.end())
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(data[match.end():end if end > 0 else None], budget)
        except zlib.error:
            continue
        budget -= len(inflated)
        if _active_names(inflated):
            return True
        if budget <= 0:
            return True  # more packed objects than any document holds: refused as if active
    return False


def _pdf_problem(upload):
    """Why this PDF is refused (a message), or None. Every object is read through pypdf: the cross-reference
    tables and the compressed object streams; each dictionary (stream dictionaries too) is checked."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    upload.seek(0)
    try:
        reader = PdfReader(upload, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return _("“%(name)s” is encrypted with a password, so its content cannot be checked. Upload it "
                     "without the password.") % {"name": upload.name}
        numbers = {(number, generation) for generation, table in reader.xref.items() for number in table}
        numbers |= {(number, 0) for number in reader.xref_objStm}
        if len(numbers) > MAX_PDF_OBJECTS:
            return _("“%(name)s” is not a document this portal can check (too many objects).") % {"name": upload.name}
        pending = [reader.trailer]
        for number, generation in numbers:
            try:
                pending.append(reader.get_object(IndirectObject(number, generation, reader)))
            except Exception:  # noqa: BLE001 - an object pypdf cannot read is one no viewer will run either
                continue
        seen = 0
        while pending:
            value = pending.pop()
            seen += 1
            if seen > MAX_PDF_OBJECTS * 10:
                return _("“%(name)s” is not a document this portal can check (too many objects).") % {
                    "name": upload.name} % {"name": upload.name}
            if isinstance(value, DictionaryObject):
                keys = set(value.keys())
                action = value.get("/S")
                action = action.get_object() if hasattr(action, "get_object") else action
                if keys & _ACTIVE_KEYS or (action is not None and str(action) in _ACTIVE_ACTIONS):
                    return ACTIVE_PDF % {"name": upload.name}
                # Direct children only: indirect ones are among the objects read above.
                pending.extend(child for child in value.values() if isinstance(child, (DictionaryObject,
                                                                                        ArrayObject)))
            elif isinstance(value, ArrayObject):
                pending.extend(child for child in value if isinstance(child, (DictionaryObject, ArrayObject)))
    except Exception:  # noqa: BLE001 - pypdf signals a damaged file by many exception types
        # Viewers repair what pypdf will not parse (no cross-reference table, a cut one): the raw scan below,
        # object streams inflated, decides then.
        pass
    finally:
        upload.seek(0)
    if _raw_pdf_is_active(upload):
        return ACTIVE_PDF % {"name": upload.name}
    return None


def _image_problem(upload):
    """Why this image is refused (a message), or None. Markup anywhere in it, or a header Pillow cannot read:
    not an image at all; more pixels declared than MAX_IMAGE_PIXELS: a decompression bomb."""
    from PIL import Image

    if _has_markup(upload):
        return NOT_AN_IMAGE
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(upload) as image:  # reads the header only: nothing is decoded
                width, height = image.size
    except Image.DecompressionBombError:  # Pillow's own bound (twice its MAX_IMAGE_PIXELS) is above ours
        return _("“%(name)s” declares too many pixels; images may have at most %(limit)d million pixels. Scan it at "
                 "a lower resolution (300 dpi is enough).") % {"name": upload.name, "limit": MAX_IMAGE_PIXELS // 10**6}
    except Exception:  # noqa: BLE001 - Pillow signals a broken header by many exception types
        return NOT_AN_IMAGE
    finally:
        upload.seek(0)
    if width * height > MAX_IMAGE_PIXELS:
        return _("“%(name)s” declares %(width)d × %(height)d pixels; images may have at most %(limit)d million "
                 "pixels. Scan it at a lower resolution (300 dpi is enough).") % {
            "name": upload.name, "width": width, "height": height, "limit": MAX_IMAGE_PIXELS // 10**6}
    return None


NOT_AN_IMAGE = object()


def check_upload(upload, allowed=ALL_TYPES):
    """Return the real content type of `upload`, or raise ValidationError with a message for the user."""
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is %(size)s; files may be at most %(limit)s.")
            % {"name": upload.name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large")
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(max(0, upload.size - 1024))
    tail = upload.read()
    upload.seek(0)
    content_type = sniff(head, tail)
    problem = None
    if content_type == PDF and PDF in allowed:
        problem = _pdf_problem(upload)
        code = "active_content"
    elif content_type in allowed:
        problem = _image_problem(upload)
        code = "too_many_pixels"
    if content_type not in allowed or problem is NOT_AN_IMAGE:
        names = {PDF: "PDF", JPEG: "JPG", PNG: "PNG"}
        raise ValidationError(
            _("“%(name)s” is not a valid %(types)s file (checked by its content, not its name).")
            % {"name": upload.name, "types": " / ".join(names[t] for t in allowed)}, code="file_type")
    if problem:
        raise ValidationError(problem, code=code)
    return content_type
