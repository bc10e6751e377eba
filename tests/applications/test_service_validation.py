"""The applicant's services check what they store as the forms do (applications/validators.py): a caller other
than the page — a command, a script, the next feature — cannot store what the form refuses, and the form shows
the same message as the service."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from applications import services
from applications.models import Application, Organisation, ServiceRecord, StaffMember
from applications.validators import MAX_ROWS
from navportal.demo.content import credit_code, service_rows, staff_rows
from navportal.errors import PortalError
from navportal.models import City, Ministry, Province, User
from navportal.privacy_rules import RULES_VERSION
from navportal.text import validate_multi_line, validate_single_line
from tests.conftest import read_rows, version_of


def text_error(validator, value):
    with pytest.raises(ValidationError) as exc:
        validator(value)
    return exc.value.messages[0]


def label(model, name):
    return str(model._meta.get_field(name).verbose_name)


# --- Registration ------------------------------------------------------------------------------------------

def registration(**overrides):
    values = dict(name="示例·新园区", credit_code=credit_code(7), applicant_type="provincial_park", affiliation="city",
                  ministry=None, province=Province.objects.get(code="320000"), city=City.objects.get(code="320500"),
                  contact_name="王联络", email="wang@example.cn", password="Navigate-2026")
    return {**values, **overrides}


def wrong_check_digit(code):
    return code[:-1] + ("0" if code[-1] != "0" else "1")


REFUSED_REGISTRATIONS = {
    "wrong check digit": lambda: {"credit_code": wrong_check_digit(credit_code(7))},
    "short credit code": lambda: {"credit_code": "1234"},
    "name with a line break": lambda: {"name": "示例\n园区"},
    "name with an escape sequence": lambda: {"name": "\x1b[31m示例园区"},
    "name with NUL": lambda: {"name": "示例\x00园区"},
    "name too long": lambda: {"name": "园" * 201},
    "no name": lambda: {"name": "  "},
    "contact name with a tab": lambda: {"contact_name": "王\t联络"},
    "no contact name": lambda: {"contact_name": ""},
    "contact name too long": lambda: {"contact_name": "王" * 61},
    "unknown applicant type": lambda: {"applicant_type": "company"},
    "unknown affiliation": lambda: {"affiliation": "county"},
    "city outside the province": lambda: {"city": City.objects.get(code="330100")},
    "ministry-affiliated without a ministry": lambda: {"affiliation": "ministry", "applicant_type": "institution"},
    "province as a number": lambda: {"province": 320000},
    "bad e-mail": lambda: {"email": "not-an-e-mail"},
    "e-mail longer than a user name": lambda: {"email": "a" * 150 + "@example.cn"},
    "weak password": lambda: {"password": "12345678"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", REFUSED_REGISTRATIONS)
def test_registration_refuses_what_the_form_refuses_and_creates_nothing(case):
    with pytest.raises(PortalError) as exc:
        services.organisation_register(**registration(**REFUSED_REGISTRATIONS[case]()), privacy_version=RULES_VERSION)
    assert exc.value.code == "invalid"
    assert not Organisation.objects.exists()
    assert not User.objects.filter(role="applicant").exists()


@pytest.mark.django_db
def test_registration_names_the_field_and_gives_the_forms_message():
    name = "示例\n园区"
    with pytest.raises(PortalError) as exc:
        services.organisation_register(**registration(name=name), privacy_version=RULES_VERSION)
    assert exc.value.message == f"“{label(Organisation, 'name')}”：{text_error(validate_single_line, name)}"
    with pytest.raises(PortalError) as exc:
        services.organisation_register(**registration(city=City.objects.get(code="330100")),
                                       privacy_version=RULES_VERSION)
    assert exc.value.message == f"“{label(Organisation, 'city')}”：所选地市不属于所选省份。"


@pytest.mark.django_db
def test_registration_stores_what_the_form_would():
    moe = Ministry.objects.get(code="moe")
    user = services.organisation_register(**registration(
        name="  示例·新园区 ", credit_code=" " + credit_code(7).lower(), contact_name=" 王联络 ",
        email="Wang@Example.CN", ministry=moe),  # a ministry is dropped unless the unit is ministry-affiliated
        privacy_version=RULES_VERSION)
    org = user.organisation
    assert (org.name, org.credit_code, org.ministry, user.display_name, user.email) == (
        "示例·新园区", credit_code(7), None, "王联络", "wang@example.cn")
    assert user.username.startswith("contact-")  # opaque: the address signs in (navportal.identifiers)


@pytest.mark.django_db
def test_the_registration_form_shows_the_services_message(client):
    data = {"name": "示例\x1b园区", "credit_code": credit_code(7), "applicant_type": "provincial_park",
            "affiliation": "city", "province": Province.objects.get(code="320000").pk,
            "city": City.objects.get(code="320500").pk, "contact_name": "王\t联络", "email": "wang@example.cn",
            "password1": "Navigate-2026", "password2": "Navigate-2026"}
    response = client.post(reverse("register"), data)
    assert response.status_code == 200 and not Organisation.objects.exists()
    errors = response.context["form"].errors
    assert errors["name"] == [text_error(validate_single_line, "示例\x1b园区")]
    assert errors["contact_name"] == [text_error(validate_single_line, "王\t联络")]


# --- Sections ------------------------------------------------------------------------------------------------

@pytest.fixture
def draft(applicant, call):
    application = services.application_start(actor=applicant, call=call)
    services.application_pledge(actor=applicant, application_id=application.pk)
    # The personal information rules acknowledged already (their own tests: tests/test_privacy_rules.py).
    Application.objects.filter(pk=application.pk).update(privacy_version=RULES_VERSION)
    return Application.objects.get(pk=application.pk)


def save(user, application, section_key, values=None, rows=None):
    return services.application_save_section(actor=user, application_id=application.pk, section_key=section_key,
                                             values=values or {}, rows=rows, lock_version=version_of(application),
                                             privacy_version=RULES_VERSION)


def snapshot(application):
    application = Application.objects.get(pk=application.pk)
    return ({f.attname: getattr(application, f.attname) for f in Application._meta.concrete_fields
             if f.name != "updated_at"},
            list(application.staff.values()), list(application.services.values()))


# Every single-line field of every section: any control character is refused, a line break included.
SINGLE_LINE = [
    ("basic", "name"), ("basic", "address"), ("basic", "postcode"), ("basic", "head_name"), ("basic", "contact_name"),
    ("basic", "contact_position"), ("basic", "contact_mobile"), ("basic", "contact_phone"),
    ("department", "department_name"), ("conditions", "office_address"), ("claims", "exempt_document_number"),
    ("claims", "local_base_document_number"), ("declaration", "declarant_name"),
]
CONTROLS = ("\n", "\r", "\t", "\x00", "\x1b", "\x7f")


@pytest.mark.parametrize("section_key, name", SINGLE_LINE)
@pytest.mark.parametrize("char", CONTROLS)
def test_a_single_line_field_refuses_control_characters_and_nothing_is_stored(applicant, draft, section_key, name,
                                                                               char):
    before = snapshot(draft)
    value = f"1{char}2"
    with pytest.raises(PortalError) as exc:
        save(applicant, draft, section_key, {name: value})
    assert exc.value.code == "invalid"
    assert exc.value.message == f"“{label(Application, name)}”：{text_error(validate_single_line, value)}"
    assert snapshot(draft) == before


NARRATIVES = ["industry_fields", "department_duties", "mechanism", "funding_source", "data_resources", "plan_goals",
              "plan_demand", "plan_organisation", "plan_promotion"]


def section_of(name):
    from applications.sections import SECTIONS
    return next(section.key for section in SECTIONS if name in section.fields)


@pytest.mark.parametrize("name", NARRATIVES)
def test_a_narrative_keeps_line_breaks_and_tabs_and_refuses_other_control_characters(applicant, draft, name):
    save(applicant, draft, section_of(name), {name: "第一段\r\n第二段\n\t缩进"})
    assert getattr(Application.objects.get(pk=draft.pk), name) == "第一段\r\n第二段\n\t缩进"
    before = snapshot(draft)
    for char in ("\x0b", "\x00", "\x1b", "\x0c"):
        value = f"第一段{char}第二段"
        with pytest.raises(PortalError) as exc:
            save(applicant, draft, section_of(name), {name: value})
        assert exc.value.message == f"“{label(Application, name)}”：{text_error(validate_multi_line, value)}"
    assert snapshot(draft) == before


@pytest.mark.parametrize("section_key, values", [
    ("basic", {"address": "路" * 201}),
    ("basic", {"contact_mobile": "138001380001"}),              # 12 characters in a column of 11
    ("basic", {"contact_email": "not-an-e-mail"}),
    ("basic", {"name": ""}),                                    # the identity is never blank, even in a draft
    ("basic", {"applicant_type": "company"}),
    ("basic", {"affiliation": "county"}),
    ("basic", {"province": None}),
    ("basic", {"city": "320500"}),                              # a city is a City, as the form gives it
    ("department", {"department_founded": "2018-02-30"}),
    ("conditions", {"funding_amount": Decimal("1.234")}),
    ("conditions", {"funding_amount": "abc"}),
    ("conditions", {"office_area": Decimal("1e12")}),
    ("claims", {"exempt_category": "pilot_park"}),
    ("claims", {"exempt_document_date": "yesterday"}),
    ("claims", {"local_base": "perhaps"}),
    ("declaration", {"declaration_date": "2026-02-29"}),
])
def test_the_models_own_checks_run_at_the_service(applicant, draft, section_key, values):
    before = snapshot(draft)
    with pytest.raises(PortalError) as exc:
        save(applicant, draft, section_key, values)
    assert exc.value.code == "invalid"
    assert exc.value.message.startswith(f"“{label(Application, next(iter(values)))}”：")
    assert snapshot(draft) == before


def test_a_draft_may_still_leave_fields_empty(applicant, draft):
    save(applicant, draft, "conditions", {"funding_amount": None, "funding_source": "", "office_area": "",
                                          "office_address": None, "data_resources": "  "})
    saved = Application.objects.get(pk=draft.pk)
    assert (saved.funding_amount, saved.funding_source, saved.office_area, saved.office_address,
            saved.data_resources) == (None, "", None, "", "")
    assert "conditions" in saved.sections_saved


def test_values_are_stored_as_the_form_would_store_them(applicant, draft):
    save(applicant, draft, "conditions", {"funding_amount": "300.5", "office_address": "  高新大道1号  "})
    save(applicant, draft, "department", {"department_founded": "2018-03-01"})
    saved = Application.objects.get(pk=draft.pk)
    assert (saved.funding_amount, saved.office_address, saved.department_founded) == (
        Decimal("300.50"), "高新大道1号", datetime.date(2018, 3, 1))


def test_the_place_is_checked_against_what_the_application_holds(applicant, draft, ministry_unit):
    before = snapshot(draft)
    with pytest.raises(PortalError) as exc:
        save(applicant, draft, "basic", {"city": City.objects.get(code="330100")})  # Hangzhou, not in Jiangsu
    assert exc.value.message == f"“{label(Application, 'city')}”：所选地市不属于所选省份。"
    with pytest.raises(PortalError) as exc:
        save(applicant, draft, "basic", {"affiliation": "ministry"})
    assert exc.value.message == f"“{label(Application, 'ministry')}”：请选择本单位所属部委。"
    assert snapshot(draft) == before
    moe = Ministry.objects.get(code="moe")
    save(applicant, draft, "basic", {"affiliation": "ministry", "ministry": moe})
    assert Application.objects.get(pk=draft.pk).ministry == moe
    save(applicant, draft, "basic", {"affiliation": "province"})  # the ministry goes with the affiliation
    assert Application.objects.get(pk=draft.pk).ministry is None


def test_keys_outside_the_section_are_ignored(applicant, draft):
    save(applicant, draft, "plan", {"plan_goals": "目标", "state": "designated", "name": "\x00"})
    saved = Application.objects.get(pk=draft.pk)
    assert (saved.plan_goals, saved.state, saved.name) == ("目标", "draft", draft.name)


# --- Rows ----------------------------------------------------------------------------------------------------

def test_rows_left_blank_are_dropped(applicant, draft):
    blank = [{}, {"name": "", "years": None}, {"name": "   ", "department": "\t", "employment": ""},
             {field: None for field in ("name", "department", "title", "speciality", "years", "employment")}]
    save(applicant, draft, "department", rows=[*blank[:2], *staff_rows(2), *blank[2:]])
    assert read_rows(StaffMember.objects.filter(application=draft), "name", flat=True) == [
        "示例人员1", "示例人员2"]
    save(applicant, draft, "mechanism", rows=[{"date": None, "client": "", "effect": "\n"}, *service_rows(1)])
    assert ServiceRecord.objects.filter(application=draft).count() == 1


def test_a_row_of_one_cell_is_kept_with_the_others_empty(applicant, draft):
    save(applicant, draft, "department", rows=[{"years": "3"}, {"name": " 张三 "}])
    assert read_rows(StaffMember.objects.filter(application=draft), "name", "department", "years",
                     "employment") == [
        ("", "", 3, ""), ("张三", "", None, "")]


@pytest.mark.parametrize("kind, section_key, row, column", [
    ("staff", "department", {"name": "张\t三"}, "name"),
    ("staff", "department", {"title": "分析师\n高级"}, "title"),
    ("staff", "department", {"years": -1}, "years"),
    ("staff", "department", {"years": "many"}, "years"),
    ("staff", "department", {"employment": "freelance"}, "employment"),
    ("staff", "department", {"speciality": "集" * 101}, "speciality"),
    ("services", "mechanism", {"client": "示例\x00企业"}, "client"),
    ("services", "mechanism", {"date": "2025-13-01"}, "date"),
    ("services", "mechanism", {"navigation_type": "patent"}, "navigation_type"),
    ("services", "mechanism", {"effect": "效果\x0b显著"}, "effect"),
])
def test_a_refused_cell_is_named_by_row_and_column_and_nothing_is_stored(applicant, draft, kind, section_key, row,
                                                                         column):
    save(applicant, draft, "department", rows=staff_rows(5))
    save(applicant, draft, "mechanism", rows=service_rows(5))
    before = snapshot(draft)
    rows = (staff_rows if kind == "staff" else service_rows)(2)
    rows[1].update(row)
    with pytest.raises(PortalError) as exc:
        save(applicant, draft, section_key, rows=rows)
    model = StaffMember if kind == "staff" else ServiceRecord
    assert exc.value.message.startswith(f"第2行“{label(model, column)}”：")
    assert snapshot(draft) == before


def test_a_narrative_cell_keeps_its_line_breaks(applicant, draft):
    rows = service_rows(1)
    rows[0]["effect"] = "支撑规划编制；\n促成合作。"
    save(applicant, draft, "mechanism", rows=rows)
    assert ServiceRecord.objects.get(application=draft).effect == "支撑规划编制；\n促成合作。"


def test_an_unknown_column_or_too_many_rows_is_refused(applicant, draft):
    with pytest.raises(PortalError):
        save(applicant, draft, "department", rows=[{"name": "张三", "application_id": 1}])
    with pytest.raises(PortalError):
        save(applicant, draft, "department", rows=[{"name": "张三", "id": 99}])
    with pytest.raises(PortalError):
        save(applicant, draft, "department", rows=staff_rows(MAX_ROWS + 1))
    save(applicant, draft, "department", rows=staff_rows(MAX_ROWS) + [{}])  # a blank row does not count
    assert StaffMember.objects.filter(application=draft).count() == MAX_ROWS


# --- The form shows the same message ---------------------------------------------------------------------------

def test_the_section_form_refuses_a_control_character_with_the_services_message(client, applicant, draft):
    client.force_login(applicant)
    response = client.post(reverse("application_section", args=[draft.pk, "basic"]), {
        "lock_version": draft.lock_version, "name": draft.name, "applicant_type": draft.applicant_type,
        "affiliation": draft.affiliation, "province": draft.province_id, "city": draft.city_id,
        "address": "高新\t大道1号", "industry_fields": "集成电路\x0b生物医药"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["address"] == [text_error(validate_single_line, "高新\t大道1号")]
    assert errors["industry_fields"] == [text_error(validate_multi_line, "集成电路\x0b生物医药")]
    assert Application.objects.get(pk=draft.pk).address == ""


def test_a_row_form_refuses_a_control_character_with_the_services_message(client, applicant, draft):
    client.force_login(applicant)
    data = {"lock_version": draft.lock_version, "department_name": "知识产权部", "staff-TOTAL_FORMS": "1",
            "staff-INITIAL_FORMS": "0", "staff-0-name": "张\x1b三", "staff-0-years": "3"}
    response = client.post(reverse("application_section", args=[draft.pk, "department"]), data)
    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors["name"] == [text_error(validate_single_line, "张\x1b三")]
    # The row's other cells are stored; the refused name is not (it stays in the form, with its message).
    assert read_rows(StaffMember.objects.filter(application=draft), "name", "years") == [("", 3)]
