"""The bases after designation (SPEC §12, notice 四(二)): what CNIPA "guides, assesses and dynamically manages".

A base is made by the confirmation of the final list (review.national.final_confirm, through bases.services) from
the application designated and its entry on the list, and lives on by its status: 在建 active, 整改 under
rectification (one open Rectification), 撤销 revoked by document. Its status changes only through the one writer,
bases.transitions.base_transition, by the table bases.workflow.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BaseStatus(models.TextChoices):
    ACTIVE = "active", _("Active")                       # 在建
    RECTIFYING = "rectifying", _("Under rectification")  # 整改
    REVOKED = "revoked", _("Revoked")                    # 撤销


class Base(models.Model):
    """A national-level patent navigation service base: the designated application and its entry on the list as
    confirmed (name, province, key industry fields), the designating document, and its status. Its contact is the
    applicant organisation's accounts; its supervising bureau is the one that recommended it (bases.selectors)."""

    application = models.OneToOneField("applications.Application", on_delete=models.PROTECT, related_name="base")
    entry = models.OneToOneField("review.NoticeEntry", on_delete=models.PROTECT, related_name="base")
    organisation = models.ForeignKey("applications.Organisation", on_delete=models.PROTECT, related_name="bases",
                                     verbose_name=_("organisation"))
    province = models.ForeignKey("navportal.Province", on_delete=models.PROTECT, verbose_name=_("province"))
    # A ministry-routed base is supervised by its ministry; every other one by its province.
    ministry = models.ForeignKey("navportal.Ministry", null=True, blank=True, on_delete=models.PROTECT,
                                 verbose_name=_("ministry"))
    name = models.CharField(_("base"), max_length=200)
    industry = models.TextField(_("key industry field(s)"))
    document_number = models.CharField(_("designating document"), max_length=100)
    designated_on = models.DateField(_("designated on"))
    status = models.CharField(_("status"), max_length=12, choices=BaseStatus.choices, default=BaseStatus.ACTIVE)
    revoked_document = models.CharField(_("revoking document"), max_length=100, blank=True)
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    # Grows with every change through the writer: the version the base's pages and a stale form are checked by.
    lock_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-designated_on", "name"]
        verbose_name = _("base")
        verbose_name_plural = _("bases")
        constraints = [
            models.CheckConstraint(name="base_status_known", condition=Q(status__in=BaseStatus.values)),
            # Revoked exactly when a revoking document and its date are on record.
            models.CheckConstraint(name="base_revoked_by_document",
                                   condition=Q(status=BaseStatus.REVOKED, revoked_on__isnull=False)
                                   & ~Q(revoked_document="")
                                   | ~Q(status=BaseStatus.REVOKED) & Q(revoked_on__isnull=True, revoked_document="")),
        ]

    def __str__(self):
        return self.name


class RectificationReason(models.TextChoices):
    UNQUALIFIED = "unqualified", _("Graded unqualified in the assessment")
    MISSED_REPORT = "missed_report", _("Annual report not submitted")
    FINDING = "finding", _("CNIPA's finding")


class RectificationOutcome(models.TextChoices):
    CLOSED = "closed", _("Rectified: closed")
    REVOKED = "revoked", _("Title revoked")


class Rectification(models.Model):
    """A rectification (整改) CNIPA opened for a base: why, what to put right and by when; the base's answer; how it
    ended — closed (the base active again) or the title revoked by document. At most one open per base."""

    base = models.ForeignKey(Base, on_delete=models.PROTECT, related_name="rectifications")
    reason = models.CharField(_("reason"), max_length=20, choices=RectificationReason.choices)
    detail = models.TextField(_("what to put right"))
    deadline = models.DateField(_("answer by"))
    opened_at = models.DateTimeField(_("opened"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answer = models.TextField(_("the base's answer"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=RectificationOutcome.choices, blank=True)
    outcome_note = models.TextField(_("CNIPA's conclusion"), blank=True)
    closed_at = models.DateTimeField(_("ended"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("rectification")
        constraints = [
            models.UniqueConstraint(fields=["base"], condition=Q(closed_at__isnull=True),
                                    name="one_open_rectification_per_base"),
            models.CheckConstraint(name="rectification_reason_known", condition=Q(reason__in=RectificationReason.values)),
            models.CheckConstraint(name="rectification_ended_with_outcome",
                                   condition=Q(closed_at__isnull=True, outcome="")
                                   | Q(closed_at__isnull=False, outcome__in=RectificationOutcome.values)),
            models.CheckConstraint(name="rectification_answered_with_text",
                                   condition=Q(answered_at__isnull=True) | ~Q(answer="")),
        ]

    def __str__(self):
        return f"{self.base} · {self.get_reason_display()}"

    @property
    def is_open(self):
        return self.closed_at is None
