"""Calls (申报批次) and the provinces' own deadlines within them."""

import uuid
from pathlib import PurePath

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from applications.enums import ExemptCategory
from navportal import seals
from navportal.fields import EncryptedCharField, EncryptedEmailField, row_identity


def all_exempt_categories():
    return list(ExemptCategory.values)


class Call(models.Model):
    """One call for applications, from opening to the final list (SPEC §2)."""

    title = models.CharField(_("title"), max_length=200)
    document_number = models.CharField(_("notice document number"), max_length=60)
    notice_text = models.TextField(_("notice text"), blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    deadline = models.DateTimeField(
        _("deadline for recommendations"),
        help_text=_("Provinces and ministries hand their recommendations to CNIPA before this moment."))
    quota = models.PositiveSmallIntegerField(_("quota per province"), default=3)
    ministry_quota = models.PositiveSmallIntegerField(
        _("quota per ministry"), null=True, blank=True, help_text=_("Empty: ministries have no quota."))
    notice_working_days = models.PositiveSmallIntegerField(_("public notice length (working days)"), default=5)
    exempt_categories = models.JSONField(_("exempt categories that apply"), default=all_exempt_categories)
    # Grows with every edit of the call (review.calls.call_save): the version the pages that show its title
    # are cached under.
    version = models.PositiveIntegerField(default=1, editable=False)
    # Grows with every state change or claim check of one of its applications (the one writer,
    # applications.transitions) and every change of a package's standing (review.services): the version the
    # national dashboard's figures are cached under.
    progress_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.CheckConstraint(condition=Q(deadline__gt=F("opens_at")), name="call_deadline_after_opening"),
            models.CheckConstraint(condition=Q(quota__gte=1), name="call_quota_positive"),
        ]

    def __str__(self):
        return self.title



class ProvinceDeadline(models.Model):
    """A province's internal deadline for its applicants, no later than the call's (SPEC §2)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="province_deadlines")
    province = models.ForeignKey("navportal.Province", on_delete=models.PROTECT)
    deadline = models.DateTimeField(_("deadline for applicants"))

    class Meta:
        verbose_name = _("provincial deadline")
        constraints = [models.UniqueConstraint(fields=["call", "province"], name="one_deadline_per_province")]

    def __str__(self):
        return f"{self.province} {self.deadline:%Y-%m-%d}"


class PackageStatus(models.TextChoices):
    OPEN = "open", _("Being prepared")
    SUBMITTED = "submitted", _("Handed in to CNIPA")


def letter_path(instance, filename):
    return f"packages/{instance.pk or 'new'}/{uuid.uuid4().hex}.pdf"


class Package(models.Model):
    """A recommending bureau's recommendation package (推荐材料) for one call: a province's or a ministry's.

    Created with exactly `quota` QuotaSlot rows; a recommendation that counts against the quota holds
    one of them, so the database itself cannot hold more counted recommendations than slots.
    """

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="packages")
    province = models.ForeignKey("navportal.Province", null=True, blank=True, on_delete=models.PROTECT)
    ministry = models.ForeignKey("navportal.Ministry", null=True, blank=True, on_delete=models.PROTECT)
    status = models.CharField(_("status"), max_length=10, choices=PackageStatus.choices, default=PackageStatus.OPEN)
    quota = models.PositiveSmallIntegerField(_("quota"), null=True, blank=True,
                                             help_text=_("Empty: no quota (ministries, unless the call sets one)."))
    priority_justification = models.TextField(_("justification for ranking above a priority applicant"),
                                               blank=True)
    letter = models.FileField(_("recommendation letter (PDF)"), upload_to=letter_path, blank=True)
    letter_name = models.CharField(max_length=200, blank=True)
    letter_uploaded_at = models.DateTimeField(null=True, blank=True)
    # Set by CNIPA when it reopens a handed-in package: the bureau may amend it until then.
    extended_until = models.DateTimeField(_("reopened until"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("handed in"), null=True, blank=True)
    submitted_by = models.ForeignKey("navportal.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")

    class Meta:
        verbose_name = _("recommendation package")
        constraints = [
            models.UniqueConstraint(fields=["call", "province"], condition=Q(province__isnull=False),
                                    name="one_package_per_province"),
            models.UniqueConstraint(fields=["call", "ministry"], condition=Q(ministry__isnull=False),
                                    name="one_package_per_ministry"),
            models.CheckConstraint(name="package_has_one_unit",
                                   condition=Q(province__isnull=False, ministry__isnull=True)
                                   | Q(province__isnull=True, ministry__isnull=False)),
            models.CheckConstraint(condition=Q(status__in=PackageStatus.values), name="package_status_known"),
        ]

    def __str__(self):
        return f"{self.unit} · {self.call}"

    @property
    def unit(self):
        return self.province or self.ministry

    def get_absolute_url(self):
        return reverse("package_detail", args=[self.pk])



class QuotaSlot(models.Model):
    """One of a package's `quota` places; numbered 1..quota."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="slots")
    number = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["package", "number"]
        constraints = [
            models.UniqueConstraint(fields=["package", "number"], name="one_slot_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="slot_number_positive"),
        ]

    def __str__(self):
        return f"{self.package} #{self.number}"


class Recommendation(models.Model):
    """An application the bureau supports, with its rank, optional score and opinion (推荐意见)."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="recommendations")
    application = models.OneToOneField("applications.Application", on_delete=models.PROTECT,
                                       related_name="recommendation")
    rank = models.PositiveSmallIntegerField(_("rank"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    opinion = models.TextField(_("recommendation opinion"))
    # Held while the recommendation counts against the quota. Empty for an exempt applicant — or, after
    # CNIPA rejects an exemption, for one that counts but finds no free slot: the package is over quota.
    slot = models.ForeignKey(QuotaSlot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["package", "rank"]
        verbose_name = _("recommendation")
        constraints = [
            models.UniqueConstraint(fields=["package", "rank"], name="one_recommendation_per_rank"),
            models.UniqueConstraint(fields=["slot"], name="one_recommendation_per_slot"),
            models.CheckConstraint(condition=Q(rank__gte=1), name="rank_positive"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                                   name="score_between_0_and_100"),
        ]

    def __str__(self):
        return f"{self.rank}. {self.application}"


class RegistryKind(models.TextChoices):
    """The four exempt categories (labels from ExemptCategory, the one place they are worded) and local bases."""

    PROTECTION_CENTRE = ExemptCategory.PROTECTION_CENTRE.value, ExemptCategory.PROTECTION_CENTRE.label
    DEMONSTRATION_PARK = ExemptCategory.DEMONSTRATION_PARK.value, ExemptCategory.DEMONSTRATION_PARK.label
    EXPERIMENTAL_ZONE = ExemptCategory.EXPERIMENTAL_ZONE.value, ExemptCategory.EXPERIMENTAL_ZONE.label
    PILOT_BASE = ExemptCategory.PILOT_BASE.value, ExemptCategory.PILOT_BASE.label
    LOCAL_BASE = "local_base", _("Local patent navigation service base")


# Titles the notice retires when the final list is confirmed (SPEC §6.5).
RETIRED_WITH_FINAL_LIST = (RegistryKind.EXPERIMENTAL_ZONE, RegistryKind.PILOT_BASE)


class RegistryEntry(models.Model):
    """A body holding an exempting title or designated as a local base, imported by CNIPA from a sheet.

    A claim that matches a live entry (by credit code, or by name or alias) is shown as pre-verified.
    """

    kind = models.CharField(_("category"), max_length=30, choices=RegistryKind.choices)
    name = models.CharField(_("name"), max_length=200)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    province = models.ForeignKey("navportal.Province", null=True, blank=True, on_delete=models.PROTECT)
    document_number = models.CharField(_("designation document"), max_length=100)
    designated_on = models.DateField(_("designation date"))
    term_ends_on = models.DateField(_("end of term"), null=True, blank=True)
    retired_on = models.DateField(_("title retired on"), null=True, blank=True)
    retired_by = models.CharField(_("retired by document"), max_length=100, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("registry entry")
        verbose_name_plural = _("registry entries")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=RegistryKind.values), name="registry_kind_known"),
            models.UniqueConstraint(fields=["kind", "name"], name="registry_unique_name_per_kind"),
            models.CheckConstraint(condition=Q(term_ends_on__isnull=True) | Q(term_ends_on__gte=F("designated_on")),
                                   name="registry_term_after_designation"),
        ]
        indexes = [models.Index(fields=["credit_code"])]

    def __str__(self):
        return self.name

    def is_live(self, on):
        """Whether the title still holds on `on`: not retired and its term not ended."""
        if self.designated_on > on or (self.retired_on is not None and self.retired_on <= on):
            return False
        return self.term_ends_on is None or self.term_ends_on >= on


class Notice(models.Model):
    """The public notice (公示) of a call's proposed list: a frozen snapshot and its period.

    Publishing freezes the passing applications as NoticeEntry rows; what the public reads never moves
    with later edits. Confirming it by a document (发文予以确定) turns the remaining entries into
    designated bases: the final list.
    """

    call = models.OneToOneField(Call, on_delete=models.PROTECT, related_name="notice")
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey("navportal.User", on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("notice starts"))
    ends_on = models.DateField(_("notice ends"))
    # False when the official calendar did not know the year: Monday–Friday was assumed, and CNIPA must
    # confirm the dates before objections are decided and the list confirmed.
    dates_confirmed = models.BooleanField(_("dates confirmed"), default=True)
    text = models.TextField(_("notice text"))
    contact = models.TextField(_("how to object (contact)"))
    final_document_number = models.CharField(_("confirming document number"), max_length=100, blank=True)
    final_document_date = models.DateField(_("confirming document date"), null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey("navportal.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    # Grows with every change of the notice or its list (dates corrected, an entry removed, the list
    # confirmed: review.national): the version the public pages are cached under.
    version = models.PositiveIntegerField(default=1, editable=False)
    # The HMAC-SM3 seal of the published notice and its list (notice_seal_content) under the key seal_key_id
    # (navportal.seals): renewed by each change in review.national, in its transaction; verified by the public
    # pages and the exports.
    seal = models.CharField(max_length=64, blank=True)
    seal_key_id = models.CharField(max_length=16, blank=True)
    # Moved by the database itself (triggers of migration 0011) whenever this row or one of its entries changes,
    # whoever writes: the key under which the public pages keep the seal's verdict (cached_verdict).
    content_epoch = models.BigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("public notice")
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="notice_ends_after_start")]

    def __str__(self):
        return f"{self.call} {self.starts_on:%Y-%m-%d}–{self.ends_on:%Y-%m-%d}"

    @property
    def is_final(self):
        return self.confirmed_at is not None

    def verify(self, entries=None):
        """The navportal.seals.Verdict of the notice's seal on the notice and `entries` (all of them, removed ones
        too; default: read now)."""
        return seals.verdict(notice_seal_content(self, entries), self.seal, self.seal_key_id)

    def cached_verdict(self):
        """The verdict of verify(), kept under the notice's content epoch (navportal.seals.cached_verdicts): a
        change of the notice or its entries by anyone moves the epoch (database triggers, migration 0011), so the
        next request verifies again and sees it. The public pages show this one; decisions and exports verify
        afresh (review.national, review.national_exports)."""
        return seals.cached_verdicts([self], lambda notice: notice.verify())[self.pk]


def notice_seal_content(notice, entries=None):
    """What a notice's seal covers: what was published and what became of it — the text, the contact, the dates,
    the confirming document — and every entry of its list (number, base, province, industry, removed or not, and
    the application it stands for). `entries`: all the notice's entries (default: notice.entries.all(), a prefetch
    when there is one). Not the version counter (a cache's key) nor who acted (in the audit trail). A function of
    the rows' fields alone, so that migration 0010 seals the existing notices with it."""
    if entries is None:
        entries = notice.entries.all()
    return {
        "call": notice.call_id, "published_at": notice.published_at, "starts_on": notice.starts_on,
        "ends_on": notice.ends_on, "dates_confirmed": notice.dates_confirmed, "text": notice.text,
        "contact": notice.contact, "final_document_number": notice.final_document_number,
        "final_document_date": notice.final_document_date, "confirmed_at": notice.confirmed_at,
        "entries": [[entry.pk, entry.application_id, entry.number, entry.name, entry.province_name, entry.industry,
                     entry.removed_at] for entry in sorted(entries, key=lambda entry: entry.number)],
    }


class NoticeEntry(models.Model):
    """One base on the proposed list, as published (name, province, industry)."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="entries")
    application = models.OneToOneField("applications.Application", on_delete=models.PROTECT,
                                       related_name="notice_entry")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("base"), max_length=200)
    province_name = models.CharField(_("province"), max_length=60)
    industry = models.TextField(_("key industry field(s)"))
    # Set when an objection is upheld: the base leaves the list.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["notice", "number"]
        verbose_name = _("notice entry")
        constraints = [models.UniqueConstraint(fields=["notice", "number"], name="one_notice_number")]

    def __str__(self):
        return self.name


class ObjectorKind(models.TextChoices):
    PERSON = "person", _("A person")
    ORGANISATION = "organisation", _("An organisation")


class ObjectionDecision(models.TextChoices):
    PENDING = "pending", _("Awaiting decision")
    UPHELD = "upheld", _("Upheld: the base leaves the list")
    DISMISSED = "dismissed", _("Dismissed")


def objection_path(instance, filename):
    return f"objections/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:5]}"


# The series of the objections' reference numbers (异议): YY-2026-000045.
OBJECTION_SERIES = "YY"
# What one objection may store: its sealed letter and its evidence together (each file is also bounded by
# UPLOAD_MAX_MB). The database holds every row to it (objection_files_bounded).
OBJECTION_FILES_MAX_BYTES = 20 * 1024 * 1024


class ObjectionQuerySet(models.QuerySet):
    def confirmed(self):
        """The objections that count: confirmed by their e-mail address (the unconfirmed are nobody's business)."""
        return self.filter(confirmed_at__isnull=False)


class Objection(models.Model):
    """A written objection under real name to one listed base (SPEC §6.3). Never public."""

    entry = models.ForeignKey(NoticeEntry, on_delete=models.PROTECT, related_name="objections")
    kind = models.CharField(_("objector"), max_length=12, choices=ObjectorKind.choices)
    # The objector's identity, encrypted at rest (SPEC §11, navportal.fields).
    name = EncryptedCharField(_("name"), max_length=200)
    phone = EncryptedCharField(_("phone"), max_length=20)
    email = EncryptedEmailField(_("e-mail"))
    signature = EncryptedCharField(_("signature"), max_length=60, blank=True)
    letter = models.FileField(_("sealed letter (PDF)"), upload_to=objection_path, blank=True)
    reasons = models.TextField(_("reasons"))
    evidence = models.FileField(_("evidence"), upload_to=objection_path, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    # An objection counts only once the objector confirmed the e-mail address by the link mailed to it (SPEC §7):
    # until then CNIPA is not told, it is in no list or count, and after `confirm_by` (or the period's end) it can
    # no longer be confirmed. Only the SHA-256 of the link's token is kept.
    confirm_token_hash = models.CharField(max_length=64, unique=True)
    confirm_by = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The reference number (受理编号) given when the objection is accepted — confirmed (navportal.references):
    # shown to the objector, mailed, and quoted by CNIPA.
    reference = models.CharField(_("reference number"), max_length=20, unique=True, null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # The language of the page the objector objected from: the mails to them are written in it.
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    files_bytes = models.PositiveBigIntegerField(default=0)
    # The version of the personal information rules (navportal.privacy_rules) the objector acknowledged with the
    # objection (at submitted_at); empty only for objections made before the rules existed.
    privacy_version = models.CharField(max_length=10, blank=True, default="", editable=False)
    # When the retention period ended (review.retention): the objector's name, contacts, signature, files and
    # address were removed; the reasons, the reference number and the decision remain.
    anonymised_at = models.DateTimeField(_("personal information removed"), null=True, blank=True, editable=False)
    decision = models.CharField(_("decision"), max_length=10, choices=ObjectionDecision.choices,
                                default=ObjectionDecision.PENDING)
    decision_note = models.TextField(_("reasons for the decision"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("navportal.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    crypt_id = row_identity()

    objects = ObjectionQuerySet.as_manager()

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("objection")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ObjectorKind.values), name="objection_kind_known"),
            models.CheckConstraint(condition=Q(decision__in=ObjectionDecision.values), name="objection_decision_known"),
            # Accepted means confirmed: a reference number exactly when confirmed, and only a confirmed one decided.
            models.CheckConstraint(name="objection_reference_iff_confirmed",
                                   condition=Q(confirmed_at__isnull=True, reference__isnull=True)
                                   | Q(confirmed_at__isnull=False, reference__isnull=False)),
            models.CheckConstraint(name="objection_decided_only_confirmed",
                                   condition=Q(decision=ObjectionDecision.PENDING) | Q(confirmed_at__isnull=False)),
            models.CheckConstraint(name="objection_files_bounded",
                                   condition=Q(files_bytes__lte=OBJECTION_FILES_MAX_BYTES)),
            # Real name: a person signs; an organisation sends its sealed letter — until the retention period
            # removed both (review.retention).
            models.CheckConstraint(name="objection_signed_or_sealed",
                                   condition=(Q(kind=ObjectorKind.PERSON) & ~Q(signature=""))
                                   | (Q(kind=ObjectorKind.ORGANISATION) & ~Q(letter=""))
                                   | Q(anonymised_at__isnull=False)),
        ]

    def __str__(self):
        return f"{self.name} → {self.entry}"


class ReminderLog(models.Model):
    """One reminder e-mail per package and day, at most."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["package", "sent_on"], name="one_reminder_per_day")]


def bump_version(obj, field="version"):
    """Move `obj`'s version counter on by one (in the database, whatever copy the caller holds)."""
    type(obj).objects.filter(pk=obj.pk).update(**{field: F(field) + 1})


def bump_progress(call_id):
    """The call's progress moved (a state, a claim, a package): the dashboard's cached figures are stale."""
    Call.objects.filter(pk=call_id).update(progress_version=F("progress_version") + 1)
