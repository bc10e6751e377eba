"""Structured logs (issue 17.4): LOG_FORMAT=json writes one JSON object per line, redacted as the text lines are
(navportal.privacy.JsonFormatter), and every line written while a request is served carries the request's id,
the one its response names in X-Request-ID (navportal.request_id)."""

import datetime
import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from navportal import privacy
from navportal.privacy import JsonFormatter, RedactingFormatter
from navportal.models import Role
from navportal.request_id import RequestIdFilter, user_id
from tests.conftest import make_user
from tests.test_health import queued_mail
from tests.test_log_privacy import LEAKY, SECRETS

ROOT = Path(__file__).resolve().parent.parent
NEW_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_log():
    """The root logger also writes, as LOG_FORMAT=json configures it, into a buffer; `json_log()` gives its lines,
    each parsed — one that is not a JSON object on a line of its own fails the test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)


def of_request(lines, rid):
    return [(line["logger"], line["message"]) for line in lines if line["request_id"] == rid]


# --- The request's id ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_every_line_of_a_request_carries_the_id_its_response_names(json_log):
    queued_mail(due_minutes_ago=45)  # the outbox check fails, and logs why from the library's own task
    response = Client().get("/health/outbox/")
    rid = response["X-Request-ID"]
    assert response.status_code == 500 and NEW_ID.fullmatch(rid)
    lines = json_log()
    assert [(line["logger"], line["request_id"]) for line in lines] == [
        ("health_check", rid), ("navportal.request", rid),
        ("django.request", rid),  # "Internal Server Error: …", logged by Django after the last middleware
    ]
    assert lines[1]["message"].startswith("GET /health/outbox/ 500 ")
    # Outside a request, no id.
    logging.getLogger("navportal").warning("after the request")
    assert json_log()[-1]["request_id"] is None


@pytest.mark.django_db
def test_two_requests_two_ids(json_log):
    first, second = Client().get("/health/")["X-Request-ID"], Client().get("/health/")["X-Request-ID"]
    assert first != second
    assert [line["request_id"] for line in json_log()] == [first, second]


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["0f8fad5bd9cb469fa16570867728950e", "nginx-abc.DEF_12", "a" * 64])
def test_a_well_formed_incoming_id_is_kept(json_log, incoming):
    response = Client().get("/health/", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] == incoming
    assert [line["request_id"] for line in json_log()] == [incoming]


@pytest.mark.django_db
@pytest.mark.parametrize("forged", ["short", "a" * 65, "abc def 123", "abcdefgh\nFAKE line", "a;b=c<script>",
                                    "请求编号请求编号请求编号", "zhang.san@example.cn", ""])
def test_a_malformed_incoming_id_is_replaced(json_log, forged):
    response = Client().get("/health/", HTTP_X_REQUEST_ID=forged)
    rid = response["X-Request-ID"]
    assert NEW_ID.fullmatch(rid) and rid != forged
    assert [line["request_id"] for line in json_log()] == [rid]
    assert forged not in json.dumps(json_log()) or forged == ""


# --- The access line -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_access_line_names_the_user_by_id_only_and_the_path_without_its_query(json_log, client):
    user = make_user("zhangsan", Role.NATIONAL)
    client.force_login(user)
    response = client.get(reverse("messages") + "?q=13812345678")
    [line] = [line for line in json_log() if line["logger"] == "navportal.request"]
    assert {k: line[k] for k in ("method", "path", "status", "user_id", "request_id")} == {
        "method": "GET", "path": "/messages/", "status": 200, "user_id": user.pk,
        "request_id": response["X-Request-ID"]}
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    # The query whole and its key: a short digit run such as "138" also turns up in the timestamp's milliseconds.
    for private in ("zhangsan", "example.cn", "13812345678", "q="):
        assert private not in json.dumps(line)


@pytest.mark.django_db
def test_the_access_line_leaves_out_one_time_tokens_of_paths(json_log):
    Client().get(reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "cj9d2k-0123456789abcdef"}))
    [line] = [line for line in json_log() if line["logger"] == "navportal.request"]
    assert line["path"] == "/accounts/reset/MQ/[redacted]/" and "0123456789abcdef" not in json.dumps(line)


@pytest.mark.django_db
def test_the_access_line_costs_no_query(json_log, client):
    user = make_user("zhangsan", Role.NATIONAL)
    client.force_login(user)
    access = logging.getLogger("navportal.request")
    counts = []
    for level in (logging.WARNING, logging.NOTSET):  # the access line off, then on
        access.setLevel(level)
        try:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("messages")).status_code == 200
        finally:
            access.setLevel(logging.NOTSET)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert [line["user_id"] for line in json_log()] == [user.pk]  # the line of the second request only


@pytest.mark.django_db
def test_a_request_answered_before_the_user_is_loaded_makes_no_query(json_log, client, settings,
                                                                      django_assert_num_queries):
    """The SSL redirect answers before anything loads the user: the access line does not load it to name it."""
    settings.SECURE_SSL_REDIRECT = True
    client.force_login(make_user("zhangsan", Role.NATIONAL))
    with django_assert_num_queries(0):
        assert client.get(reverse("messages")).status_code == 301
    assert [line["user_id"] for line in json_log()] == [None]


def test_an_unloaded_user_is_not_loaded_for_the_access_line():
    def load():
        raise AssertionError("the user was loaded")

    request = RequestFactory().get("/")
    request.user = SimpleLazyObject(load)
    assert user_id(request) is None


@pytest.mark.django_db
def test_log_level_warning_silences_the_access_line(json_log):
    logging.getLogger("navportal.request").setLevel(logging.WARNING)
    try:
        response = Client().get("/health/")
    finally:
        logging.getLogger("navportal.request").setLevel(logging.NOTSET)
    assert response.status_code == 200 and json_log() == []


# --- Redaction -------------------------------------------------------------------------------------

def format_json(message, *args, extra=None, exc_info=None):
    logger = logging.getLogger("navportal.test")
    record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1, message, args, exc_info, extra=extra)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    return line, json.loads(line)


def test_the_message_its_arguments_every_extra_field_and_the_exception_are_redacted():
    try:
        raise ValueError(f"bad input {LEAKY}")
    except ValueError as error:
        exc_info = (type(error), error, error.__traceback__)
    line, entry = format_json("报告 %s", LEAKY, exc_info=exc_info, extra={
        "contact": "zhang.san@example.cn", "phone": 13812345678, "note": LEAKY, "token": "f00ba4",
        "password": "Hunter2-secret", "count": 3, "ratio": 0.5, "ok": True, "missing": None,
        "payload": {"email": "zhang.san@example.cn", "code": "123456"}})
    for secret in SECRETS:
        assert secret not in line
    assert entry["message"].startswith("报告 提交人 138****5678")
    assert entry["contact"] == "[e-mail]@example.cn" and entry["phone"] == "138****5678"
    assert entry["token"] == entry["password"] == "[redacted]"
    assert (entry["count"], entry["ratio"], entry["ok"], entry["missing"]) == (3, 0.5, True, None)
    assert "ValueError: bad input" in entry["exception"] and "Traceback" in entry["exception"]


def test_an_id_number_on_a_line_of_its_own_is_redacted():
    """Each value is redacted before encoding: in the encoded line the number would follow "\\n" and escape."""
    number = "32050219800101123X"
    try:
        raise ValueError(f"身份证\n{number}\n")
    except ValueError as error:
        line, entry = format_json("身份证\n%s", number, exc_info=(ValueError, error, error.__traceback__))
    assert number not in line
    assert entry["message"] == "身份证\n[id-number]" and "[id-number]" in entry["exception"]


@given(st.one_of(st.text(), st.text(alphabet="0123456789１３８@:=. -xXabc\n'\"{}")))
@example("code:1")
@example("１３８１２３４５６７８")
@example("zhang@example.cn")
def test_redact_skips_only_texts_it_would_not_change(text):
    """redact() returns at once a text without a digit, @, : or =; the full redaction gives the same."""
    with patch.object(privacy, "_MAY_HOLD", re.compile("")):  # the shortcut never taken
        slow = privacy.redact(text)
    assert privacy.redact(text) == slow


def test_one_line_per_record_even_with_unicode_line_breaks():
    line, entry = format_json("a\u2028b\u2029c\x85d\re")
    assert line.splitlines() == [line] and entry["message"] == "a\u2028b\u2029c\x85d\re"


def test_the_fields():
    line, entry = format_json("hello")
    assert list(entry)[:5] == ["time", "level", "logger", "message", "request_id"]
    assert (entry["level"], entry["logger"], entry["message"], entry["request_id"]) == (
        "ERROR", "navportal.test", "hello", None)
    moment = datetime.datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))
    assert entry["time"].endswith("Z") and moment.utcoffset() == datetime.timedelta(0)
    assert abs(datetime.datetime.now(datetime.timezone.utc) - moment) < datetime.timedelta(minutes=1)


# --- The settings ----------------------------------------------------------------------------------

def run_portal_python(code, tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ("LOG_FORMAT", "LOG_LEVEL", "DATABASE_URL")}
    script = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'navportal.settings'; django.setup()\n" + code
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          env={**clean, "NAVPORTAL_VAR_DIR": str(tmp_path), **env})


def test_log_format_json_makes_every_line_json(tmp_path):
    """As configured by the settings (development: DEBUG on), every line on stderr is a JSON object, and Django's
    own lines come once — its console handler, which writes them again unredacted, is gone."""
    result = run_portal_python(
        "import logging\n"
        "from django.test import RequestFactory\n"
        "from navportal.request_id import RequestIdMiddleware\n"
        "def view(request):\n"
        "    logging.getLogger('django.request').warning('Not Found: /x/%s', 'zhang.san@example.cn')\n"
        "    try:\n"
        "        1 / 0\n"
        "    except ZeroDivisionError:\n"
        "        logging.getLogger('navportal').exception('broke for %s', '13812345678')\n"
        "    from django.http import HttpResponse\n"
        "    return HttpResponse()\n"
        "response = RequestIdMiddleware(view)(RequestFactory().get('/x/', HTTP_X_REQUEST_ID='nginx-12345678'))\n",
        tmp_path, LOG_FORMAT="json", DEBUG="1")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(line["logger"], line["request_id"]) for line in lines] == [
        ("django.request", "nginx-12345678"), ("navportal", "nginx-12345678"), ("navportal.request", "nginx-12345678")]
    assert "ZeroDivisionError" in lines[1]["exception"]
    assert "zhang.san" not in result.stderr and "13812345678" not in result.stderr


def test_log_format_is_text_by_default_and_refuses_anything_else(tmp_path, settings):
    assert settings.LOG_FORMAT == "text"
    [handler] = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    assert type(handler.formatter) is RedactingFormatter
    assert any(isinstance(f, RequestIdFilter) for f in handler.filters)
    result = run_portal_python("", tmp_path, LOG_FORMAT="xml")
    assert result.returncode != 0 and "LOG_FORMAT must be text or json; got 'xml'" in result.stderr
