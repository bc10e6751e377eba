"""Field validators and the eligibility check run at submission (SPEC §3).

`eligibility_problems` is pure: it reads an application and its rows and returns every problem, each
tied to a section and a field so the page can link to it. Drafts are saved without it; submission
refuses while it returns anything.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, ValidationError as StdnumError

from .enums import ELIGIBLE_TYPES, Affiliation, AttachmentKind

MIN_STAFF = 5
MIN_SERVICES = 5

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
POSTCODE_RE = re.compile(r"^\d{6}$")
LANDLINE_RE = re.compile(r"^[0-9()（）\-\s]{7,20}$")


def normalize_credit_code(value):
    return uscc.compact(value or "")


def validate_credit_code(value):
    """GB 32100: 18 characters from the allowed alphabet with a check digit."""
    try:
        uscc.validate(value)
    except InvalidChecksum:
        raise ValidationError(
            _("The check digit of this unified social credit code is wrong; please compare it with the "
              "business licence."), code="credit_code_checksum") from None
    except StdnumError:
        raise ValidationError(
            _("A unified social credit code has 18 characters: digits and capital letters other than "
              "I, O, S, V and Z."), code="credit_code_format") from None


def validate_mobile(value):
    if value and not MOBILE_RE.match(value):
        raise ValidationError(_("Enter an 11-digit mainland mobile number, e.g. 13800138000."), code="mobile")


def validate_postcode(value):
    if value and not POSTCODE_RE.match(value):
        raise ValidationError(_("A postal code has 6 digits."), code="postcode")


def validate_landline(value):
    if value and not LANDLINE_RE.match(value):
        raise ValidationError(_("Enter a landline number such as 010-12345678."), code="landline")


def validate_not_future(value):
    if value and value > timezone.localdate():
        raise ValidationError(_("This date lies in the future."), code="future")


@dataclass(frozen=True)
class Problem:
    section: str
    field: str
    message: str


def _required(problems, section, app, fields):
    for name in fields:
        field = app._meta.get_field(name)
        value = getattr(app, field.attname)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            continue
        if field.get_internal_type() == "TextField":
            message = _("“%(label)s” is required; write 无 where there is nothing.")
        else:
            message = _("“%(label)s” is required.")
        problems.append(Problem(section, name, message % {"label": field.verbose_name}))


def _check_basic(app, problems):
    _required(problems, "basic", app, [
        "name", "applicant_type", "affiliation", "address", "postcode", "head_name", "contact_name",
        "contact_position", "contact_mobile", "contact_phone", "contact_email", "industry_fields"])
    if app.applicant_type and app.applicant_type not in ELIGIBLE_TYPES:
        problems.append(Problem("basic", "applicant_type", _(
            "Only provincial-level-or-above industrial parks and public-welfare institutions with "
            "patent-navigation duties may apply.")))
    if app.affiliation == Affiliation.MINISTRY and app.ministry_id is None:
        problems.append(Problem("basic", "ministry", _("Name the ministry this unit is affiliated with.")))
    if app.city_id and app.province_id and app.city.province_id != app.province_id:
        problems.append(Problem("basic", "city", _("This city is not in the chosen province.")))
    for field, validator in (("contact_mobile", validate_mobile), ("postcode", validate_postcode),
                             ("contact_phone", validate_landline)):
        try:
            validator(getattr(app, field))
        except ValidationError as exc:
            problems.append(Problem("basic", field, exc.messages[0]))


STAFF_FIELDS = ("name", "department", "title", "speciality", "years", "employment")
SERVICE_FIELDS = ("date", "client", "client_kind", "project", "navigation_type", "result_form", "effect")


def _incomplete_rows(rows, fields):
    return [number for number, row in enumerate(rows, start=1)
            if any(getattr(row, f) in (None, "") for f in fields)]


def _check_department(app, problems, staff):
    _required(problems, "department", app, ["department_name", "department_founded", "department_duties"])
    if len(staff) < MIN_STAFF:
        problems.append(Problem("department", "staff", _(
            "At least %(min)d people doing patent-navigation work are needed; the roster has %(n)d.")
            % {"min": MIN_STAFF, "n": len(staff)}))
    incomplete = _incomplete_rows(staff, STAFF_FIELDS)
    if incomplete:
        problems.append(Problem("department", "staff", _(
            "Roster rows %(rows)s are incomplete: every column is required.")
            % {"rows": ", ".join(map(str, incomplete))}))


def _check_mechanism(app, problems, services):
    _required(problems, "mechanism", app, ["mechanism"])
    if len(services) < MIN_SERVICES:
        problems.append(Problem("mechanism", "services", _(
            "At least %(min)d services to industry authorities or innovation entities are needed; the table "
            "has %(n)d.") % {"min": MIN_SERVICES, "n": len(services)}))
    incomplete = _incomplete_rows(services, SERVICE_FIELDS)
    if incomplete:
        problems.append(Problem("mechanism", "services", _(
            "Service rows %(rows)s are incomplete: every column is required.")
            % {"rows": ", ".join(map(str, incomplete))}))
    today = timezone.localdate()
    future = [n for n, row in enumerate(services, start=1) if row.date and row.date > today]
    if future:
        problems.append(Problem("mechanism", "services", _(
            "Service rows %(rows)s are dated in the future; only services already delivered count.")
            % {"rows": ", ".join(map(str, future))}))


def _check_conditions(app, problems):
    _required(problems, "conditions", app, [
        "funding_amount", "funding_source", "office_area", "office_address", "data_resources"])
    if app.funding_amount is not None and app.funding_amount <= 0:
        problems.append(Problem("conditions", "funding_amount", _("Stable funding must be more than zero.")))
    if app.office_area is not None and app.office_area <= 0:
        problems.append(Problem("conditions", "office_area", _("Office space must be more than zero.")))


def _check_plan(app, problems):
    _required(problems, "plan", app, ["plan_goals", "plan_demand", "plan_organisation", "plan_promotion"])


def _check_claims(app, problems, attachment_kinds):
    if app.exempt_category:
        if app.exempt_category not in app.call.exempt_categories:
            problems.append(Problem("claims", "exempt_category", _(
                "This call does not grant an exemption for the category claimed.")))
        _required(problems, "claims", app, ["exempt_document_number", "exempt_document_date"])
        if AttachmentKind.EXEMPTION_DOCUMENT not in attachment_kinds:
            problems.append(Problem("claims", "exemption_document", _(
                "Attach the designation document of the exempt category claimed.")))
    if app.local_base:
        _required(problems, "claims", app, ["local_base_document_number", "local_base_document_date"])
        if AttachmentKind.LOCAL_BASE_DOCUMENT not in attachment_kinds:
            problems.append(Problem("claims", "local_base_document", _(
                "Attach the document that designated the local patent navigation service base.")))
    for field in ("exempt_document_date", "local_base_document_date"):
        try:
            validate_not_future(getattr(app, field))
        except ValidationError as exc:
            problems.append(Problem("claims", field, exc.messages[0]))


def _check_declaration(app, problems, attachments, fingerprint):
    if not app.integrity_declared:
        problems.append(Problem("declaration", "integrity_declared", _(
            "The declaration of no serious violation of law, regulation or credit in the last three years "
            "must be made.")))
    _required(problems, "declaration", app, ["declarant_name", "declaration_date"])
    try:
        validate_not_future(app.declaration_date)
    except ValidationError as exc:
        problems.append(Problem("declaration", "declaration_date", exc.messages[0]))
    scan = attachments.get(AttachmentKind.SEALED_SCAN)
    if scan is None:
        problems.append(Problem("declaration", "sealed_scan", _(
            "Upload the sealed application form: print it from this portal, stamp it and scan it as a PDF.")))
    elif scan.content_fingerprint != fingerprint:
        problems.append(Problem("declaration", "sealed_scan", _(
            "The form has changed since the sealed scan was printed (check code %(old)s, now %(new)s); print, "
            "stamp and upload it again so paper and screen agree.")
            % {"old": scan.content_fingerprint or "—", "new": fingerprint}))


def eligibility_problems(app, *, staff, services, attachments, fingerprint):
    """Every reason the application cannot be submitted yet, in form order.

    `staff` and `services` are the row lists, `attachments` a dict kind → Attachment, `fingerprint` the
    current content fingerprint (the sealed scan must carry the same).
    """
    problems = []
    _check_basic(app, problems)
    _check_department(app, problems, staff)
    _check_mechanism(app, problems, services)
    _check_conditions(app, problems)
    _check_plan(app, problems)
    _check_claims(app, problems, set(attachments))
    _check_declaration(app, problems, attachments, fingerprint)
    return problems
