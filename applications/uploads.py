"""Checking an uploaded document by its content, never by its name or the browser's word for it."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
ALL_TYPES = (PDF, JPEG, PNG)

# Markup or script inside what claims to be an image or a PDF is how a "picture" turns into a page.
_MARKUP = (b"<html", b"<script", b"<svg", b"<!doctype", b"<?xml", b"<body", b"<iframe")


def sniff(head, tail):
    """The content type the bytes really are (one of ALL_TYPES), or None."""
    if head.startswith(b"%PDF-") and b"%%EOF" in tail:
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR" and b"IEND" in tail:
        return PNG
    if head.startswith(b"\xff\xd8\xff") and b"\xff\xd9" in tail:
        return JPEG
    return None


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
    if content_type is not None and content_type != PDF:
        if any(marker in head.lower() for marker in _MARKUP):
            content_type = None
    if content_type not in allowed:
        names = {PDF: "PDF", JPEG: "JPG", PNG: "PNG"}
        raise ValidationError(
            _("“%(name)s” is not a valid %(types)s file (checked by its content, not its name).")
            % {"name": upload.name, "types": " / ".join(names[t] for t in allowed)}, code="file_type")
    return content_type
