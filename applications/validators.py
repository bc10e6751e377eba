"""Field validators, what a save may store, and the eligibility check run at submission (SPEC §3).

`clean_registration`, `clean_section_values` and `clean_rows` are the forms' rules for the services: a
service runs them inside its transaction, so no caller stores what the form refuses. They never require a
value a draft may leave empty.

`eligibility_problems` is pure: it reads an application and its rows and returns every problem, each
tied to a section and a field so the page can link to it. Drafts are saved without it; submission
refuses while it returns anything.
"""

import re
from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator, validate_email
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, ValidationError as StdnumError

from navportal.cleaning import clean_field, clean_model_values, refusal
from navportal.errors import PortalError
from navportal.privacy_rules import RULES_VERSION

from .enums import ELIGIBLE_TYPES, Affiliation, AttachmentKind

MIN_STAFF = 5
MIN_SERVICES = 5
MAX_ROWS = 200  # of a table (roster, services): the formset's limit too
STAFF_FIELDS = ("name", "department", "title", "speciality", "years", "employment")
SERVICE_FIELDS = ("date", "client", "client_kind", "project", "navigation_type", "result_form", "effect")

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


MAX_YEARS = 60  # of a person's patent-navigation work: more is a typing error


def not_negative(value):
    """An amount, an area: zero or more (a database check holds it too)."""
    if value is not None and value < 0:
        raise ValidationError(_("This cannot be negative: enter 0 or more."), code="negative")


# One message for both ends; it names MAX_YEARS. A MinValueValidator replaces Django's own range check of the
# column, and its wording, rather than adding to it.
YEARS_MESSAGE = _("Enter a whole number of years from 0 to 60.")
sensible_years = [MinValueValidator(0, message=YEARS_MESSAGE), MaxValueValidator(MAX_YEARS, message=YEARS_MESSAGE)]


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


def place_errors(*, province_id, city_province_id, affiliation, ministry_given):
    """Field → ValidationError for the unit's place and ministry: a city outside the province, a
    ministry-affiliated unit without its ministry. Pure; a value not known (None) is not checked."""
    errors = {}
    if province_id is not None and city_province_id is not None and city_province_id != province_id:
        errors["city"] = ValidationError(_("This city is not in the chosen province."), code="city_province")
    if affiliation == Affiliation.MINISTRY and not ministry_given:
        errors["ministry"] = ValidationError(_("Name the ministry this unit is affiliated with."), code="ministry")
    return errors


def check_place(*, province, city, affiliation, ministry):
    """The place and the ministry of a unit, as the registration and the basic section store them.

    Returns the ministry to store: none unless the unit is ministry-affiliated. Raises ValidationError
    {field: error} for what place_errors finds.
    """
    errors = place_errors(province_id=province.pk if province is not None else None,
                          city_province_id=city.province_id if city is not None else None,
                          affiliation=affiliation, ministry_given=ministry is not None)
    if errors:
        raise ValidationError(errors)
    return None if affiliation and affiliation != Affiliation.MINISTRY else ministry


def _place_refusal(model, exc):
    name, errors = next(iter(exc.error_dict.items()))
    return refusal(model._meta.get_field(name).verbose_name, ValidationError(errors))


def check_password(password, *, email, contact_name):
    """Django's password validators, with the account the password is for (similar to its name or e-mail?)."""
    from navportal.models import Role, User  # imported here: applications.models imports this module

    probe = User(username=email, email=email, display_name=contact_name, role=Role.APPLICANT)
    password_validation.validate_password(password if isinstance(password, str) else "", probe)


def clean_login_email(email):
    """The e-mail address an applicant logs in with, as stored: normalised, lower case, fitting the user name."""
    from navportal.models import User

    email = User.objects.normalize_email("" if email is None else str(email).strip()).lower()
    validate_email(email)
    MaxLengthValidator(User._meta.get_field("username").max_length)(email)
    return email


def clean_registration(*, name, credit_code, applicant_type, affiliation, ministry, province, city, contact_name,
                       email, password):
    """An organisation's registration checked as the registration form checks it (not the duplicates: the
    database decides those). Returns (name, credit_code, ministry, contact_name, email) as stored. Raises
    PortalError(code="invalid") naming the first refused field."""
    from navportal.models import User

    from .models import Organisation

    org = clean_model_values(Organisation, {
        "name": name, "applicant_type": applicant_type,
        "credit_code": normalize_credit_code(credit_code) if isinstance(credit_code, str) else credit_code,
        "affiliation": affiliation, "province": province, "city": city, "ministry": ministry})
    try:
        org["ministry"] = check_place(province=org["province"], city=org["city"], affiliation=org["affiliation"],
                                      ministry=org["ministry"])
    except ValidationError as exc:
        raise _place_refusal(Organisation, exc) from None
    label = _("contact person")
    try:
        contact_name = clean_field(User._meta.get_field("display_name"), contact_name)
    except ValidationError as exc:
        raise refusal(label, exc) from None
    if not contact_name:
        raise PortalError(_("“%(label)s” is required.") % {"label": label}, code="invalid")
    try:
        email = clean_login_email(email)
    except ValidationError as exc:
        raise refusal(_("e-mail"), exc) from None
    try:
        check_password(password, email=email, contact_name=contact_name)
    except ValidationError as exc:
        raise refusal(_("password"), exc) from None
    return org["name"], org["credit_code"], org["ministry"], contact_name, email


def clean_section_values(section, values, application):
    """The values of `section` that a save stores (field → value; other keys are ignored), each cleaned as
    the section's form cleans it: type, length, choices, the model's validators, the text rule. A draft may
    leave any field empty but the unit's identity (name, type, affiliation, province, city), which the form
    requires too. The basic section's place is checked against the application's other values. Raises
    PortalError(code="invalid") naming the first refused field."""
    model = type(application)
    cleaned = clean_model_values(model, {name: values[name] for name in section.fields if name in values})
    if {"province", "city", "affiliation", "ministry"} & set(cleaned):
        place = {name: cleaned.get(name, getattr(application, name))
                 for name in ("province", "city", "affiliation", "ministry")}
        try:
            ministry = check_place(**place)
        except ValidationError as exc:
            raise _place_refusal(model, exc) from None
        if "ministry" in section.fields:
            cleaned["ministry"] = ministry
    return cleaned


def clean_rows(kind, rows):
    """The rows of a table (`kind`: "staff" or "services") as a save stores them: every cell cleaned as the
    row form cleans it, a missing cell empty, and a row whose every cell is empty dropped (a blank line left
    in the table is no row). Raises PortalError(code="invalid") naming the row and the column."""
    from .models import ServiceRecord, StaffMember

    model, fields = {"staff": (StaffMember, STAFF_FIELDS), "services": (ServiceRecord, SERVICE_FIELDS)}[kind]
    kept = []
    for number, row in enumerate(rows, start=1):
        unknown = sorted(set(row) - set(fields))
        if unknown:
            raise PortalError(_("The table has no column “%(name)s”.") % {"name": unknown[0]}, code="invalid")
        cells = {}
        for name in fields:
            field = model._meta.get_field(name)
            try:
                cells[name] = clean_field(field, row.get(name))
            except ValidationError as exc:
                raise refusal(field.verbose_name, exc, row=number) from None
        if any(value not in (None, "") for value in cells.values()):
            kept.append(cells)
    if len(kept) > MAX_ROWS:
        raise PortalError(_("A table holds at most %(max)d rows; this one has %(n)d.")
                          % {"max": MAX_ROWS, "n": len(kept)}, code="invalid")
    return kept


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
    place = place_errors(province_id=app.province_id, city_province_id=app.city.province_id if app.city_id else None,
                         affiliation=app.affiliation, ministry_given=app.ministry_id is not None)
    for name in ("ministry", "city"):
        if name in place:
            problems.append(Problem("basic", name, place[name].messages[0]))
    for field, validator in (("contact_mobile", validate_mobile), ("postcode", validate_postcode),
                             ("contact_phone", validate_landline)):
        try:
            validator(getattr(app, field))
        except ValidationError as exc:
            problems.append(Problem("basic", field, exc.messages[0]))


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


def _check_privacy(app, problems):
    # The people named in the form were told what happens to their data: the applicant acknowledged the rules as
    # they stand now (navportal.privacy_rules), once, with a save of a section holding personal data.
    if app.privacy_version != RULES_VERSION:
        problems.append(Problem("department", "privacy", _(
            "Confirm on this section that you have read the personal information rules (version %(version)s) "
            "and told the people named in this application.") % {"version": RULES_VERSION}))


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
    _check_privacy(app, problems)
    _check_mechanism(app, problems, services)
    _check_conditions(app, problems)
    _check_plan(app, problems)
    _check_claims(app, problems, set(attachments))
    _check_declaration(app, problems, attachments, fingerprint)
    return problems
