"""Hostile input for property-based tests of the portal's forms, and the checks every answer must pass.

What a careless or malicious user can type or send: any Unicode text (control characters, NUL, right-to-left
and zero-width characters), very long strings, markup, template, SQL and spreadsheet-formula look-alikes,
numbers out of range, malformed dates, wrong values for choice fields, keys sent twice or not at all, and
files with hostile names and contents. Strategies for a form are derived from the form's own fields; those for a
service called directly (value_strategy, service_values, table_rows) from the model fields it stores into,
with values of any Python type as a careless caller could pass them.
"""

import datetime
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django import forms
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from navportal.demo.content import TINY_PDF
from navportal.text import text_validators
from tests.conftest import outer_test_transaction

# --- Running the search --------------------------------------------------------------------------------------

# Hypothesis keeps caches (Unicode tables, constants) in ./.hypothesis: keep them out of the working tree.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "navportal-hypothesis")

# HOSTILE_SCALE=20 HOSTILE_RANDOM=1 runs twenty times the examples with a fresh random seed: a longer search,
# e.g. before a release. By default the search is short and the same on every run.
SCALE = float(os.environ.get("HOSTILE_SCALE", "1"))
RANDOM = bool(os.environ.get("HOSTILE_RANDOM"))


# Without Hypothesis' "explain" phase: it traces every line of the failing examples, which is slow here and
# has tripped CPython 3.11's "AST constructor recursion depth mismatch" while pytest formatted the report.
PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)


def hostile(max_examples=25):
    """Hypothesis settings for these tests: repeatable, nothing written to disk, function-scoped fixtures
    shared by the examples of one test (each example rolls its changes back, see rolled_back)."""
    return settings(max_examples=max(1, int(max_examples * SCALE)), deadline=None, derandomize=not RANDOM,
                    database=None, phases=PHASES, suppress_health_check=[
                        HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                        HealthCheck.filter_too_much])


@contextmanager
def rolled_back(client):
    """Run one example in a transaction that is undone afterwards, so every example meets the same data; drop
    the flash messages it left in the client's cookies and the rate limits' counters it moved (every example is
    one visitor's first submission)."""
    try:
        with outer_test_transaction():
            yield
            transaction.set_rollback(True)
    finally:
        client.cookies.pop("messages", None)
        caches["ratelimit"].clear()


# --- Text, numbers, dates ------------------------------------------------------------------------------------

SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"
FORMULAS = ("=1+1", "+1", "-1", "@SUM(A1)", "=cmd|' /C calc'!A0", '=HYPERLINK("http://x","y")')

HOSTILE_STRINGS = (
    SCRIPT, IMG, "<script>alert(1)</script>", "'; DROP TABLE x; --", "\" OR 1=1 --", "{{ 7*7 }}", "{% debug %}",
    "${7*7}", "%s%s%n", *FORMULAS, "javascript:alert(1)", "</textarea><script>alert(2)</script>",
    "\"><svg onload=alert(3)>", "&lt;b&gt;", "&amp;", "\x00", "名称\x00后缀", "\r\n", "\r", "\t", " ", "　",
    "\u202eevil\u202c", "\u200b", "\u200d", "\ufeff", "\u2028", "עברית", "العربية", "中文输入", "𠀀𪚥",
    "\U0001F600", "\x1b[31mred", "\x7f", "..\\..\\etc\\passwd", "null", "None", "NaN", "", "0", "-0",
)
# Longer than any field allows; built by repetition because Hypothesis' own buffer is smaller.
LONG_STRINGS = ("A" * 10000, "中" * 10001, "<script>" * 1300, "=" + "9" * 9999)

CONTROL = st.characters(categories=("Cc", "Cf", "Zs", "Zl", "Zp"))


def long_text():
    return st.builds(lambda piece, n: (piece * n)[:10050], st.text(min_size=1, max_size=4), st.integers(2600, 10050))


def hostile_text():
    """Any text a user could type or paste."""
    return st.one_of(
        st.sampled_from(HOSTILE_STRINGS),
        st.text(),
        st.text(alphabet=CONTROL, min_size=1, max_size=8),
        st.sampled_from(LONG_STRINGS),
        long_text(),
        st.builds(lambda a, b, c: a + b + c, st.sampled_from(HOSTILE_STRINGS), st.text(max_size=10),
                  st.sampled_from(HOSTILE_STRINGS)),
    )


NUMBER_STRINGS = ("-1", "-0", "0", "1e309", "-1e309", "1e5", "NaN", "Infinity", "-Infinity", "0x10", "1_000",
                  "１２", "٣", " 5 ", "5.", ".5", "1,000", "99999999999999999999999", "9" * 5000, "1.23456789",
                  "100.05", "32768", "65536", "-32769", "1/2", "")


def hostile_number():
    return st.one_of(
        st.sampled_from(NUMBER_STRINGS),
        st.integers(-(10 ** 30), 10 ** 30).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.decimals(allow_nan=False, allow_infinity=False).map(str),
        hostile_text(),
    )


DATE_STRINGS = ("2026-02-30", "2025-02-29", "yesterday", "today", "0000-00-00", "0001-01-01", "9999-12-31",
                "2025-13-01", "2025-00-10", "20250101", "2025/01/01", "2025-1-1", "01/02/2025", "2025-01-01T00:00",
                "1986-05-04", "-2025-01-01", "+12025-01-01", "")


def hostile_date():
    return st.one_of(st.sampled_from(DATE_STRINGS), st.dates().map(datetime.date.isoformat), hostile_text())


# 1986-05-04T02:30 and 1991-09-15T00:30 do not exist or are ambiguous in Asia/Shanghai (summer time then).
DATETIME_STRINGS = ("0001-01-01T00:00", "0001-01-01T08:00", "9999-12-31T23:59", "2026-02-30T10:00",
                    "1986-05-04T02:30", "1991-09-15T00:30", "2025-01-01 10:00", "2025-01-01T25:00", "yesterday",
                    "2025-01-01T10:00:00+14:00", "")


def hostile_datetime():
    return st.one_of(st.sampled_from(DATETIME_STRINGS), st.datetimes().map(lambda d: d.isoformat()[:16]),
                     hostile_text())


def hostile_choice(*valid):
    """A choice field's value: mostly one of the valid ones, otherwise anything."""
    return st.one_of(st.sampled_from(valid), st.sampled_from(valid), hostile_text(), hostile_number())


# --- Strategies derived from a form's own fields ------------------------------------------------------------

BOOLEAN_VALUES = ("on", "", "true", "false", "False", "0", "1", "off", "no")
EMAILS = ("a@example.cn", "A.B+tag@Example.CN", "用户@例子.中国", "x@localhost", "@example.cn", "a@", "a@@b.cn",
          "a" * 64 + "@example.cn", "a" * 200 + "@example.cn", "a@" + "b" * 300 + ".cn")


def _choice_values(field):
    values = []
    for value, label in field.choices:
        if isinstance(label, (list, tuple)):  # an optgroup
            values.extend(str(v) for v, _label in label)
        else:
            values.append(str(value))
    return [v for v in values if v] or [""]


def field_strategy(field):
    """Hostile values for one form field, leaning on the valid ones often enough to get past it."""
    if isinstance(field, forms.BooleanField):
        return st.one_of(st.sampled_from(BOOLEAN_VALUES), hostile_text())
    if isinstance(field, forms.ModelChoiceField):  # also ModelMultipleChoiceField
        # Deferred: the reference rows are read when the first example is drawn, inside a test with a database.
        choice = st.deferred(lambda: hostile_choice(*[str(pk) for pk in field.queryset.values_list("pk", flat=True)]))
        return st.lists(choice, max_size=3) if isinstance(field, forms.ModelMultipleChoiceField) else choice
    if isinstance(field, forms.MultipleChoiceField):
        return st.lists(hostile_choice(*_choice_values(field)), max_size=4)
    if isinstance(field, forms.ChoiceField):
        return hostile_choice(*_choice_values(field))
    if isinstance(field, forms.DateTimeField):
        return hostile_datetime()
    if isinstance(field, forms.DateField):
        return hostile_date()
    if isinstance(field, (forms.IntegerField, forms.DecimalField, forms.FloatField)):
        return hostile_number()
    if isinstance(field, forms.EmailField):
        return st.one_of(st.sampled_from(EMAILS), hostile_text())
    if isinstance(field, forms.CharField):
        return hostile_text()
    raise AssertionError(f"no strategy for {field!r}")


def form_strategies(form):
    """Prefixed key → strategy for every field of `form` that is not a file."""
    return {form.add_prefix(name): field_strategy(field) for name, field in form.fields.items()
            if not isinstance(field, forms.FileField)}


def typed_keys(form):
    """The prefixed keys of the fields a user types into (text, e-mail, numbers, dates), whose value a
    re-rendered page must show again; passwords are not shown again, by design."""
    typed = (forms.CharField, forms.IntegerField, forms.DateField, forms.DateTimeField, forms.FloatField)
    return [form.add_prefix(name) for name, field in form.fields.items()
            if isinstance(field, typed) and not isinstance(field, forms.ChoiceField)
            and getattr(field.widget, "render_value", True) and not isinstance(field.widget, forms.HiddenInput)]


def text_keys(form):
    """The prefixed keys of the free-text fields: an accepted request stores exactly what was typed there."""
    return [form.add_prefix(name) for name, field in form.fields.items()
            if type(field) in (forms.CharField, forms.EmailField)]


KEY = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-0123456789", min_size=1, max_size=12)


@st.composite
def post_data(draw, fields, *, baseline=None):
    """POST data for `fields` (name → strategy).

    Wild: each key sent once, twice (a list) or left out. Near-valid (only with a `baseline` of valid values):
    the baseline with one or two fields hostile, so that the accepted path is searched as well. Either way a
    stray key or two come along."""
    data = {}
    near = baseline is not None and draw(st.integers(0, 2)) > 0
    hostile_keys = draw(st.sets(st.sampled_from(sorted(fields)), max_size=2)) if near else set(fields)
    for name, strategy in fields.items():
        if name not in hostile_keys:
            if name in baseline:
                data[name] = baseline[name]
            continue
        mode = draw(st.sampled_from(("once",) * 6 + ("missing", "twice")))
        if mode == "missing":
            continue
        value = draw(strategy)
        data[name] = [draw(strategy), value] if mode == "twice" else value
    for key, value in draw(st.dictionaries(KEY, hostile_text(), max_size=2)).items():
        data.setdefault(f"x-{key}", value)
    return data


def as_post(value):
    """A Python value as a browser would post it."""
    if value is None or value is False:
        return ""
    if value is True:
        return "on"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()[:16]
    if hasattr(value, "pk"):
        return str(value.pk)
    return str(value)


def sent(data, name):
    """The value a form reads for `name` (the last one when the key was sent twice), or None."""
    value = data.get(name)
    return value[-1] if isinstance(value, list) else value


# --- Values handed to a service directly -----------------------------------------------------------------------

def _stray_value():
    """What a careless caller hands a service instead of a value of the right type."""
    return st.one_of(st.none(), st.just(""), hostile_text(), st.integers(-(10 ** 6), 10 ** 6), st.booleans(),
                     st.floats(allow_nan=True, allow_infinity=True), st.decimals(), st.dates(),
                     st.lists(st.text(max_size=3), max_size=2))


def value_strategy(field):
    """Python values for model field `field` as a caller other than its form could pass them to a service:
    mostly of the right type (hostile within it), sometimes of any type."""
    if isinstance(field, models.ForeignKey):
        # Deferred: the rows are read when the first example is drawn, inside a test with a database.
        right = st.deferred(lambda: st.sampled_from(list(field.related_model.objects.order_by("pk")[:40])))
    elif isinstance(field, models.BooleanField):
        right = st.booleans()
    elif field.choices:
        right = st.one_of(st.sampled_from([value for value, _label in field.flatchoices]), hostile_text())
    elif isinstance(field, models.DecimalField):
        right = st.one_of(st.decimals(places=2, min_value=-(10 ** 11), max_value=10 ** 11), st.decimals(),
                          hostile_number())
    elif isinstance(field, models.DateTimeField):
        right = st.one_of(st.datetimes(timezones=st.just(datetime.timezone.utc)), hostile_datetime())
    elif isinstance(field, models.DateField):
        right = st.one_of(st.dates(), hostile_date())
    elif isinstance(field, models.IntegerField):
        right = st.one_of(st.integers(-40000, 40000), hostile_number())
    elif isinstance(field, models.CharField | models.TextField):
        right = hostile_text()
    else:
        raise AssertionError(f"no strategy for {field!r}")
    return st.one_of(right, right, right, _stray_value())


@st.composite
def service_values(draw, model, names, baseline):
    """Keyword values for the fields `names` of `model`: the baseline (valid values) with one to three of them
    hostile or left out."""
    hostile_names = draw(st.sets(st.sampled_from(list(names)), min_size=1, max_size=3))
    values = {name: baseline[name] for name in names if name in baseline and name not in hostile_names}
    for name in sorted(hostile_names):
        if draw(st.integers(0, 9)):
            values[name] = draw(value_strategy(model._meta.get_field(name)))
    return values


@st.composite
def table_rows(draw, model, names, baseline_rows):
    """A table's rows for a service: the valid rows with a cell or two hostile, or a few wild rows; either way
    now and then a row left blank."""
    if draw(st.booleans()):
        rows = [dict(row) for row in baseline_rows]
        for _ in range(draw(st.integers(1, 2))):
            row, name = draw(st.sampled_from(rows)), draw(st.sampled_from(list(names)))
            row[name] = draw(value_strategy(model._meta.get_field(name)))
    else:
        rows = [{name: draw(value_strategy(model._meta.get_field(name)))
                 for name in draw(st.sets(st.sampled_from(list(names)), min_size=1))}
                for _ in range(draw(st.integers(0, 4)))]
    for _ in range(draw(st.integers(0, 2))):
        blank = draw(st.sampled_from(({}, {names[0]: ""}, {name: None for name in names}, {names[0]: " \t\r\n"})))
        rows.insert(draw(st.integers(0, len(rows))), dict(blank))
    return rows


def post_value(value):
    """A stored Python value as the form reads it back: as_post, but a moment in local time to the second."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, list):
        return [as_post(item) for item in value]
    return as_post(value)


def stored_post(obj, names):
    """POST data of the stored values of `obj`'s fields `names`."""
    return {name: post_value(getattr(obj, name)) for name in names}


# --- Files ---------------------------------------------------------------------------------------------------

TINY_PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
            b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
FILE_CONTENTS = (TINY_PDF, TINY_PNG, b"", b"%PDF-1.4 no end", b"<html><script>alert(1)</script></html>",
                 b"\xff\xd8\xff<script>alert(1)</script>\xff\xd9", b"PK\x03\x04garbage", b"\x00" * 64)
# Names a browser can send: quotes, line breaks and separators would break the test client's multipart body.
SAFE_FILE_NAME = st.text(st.characters(exclude_characters='"\r\n/\\\x00;', exclude_categories=("Cs", "Cc")),
                         min_size=1, max_size=40)


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type)


@st.composite
def hostile_upload(draw):
    """None (no file), or (name, content): a hostile name, and content that is a valid file or not."""
    if draw(st.booleans()):
        return None
    name = draw(st.one_of(SAFE_FILE_NAME, st.sampled_from(("<img src=x onerror=alert(1)>.pdf", "scan.pdf",
                                                           "=1+1.pdf", "a" * 300 + ".pdf", "扫描件.PDF"))))
    content = draw(st.one_of(st.just(TINY_PDF), st.just(TINY_PNG), st.sampled_from(FILE_CONTENTS),
                             st.binary(max_size=200)))
    return name, content


# --- What an answer must show, and what must be stored ---------------------------------------------------------

# An error message (messages framework), a field error (crispy's and the row tables'), an error summary, a
# form's non-field errors, or the registry import's refusal.
_ERROR_SIGNS = re.compile(
    r'alert alert-danger alert-dismissible|class="invalid-feedback|error-summary|class="alert alert-danger"'
    r'|data-nothing-imported|<ul class="errorlist')


def page(response):
    return response.content.decode()


def shows_error(response):
    return bool(_ERROR_SIGNS.search(page(response)))


def shows_success(response):
    """Whether the page carries a success message (the messages framework's)."""
    return "alert alert-success alert-dismissible" in page(response)


def shows_typed(response, value):
    """Whether the text a user typed is on the page, as the browser will show it (HTML-escaped)."""
    return escape(value) in page(response)


def assert_refusal_explained(response, data, keys):
    """A refused page names a problem and shows every text typed into `keys` again."""
    assert shows_error(response), f"refused with {response.status_code} but no message or field error"
    for key in keys:
        value = sent(data, key)
        # Whitespace alone is nothing typed (crispy's templates even drop it between tags).
        if isinstance(value, str) and value.strip():
            assert shows_typed(response, value), f"{key}: typed text {value[:80]!r} is not on the refused page"


def assert_stored_as_typed(obj, data, mapping):
    """After an accepted request, each text (key → attribute of `obj`) is stored as typed, stripped."""
    obj.refresh_from_db()
    for key, attribute in mapping.items():
        value = sent(data, key)
        if isinstance(value, str):
            assert getattr(obj, attribute) == value.strip(), f"{key}: {value[:80]!r} was stored differently"


def assert_text_rule(obj):
    """Every text stored in `obj` keeps the text rule (navportal/text.py): one line in a CharField, line breaks
    and tabs only in a TextField."""
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if isinstance(value, str):
            for validator in text_validators(field):
                validator(value)


def assert_fits_columns(obj):
    """Every text stored in `obj` fits its column and holds no NUL: PostgreSQL refuses both (a 500) where
    SQLite silently keeps them."""
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if not isinstance(value, str):
            continue
        assert "\x00" not in value, f"{obj._meta.label}.{field.name} holds a NUL character"
        if getattr(field, "max_length", None):
            assert len(value) <= field.max_length, (
                f"{obj._meta.label}.{field.name} holds {len(value)} > {field.max_length} characters")
