"""Personal data (个人信息保护法): phone numbers masked where a list only needs to say who to call, and
logs that never carry a phone number, an ID number, an e-mail address, a password, a code or a token — as text
lines (RedactingFormatter) or as JSON lines (JsonFormatter, LOG_FORMAT=json)."""

import datetime
import json
import logging
import re

# A mainland mobile number (11 digits, 1[3-9]…), not part of a longer number.
MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
# A landline with its area code: 010-12345678, 0512-1234567, extension allowed.
LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?\d{3,4}(\d{4})(?:-\d{1,6})?(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
EMAIL = re.compile(r"[\w.+-]+@([\w-]+\.[\w.-]+)")
# The names of fields whose value is a secret.
SECRET_NAMES = r"(?:password\d?|passwd|pwd|secret(?:_key)?|token|csrfmiddlewaretoken|sessionid|code|otp|key)"
# key=value or "key": "value" pairs whose value is a secret.
SECRET = re.compile(
    rf"""(?ix)(\b{SECRET_NAMES}
    ["']?\s*[:=]\s*["']?)([^\s"'&,;}}]+)""")
# A field named as a secret (an `extra` of a log call, a URL's keyword argument): its whole value is one.
SECRET_NAME = re.compile(rf"(?i){SECRET_NAMES}")


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


# Every pattern above needs a digit, an @, a : or an =; a text without any (most short values) is left as it is
# without running them.
_MAY_HOLD = re.compile(r"[\d@:=]")


def redact(text):
    """A log line with no personal data or secret in it."""
    if not _MAY_HOLD.search(text):
        return text
    text = SECRET.sub(r"\1[redacted]", text)
    text = ID_NUMBER.sub("[id-number]", text)
    text = EMAIL.sub(r"[e-mail]@\1", text)
    text = MOBILE.sub(r"\1****\2", text)
    return LANDLINE.sub(r"\1-****\2", text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then redacts the whole output: the message, its arguments and any traceback."""

    def format(self, record):
        return redact(super().format(record))


# Every attribute a LogRecord has of its own; any other is an `extra` field of the call.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
# Characters json.dumps leaves raw that some readers take for the end of a line (str.splitlines does).
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def redacted_value(name, value):
    """An `extra` field of a log call as a JSON line holds it: redacted as a text line would be, and the whole
    value when the field is named as a secret; a number stays a number unless it was someone's phone."""
    if SECRET_NAME.fullmatch(name):
        return "[redacted]"
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and abs(value) < 10 ** 10:  # too short for a phone or ID number
        return value
    text = redact(str(value))
    if isinstance(value, (int, float)) and text == str(value):
        return value
    return text


class JsonFormatter(RedactingFormatter):
    """One JSON object per line, for a log collector (LOG_FORMAT=json): time (ISO 8601, UTC), level, logger,
    message, request_id (navportal.request_id; null outside a request), then every `extra` field of the call,
    and `exception` (and `stack`) when there is one.

    Each value is redacted on its own before encoding — the message with its arguments, every extra field, the
    traceback — with the same `redact` as the text lines. Redacting the encoded line instead would miss what
    JSON's escapes hide: an ID number after an escaped line break ("\\n3205…") no longer starts a word.
    """

    def format(self, record):
        moment = datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
        entry = {"time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                 "level": record.levelname, "logger": record.name, "message": redact(record.getMessage()),
                 "request_id": getattr(record, "request_id", None)}
        for name, value in record.__dict__.items():
            if name not in _RECORD_ATTRIBUTES and name not in entry:
                entry[name] = redacted_value(name, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str).translate(_LINE_BREAKS)
