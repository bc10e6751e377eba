"""Personal data (个人信息保护法): phone numbers masked where a list only needs to say who to call, and
logs that never carry a phone number, an ID number, an e-mail address, a password, a code or a token."""

import logging
import re

# A mainland mobile number (11 digits, 1[3-9]…), not part of a longer number.
MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
# A landline with its area code: 010-12345678, 0512-1234567, extension allowed.
LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?\d{3,4}(\d{4})(?:-\d{1,6})?(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
EMAIL = re.compile(r"[\w.+-]+@([\w-]+\.[\w.-]+)")
# key=value or "key": "value" pairs whose value is a secret.
SECRET = re.compile(
    r"""(?ix)(\b(?:password\d?|passwd|pwd|secret(?:_key)?|token|csrfmiddlewaretoken|sessionid|code|otp|key)
    ["']?\s*[:=]\s*["']?)([^\s"'&,;}]+)""")


def mask_phone(value):
    """'13812345678' → '138****5678'; '0512-66881234' → '0512-****1234'; anything else unchanged."""
    text = str(value or "")
    masked = MOBILE.sub(r"\1****\2", text)
    if masked == text:
        masked = LANDLINE.sub(r"\1-****\2", text)
    return masked


def masked_email(address):
    """"w***@example.cn": the first letter of the mailbox and the domain — enough for its holder to recognise it,
    not to learn it."""
    local, _sep, domain = (address or "").strip().partition("@")
    return f"{local[:1]}***@{domain}"


def redact(text):
    """A log line with no personal data or secret in it."""
    text = SECRET.sub(r"\1[redacted]", text)
    text = ID_NUMBER.sub("[id-number]", text)
    text = EMAIL.sub(r"[e-mail]@\1", text)
    text = MOBILE.sub(r"\1****\2", text)
    return LANDLINE.sub(r"\1-****\2", text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then redacts the whole output: the message, its arguments and any traceback."""

    def format(self, record):
        return redact(super().format(record))
