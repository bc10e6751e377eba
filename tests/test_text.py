"""The text rule (navportal/text.py) and the services' cleaning of values (navportal/cleaning.py)."""

import datetime
import sys
import unicodedata
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from applications.models import Application, StaffMember
from navportal.cleaning import clean_field
from navportal.models import City
from navportal.text import CONTROL, CONTROL_BUT_LINES, validate_multi_line, validate_single_line


def test_the_control_pattern_is_exactly_unicode_category_cc():
    control = {chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cc"}
    assert {chr(c) for c in range(0x100) if CONTROL.match(chr(c))} == control
    assert {chr(c) for c in range(0x100) if CONTROL_BUT_LINES.match(chr(c))} == control - {"\n", "\r", "\t"}


@pytest.mark.parametrize("text, code", [
    ("第一行\n第二行", "U+000A"), ("a\rb", "U+000D"), ("a\tb", "U+0009"), ("名称\x00后缀", "U+0000"),
    ("\x1b[31mred", "U+001B"), ("a\x7f", "U+007F"), ("a\x85b", "U+0085"), ("a\x0bb", "U+000B"),
])
def test_a_single_line_holds_no_control_character(text, code):
    with pytest.raises(ValidationError) as exc:
        validate_single_line(text)
    assert exc.value.code == "control_character"
    assert code in exc.value.messages[0]


@pytest.mark.parametrize("text", ["示例园区", "A & B <b>", "\u202eevil\u202c", "零宽\u200b空格", "全角　空格", "𠀀𪚥", ""])
def test_a_single_line_may_hold_any_other_character(text):
    validate_single_line(text)  # format characters and odd spaces are not control characters


def test_a_narrative_may_hold_line_breaks_and_tabs_and_no_other_control_character():
    validate_multi_line("第一段\r\n第二段\n\t缩进")
    for char in ("\x00", "\x0b", "\x0c", "\x1b", "\x7f", "\x9f"):
        with pytest.raises(ValidationError):
            validate_multi_line(f"第一段{char}第二段")


def field(model, name):
    return model._meta.get_field(name)


@pytest.mark.parametrize("model, name, value, stored", [
    (Application, "address", "  高新大道1号 ", "高新大道1号"),      # stripped, as the form strips
    (Application, "address", None, ""),                            # empty, as the column stores it
    (Application, "funding_amount", "", None),
    (Application, "funding_amount", "12.50", Decimal("12.50")),
    (Application, "department_founded", "2018-03-01", datetime.date(2018, 3, 1)),
    (Application, "local_base", None, False),                      # an unticked box
    (Application, "exempt_category", "pilot_base", "pilot_base"),
    (Application, "industry_fields", "集成电路\n生物医药", "集成电路\n生物医药"),
    (StaffMember, "years", "5", 5),
])
def test_clean_field_stores_what_the_form_would(model, name, value, stored):
    assert clean_field(field(model, name), value) == stored


@pytest.mark.parametrize("model, name, value", [
    (Application, "address", "A" * 201),                   # too long
    (Application, "address", "高新\n大道"),                  # a CharField is one line
    (Application, "industry_fields", "集成电路\x0b生物医药"),  # a narrative holds no vertical tab
    (Application, "exempt_category", "bogus"),              # not a choice
    (Application, "exempt_category", " pilot_base"),        # a choice is not stripped (nor by the form)
    (Application, "funding_amount", "1.234"),               # three decimals
    (Application, "funding_amount", Decimal("NaN")),
    (Application, "funding_amount", "1e20"),                # too many digits
    (Application, "department_founded", "2026-02-30"),
    (Application, "contact_email", "not-an-e-mail"),
    (Application, "name", ""),                              # the identity is never blank
    (Application, "local_base", "maybe"),
    (StaffMember, "years", -1),
])
def test_clean_field_refuses_what_the_form_refuses(model, name, value):
    with pytest.raises(ValidationError):
        clean_field(field(model, name), value)


@pytest.mark.django_db
def test_a_relation_is_an_instance_of_its_model_or_none():
    city = City.objects.first()
    assert clean_field(field(Application, "city"), city) == city
    assert clean_field(field(Application, "ministry"), None) is None
    for value in (city.pk, "320500", City(name="未保存"), object()):
        with pytest.raises(ValidationError):
            clean_field(field(Application, "city"), value)
    with pytest.raises(ValidationError):
        clean_field(field(Application, "city"), None)  # the column holds no empty city
