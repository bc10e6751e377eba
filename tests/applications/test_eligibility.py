"""Each eligibility rule of SPEC §3 fails on its own: a complete application with exactly one defect is
refused with exactly that problem, and nothing is submitted."""

import datetime

import pytest
from django.utils import timezone

from applications import services
from applications.enums import ApplicantType, AttachmentKind, State
from applications.models import Application, Attachment
from applications.selectors import ApplicationContent
from tests.conftest import attach_scan, fill


def problems_of(application):
    return [(p.section, p.field) for p in ApplicationContent(Application.objects.get(pk=application.pk)).problems()]


def test_complete_application_has_no_problem(applicant, complete):
    assert problems_of(complete(applicant)) == []


@pytest.mark.parametrize("staff, expected", [(4, [("department", "staff")]), (5, []), (7, [])])
def test_at_least_five_staff_counted_from_rows(applicant, complete, staff, expected):
    assert problems_of(complete(applicant, staff=staff)) == expected


@pytest.mark.parametrize("count, expected", [(4, [("mechanism", "services")]), (5, [])])
def test_at_least_five_services(applicant, complete, count, expected):
    assert problems_of(complete(applicant, services_n=count)) == expected


def test_service_dated_in_the_future_is_refused(applicant, complete):
    application = complete(applicant)
    service = application.services.first()
    service.date = timezone.localdate() + datetime.timedelta(days=1)
    service.save()
    attach_scan(applicant, application)
    assert problems_of(application) == [("mechanism", "services")]


def test_incomplete_roster_row_is_named(applicant, complete):
    application = complete(applicant)
    row = application.staff.all()[2]
    row.speciality = ""
    row.save()
    attach_scan(applicant, application)
    content = ApplicationContent(Application.objects.get(pk=application.pk))
    [problem] = content.problems()
    assert (problem.section, problem.field) == ("department", "staff")
    assert "3" in str(problem.message)


@pytest.mark.parametrize("applicant_type, expected", [
    (ApplicantType.OTHER, [("basic", "applicant_type")]),
    (ApplicantType.NATIONAL_PARK, []), (ApplicantType.PROVINCIAL_PARK, []), (ApplicantType.INSTITUTION, []),
])
def test_only_parks_and_institutions_may_apply(applicant, complete, applicant_type, expected):
    assert problems_of(complete(applicant, values={"applicant_type": applicant_type})) == expected


@pytest.mark.parametrize("field, section", [
    ("department_name", "department"), ("department_duties", "department"), ("mechanism", "mechanism"),
    ("funding_source", "conditions"), ("office_address", "conditions"), ("data_resources", "conditions"),
    ("plan_goals", "plan"), ("plan_demand", "plan"), ("plan_organisation", "plan"), ("plan_promotion", "plan"),
    ("industry_fields", "basic"), ("head_name", "basic"), ("declarant_name", "declaration"),
])
def test_every_narrative_and_named_field_is_required(applicant, complete, field, section):
    assert problems_of(complete(applicant, values={field: "  "})) == [(section, field)]


@pytest.mark.parametrize("field, section", [
    ("funding_amount", "conditions"), ("office_area", "conditions"), ("department_founded", "department"),
    ("declaration_date", "declaration"),
])
def test_amounts_and_dates_are_required(applicant, complete, field, section):
    assert problems_of(complete(applicant, values={field: None})) == [(section, field)]


def test_funding_must_be_positive(applicant, complete):
    assert problems_of(complete(applicant, values={"funding_amount": 0})) == [("conditions", "funding_amount")]


def test_integrity_declaration_is_required(applicant, complete):
    assert problems_of(complete(applicant, values={"integrity_declared": False})) == [
        ("declaration", "integrity_declared")]


@pytest.mark.parametrize("field, value", [("contact_mobile", "12345"), ("postcode", "21500"),
                                          ("contact_phone", "call me")])
def test_contact_formats(applicant, complete, field, value):
    assert problems_of(complete(applicant, values={field: value})) == [("basic", field)]


def test_sealed_scan_is_required(applicant, complete):
    assert problems_of(complete(applicant, scan=False)) == [("declaration", "sealed_scan")]


def test_sealed_scan_must_match_the_current_content(applicant, complete):
    application = complete(applicant)
    fill(applicant, application, values={"plan_goals": "改过的目标"}, scan=False)
    assert problems_of(application) == [("declaration", "sealed_scan")]
    attach_scan(applicant, application)
    assert problems_of(application) == []


def test_exemption_claim_needs_document_number_date_and_file(applicant, complete):
    application = complete(applicant, values={"exempt_category": "protection_centre"})
    assert problems_of(application) == [
        ("claims", "exempt_document_number"), ("claims", "exempt_document_date"), ("claims", "exemption_document")]


def test_local_base_claim_needs_its_document(applicant, complete):
    application = complete(applicant, values={
        "local_base": True, "local_base_document_number": "苏知发〔2021〕1号",
        "local_base_document_date": datetime.date(2021, 5, 1)})
    assert problems_of(application) == [("claims", "local_base_document")]


def test_failed_submission_changes_nothing_but_marks_the_attempt(applicant, complete):
    application = complete(applicant, staff=3)
    problems = services.application_submit(actor=applicant, application_id=application.pk)
    assert [(p.section, p.field) for p in problems] == [("department", "staff")]
    application.refresh_from_db()
    assert application.state == State.DRAFT
    assert application.submit_failed_at is not None
    assert application.versions.count() == 0
    assert Attachment.objects.filter(application=application, kind=AttachmentKind.SEALED_SCAN).exists()
