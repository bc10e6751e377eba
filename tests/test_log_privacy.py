"""No secret, password, code or full phone number in the logs (issue 5, point 9), and phone numbers masked
where a list only needs to say whom to call (point 7)."""

import logging

import pytest
from django.template import Context, Template

from navportal.privacy import RedactingFormatter, mask_phone, redact

LEAKY = ("提交人 13812345678 座机 0512-66881234 身份证 32050219800101123X 邮箱 zhang.san@example.cn "
         "password=Hunter2-secret code: 123456 csrfmiddlewaretoken=abcDEF123 {'token': 'f00ba4'}")
SECRETS = ("13812345678", "66881234", "32050219800101123X", "zhang.san", "Hunter2-secret", "123456", "abcDEF123",
           "f00ba4")


def test_redact_removes_every_secret_and_keeps_the_rest():
    line = redact(LEAKY)
    for secret in SECRETS:
        assert secret not in line
    assert "138****5678" in line and "0512-****1234" in line and "@example.cn" in line and "提交人" in line


@pytest.mark.parametrize("value, masked", [
    ("13812345678", "138****5678"), ("0512-66881234", "0512-****1234"), ("010-12345678-801", "010-****5678"),
    ("", ""), (None, ""), ("未填写", "未填写"),
])
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


def test_the_template_filter_masks():
    assert Template("{% load privacy %}{{ p|masked_phone }}").render(Context({"p": "13912345678"})) == "139****5678"


def test_the_configured_log_handler_redacts_messages_arguments_and_tracebacks():
    """The handler the settings configure (the root logger's) formats through the redacting formatter, so
    a message, its %-arguments and an exception's text all come out clean."""
    configured = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    assert configured and all(isinstance(h.formatter, RedactingFormatter) for h in configured)
    handler = configured[0]
    try:
        raise ValueError(f"bad input {LEAKY}")
    except ValueError as error:
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s",
                                   ("/apply/?mobile=13812345678",), (type(error), error, error.__traceback__))
    output = handler.format(record)
    assert "Traceback" in output and "138****5678" in output
    for secret in SECRETS:
        assert secret not in output
