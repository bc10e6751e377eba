"""Organisations and their applications (申请表): the content of the form, its rows, files and versions.

Models hold data and database constraints only; every change of state goes through applications.services.
"""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .enums import (
    APPLICANT_LABELS, Affiliation, ApplicantType, AttachmentKind, ClaimStatus, ClientKind, DocumentKind, Employment,
    ExemptCategory, NavigationType, Route, State, TransferStatus, Verification, VerifiedVia,
)
from navportal import seals
from navportal.choices import ChoiceDisplayMixin
from navportal.constraints import CheckConstraint
from navportal.fields import (
    EncryptedCharField, EncryptedEmailField, EncryptedJSONField, EncryptedTextField, row_identity,
)

from .validators import not_negative, sensible_years, validate_credit_code


class Organisation(models.Model):
    """An applying park or institution, registered once by its contact person."""

    name = models.CharField(_("organisation name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code])
    applicant_type = models.CharField(_("applicant type"), max_length=20, choices=ApplicantType.choices)
    affiliation = models.CharField(_("affiliation"), max_length=20, choices=Affiliation.choices)
    ministry = models.ForeignKey(
        "navportal.Ministry", verbose_name=_("ministry"), null=True, blank=True, on_delete=models.PROTECT)
    province = models.ForeignKey("navportal.Province", verbose_name=_("province"), on_delete=models.PROTECT)
    city = models.ForeignKey("navportal.City", verbose_name=_("city"), on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    # Provisional until verified (SPEC §10): applications may be drafted, not submitted. Changed only by
    # applications.organisations; who verified or refused, and when, is in the audit trail.
    verification = models.CharField(_("verification"), max_length=10, choices=Verification.choices,
                                    default=Verification.AWAITING)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verified_via = models.CharField(_("verified"), max_length=10, choices=VerifiedVia.choices, blank=True)
    # The bureau's reason for a refusal, shown to the applicant until the documents are uploaded again.
    verification_note = models.TextField(_("reason for the refusal"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                name="organisation_ministry_iff_ministry_affiliated",
                condition=Q(affiliation=Affiliation.MINISTRY, ministry__isnull=False)
                | (~Q(affiliation=Affiliation.MINISTRY) & Q(ministry__isnull=True))),
            models.CheckConstraint(name="organisation_verification_known",
                                   condition=Q(verification__in=Verification.values)
                                   & Q(verified_via__in=[*VerifiedVia.values, ""])),
            # Verified exactly when it has the time and the way it was verified.
            models.CheckConstraint(
                name="organisation_verified_has_time_and_way",
                condition=Q(verification=Verification.VERIFIED, verified_at__isnull=False) & ~Q(verified_via="")
                | (~Q(verification=Verification.VERIFIED) & Q(verified_at__isnull=True, verified_via=""))),
            # A refusal always carries its reason.
            models.CheckConstraint(name="organisation_refusal_has_reason",
                                   condition=~Q(verification=Verification.REFUSED) | ~Q(verification_note="")),
        ]
        indexes = [models.Index(fields=["verification", "province"], name="organisation_verification")]

    def __str__(self):
        return self.name

    @property
    def is_verified(self):
        return self.verification == Verification.VERIFIED


def organisation_document_path(instance, filename):
    suffix = PurePath(filename).suffix.lower()[:5]
    return f"organisations/{instance.organisation_id}/{uuid.uuid4().hex}{suffix}"


class OrganisationDocument(models.Model):
    """A document proving who registers an organisation: the current one of each kind (transfer empty), or one
    attached to a request to transfer the account (it becomes the current one if the request is approved)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="documents")
    transfer = models.ForeignKey("OrganisationTransfer", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="documents")
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    file = models.FileField(upload_to=organisation_document_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("registration document")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=DocumentKind.values), name="organisation_document_kind_known"),
            models.UniqueConstraint(fields=["organisation", "kind"], condition=Q(transfer__isnull=True),
                                    name="one_current_document_per_kind"),
            models.UniqueConstraint(fields=["transfer", "kind"], condition=Q(transfer__isnull=False),
                                    name="one_transfer_document_per_kind"),
        ]

    def __str__(self):
        return self.original_name


class OrganisationTransfer(models.Model):
    """A second registration of a registered credit code: a request to the same bureau to hand the account to a
    new contact person, whose account waits disabled until the bureau approves."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="transfers")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("new contact person"),
                                  on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=TransferStatus.choices,
                              default=TransferStatus.PENDING)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("transfer request")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=TransferStatus.values), name="transfer_status_known"),
            # One request at a time per organisation: the bureau decides it before another can be made.
            models.UniqueConstraint(fields=["organisation"], condition=Q(status=TransferStatus.PENDING),
                                    name="one_pending_transfer_per_organisation"),
            models.CheckConstraint(
                name="transfer_decided_when_not_pending",
                condition=Q(status=TransferStatus.PENDING, decided_at__isnull=True)
                | (~Q(status=TransferStatus.PENDING) & Q(decided_at__isnull=False) & ~Q(reason=""))),
        ]

    def __str__(self):
        return f"{self.organisation} → {self.requester}"


class PendingRegistration(models.Model):
    """A registration waiting for its e-mail address to be confirmed (SPEC §7: registration never reveals whether an
    account exists). It holds what the form gave — the password only as its hash — and no unique credit code or
    address: nobody can reserve another organisation's code by registering it with an address of their own. The
    organisation and the account are created when the link mailed to the address is followed
    (services.registration_confirm); the row is then deleted, and an expired one is worth nothing."""

    token_hash = models.CharField(max_length=64, unique=True)
    email = EncryptedEmailField(max_length=150)
    values = models.JSONField()          # organisation_register's fields but the password, ids for the places
    password_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    crypt_id = row_identity()  # the row's identity in its encrypted values (navportal.fields)

    def __str__(self):
        return self.email


class Application(ChoiceDisplayMixin, models.Model):
    """One organisation's application to one call, with the whole content of the form.

    `lock_version` grows with every saved change; a save made from an older copy (a second tab) is
    refused by services.application_save_section instead of silently overwriting the newer one.
    """

    call = models.ForeignKey("review.Call", verbose_name=_("call"), on_delete=models.PROTECT,
                             related_name="applications")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="applications")
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    route = models.CharField(_("route"), max_length=10, choices=Route.choices, blank=True)
    lock_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    pledged_at = models.DateTimeField(_("truthfulness pledge accepted"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submit_failed_at = models.DateTimeField(null=True, blank=True)
    # Where a reviewer returned it, the reason shown to the applicant and the sections to fix.
    return_reason = models.TextField(_("reason for return"), blank=True)
    returned_from = models.CharField(max_length=20, blank=True)
    flagged_sections = models.JSONField(default=list, blank=True)
    # Sections the applicant has saved at least once: "not started" versus "in progress" on the task list.
    sections_saved = models.JSONField(default=list, blank=True)
    # The version of the personal information rules (navportal.privacy_rules) the applicant acknowledged before
    # the people's data was stored (sections.PERSONAL_SECTIONS), and when; its audit line (privacy_acknowledge)
    # names who.
    privacy_version = models.CharField(max_length=10, blank=True, default="", editable=False)
    privacy_acknowledged_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the retention period ended for an application never designated (review.retention): its people's names
    # and contacts were removed, here, in the roster and in every submitted version.
    anonymised_at = models.DateTimeField(_("personal information removed"), null=True, blank=True, editable=False)
    crypt_id = row_identity()  # the row's identity in its encrypted values (navportal.fields)

    # 1. Basic information. Name, type, affiliation and place are copied from the organisation when the
    # application is opened, and frozen with it at submission: scope and routing never move afterwards.
    name = models.CharField(_("name"), max_length=200)
    applicant_type = models.CharField(_("applicant type"), max_length=20, choices=ApplicantType.choices)
    affiliation = models.CharField(_("affiliation"), max_length=20, choices=Affiliation.choices)
    ministry = models.ForeignKey("navportal.Ministry", verbose_name=_("ministry"), null=True, blank=True,
                                 on_delete=models.PROTECT)
    province = models.ForeignKey("navportal.Province", verbose_name=_("province"), on_delete=models.PROTECT)
    city = models.ForeignKey("navportal.City", verbose_name=_("city"), on_delete=models.PROTECT)
    address = models.CharField(_("postal address"), max_length=200, blank=True)
    postcode = models.CharField(_("postal code"), max_length=6, blank=True)
    head_name = models.CharField(_("legal representative or head"), max_length=60, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    contact_position = models.CharField(_("contact's position"), max_length=60, blank=True)
    # The contact's phones and address are personal data, encrypted at rest (SPEC §11, navportal.fields).
    contact_mobile = EncryptedCharField(_("mobile phone"), max_length=11, blank=True)
    contact_phone = EncryptedCharField(_("landline"), max_length=20, blank=True)
    contact_email = EncryptedEmailField(_("e-mail"), blank=True)
    industry_fields = models.TextField(_("key industry field(s) served"), blank=True)

    # 2. Patent department and people (the roster is StaffMember).
    department_name = models.CharField(_("department name"), max_length=100, blank=True)
    department_founded = models.DateField(_("founded"), null=True, blank=True)
    department_duties = models.TextField(_("duties"), blank=True)

    # 3. Mechanism and services (the services are ServiceRecord).
    mechanism = models.TextField(_("project implementation and results-use mechanism"), blank=True)

    # 4. Basic conditions.
    funding_amount = models.DecimalField(_("annual funding (10,000 yuan)"), max_digits=12, decimal_places=2,
                                         null=True, blank=True, validators=[not_negative])
    funding_source = models.TextField(_("source of funding"), blank=True)
    office_area = models.DecimalField(_("office space (m²)"), max_digits=10, decimal_places=2,
                                      null=True, blank=True, validators=[not_negative])
    office_address = models.CharField(_("office address"), max_length=200, blank=True)
    data_resources = models.TextField(_("data resources (databases, platforms)"), blank=True)

    # 5. Construction plan.
    plan_goals = models.TextField(_("goals"), blank=True)
    plan_demand = models.TextField(_("demand matching"), blank=True)
    plan_organisation = models.TextField(_("organisation and management"), blank=True)
    plan_promotion = models.TextField(_("application and promotion"), blank=True)

    # 6. Exemption and priority claims.
    exempt_category = models.CharField(_("exempt category claimed"), max_length=30,
                                       choices=ExemptCategory.choices, blank=True)
    exempt_document_number = models.CharField(_("designation document number"), max_length=100, blank=True)
    exempt_document_date = models.DateField(_("designation date"), null=True, blank=True)
    local_base = models.BooleanField(_("designated local patent navigation service base"), default=False)
    local_base_document_number = models.CharField(_("designating document number"), max_length=100,
                                                  blank=True)
    local_base_document_date = models.DateField(_("designation date"), null=True, blank=True)

    # The recommending bureau's check of the claims (SPEC §5): only a verified claim exempts or gives
    # priority. Who checked and when is in the audit trail.
    exemption_status = models.CharField(_("exemption claim"), max_length=10, choices=ClaimStatus.choices,
                                        default=ClaimStatus.PENDING)
    exemption_note = models.TextField(_("note on the exemption claim"), blank=True)
    priority_status = models.CharField(_("priority claim"), max_length=10, choices=ClaimStatus.choices,
                                       default=ClaimStatus.PENDING)
    priority_note = models.TextField(_("note on the priority claim"), blank=True)
    # CNIPA verifies an exemption again at the re-check; its rejection makes the recommendation count.
    national_exemption_status = models.CharField(_("exemption claim (CNIPA)"), max_length=10,
                                                 choices=ClaimStatus.choices, default=ClaimStatus.PENDING)
    recheck_note = models.TextField(_("re-check note"), blank=True)

    # 7. Declaration.
    integrity_declared = models.BooleanField(
        _("no serious violation of law, regulation or credit in the last three years"), default=False)
    declarant_name = models.CharField(_("head's name (signature)"), max_length=60, blank=True)
    declaration_date = models.DateField(_("date of declaration"), null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(fields=["call", "organisation"], name="one_application_per_call"),
            CheckConstraint(condition=Q(state__in=State.values), name="application_state_known"),
            CheckConstraint(condition=Q(route__in=[*Route.values, ""]), name="application_route_known"),
            CheckConstraint(condition=Q(state=State.DRAFT) | ~Q(route=""),
                            name="application_routed_once_submitted"),
            CheckConstraint(condition=Q(exemption_status__in=ClaimStatus.values)
                            & Q(priority_status__in=ClaimStatus.values)
                            & Q(national_exemption_status__in=ClaimStatus.values),
                            name="application_claim_status_known"),
            # Amounts and areas are never negative (validators.not_negative says so to the user first).
            CheckConstraint(condition=Q(funding_amount__gte=0) | Q(funding_amount__isnull=True),
                            name="application_funding_not_negative"),
            CheckConstraint(condition=Q(office_area__gte=0) | Q(office_area__isnull=True),
                            name="application_office_area_not_negative"),
        ]
        indexes = [
            models.Index(fields=["call", "province", "state"]),
            # Covers the dashboard's and the summaries' count per unit and state (an index-only scan).
            models.Index(fields=["call", "state", "route", "province", "ministry"], name="application_unit_counts"),
        ]

    def __str__(self):
        return self.name

    @property
    def credit_code(self):
        return self.organisation.credit_code

    @property
    def applicant_state_label(self):
        return APPLICANT_LABELS[self.state]


class StaffMember(ChoiceDisplayMixin, models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="staff")
    # A natural person's name, encrypted at rest (SPEC §11): the roster is never searched by it.
    name = EncryptedCharField(_("full name"), max_length=60, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    title = models.CharField(_("position / title"), max_length=100, blank=True)
    speciality = models.CharField(_("speciality"), max_length=100, blank=True)
    # Positive: the database refuses a negative count itself. A constraint for the upper bound would cost a
    # query per row when the roster's forms validate; the validator keeps it.
    years = models.PositiveSmallIntegerField(_("years in patent navigation"), null=True, blank=True,
                                             validators=sensible_years)
    employment = models.CharField(_("full- or part-time"), max_length=4, choices=Employment.choices, blank=True)
    crypt_id = row_identity()

    class Meta:
        ordering = ["id"]
        verbose_name = _("staff member")

    def __str__(self):
        return self.name


class ServiceRecord(ChoiceDisplayMixin, models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="services")
    date = models.DateField(_("date"), null=True, blank=True)
    client = models.CharField(_("client"), max_length=200, blank=True)
    client_kind = models.CharField(_("client kind"), max_length=10, choices=ClientKind.choices, blank=True)
    project = models.CharField(_("project"), max_length=200, blank=True)
    navigation_type = models.CharField(_("navigation type"), max_length=12, choices=NavigationType.choices,
                                       blank=True)
    result_form = models.CharField(_("form of result"), max_length=200, blank=True)
    effect = models.TextField(_("effect of use"), blank=True)

    class Meta:
        ordering = ["id"]  # the order the applicant entered them in, as on the paper form
        verbose_name = _("service")

    def __str__(self):
        return self.project


def attachment_path(instance, filename):
    # Random names: the stored name reveals nothing and cannot be guessed; the original name is kept
    # in the row for the download.
    suffix = PurePath(filename).suffix.lower()[:5]
    return f"applications/{instance.application_id}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """A document of an application: one current file per kind, replaced by a new upload."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=30, choices=AttachmentKind.choices)
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    # For the sealed scan: the fingerprint of the form's content it was printed from.
    content_fingerprint = models.CharField(max_length=16, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        constraints = [models.UniqueConstraint(fields=["application", "kind"], name="one_attachment_per_kind")]

    def __str__(self):
        return self.original_name


def version_pdf_path(instance, filename):
    return f"applications/{instance.application_id}/versions/{uuid.uuid4().hex}.pdf"


# The series of the submissions' reference numbers (申报): SB-2026-000123.
SUBMISSION_SERIES = "SB"


class ApplicationVersion(models.Model):
    """The content as submitted, frozen: resubmissions are compared against it field by field."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The content and the print view hold the contact's and the roster's personal data: encrypted at rest, whole
    # (SPEC §11, navportal.fields); they are only ever read whole.
    data = EncryptedJSONField()
    # The reference number (受理编号) of this submission, given when the version is created
    # (navportal.references): what the applicant quotes on the telephone, and what the mail and every desk show.
    reference = models.CharField(_("reference number"), max_length=20, unique=True)
    # The print view exactly as submitted (its check code included), frozen in the submission's transaction; the
    # PDF is laid out from it at each download (a second or more of CPU that no submission waits for), and kept
    # nowhere: a download changes nothing (issue 18). `pdf` and `pdf_failed_at` hold what earlier releases kept
    # at a version's first download; nothing writes them any more.
    print_html = EncryptedTextField(blank=True)
    pdf = models.FileField(upload_to=version_pdf_path, blank=True)
    pdf_failed_at = models.DateTimeField(null=True, blank=True)
    # The HMAC-SM3 seal of what version_seal_content covers, made in the submission's transaction under the key
    # seal_key_id (navportal.seals): the pages and the PDF that show the version verify it.
    seal = models.CharField(max_length=64, blank=True)
    seal_key_id = models.CharField(max_length=16, blank=True)
    # Moved by the database itself (a trigger of migration 0016) with every change of the row, whoever writes: the
    # key under which the pages keep the seal's verdict (applications.selectors.verified_versions).
    content_epoch = models.BigIntegerField(default=0, editable=False)
    crypt_id = row_identity()

    class Meta:
        ordering = ["application", "number"]
        constraints = [models.UniqueConstraint(fields=["application", "number"], name="one_version_number")]

    def __str__(self):
        return f"{self.application} v{self.number}"

    def verify(self):
        """The navportal.seals.Verdict of this version's seal on its content as read."""
        return seals.verify(self)


def version_seal_content(version):
    """What a version's seal covers: whose and which submission it is, and the content as submitted (the form's
    data and the printed page). Not the PDF file (laid out later from print_html) nor its failure time. A function
    of the row's fields alone, so that migration 0015 seals the existing versions with it."""
    return {"application": version.application_id, "number": version.number, "reference": version.reference,
            "submitted_at": version.submitted_at, "submitted_by": version.submitted_by_id, "data": version.data,
            "print_html": version.print_html}
