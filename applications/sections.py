"""The sections of the application form (申请表), in the order of the official layout."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .enums import AttachmentKind


@dataclass(frozen=True)
class Section:
    key: str
    number: int
    title: str
    fields: tuple
    rows: str = ""                     # related name of the section's table, if any
    attachments: tuple = field(default=())


SECTIONS = (
    Section("basic", 1, _("Basic information"), (
        "name", "applicant_type", "affiliation", "ministry", "province", "city", "address", "postcode",
        "head_name", "contact_name", "contact_position", "contact_mobile", "contact_phone", "contact_email",
        "industry_fields")),
    Section("department", 2, _("Patent department and people"), (
        "department_name", "department_founded", "department_duties"), rows="staff"),
    Section("mechanism", 3, _("Mechanism and services"), ("mechanism",), rows="services"),
    Section("conditions", 4, _("Basic conditions"), (
        "funding_amount", "funding_source", "office_area", "office_address", "data_resources")),
    Section("plan", 5, _("Construction plan"), (
        "plan_goals", "plan_demand", "plan_organisation", "plan_promotion")),
    Section("claims", 6, _("Exemption and priority claims"), (
        "exempt_category", "exempt_document_number", "exempt_document_date", "local_base",
        "local_base_document_number", "local_base_document_date"),
        attachments=(AttachmentKind.EXEMPTION_DOCUMENT, AttachmentKind.LOCAL_BASE_DOCUMENT)),
    Section("declaration", 7, _("Declaration"), (
        "integrity_declared", "declarant_name", "declaration_date"),
        attachments=(AttachmentKind.SEALED_SCAN,)),
)
SECTION_BY_KEY = {section.key: section for section in SECTIONS}

# The natural persons' data of the form (个人信息保护法): none of it is stored before the applicant acknowledged
# the personal information rules (navportal.privacy_rules; services.application_save_section).
PERSONAL_FIELDS = frozenset({"head_name", "contact_name", "contact_position", "contact_mobile", "contact_phone",
                             "contact_email", "declarant_name"})
PERSONAL_ROWS = frozenset({"staff"})
PERSONAL_SECTIONS = frozenset(section.key for section in SECTIONS
                              if PERSONAL_FIELDS.intersection(section.fields) or section.rows in PERSONAL_ROWS)


class SectionStatus:
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    NEEDS_ATTENTION = "needs_attention"

    LABELS = {
        NOT_STARTED: _("Not started"),
        IN_PROGRESS: _("In progress"),
        COMPLETE: _("Complete"),
        NEEDS_ATTENTION: _("Needs attention"),
    }


def section_status(section, *, saved, problems, attention, flagged=False):
    """The task-list status of one section.

    saved: the applicant has saved it at least once; problems: what the eligibility check finds in it;
    attention: a submission failed; flagged: a reviewer flagged it when returning the application and the
    applicant has not saved it since (a flagged section has no problem the check could find, so the flag
    alone must mark it, or the applicant is told to look for a mark that is not there).
    """
    if flagged or attention and (problems or not saved):
        return SectionStatus.NEEDS_ATTENTION
    if not saved:
        return SectionStatus.NOT_STARTED
    if problems:
        return SectionStatus.IN_PROGRESS
    return SectionStatus.COMPLETE
