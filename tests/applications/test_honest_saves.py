"""A draft save through the page stores every value the page accepts and names, at its field, every value it did
not store — with what the user typed still there. Numbers are checked for sense; section 6 asks each claim with
"no claim" spelt out."""

import html as html_lib
import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from applications import services
from applications.models import Application, StaffMember
from navportal.errors import PortalError
from navportal.privacy_rules import RULES_VERSION
from tests.conftest import read_rows, version_of


@pytest.fixture
def draft(applicant, call):
    application = services.application_start(actor=applicant, call=call)
    services.application_pledge(actor=applicant, application_id=application.pk)
    # The personal information rules acknowledged already (their own tests: tests/test_privacy_rules.py).
    Application.objects.filter(pk=application.pk).update(privacy_version=RULES_VERSION)
    return Application.objects.get(pk=application.pk)


def section_url(application, key):
    return reverse("application_section", args=[application.pk, key])


def summary(response):
    """The error summary's heading and its items, as the user reads them (tags dropped)."""
    body = response.content.decode()
    box = body[body.index("data-error-summary"):]
    box = box[:box.index("</div>")]
    text = lambda html: html_lib.unescape(re.sub(r"<[^>]+>", "", html)).strip()  # noqa: E731
    return (text(re.search(r"<h2[^>]*>(.*?)</h2>", box, re.S).group(1)),
            [text(item) for item in re.findall(r"<li>(.*?)</li>", box, re.S)])


def rows_data(prefix, rows, **extra):
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "200", **extra}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{name}": value for name, value in row.items()})
    return data


def test_a_save_stores_every_valid_value_and_names_each_one_it_did_not(english, client, applicant, draft):
    client.force_login(applicant)
    response = client.post(section_url(draft, "conditions"), {
        "lock_version": draft.lock_version, "funding_amount": "-5", "funding_source": "财政拨款",
        "office_area": "很大", "office_address": "高新大道1号", "data_resources": "incoPat"})
    assert response.status_code == 400
    stored = Application.objects.get(pk=draft.pk)
    assert (stored.funding_amount, stored.funding_source, stored.office_area, stored.office_address,
            stored.data_resources) == (None, "财政拨款", None, "高新大道1号", "incoPat")
    assert "conditions" in stored.sections_saved
    heading, items = summary(response)
    assert heading.startswith("Everything else on this page was saved at")
    assert items == ["Annual funding (10,000 yuan): This cannot be negative: enter 0 or more.",
                     "Office space (m²): Enter a number."]
    body = response.content.decode()
    assert 'value="-5"' in body and 'value="很大"' in body  # what was typed is still in its field
    assert "data-unsaved" in body  # leaving the page asks first: what is on it was not all stored
    # The page carries the new version: correcting and saving again is accepted.
    response = client.post(section_url(draft, "conditions"), {
        "lock_version": response.context["lock_version"], "funding_amount": "5", "funding_source": "财政拨款",
        "office_area": "120", "office_address": "高新大道1号", "data_resources": "incoPat"})
    assert response.status_code == 302
    assert Application.objects.get(pk=draft.pk).funding_amount == Decimal("5")


def test_when_nothing_was_saved_the_page_says_so(english, client, applicant, draft):
    client.force_login(applicant)
    old = draft.lock_version
    client.post(section_url(draft, "plan"), {"lock_version": old, "plan_goals": "tab one"})
    response = client.post(section_url(draft, "conditions"), {"lock_version": old, "funding_amount": "-1",
                                                              "funding_source": "tab two"})
    assert response.status_code == 400
    heading, items = summary(response)
    assert heading.startswith("Nothing on this page was saved.")
    assert items == ["Annual funding (10,000 yuan): This cannot be negative: enter 0 or more."]
    assert Application.objects.get(pk=draft.pk).funding_source == ""
    assert "tab two" in response.content.decode()


def test_the_valid_cells_of_the_table_are_stored_and_refused_ones_stay_in_the_form(english, client, applicant,
                                                                                     draft):
    client.force_login(applicant)
    rows = [{"name": "张三", "years": "3", "employment": "full"},
            {"name": "李四", "years": "-3", "employment": "part"},
            {"years": "abc"}]
    response = client.post(section_url(draft, "department"), rows_data(
        "staff", rows, lock_version=draft.lock_version, department_name="运营部"))
    assert response.status_code == 400
    # Row 2 is stored without its refused cell; row 3 had nothing valid in it, so it is no row yet.
    assert read_rows(StaffMember.objects.filter(application=draft), "name", "years", "employment") == [
        ("张三", 3, "full"), ("李四", None, "part")]
    assert Application.objects.get(pk=draft.pk).department_name == "运营部"
    heading, items = summary(response)
    assert heading.startswith("Everything else on this page was saved at")
    assert items == ["Row 2, Years in patent navigation: Enter a whole number of years from 0 to 60.",
                     "Row 3, Years in patent navigation: Enter a whole number."]
    body = response.content.decode()
    assert 'value="-3"' in body and 'value="abc"' in body and 'value="李四"' in body


def test_a_table_refused_as_a_whole_is_kept_as_it_was_and_the_page_says_so(english, client, applicant, draft):
    services.application_save_section(actor=applicant, application_id=draft.pk, section_key="department",
                                      values={}, rows=[{"name": "张三"}], lock_version=draft.lock_version,
                                      privacy_version=RULES_VERSION)
    client.force_login(applicant)
    response = client.post(section_url(draft, "department"), rows_data(
        "staff", [{"name": f"人员{i}"} for i in range(201)], lock_version=version_of(draft),
        department_name="运营部"))
    assert response.status_code == 400
    assert read_rows(StaffMember.objects.filter(application=draft), "name", flat=True) == ["张三"]
    assert Application.objects.get(pk=draft.pk).department_name == "运营部"
    heading, items = summary(response)
    assert heading.startswith("Everything else on this page was saved at")
    assert items[0].startswith("The table was not saved: ")


def test_the_place_is_stored_in_pairs(english, client, applicant, draft):
    from navportal.models import City, Province
    client.force_login(applicant)
    zhejiang = Province.objects.get(code="330000")
    response = client.post(section_url(draft, "basic"), {
        "lock_version": draft.lock_version, "name": draft.name, "applicant_type": draft.applicant_type,
        "affiliation": draft.affiliation, "province": zhejiang.pk, "city": draft.city_id, "address": "新地址"})
    assert response.status_code == 400
    stored = Application.objects.get(pk=draft.pk)
    assert (stored.province_id, stored.city_id, stored.address) == (draft.province_id, draft.city_id, "新地址")
    _, items = summary(response)
    assert items == ["Province: Not saved: it is saved together with “City”, which needs correcting.",
                     "City: This city is not in the chosen province."]
    assert City.objects.get(pk=draft.city_id).province_id != zhejiang.pk


# --- Numbers -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("section_key, values", [
    ("conditions", {"funding_amount": Decimal("-0.01")}),
    ("conditions", {"office_area": "-20"}),
])
def test_the_service_refuses_negative_amounts(applicant, draft, section_key, values):
    with pytest.raises(PortalError) as exc:
        services.application_save_section(actor=applicant, application_id=draft.pk, section_key=section_key,
                                          values=values, lock_version=draft.lock_version, privacy_version=RULES_VERSION)
    assert exc.value.code == "invalid" and "不能为负数" in exc.value.message


@pytest.mark.parametrize("years", ["-1", "61"])
def test_the_service_refuses_years_out_of_sense(applicant, draft, years):
    with pytest.raises(PortalError) as exc:
        services.application_save_section(actor=applicant, application_id=draft.pk, section_key="department",
                                          values={}, rows=[{"name": "张三", "years": years}],
                                          lock_version=draft.lock_version, privacy_version=RULES_VERSION)
    assert "0 至 60" in exc.value.message
    assert not StaffMember.objects.exists()


@pytest.mark.parametrize("field", ["funding_amount", "office_area"])
def test_the_database_refuses_a_negative_amount(draft, field):
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=draft.pk).update(**{field: Decimal("-1")})


def test_the_database_refuses_negative_years(draft):
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffMember.objects.create(application=draft, name="张三", years=-1)


# --- Section 6: "no claim" is a choice ---------------------------------------------------------------------

def test_the_claims_are_choices_with_no_claim_spelt_out(client, applicant, draft):
    client.force_login(applicant)
    body = client.get(section_url(draft, "claims")).content.decode()
    assert "不申请免占名额" in body and "不申请优先推荐" in body
    radios = {name: re.findall(rf'<input type="radio"[^>]*name="{name}" value="([^"]*)"[^>]*?( checked)?>', body)
              for name in ("exempt_category", "local_base")}
    # A draft opens with "no claim" chosen, as it is stored.
    assert radios == {"exempt_category": [("", " checked"), ("protection_centre", ""), ("demonstration_park", ""),
                                          ("experimental_zone", ""), ("pilot_base", "")],
                      "local_base": [("False", " checked"), ("True", "")]}
    post = {"lock_version": draft.lock_version, "exempt_category": "protection_centre", "local_base": "True",
            "local_base_document_number": "苏知发〔2021〕1号"}
    assert client.post(section_url(draft, "claims"), post).status_code == 302
    stored = Application.objects.get(pk=draft.pk)
    assert (stored.exempt_category, stored.local_base) == ("protection_centre", True)
    post.update(lock_version=stored.lock_version, exempt_category="", local_base="False")
    assert client.post(section_url(draft, "claims"), post).status_code == 302
    stored = Application.objects.get(pk=draft.pk)
    assert (stored.exempt_category, stored.local_base) == ("", False)
