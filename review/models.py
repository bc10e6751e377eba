"""Calls (申报批次) and the provinces' own deadlines within them."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.enums import ExemptCategory


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

    def is_open(self, now=None):
        now = now or timezone.now()
        return self.opens_at <= now < self.deadline


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
