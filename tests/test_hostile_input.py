"""Hostile input to every form, as the user who may use it, and hostile text shown back on every page.

Part 1 posts random and hostile input (hostile_strategies) through the test client and checks three
properties: the answer is never a server error; a refused request shows a message or a field error; and on
a refused page every text typed is still there (SPEC §7: "keep everything typed when validation fails").
A request that was accepted stored the text as typed (stripped), nothing less.

Part 2 stores script-looking text through the services and reads it back on every page that shows it
(always escaped) and in every spreadsheet (always a string cell, never a formula).

Each Hypothesis example runs inside a transaction that is rolled back, so every example meets the same
data; the Django test client raises a view's exception instead of answering 500, which fails the example.
"""

import datetime
import io
import re

import pytest
from django import forms
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import event, example, given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from applications import services as applicant_services
from applications.enums import AttachmentKind, ExemptCategory
from applications.forms import PledgeForm, RegistrationForm, row_formset_class, section_form_class
from applications.models import Application, Attachment, Organisation, ServiceRecord, StaffMember
from applications.sections import SECTION_BY_KEY, SECTIONS
from applications.validators import SERVICE_FIELDS, STAFF_FIELDS
from navportal.demo.content import TINY_PDF, complete_values, credit_code, service_rows, staff_rows
from navportal.errors import PortalError
from navportal.models import AuditEvent, City, Province, User
from navportal.privacy_rules import RULES_VERSION
from review import national
from review import services as review_services
from review.calls import CALL_FIELDS, call_save
from review.forms import CallForm, ClaimForm, ConsentForm, ReasonForm, RecommendForm, ReopenForm, ReturnForm
from review.models import Call, Notice, Objection, Package, RegistryEntry
from review.national_views import DatesForm, DecideForm, FinalForm, PublishForm
from review.public_forms import ObjectionForm
from review.registry import HEADERS
from tests.conftest import attach_scan, make_applicant, object_confirmed, read_rows, resealed, user_by_email, version_of
from tests.hostile_strategies import (
    FILE_CONTENTS, FORMULAS, HOSTILE_STRINGS, IMG, SAFE_FILE_NAME, SCRIPT, TINY_PNG, as_post, assert_fits_columns,
    assert_refusal_explained, assert_stored_as_typed, assert_text_rule, field_strategy, form_strategies, hostile,
    hostile_datetime, hostile_number, hostile_text, hostile_upload, page, post_data, rolled_back, sent,
    service_values, shows_error, shows_success, shows_typed, stored_post, table_rows, text_keys, typed_keys,
    upload, value_strategy,
)
from tests.mail_helpers import deliver_mail, drain_mail

# --- Part 1: every form, hostile input -------------------------------------------------------------------

def registration_baseline():
    return {"name": "示例·新园区", "credit_code": credit_code(77), "applicant_type": "provincial_park",
            "affiliation": "city", "province": str(Province.objects.get(code="320000").pk),
            "city": str(City.objects.get(code="320500").pk), "contact_name": "王联络", "email": "wang@example.cn",
            "password1": "Navigate-2026", "password2": "Navigate-2026", "privacy": "on"}


@given(st.data())
@hostile(40)
def test_registration_survives_hostile_input(db, client, data):
    post = data.draw(post_data(form_strategies(RegistrationForm()), baseline=registration_baseline()))
    with rolled_back(client):
        drain_mail()
        response = client.post(reverse("register"), post)
        event(f"status {response.status_code}")
        assert response.status_code < 500
        if response.status_code == 200 and "applications/register_sent.html" in [t.name for t in response.templates]:
            # Accepted: the link mailed to the address finishes the registration; what it stores is what was typed.
            link = re.search(r"https?://\S+(/register/confirm/[\w-]+/)", deliver_mail()[-1].body).group(1)
            assert client.post(link).status_code == 302
            user = User.objects.get(organisation__isnull=False, role="applicant")
            assert_stored_as_typed(user.organisation, post, {"name": "name"})
            assert_fits_columns(user.organisation)
            assert_fits_columns(user)
            client.logout()
        else:
            assert response.status_code == 200
            assert not Organisation.objects.exists()
            assert_refusal_explained(response, post, typed_keys(RegistrationForm()))


def test_registration_with_a_long_e_mail_fits_the_user_name_column(db, client):
    """Django's EmailField accepts addresses up to 320 characters; the account's user name (the e-mail) holds
    150. SQLite stores the overflow; PostgreSQL refuses it with a DataError, a 500 for the applicant."""
    email = "a" * 150 + "@example.cn"
    response = client.post(reverse("register"), {
        "name": "示例·长邮箱园区", "credit_code": credit_code(4242), "applicant_type": "national_park",
        "affiliation": "city", "province": Province.objects.get(code="320000").pk,
        "city": City.objects.get(code="320500").pk, "contact_name": "王联络", "email": email,
        "password1": "Navigate-2026", "password2": "Navigate-2026", "privacy": "on"})
    if response.status_code == 200:
        assert list(response.context["form"].errors) == ["email"]
    else:
        assert_fits_columns(user_by_email(email))


@given(reason=st.one_of(hostile_text(), st.lists(hostile_text(), min_size=2, max_size=2)))
@example(reason="撤回\x00原因")
@hostile(25)
def test_withdrawal_reason_survives_hostile_input(client, applicant, submitted, reason):
    """The withdrawal reason lands in the audit trail: whatever is typed, never a 500."""
    # Hypothesis runs many examples with one set of fixtures: submit once, roll each example back.
    application = Application.objects.filter(organisation=applicant.organisation).first() or submitted(applicant)
    client.force_login(applicant)
    with rolled_back(client):
        response = client.post(reverse("application_withdraw", args=[application.pk]), {"reason": reason},
                               follow=True)
        assert response.status_code == 200
        if Application.objects.get(pk=application.pk).state == "withdrawn":
            assert_fits_columns(AuditEvent.objects.filter(action="application_withdraw").get())
        else:
            assert shows_error(response), "not withdrawn, and nothing said"


@pytest.fixture
def draft(applicant, call):
    """The applicant's draft, pledged, with five staff rows and five services."""
    application = applicant_services.application_start(actor=applicant, call=call)
    applicant_services.application_pledge(actor=applicant, application_id=application.pk)
    for key, rows in (("department", staff_rows(5)), ("mechanism", service_rows(5))):
        applicant_services.application_save_section(
            actor=applicant, application_id=application.pk, section_key=key, values={}, rows=rows,
            lock_version=version_of(application), privacy_version=RULES_VERSION)
    return Application.objects.get(pk=application.pk)


@given(value=st.one_of(hostile_text(), st.lists(hostile_text(), min_size=2, max_size=2)))
@hostile(25)
def test_pledge_survives_hostile_input(client, applicant, call, value):
    application = applicant_services.application_start(actor=applicant, call=call)
    client.force_login(applicant)
    with rolled_back(client):
        response = client.post(reverse("application_pledge", args=[application.pk]), {"pledge": value})
        assert response.status_code < 500
        pledged = Application.objects.get(pk=application.pk).pledged_at is not None
        form = PledgeForm({"pledge": sent({"pledge": value}, "pledge")})
        assert pledged == form.is_valid()
        if not pledged:
            assert response.status_code == 200 and shows_error(response)


MANAGEMENT_COUNTS = ("0", "1", "2", "5", "6", "-1", "-100", "abc", "", "1.5", "201", "1000000", "9" * 40, "\x00")


@st.composite
def rows_data(draw, rows_name, baseline_rows):
    """A formset's POST data: its management form (often sane, sometimes not) and up to six rows, either
    wild or the five valid rows with a cell or two made hostile."""
    form = row_formset_class(rows_name)(prefix=rows_name).empty_form
    fields = {name: field_strategy(field) for name, field in form.fields.items()}
    data = {}
    if draw(st.integers(0, 2)) > 0:  # near-valid
        n, sane = len(baseline_rows), True
        cells = [(index, name) for index in range(n) for name in fields]
        hostile_cells = draw(st.sets(st.sampled_from(cells), max_size=2))
        for index, row in enumerate(baseline_rows):
            for name in fields:
                value = draw(fields[name]) if (index, name) in hostile_cells else as_post(row.get(name))
                data[f"{rows_name}-{index}-{name}"] = value
        data.update({f"{rows_name}-TOTAL_FORMS": str(n), f"{rows_name}-INITIAL_FORMS": str(n)})
        return data, sane, n
    sane = draw(st.integers(0, 4)) > 0
    n = draw(st.integers(0, 6))
    if sane:
        data.update({f"{rows_name}-TOTAL_FORMS": str(n), f"{rows_name}-INITIAL_FORMS": "0"})
    else:
        for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            choice = draw(st.one_of(st.none(), st.sampled_from(MANAGEMENT_COUNTS), st.integers().map(str)))
            if choice is not None:
                data[f"{rows_name}-{key}"] = choice
    for index in range(n):
        for name, strategy in fields.items():
            if draw(st.integers(0, 9)) == 0:
                continue  # a missing cell
            data[f"{rows_name}-{index}-{name}"] = draw(strategy)
    return data, sane, n


def section_baseline(application, section):
    """Valid POST values of a section: the complete demo content over what the draft holds."""
    content = complete_values()
    baseline = {}
    for name in section.fields:
        field = Application._meta.get_field(name)
        baseline[name] = as_post(content[name] if name in content else getattr(application, field.attname))
    return baseline


@st.composite
def section_post(draw, application, section_key):
    section = SECTION_BY_KEY[section_key]
    form = section_form_class(section_key)()
    data = draw(post_data(form_strategies(form), baseline=section_baseline(application, section)))
    rows = (None, False, 0)
    if section.rows:
        rows = draw(rows_data(section.rows, {"staff": staff_rows, "services": service_rows}[section.rows](5)))
        data.update(rows[0])
    data["lock_version"] = "CURRENT" if draw(st.integers(0, 9)) else draw(hostile_number())
    data[draw(st.sampled_from(("save", "save_next", "add_row")))] = "1"
    files = {kind: draw(hostile_upload()) for kind in section.attachments}
    return data, rows, files


def _check_rows_kept(application, section, data, rows, response):
    """On a refused page the typed cells are back; on an accepted one the kept rows hold what was typed."""
    _data, sane, n = rows
    if not sane:
        return
    form = row_formset_class(section.rows).form()
    texts = text_keys(form)
    if response.status_code == 400:
        for index in range(n):
            for name in typed_keys(form):
                value = data.get(f"{section.rows}-{index}-{name}")
                if isinstance(value, str) and value.strip():
                    assert shows_typed(response, value), f"row {index} {name}: {value[:80]!r} is lost"
        return
    stored = read_rows(getattr(application, section.rows), *texts)
    delete = forms.CheckboxInput()
    typed = []
    for index in range(n):
        if delete.value_from_datadict(data, {}, f"{section.rows}-{index}-DELETE"):
            continue
        cells = tuple((data.get(f"{section.rows}-{index}-{name}") or "").strip() for name in texts)
        if any(cells):
            typed.append(cells)
    # Rows whose text cells are all empty may still be kept for a number or a date; those are not compared.
    assert [row for row in stored if any(row)] == typed


@pytest.mark.parametrize("section_key", [s.key for s in SECTIONS])
@given(st.data())
@hostile(25)
def test_section_forms_survive_hostile_input(client, applicant, draft, section_key, data):
    section = SECTION_BY_KEY[section_key]
    post, rows, files = data.draw(section_post(draft, section_key))
    current = str(draft.lock_version)
    if post["lock_version"] == "CURRENT":
        post["lock_version"] = current
    for kind, file in files.items():
        if file is not None:
            post[kind] = upload(*file)
    client.force_login(applicant)
    url = reverse("application_section", args=[draft.pk, section_key])
    form = section_form_class(section_key)()
    keys = typed_keys(form)
    with rolled_back(client):
        response = client.post(url, post)
        event(f"status {response.status_code}")
        assert response.status_code in (302, 400), response.status_code
        application = Application.objects.get(pk=draft.pk)
        if response.status_code == 400:
            assert_refusal_explained(response, post, keys)
        else:
            assert_stored_as_typed(application, post, {key: key for key in text_keys(form)})
            assert_fits_columns(application)
            assert client.get(response["Location"]).status_code == 200
        if section.rows:
            _check_rows_kept(application, section, post, rows, response)
        # A file that passed its checks is kept whatever else was wrong on the page (unless the page was stale).
        received = response.wsgi_request.FILES
        for kind in section.attachments:
            file = received.get(kind)
            good = (TINY_PDF,) if kind == AttachmentKind.SEALED_SCAN else (TINY_PDF, TINY_PNG)
            if file is not None and files[kind][1] in good and post["lock_version"] == current:
                assert Attachment.objects.filter(application=draft, kind=kind).exists(), f"{file.name!r} was lost"


def test_a_formset_claiming_a_million_rows_is_refused_politely(client, applicant, draft):
    client.force_login(applicant)
    response = client.post(reverse("application_section", args=[draft.pk, "department"]), {
        "staff-TOTAL_FORMS": "1000000", "staff-INITIAL_FORMS": "0", "lock_version": draft.lock_version,
        "department_name": "知识产权部", "save": "1"})
    assert response.status_code == 400 and shows_error(response)
    assert shows_typed(response, "知识产权部")
    assert Application.objects.get(pk=draft.pk).staff.count() == 5


# --- The services called directly: they store only what their forms accept -------------------------------------

def snapshot(application):
    application = Application.objects.get(pk=application.pk)
    return ({f.attname: getattr(application, f.attname) for f in Application._meta.concrete_fields
             if f.name != "updated_at"}, list(application.staff.values()), list(application.services.values()))


ROWS = {"staff": (StaffMember, STAFF_FIELDS, staff_rows), "services": (ServiceRecord, SERVICE_FIELDS, service_rows)}


@pytest.mark.parametrize("section_key", [s.key for s in SECTIONS])
@given(st.data())
@hostile(25)
def test_a_section_save_stores_only_what_its_form_accepts(client, applicant, draft, section_key, data):
    """Hostile Python values straight into application_save_section: refused with a message and nothing
    stored, or stored so that the section's form (and each row's form) accepts what was stored."""
    section = SECTION_BY_KEY[section_key]
    baseline = {**{name: getattr(draft, name) for name in section.fields}, **complete_values()}
    values = data.draw(service_values(Application, section.fields, baseline))
    rows = None
    if section.rows:
        model, names, valid_rows = ROWS[section.rows]
        rows = data.draw(st.one_of(st.none(), table_rows(model, names, valid_rows(5))))
    before = snapshot(draft)
    with rolled_back(client):
        try:
            applicant_services.application_save_section(
                actor=applicant, application_id=draft.pk, section_key=section_key, values=values, rows=rows,
                lock_version=draft.lock_version, privacy_version=RULES_VERSION)
        except PortalError as exc:
            event("refused")
            assert exc.code == "invalid", exc.message
            assert snapshot(draft) == before
            return
        event("stored")
        application = Application.objects.get(pk=draft.pk)
        assert_fits_columns(application)
        assert_text_rule(application)
        form = section_form_class(section_key)(stored_post(application, section.fields), instance=application)
        assert form.is_valid(), form.errors
        if rows is not None:
            model, names, _valid = ROWS[section.rows]
            for row in getattr(application, section.rows).all():
                assert_fits_columns(row)
                assert_text_rule(row)
                assert any(getattr(row, name) not in (None, "") for name in names), "a blank row was stored"
                row_form = row_formset_class(section.rows).form(stored_post(row, names))
                assert row_form.is_valid(), row_form.errors


def registration_values():
    return {"name": "示例·新园区", "credit_code": credit_code(77), "applicant_type": "provincial_park",
            "affiliation": "city", "ministry": None, "province": Province.objects.get(code="320000"),
            "city": City.objects.get(code="320500"), "contact_name": "王联络", "email": "wang@example.cn",
            "password": "Navigate-2026"}


@given(st.data())
@hostile(40)
def test_registration_creates_only_what_its_form_accepts(db, client, data):
    """Hostile Python values straight into organisation_register: refused with a message and nothing created,
    or created with what the registration form would have created."""
    names = ("name", "credit_code", "applicant_type", "affiliation", "ministry", "province", "city", "contact_name")
    values = {**registration_values(), **data.draw(service_values(Organisation, names[:-1], registration_values()))}
    if data.draw(st.booleans()):
        values["contact_name"] = data.draw(value_strategy(User._meta.get_field("display_name")))
    with rolled_back(client):
        try:
            user = applicant_services.organisation_register(**values, privacy_version=RULES_VERSION)
        except PortalError as exc:
            event("refused")
            assert exc.code == "invalid", exc.message
            assert not Organisation.objects.exists()
            return
        event("created")
        org = user.organisation
        for obj in (org, user):
            assert_fits_columns(obj)
            assert_text_rule(obj)
        form = RegistrationForm({**stored_post(org, names[:-1]), "contact_name": user.display_name,
                                 "email": "another@example.cn", "password1": values["password"],
                                 "password2": values["password"], "privacy": "on"})
        # The form accepts it: that the code is taken now is not the form's to say (SPEC §7); the mail then offers a
        # transfer request (applications.organisations), not a refusal.
        assert form.errors == {}, form.errors


CALL_VALUES = {"title": "2027年度国家级专利导航服务基地申报", "document_number": "国知办发运字〔2027〕1号",
               "notice_text": "各省、自治区、直辖市知识产权局：……", "quota": 3, "ministry_quota": None,
               "notice_working_days": 5, "exempt_categories": ["protection_centre", "pilot_base"]}


@given(data=st.data(), edit=st.booleans())
@hostile(40)
def test_call_save_stores_only_what_its_form_accepts(client, reviewers, call, data, edit):
    baseline = {**CALL_VALUES, "opens_at": call.opens_at, "deadline": call.deadline}
    names = [name for name in CALL_FIELDS if name != "exempt_categories"]
    values = {**baseline, **data.draw(service_values(Call, names, baseline))}
    if data.draw(st.integers(0, 3)) == 0:
        values["exempt_categories"] = data.draw(st.one_of(
            st.lists(st.sampled_from(ExemptCategory.values), max_size=6), st.lists(hostile_text(), max_size=2),
            hostile_text(), st.none()))
    with rolled_back(client):
        try:
            saved = call_save(actor=reviewers["national"], call_id=call.pk if edit else None, values=values)
        except PortalError as exc:
            event("refused")
            assert exc.code == "invalid", exc.message
            assert Call.objects.count() == 1 and not AuditEvent.objects.filter(action__startswith="call_").exists()
            return
        event("stored")
        saved = Call.objects.get(pk=saved.pk)
        assert_fits_columns(saved)
        assert_text_rule(saved)
        form = CallForm(stored_post(saved, CALL_FIELDS), instance=saved)
        assert form.is_valid(), form.errors


# --- Reviewers' decisions and claim checks ---------------------------------------------------------------

def submit_through_services(user, call, *, values=None, staff=None, services_rows=None):
    """Start, fill, seal and submit `user`'s application through the applicant's services."""
    application = applicant_services.application_start(actor=user, call=call)
    applicant_services.application_pledge(actor=user, application_id=application.pk)
    content = {**complete_values(), **(values or {})}
    rows = {"staff": staff or staff_rows(5), "services": services_rows or service_rows(5)}
    for section in SECTIONS:
        applicant_services.application_save_section(
            actor=user, application_id=application.pk, section_key=section.key,
            values={f: content[f] for f in section.fields if f in content}, rows=rows.get(section.rows),
            lock_version=version_of(application), privacy_version=RULES_VERSION)
    claims = {AttachmentKind.EXEMPTION_DOCUMENT: content.get("exempt_category"),
              AttachmentKind.LOCAL_BASE_DOCUMENT: content.get("local_base")}
    for kind in [kind for kind, claimed in claims.items() if claimed]:
        applicant_services.application_attach(actor=user, application_id=application.pk, kind=kind,
                                              upload=upload("doc.pdf", TINY_PDF), content_type="application/pdf")
    attach_scan(user, application)
    assert applicant_services.application_submit(actor=user, application_id=application.pk) == []
    return Application.objects.get(pk=application.pk)


def hand_in(reviewer, call):
    package = review_services.package_get_or_create(actor=reviewer, call=call)
    review_services.package_attach_letter(actor=reviewer, package_id=package.pk, upload=upload("l.pdf", TINY_PDF))
    return review_services.package_submit(actor=reviewer, package_id=package.pk)


@pytest.fixture
def desks(reviewers, call, city_institution, ministry_unit):
    """An application on every desk that takes decisions: a city's, a ministry's (claiming exemption and
    priority), a province's whose package is handed in (recommend is refused), CNIPA's re-check (claiming
    exemption), and one CNIPA returned to its province."""
    province, cnipa = reviewers["province_js"], reviewers["national"]
    exemption = {"exempt_category": "protection_centre", "exempt_document_number": "国知发〔2020〕1号",
                 "exempt_document_date": datetime.date(2020, 1, 1)}
    js = [submit_through_services(make_applicant(f"示例·江苏园区{i}", f"js-hostile{i}"), call,
                                  values=exemption if i == 0 else None) for i in range(2)]
    for application in js:
        review_services.application_recommend(actor=province, application_id=application.pk, opinion="同意")
    hand_in(province, call)
    national.recheck_return_to_unit(actor=cnipa, application_id=js[1].pk, reason="补充材料")
    late = submit_through_services(make_applicant("示例·江苏迟到园区", "js-late"), call)
    city = submit_through_services(city_institution, call)
    moe = submit_through_services(ministry_unit, call, values={
        **exemption, "local_base": True, "local_base_document_number": "苏知发〔2021〕2号",
        "local_base_document_date": datetime.date(2021, 1, 1)})
    desks = {
        "city_nanjing": (city, ("city_consent", "city_decline", "return")),
        "ministry_moe": (moe, ("return", "decline", "recommend")),
        "province_js": (late, ("recommend", "decline", "return")),
        "national": (js[0], ("recheck_pass", "recheck_fail", "return_to_unit")),
        "province_js/unit": (js[1], ("unit_resubmit", "unit_drop")),
    }
    return {desk: (Application.objects.get(pk=application.pk), actions)
            for desk, (application, actions) in desks.items()}


DECISION_FORMS = {"city_consent": ConsentForm, "city_decline": ReasonForm, "return": ReturnForm,
                  "decline": ReasonForm, "recommend": RecommendForm, "unrecommend": ConsentForm,
                  "recheck_pass": ConsentForm, "recheck_fail": ReasonForm, "return_to_unit": ReasonForm,
                  "unit_resubmit": ConsentForm, "unit_drop": ReasonForm}


@given(st.data())
@hostile(40)
def test_decisions_survive_hostile_input(client, reviewers, desks, data):
    desk = data.draw(st.sampled_from(sorted(desks)))
    application, actions = desks[desk]
    action = data.draw(st.sampled_from(actions))
    form = DECISION_FORMS[action](prefix=action)
    baseline = {f"{action}-{name}": value for name, value in (
        ("reason", "材料不完整，请补充。"), ("note", "同意"), ("opinion", "同意推荐"), ("score", "90.5"),
        ("sections", ["basic", "mechanism"]))}
    post = data.draw(post_data(form_strategies(form), baseline=baseline))
    client.force_login(reviewers[desk.split("/")[0]])
    with rolled_back(client):
        response = client.post(reverse("review_decide", args=[application.pk, action]), post)
        event(f"status {response.status_code}")
        assert response.status_code in (302, 400, 409), response.status_code
        after = Application.objects.get(pk=application.pk)
        if response.status_code == 302:
            assert after.state != application.state
            reason = sent(post, f"{action}-reason")
            if action in ("city_decline", "return", "decline", "unit_drop"):
                assert after.return_reason == reason.strip()
            if action in ("recheck_fail", "return_to_unit"):
                assert after.recheck_note == reason.strip()
            if action == "recommend":
                assert after.recommendation.opinion == sent(post, "recommend-opinion").strip()
            assert client.get(response["Location"]).status_code == 200
        else:
            assert after.state == application.state
            assert_refusal_explained(response, post, typed_keys(form))


@given(st.data())
@hostile(30)
def test_claim_checks_survive_hostile_input(client, reviewers, desks, data):
    reviewer, application, claim = data.draw(st.sampled_from((
        ("ministry_moe", desks["ministry_moe"][0], "exemption"), ("ministry_moe", desks["ministry_moe"][0], "priority"),
        ("national", desks["national"][0], "national"))))
    form = ClaimForm(prefix=claim)
    post = data.draw(post_data(form_strategies(form), baseline={f"{claim}-status": "rejected",
                                                                f"{claim}-note": "认定文件已过期"}))
    client.force_login(reviewers[reviewer])
    with rolled_back(client):
        response = client.post(reverse("review_claim", args=[application.pk, claim]), post)
        event(f"status {response.status_code}")
        assert response.status_code in (302, 400, 409), response.status_code
        after = Application.objects.get(pk=application.pk)
        if response.status_code == 302:
            note = {"exemption": after.exemption_note, "priority": after.priority_note,
                    "national": after.recheck_note}[claim]
            typed = (sent(post, f"{claim}-note") or "").strip()
            # CNIPA's empty note keeps the re-check note there was (none here).
            assert note == typed or (claim == "national" and not typed)
            assert client.get(response["Location"]).status_code == 200
        else:
            assert after.lock_version == application.lock_version
            assert_refusal_explained(response, post, typed_keys(form))


# --- The recommendation package ---------------------------------------------------------------------------

@pytest.fixture
def packages(reviewers, call):
    """Zhejiang's open package with two recommendations and a justification; Jiangsu's package handed in,
    for CNIPA to reopen."""
    zj, js = reviewers["province_zj"], reviewers["province_js"]
    apps = [submit_through_services(make_applicant(f"示例·浙江园区{i}", f"zj-hostile{i}", city="330100"), call)
            for i in range(2)]
    for application in apps:
        review_services.application_recommend(actor=zj, application_id=application.pk, opinion="同意推荐")
    jiangsu = submit_through_services(make_applicant("示例·江苏园区", "js-hostile-package"), call)
    review_services.application_recommend(actor=js, application_id=jiangsu.pk, opinion="同意推荐")
    hand_in(js, call)
    # A justification stands already, so that losing it shows.
    Package.objects.filter(call=call, province=zj.province).update(priority_justification="原有理由")
    return {"open": Package.objects.get(call=call, province=zj.province),
            "handed_in": Package.objects.get(call=call, province=js.province)}


def package_state(package):
    package = Package.objects.get(pk=package.pk)
    return (package.status, package.priority_justification, package.letter.name, package.extended_until,
            list(package.recommendations.order_by("rank").values_list("pk", "rank", "opinion", "score")))


@st.composite
def package_post(draw, package, form_name):
    """(url, POST data, the recommendation concerned) for one of the package's forms."""
    recommendations = list(package.recommendations.order_by("rank"))
    recommendation = draw(st.sampled_from(recommendations))
    if form_name == "rank":
        ids = [str(r.pk) for r in recommendations]
        order = draw(st.one_of(st.permutations(ids).map(",".join), hostile_text(),
                               st.lists(hostile_number(), max_size=4).map(",".join)))
        return reverse("package_rank", args=[package.pk]), {"order": order}, recommendation
    if form_name == "move":
        direction = draw(st.sampled_from(("up", "down", "sideways")))
        return reverse("package_move", args=[package.pk, recommendation.pk, direction]), {}, recommendation
    if form_name == "update":
        form = RecommendForm(prefix=f"r{recommendation.pk}")
        baseline = {f"r{recommendation.pk}-opinion": "同意推荐，排序靠前。", f"r{recommendation.pk}-score": "88"}
        return (reverse("recommendation_update", args=[package.pk, recommendation.pk]),
                draw(post_data(form_strategies(form), baseline=baseline)), recommendation)
    if form_name == "justify":
        return (reverse("package_justify", args=[package.pk]), draw(post_data({"justification": hostile_text()})),
                recommendation)
    if form_name == "letter":
        file = draw(hostile_upload())
        return reverse("package_letter", args=[package.pk]), {"letter": upload(*file)} if file else {}, recommendation
    return reverse("package_submit", args=[package.pk]), draw(post_data({"confirm": hostile_text()})), recommendation


@pytest.mark.parametrize("form_name", ["rank", "move", "update", "justify", "letter", "submit"])
@given(st.data())
@hostile(25)
def test_package_forms_survive_hostile_input(client, reviewers, packages, form_name, data):
    """Every form of an open package: a refusal says why, changes nothing and keeps the typed text on the page
    (also when it answers with a redirect); an accepted opinion or justification is stored as typed."""
    package = packages["open"]
    url, post, recommendation = data.draw(package_post(package, form_name))
    keys = {"update": [f"r{recommendation.pk}-opinion"], "justify": ["justification"]}.get(form_name, [])
    before = package_state(package)
    client.force_login(reviewers["province_zj"])
    with rolled_back(client):
        response = through_preview(client, url, post, follow=True)
        event(f"status {response.status_code}")
        assert response.status_code in (200, 400, 404, 409), response.status_code
        if form_name == "move":  # moving says nothing; past either end it changes nothing
            assert response.status_code == (404 if url.rstrip("/").endswith("sideways") else 200)
        elif response.status_code != 200 or not shows_success(response):
            assert package_state(package) == before
            assert_refusal_explained(response, post, keys)
        elif form_name == "justify":
            assert_stored_as_typed(package, post, {"justification": "priority_justification"})
        elif form_name == "update":
            assert_stored_as_typed(recommendation, post, {f"r{recommendation.pk}-opinion": "opinion"})


def test_a_justification_that_fails_validation_is_refused_not_saved_empty(client, reviewers, packages):
    """Regression, this used to fail: review/views.py package_justify ignores form.is_valid(): text over 4000 characters (or with a NUL)
    leaves cleaned_data without "justification", so "" is saved over the old justification and the page
    says "The justification was saved." The typed text is lost and the old one erased."""
    package = packages["open"]
    Package.objects.filter(pk=package.pk).update(priority_justification="原有理由")
    client.force_login(reviewers["province_zj"])
    typed = "理由" * 2001
    response = client.post(reverse("package_justify", args=[package.pk]), {"justification": typed})
    stored = Package.objects.get(pk=package.pk).priority_justification
    assert stored in ("原有理由", typed), f"the justification was replaced by {stored!r}"
    if stored != typed:  # refused: the page says why and keeps the text
        assert response.status_code in (200, 400) and shows_error(response) and shows_typed(response, typed)


def test_a_refused_opinion_update_keeps_the_typed_opinion(client, reviewers, packages):
    """Regression, this used to fail: review/views.py recommendation_update answers an invalid form (e.g. a score of 150) with a
    message and a redirect: the opinion the reviewer typed is not on the page any more."""
    package = packages["open"]
    recommendation = package.recommendations.order_by("rank").first()
    client.force_login(reviewers["province_zj"])
    typed = "新的推荐意见：该单位专利导航基础扎实。"
    response = client.post(reverse("recommendation_update", args=[package.pk, recommendation.pk]),
                           {f"r{recommendation.pk}-opinion": typed, f"r{recommendation.pk}-score": "150"},
                           follow=True)
    assert shows_error(response)
    assert shows_typed(response, typed), "the typed opinion was lost"


def future_moment(days=10):
    return (timezone.localtime() + datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


@given(post=post_data(form_strategies(ReopenForm()), baseline={"reason": "补充推荐函", "until": "FUTURE"}))
@example(post={"reason": SCRIPT, "until": "9999-12-31T23:59"})
@hostile(30)
def test_package_reopen_survives_hostile_input(client, reviewers, packages, post):
    package = packages["handed_in"]
    post = {key: future_moment() if value == "FUTURE" else value for key, value in post.items()}
    client.force_login(reviewers["national"])
    with rolled_back(client):
        response = client.post(reverse("package_reopen", args=[package.pk]), post)
        event(f"status {response.status_code}")
        assert response.status_code in (302, 400, 409), response.status_code
        if response.status_code == 302:
            assert Package.objects.get(pk=package.pk).status == "open"
            assert client.get(response["Location"]).status_code == 200
            bureau = Client()
            bureau.force_login(reviewers["province_js"])
            assert bureau.get(reverse("package_detail", args=[package.pk])).status_code == 200
        else:
            assert Package.objects.get(pk=package.pk).status == "submitted"
            assert_refusal_explained(response, post, typed_keys(ReopenForm()))


# --- Calls and a province's own deadline ------------------------------------------------------------------

CALL_BASELINE = {"title": "2027年度国家级专利导航服务基地申报", "document_number": "国知办发运字〔2027〕1号",
                 "notice_text": "各省、自治区、直辖市知识产权局：……", "opens_at": "2027-09-01T09:00",
                 "deadline": "2027-11-24T00:00", "quota": "3", "ministry_quota": "", "notice_working_days": "5",
                 "exempt_categories": ["protection_centre", "pilot_base"]}


@given(post=post_data(form_strategies(CallForm()), baseline=CALL_BASELINE), edit=st.booleans())
@hostile(40)
def test_call_form_survives_hostile_input(client, reviewers, call, post, edit):
    client.force_login(reviewers["national"])
    url = reverse("call_edit", args=[call.pk]) if edit else reverse("call_create")
    with rolled_back(client):
        response = client.post(url, post)
        event(f"status {response.status_code}")
        assert response.status_code in (302, 400, 409), response.status_code
        if response.status_code == 302:
            saved = Call.objects.get(pk=call.pk) if edit else Call.objects.exclude(pk=call.pk).get()
            assert_stored_as_typed(saved, post, {"title": "title", "document_number": "document_number",
                                                 "notice_text": "notice_text"})
            assert_fits_columns(saved)
            assert client.get(response["Location"]).status_code == 200
            assert client.get(reverse("dashboard")).status_code == 200
        else:
            assert_refusal_explained(response, post, typed_keys(CallForm()))


def test_a_call_opening_in_year_one_is_refused_not_a_server_error(client, reviewers):
    """Regression, this used to fail: a datetime-local of 0001-01-01T00:00 is valid for the form, but in Asia/Shanghai (LMT +08:05:43)
    it lies before year 1 in UTC: validating the call's check constraint (or saving) raises OverflowError,
    a 500 (review/call_views.py call_edit → CallForm.is_valid)."""
    client.force_login(reviewers["national"])
    response = client.post(reverse("call_create"), {
        "title": "2027年度申报", "document_number": "国知办发运字〔2027〕1号", "notice_text": "通知",
        "opens_at": "0001-01-01T00:00", "deadline": "2027-11-24T00:00", "quota": "3", "notice_working_days": "5"})
    assert response.status_code in (400, 409) and shows_error(response)


@given(deadline=hostile_datetime(), call_value=st.one_of(st.just("CALL"), st.just("CALL"), hostile_text()))
@hostile(30)
def test_province_deadline_survives_hostile_input(client, reviewers, call, deadline, call_value):
    call_value = str(call.pk) if call_value == "CALL" else call_value
    post = {"call": call_value, f"{call.pk}-deadline": deadline}
    client.force_login(reviewers["province_js"])
    with rolled_back(client):
        response = client.post(reverse("province_deadline"), post)
        event(f"status {response.status_code}")
        assert response.status_code in (302, 400, 404, 409), response.status_code
        if response.status_code in (400, 409):
            assert_refusal_explained(response, post, [f"{call.pk}-deadline"])
        elif response.status_code == 302:
            assert client.get(response["Location"]).status_code == 200


def test_province_deadline_with_a_call_that_is_no_number_is_404(client, reviewers, call):
    """Regression, this used to fail: review/call_views.py province_deadline passes request.POST["call"] to get_object_or_404; a value
    that is not a number raises ValueError ("Field 'id' expected a number"), a 500 instead of a 404."""
    client.force_login(reviewers["province_js"])
    response = client.post(reverse("province_deadline"), {"call": "abc", f"{call.pk}-deadline": ""})
    assert response.status_code == 404


def test_province_deadline_in_year_one_is_refused_not_a_server_error(client, reviewers, call):
    """Regression, this used to fail: 0001-01-01T00:00 passes the form and the "not later than the call" rule, then cannot be converted
    to UTC when saved: OverflowError, a 500 (review/calls.py province_deadline_set)."""
    client.force_login(reviewers["province_js"])
    response = client.post(reverse("province_deadline"), {"call": call.pk, f"{call.pk}-deadline": "0001-01-01T00:00"})
    assert response.status_code in (400, 409) and shows_error(response)


def test_package_page_with_a_call_that_is_no_number_is_404(client, reviewers, call):
    """Regression, this used to fail: review/views.py package_current passes ?call= to get_object_or_404 unchecked: ?call=abc is a
    ValueError, a 500 instead of a 404."""
    client.force_login(reviewers["province_js"])
    assert client.get(reverse("package_current"), {"call": "abc"}).status_code == 404


# --- The notice, objections, the final list ---------------------------------------------------------------

@pytest.fixture
def rechecked(reviewers, call):
    """Two Jiangsu applications handed in and passed by CNIPA's re-check: ready to publish."""
    province, cnipa = reviewers["province_js"], reviewers["national"]
    apps = [submit_through_services(make_applicant(f"示例·公示园区{i}", f"notice{i}"), call) for i in range(2)]
    for application in apps:
        review_services.application_recommend(actor=province, application_id=application.pk, opinion="同意")
    hand_in(province, call)
    for application in apps:
        national.recheck_pass(actor=cnipa, application_id=application.pk)
    return apps


def shift_notice(notice, start_days, end_days):
    today = timezone.localdate()
    Notice.objects.filter(pk=notice.pk).update(starts_on=today + datetime.timedelta(days=start_days),
                                               ends_on=today + datetime.timedelta(days=end_days),
                                               dates_confirmed=True)
    return resealed(notice)  # the calendar moved, not an attacker: the list's seal goes with it


@pytest.fixture
def published(reviewers, rechecked, call):
    """The proposed list published, its period open now, one objection by a person waiting for a decision."""
    notice = national.notice_publish(actor=reviewers["national"], call=call, text="现予以公示。", contact="电话 010-0000")
    notice = shift_notice(notice, -1, 5)
    entry = notice.entries.order_by("number").first()
    objection = object_confirmed(entry_id=entry.pk, kind="person", name="王某某", phone="13912345678",
                                          email="wang@example.cn", reasons="材料不实", signature="王某某")
    return notice, objection


def through_preview(client, url, post, **kwargs):
    """Post `post`; when the answer is the preview of an irreversible act (review.previews), which changes nothing,
    confirm it with its digest, as the user would: the answer to the confirmation is what the test judges."""
    response = client.post(url, post, **kwargs)
    context = getattr(response, "context", None)
    if response.status_code == 200 and context is not None and "plan" in context:
        event("previewed")
        response = client.post(url, {**post, "confirmed": context["plan"].digest}, **kwargs)
    return response



@given(post=post_data(form_strategies(PublishForm()), baseline={"text": "现予以公示。", "contact": "电话 010-0000"}))
@hostile(25)
def test_notice_publish_survives_hostile_input(client, reviewers, rechecked, call, post):
    client.force_login(reviewers["national"])
    with rolled_back(client):
        response = through_preview(client, reverse("notice_publish", args=[call.pk]), post)
        event(f"status {response.status_code}")
        assert response.status_code in (302, 400, 409), response.status_code
        if response.status_code == 302:
            assert_stored_as_typed(Notice.objects.get(call=call), post, {"text": "text", "contact": "contact"})
            assert client.get(response["Location"]).status_code == 200
            assert Client().get(reverse("notice_detail", args=[call.pk])).status_code == 200
        else:
            assert not Notice.objects.exists()
            assert_refusal_explained(response, post, typed_keys(PublishForm()))


@given(which=st.sampled_from(("dates", "final")), data=st.data())
@hostile(30)
def test_notice_dates_and_final_forms_survive_hostile_input(client, reviewers, published, call, which, data):
    notice = Notice.objects.filter(pk=published[0].pk)
    if which == "final":  # the period is over and the objection decided: the list can be confirmed
        post = data.draw(post_data(form_strategies(FinalForm()), baseline={
            "document_number": "国知发运字〔2026〕8号", "document_date": timezone.localdate().isoformat()}))
        notice.update(ends_on=timezone.localdate() - datetime.timedelta(days=1),
                      starts_on=timezone.localdate() - datetime.timedelta(days=8), dates_confirmed=True)
        Objection.objects.update(decision="dismissed", decision_note="不成立")
    else:  # the calendar did not know the year: the page asks CNIPA to confirm the dates
        post = data.draw(post_data(form_strategies(DatesForm()), baseline={"starts_on": "2026-01-05",
                                                                           "ends_on": "2026-01-09"}))
        notice.update(dates_confirmed=False)
    client.force_login(reviewers["national"])
    with rolled_back(client):
        response = through_preview(client, reverse(f"notice_{which}", args=[call.pk]), post)
        event(f"{which}: status {response.status_code}")
        assert response.status_code in (302, 400, 409), response.status_code
        if response.status_code == 302:
            # Every page that reads the notice must still open, for CNIPA and for the public.
            assert client.get(response["Location"]).status_code == 200
            public = Client()
            assert public.get(reverse("notice_detail", args=[call.pk])).status_code == 200
            entry = published[0].entries.order_by("number").first()
            assert public.get(reverse("objection_create", args=[call.pk, entry.pk])).status_code == 200
            assert public.get(reverse("bases")).status_code == 200
            assert client.get(reverse("objection_detail", args=[published[1].pk])).status_code == 200
        else:
            assert_refusal_explained(response, post, typed_keys(FinalForm() if which == "final" else DatesForm()))


def test_notice_dates_ending_on_the_last_day_of_the_calendar_break_every_notice_page(client, reviewers,
                                                                                      published, call):
    """Regression, this used to fail: DatesForm accepts an end of 9999-12-31; review/national.py notice_window adds a day to it
    (OverflowError), so the notice management page, the public notice and the objection form answer 500
    from then on."""
    client.force_login(reviewers["national"])
    response = client.post(reverse("notice_dates", args=[call.pk]),
                           {"starts_on": "2026-01-05", "ends_on": "9999-12-31"})
    if response.status_code == 302:
        assert client.get(reverse("notice_manage", args=[call.pk])).status_code == 200
        assert Client().get(reverse("notice_detail", args=[call.pk])).status_code == 200
    else:
        assert response.status_code == 400 and shows_error(response)


def test_malformed_dates_posted_after_the_dates_were_confirmed_are_explained(client, reviewers, published, call):
    """Regression (minor), this used to fail: once the dates are confirmed, review/notice_manage.html no longer renders the dates form, but
    notice_dates still accepts posts (the service "confirms or corrects" them). A tab opened before another
    official confirmed the dates posts a malformed date: the answer is a 400 page with no message and no field
    error, and the typed dates are gone."""
    client.force_login(reviewers["national"])
    response = client.post(reverse("notice_dates", args=[call.pk]),
                           {"starts_on": "2026-02-30", "ends_on": "2026-03-06"})
    assert response.status_code == 400
    assert shows_error(response), "refused without saying why"
    assert shows_typed(response, "2026-02-30")


@given(post=post_data(form_strategies(DecideForm()), baseline={"decision": "upheld", "note": "经核实，异议成立。"}))
@hostile(25)
def test_objection_decision_survives_hostile_input(client, reviewers, published, post):
    objection = published[1]
    client.force_login(reviewers["national"])
    with rolled_back(client):
        response = through_preview(client, reverse("objection_decide", args=[objection.pk]), post)
        event(f"status {response.status_code}")
        assert response.status_code in (302, 400, 409), response.status_code
        if response.status_code == 302:
            assert_stored_as_typed(Objection.objects.get(pk=objection.pk), post, {"note": "decision_note"})
            assert client.get(response["Location"]).status_code == 200
        else:
            assert Objection.objects.get(pk=objection.pk).decision == "pending"
            assert_refusal_explained(response, post, typed_keys(DecideForm()))


OBJECTION_BASELINE = {"kind": "person", "name": "李某某", "phone": "13912345678", "email": "li@example.cn",
                      "reasons": "该基地的服务次数与事实不符。", "signature": "李某某", "declaration": "on"}


@given(post=post_data(form_strategies(ObjectionForm()), baseline=OBJECTION_BASELINE), evidence=hostile_upload(),
       letter=hostile_upload())
@example(post={"kind": "person", "name": SCRIPT, "phone": "13912345678", "email": "a@example.cn",
               "reasons": IMG, "signature": SCRIPT, "declaration": "on"}, evidence=None, letter=None)
@hostile(40)
def test_objection_form_survives_hostile_input(published, call, post, evidence, letter):
    notice, _objection = published
    entry = notice.entries.order_by("number").last()
    public = Client()
    for key, file in (("evidence", evidence), ("letter", letter)):
        if file is not None:
            post[key] = upload(*file)
    before = Objection.objects.count()
    with rolled_back(public):
        response = public.post(reverse("objection_create", args=[call.pk, entry.pk]), post)
        event(f"status {response.status_code}")
        assert response.status_code in (302, 400, 409), response.status_code
        if response.status_code == 302:
            objection = Objection.objects.latest("pk")
            assert_stored_as_typed(objection, post, {"name": "name", "reasons": "reasons"})
            assert_fits_columns(objection)
            assert public.get(response["Location"]).status_code == 200
        else:
            assert Objection.objects.count() == before
            assert_refusal_explained(response, post, typed_keys(ObjectionForm()))


# --- CNIPA's registry import -------------------------------------------------------------------------------

def _cell_value():
    # openpyxl cannot write most control characters: they cannot reach the import through a real sheet either.
    text = hostile_text().map(lambda s: ILLEGAL_CHARACTERS_RE.sub("", s)[:300])
    return st.one_of(text, st.sampled_from(("国家级知识产权保护中心", "原国家专利导航试点工程研究基地", "江苏省", "2020-01-01",
                                            "2020年2月30日", "0000-01-01", "9999-12-31")),
                     st.integers(-(10 ** 20), 10 ** 20), st.floats(allow_nan=False, allow_infinity=False),
                     st.dates(), st.none())


VALID_REGISTRY_ROW = {"类别": "国家级知识产权保护中心", "名称": "中国（示例）知识产权保护中心", "别名": "示例保护中心",
                      "统一社会信用代码": "", "省份": "江苏省", "认定文件文号": "国知发保字〔2019〕1号",
                      "认定日期": "2019-06-01", "届满日期": ""}


@st.composite
def registry_sheet(draw):
    """An upload for the registry import: bytes that are no workbook at all, or an xlsx with the template's
    headers (all of them, or some missing or repeated) and rows that are wild or valid but for a cell or two."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.one_of(st.binary(max_size=300), st.sampled_from(FILE_CONTENTS)))
    headers = list(HEADERS.values())
    if draw(st.integers(0, 3)) == 0:
        headers = draw(st.lists(st.sampled_from(list(HEADERS.values())), max_size=10))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            hostile_headers = draw(st.sets(st.sampled_from(headers), max_size=2)) if headers else set()
            valid = {**VALID_REGISTRY_ROW, "名称": f"{VALID_REGISTRY_ROW['名称']}{row}"}
            sheet.append([draw(_cell_value()) if h in hostile_headers else valid[h] for h in headers])
        else:
            sheet.append([draw(_cell_value()) for _header in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@given(content=registry_sheet(), name=st.one_of(st.just("registry.xlsx"), SAFE_FILE_NAME))
@hostile(30)
def test_registry_import_survives_hostile_sheets(client, reviewers, content, name):
    client.force_login(reviewers["national"])
    with rolled_back(client):
        response = client.post(reverse("registry_import"), {"file": upload(name, content)})
        event(f"status {response.status_code}")
        assert response.status_code in (200, 400, 409), response.status_code
        if response.status_code == 200:
            rows = response.context["rows"]
            assert RegistryEntry.objects.count() == len(rows)
            for row in rows:
                assert RegistryEntry.objects.filter(name=row.name).exists()
                assert shows_typed(response, row.name)
            assert client.get(reverse("registry_list")).status_code == 200
        else:
            assert not RegistryEntry.objects.exists()
            assert shows_error(response)


# --- Filters in the query string ---------------------------------------------------------------------------

@given(query=st.dictionaries(st.sampled_from(("call", "state", "applicant_type", "industry", "q", "province",
                                              "ministry", "page", "kind")), hostile_text(), max_size=5),
       who=st.sampled_from(("province_js", "national", "public")))
@hostile(30)
def test_list_filters_survive_hostile_queries(client, reviewers, desks, query, who):
    if who != "public":
        client.force_login(reviewers[who])
    urls = {"province_js": ("review_queue", "package_list"),
            "national": ("review_queue", "dashboard", "registry_list", "package_list"),
            "public": ("bases", "home")}[who]
    for name in urls:
        response = client.get(reverse(name), query, follow=True)
        assert response.status_code < 500
        # The search box shows what was searched for, whatever it was.
        if name in ("review_queue", "bases", "registry_list") and query.get("q", "").strip():
            assert shows_typed(response, query["q"]), f"{name}: the search text is not in the search box"


# --- Part 2: hostile text stored through the services, read back everywhere --------------------------------

NAME = '<script>alert("name")</script>'
STAFF = '<img src=x onerror=alert("staff")>'
CLIENT = '<svg onload=alert("client")>'
INDUSTRY = '"><script>alert("industry")</script>'
OPINION = "<img src=x onerror=alert(1)>"
RECHECK = '<script>alert("recheck")</script>'
OBJECTOR = '<script>alert("objector")</script>'
REASONS = '<iframe src="javascript:alert(\'reason\')">'
CALL_TITLE = '<script>alert("call")</script>'
NOTICE_TEXT = '<script>alert("notice")</script>'
CONTACT = '<a href="javascript:alert(\'contact\')">电话</a>'
DOCUMENT = "<b>国知发运字〔2026〕1号</b>"
RETURN_REASON = '<script>alert("return")</script>'


@pytest.fixture
def hostile_world(reviewers, call):
    """One call carried to its final list with hostile text in every field a page or a sheet shows: the
    call's title, an applicant's name, staff, clients and industry, an opinion, a re-check note, the notice,
    an objection and the confirming document. Four more applicants are named like spreadsheet formulas."""
    province, cnipa = reviewers["province_js"], reviewers["national"]
    call_save(actor=cnipa, call_id=call.pk, values={
        **{f: getattr(call, f) for f in CALL_FIELDS}, "title": CALL_TITLE, "quota": 10})
    staff = staff_rows(5)
    staff[0]["name"] = STAFF
    rows = service_rows(5)
    rows[0]["client"] = CLIENT
    user = make_applicant(NAME, "hostile-name")
    main = submit_through_services(user, call, values={"industry_fields": INDUSTRY}, staff=staff, services_rows=rows)
    formula_apps = [submit_through_services(make_applicant(formula, f"formula{i}"), call, values={
        "industry_fields": FORMULAS[(i + 1) % len(FORMULAS)], "contact_name": FORMULAS[(i + 2) % len(FORMULAS)]})
        for i, formula in enumerate(FORMULAS[:4])]
    review_services.application_recommend(actor=province, application_id=main.pk, opinion=OPINION)
    for i, application in enumerate(formula_apps):
        review_services.application_recommend(actor=province, application_id=application.pk, opinion=FORMULAS[i])
    package = hand_in(province, call)
    national.recheck_pass(actor=cnipa, application_id=main.pk, note=RECHECK)
    for i, application in enumerate(formula_apps):
        national.recheck_pass(actor=cnipa, application_id=application.pk, note=FORMULAS[3 - i])
    notice = national.notice_publish(actor=cnipa, call=call, text=NOTICE_TEXT, contact=CONTACT)
    notice = shift_notice(notice, -1, 5)
    entry = notice.entries.get(application=main)
    objection = object_confirmed(entry_id=entry.pk, kind="person", name=OBJECTOR, phone="13912345678",
                                          email="o@example.cn", reasons=REASONS, signature=OBJECTOR)
    national.objection_decide(actor=cnipa, objection_id=objection.pk, decision="dismissed", note=REASONS)
    proposed_list = national_list_book(cnipa, call, "proposed")
    notice = shift_notice(notice, -8, -1)
    national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number=DOCUMENT,
                           document_date=timezone.localdate())
    return {"user": user, "application": main, "package": package, "notice": notice, "objection": objection,
            "formula_apps": formula_apps, "proposed_list": proposed_list}


def national_list_book(cnipa, call, which):
    client = Client()
    client.force_login(cnipa)
    response = client.get(reverse("notice_export", args=[call.pk, which]))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def assert_escaped(response, *texts):
    assert response.status_code == 200
    html = page(response)
    for text in texts:
        assert text not in html, f"{text!r} is on the page unescaped"
        assert escape(text) in html, f"{text!r} is not on the page (escaped)"


def test_hostile_text_is_escaped_on_every_page(client, reviewers, hostile_world, call):
    world = hostile_world
    application, user = world["application"], world["user"]
    client.force_login(user)
    assert_escaped(client.get(reverse("application_tasks", args=[application.pk])), NAME, CALL_TITLE)
    assert_escaped(client.get(reverse("application_list")), NAME)
    assert_escaped(client.get(reverse("application_section", args=[application.pk, "basic"])), NAME)
    assert_escaped(client.get(reverse("application_section", args=[application.pk, "basic"])), INDUSTRY)
    assert_escaped(client.get(reverse("application_section", args=[application.pk, "department"])), STAFF)
    assert_escaped(client.get(reverse("application_section", args=[application.pk, "mechanism"])), CLIENT)
    assert_escaped(client.get(reverse("application_print", args=[application.pk])), NAME, STAFF, CLIENT, INDUSTRY)
    assert_escaped(client.get(reverse("messages")), NAME)

    client.force_login(reviewers["province_js"])
    assert_escaped(client.get(reverse("review_queue"), {"state": ""}), NAME, CALL_TITLE)
    assert_escaped(client.get(reverse("review_application", args=[application.pk])), NAME, STAFF, CLIENT, INDUSTRY)
    assert_escaped(client.get(reverse("package_detail", args=[world["package"].pk])), NAME, OPINION, CALL_TITLE)
    assert_escaped(client.get(reverse("province_deadline")), CALL_TITLE)

    client.force_login(reviewers["national"])
    assert_escaped(client.get(reverse("review_application", args=[application.pk])), NAME, RECHECK)
    assert_escaped(client.get(reverse("dashboard")), CALL_TITLE)
    assert_escaped(client.get(reverse("call_list")), CALL_TITLE)
    assert_escaped(client.get(reverse("call_edit", args=[call.pk])), CALL_TITLE)
    assert_escaped(client.get(reverse("notice_manage", args=[call.pk])), NAME, OBJECTOR, CALL_TITLE, DOCUMENT)
    assert_escaped(client.get(reverse("objection_detail", args=[world["objection"].pk])), NAME, OBJECTOR, REASONS)

    public = Client()
    assert_escaped(public.get(reverse("notice_detail", args=[call.pk])), NAME, INDUSTRY, NOTICE_TEXT, CONTACT,
                   CALL_TITLE, DOCUMENT)
    assert_escaped(public.get(reverse("bases")), NAME, INDUSTRY, DOCUMENT, CALL_TITLE)
    assert_escaped(public.get(reverse("home")), CALL_TITLE)


def test_a_hostile_return_reason_is_escaped_for_the_applicant(client, reviewers, applicant, call):
    application = submit_through_services(applicant, call)
    review_services.application_return(actor=reviewers["province_js"], application_id=application.pk,
                                       reason=RETURN_REASON, sections=["basic"])
    client.force_login(applicant)
    assert_escaped(client.get(reverse("application_tasks", args=[application.pk])), RETURN_REASON)
    assert_escaped(client.get(reverse("messages")), RETURN_REASON)


def test_a_hostile_file_name_is_escaped_in_the_upload_message_and_on_the_page(client, applicant, draft):
    name = "<img src=x onerror=alert(1)>.pdf"
    client.force_login(applicant)
    response = client.post(reverse("application_section", args=[draft.pk, "declaration"]), {
        "lock_version": draft.lock_version, "declarant_name": "张示例", "save": "1",
        AttachmentKind.SEALED_SCAN: upload(name, TINY_PDF, "application/pdf")}, follow=True)
    assert_escaped(response, name)


def test_a_hostile_registry_sheet_is_escaped_in_the_report_and_the_list(client, reviewers):
    workbook = Workbook()
    workbook.active.append(list(HEADERS.values()))
    workbook.active.append(["国家级知识产权保护中心", NAME, STAFF, "", "江苏省", "国知发〔2020〕1号", "2020-01-01", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client.force_login(reviewers["national"])
    assert_escaped(client.post(reverse("registry_import"), {"file": upload("r.xlsx", buffer.getvalue())}), NAME)
    assert_escaped(client.get(reverse("registry_list")), NAME, STAFF)


# --- Spreadsheets: hostile and formula-looking text stays a string ------------------------------------------

def cells(workbook):
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def assert_kept_as_text(workbook, *texts):
    every = cells(workbook)
    formulas = [(c.coordinate, c.value) for c in every if c.data_type == "f"]
    assert not formulas, f"formula cells: {formulas}"
    for text in texts:
        matching = [c for c in every if c.value == text]
        assert matching, f"{text!r} is missing from the sheet"
        assert {c.data_type for c in matching} == {"s"}, f"{text!r} is not stored as a string"


def test_package_summary_keeps_hostile_text_as_strings(client, reviewers, hostile_world):
    client.force_login(reviewers["province_js"])
    response = client.get(reverse("package_export", args=[hostile_world["package"].pk]))
    assert response.status_code == 200
    assert_kept_as_text(load_workbook(io.BytesIO(response.content)), NAME, INDUSTRY, OPINION, *FORMULAS[:4])


def test_national_summary_keeps_hostile_text_as_strings(client, reviewers, hostile_world, call):
    client.force_login(reviewers["national"])
    response = client.get(reverse("national_summary"), {"call": call.pk})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # streamed from a file
    assert_kept_as_text(book, NAME, INDUSTRY, OPINION, RECHECK, CALL_TITLE + " 全国汇总表", *FORMULAS[:4])


def test_proposed_and_final_lists_keep_hostile_text_as_strings(reviewers, hostile_world, call):
    names = [NAME, *FORMULAS[:4]]
    industries = [INDUSTRY, *[FORMULAS[(i + 1) % len(FORMULAS)] for i in range(4)]]
    assert_kept_as_text(hostile_world["proposed_list"], *names, *industries)
    assert_kept_as_text(national_list_book(reviewers["national"], call, "final"), *names, *industries)


def _sheet_text(text):
    """What a cell holds of `text`: XML 1.0 has no place for most control characters; the sheet writes a
    space for each (a vertical tab from Word separates two words)."""
    return ILLEGAL_CHARACTERS_RE.sub(" ", text)


@given(text=st.one_of(st.sampled_from(FORMULAS + HOSTILE_STRINGS), hostile_text()).map(
    lambda s: s.replace("\r", "")[:2000].strip()).filter(lambda s: s and "\x00" not in s))
@hostile(25)
def test_any_opinion_survives_the_package_summary(client, reviewers, packages, text):
    """Whatever the opinion form accepts, the summary sheet still opens and carries it as a string."""
    package = packages["open"]
    recommendation = package.recommendations.order_by("rank").first()
    client.force_login(reviewers["province_zj"])
    with rolled_back(client):
        response = client.post(reverse("recommendation_update", args=[package.pk, recommendation.pk]),
                               {f"r{recommendation.pk}-opinion": text})
        assert response.status_code == 302
        response = client.get(reverse("package_export", args=[package.pk]))
        assert response.status_code == 200
        assert_kept_as_text(load_workbook(io.BytesIO(response.content)), _sheet_text(text))


def test_a_vertical_tab_pasted_from_word_does_not_break_the_summary(client, reviewers, packages):
    """A control character such as the vertical tab Word uses for a manual line break must not break the
    package summary (openpyxl refuses it: the sheet writes a space instead)."""
    package = packages["open"]
    recommendation = package.recommendations.order_by("rank").first()
    client.force_login(reviewers["province_zj"])
    client.post(reverse("recommendation_update", args=[package.pk, recommendation.pk]),
                {f"r{recommendation.pk}-opinion": "第一段\x0b第二段"})
    assert package.recommendations.get(pk=recommendation.pk).opinion == "第一段\x0b第二段"
    response = client.get(reverse("package_export", args=[package.pk]))
    assert response.status_code == 200


# --- The bureaus' verification of registrations (SPEC §10) ------------------------------------------

@pytest.fixture
def registrations(reviewers):
    """A Jiangsu park awaiting verification, and a verified one whose account a second registration asks for."""
    from applications import organisations
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications.enums import DocumentKind

    def documents():
        return {kind: (SimpleUploadedFile(f"{kind}.pdf", TINY_PDF), "application/pdf") for kind in DocumentKind}

    pending = make_applicant("示例·待核园区", "pending-park", verified=False)
    organisations.organisation_documents_upload(actor=pending, documents=documents())
    taken = make_applicant("示例·转移园区", "transfer-park")
    organisations.organisation_transfer_request(credit_code=taken.organisation.credit_code, contact_name="新联络",
                                                email="new-contact@example.cn",
                                                password_hash=make_password("Navigate-2026"), documents=documents())
    return {"refuse": pending.organisation, "transfer": taken.organisation}


@given(st.data())
@hostile(30)
def test_verification_decisions_survive_hostile_input(client, reviewers, registrations, data):
    from applications.models import OrganisationTransfer
    from review.forms import TransferDecisionForm, VerificationRefuseForm

    which = data.draw(st.sampled_from(["refuse", "transfer"]))
    organisation = registrations[which]
    form = {"refuse": VerificationRefuseForm, "transfer": TransferDecisionForm}[which](prefix=which)
    baseline = {f"{which}-reason": "委托书未盖公章。", f"{which}-decision": "refuse"}
    post = data.draw(post_data(form_strategies(form), baseline=baseline))
    url = reverse("organisation_refuse" if which == "refuse" else "organisation_transfer_decide", args=[organisation.pk])
    client.force_login(reviewers["province_js"])

    def state():
        org = Organisation.objects.get(pk=organisation.pk)
        return (org.verification, org.verification_note,
                list(OrganisationTransfer.objects.filter(organisation=org).values_list("status", "reason")))

    before = state()
    with rolled_back(client):
        response = client.post(url, post)
        event(f"status {response.status_code}")
        assert response.status_code in (302, 400, 409), response.status_code
        if response.status_code == 302:
            reason = sent(post, f"{which}-reason").strip()
            after = state()
            assert after != before
            assert reason in (after[1], *(r for _s, r in after[2]))
            assert client.get(response["Location"]).status_code == 200
        else:
            assert state() == before
            assert_refusal_explained(response, post, typed_keys(form))
