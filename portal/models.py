"""Whom to ask: the contacts the help page gives — CNIPA's department and each provincial bureau's office."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BureauContact(models.Model):
    """The office an applicant calls about the call: CNIPA's (no province) or a provincial bureau's. Kept by
    CNIPA (any of them) and by each province (its own), through portal.services.contact_save."""

    province = models.OneToOneField("navportal.Province", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="contact", verbose_name=_("province"))
    # True for CNIPA's own row: at most one (a unique index cannot tell two NULL provinces apart).
    national = models.BooleanField(default=False, editable=False)
    office = models.CharField(_("office"), max_length=100)
    phone = models.CharField(_("telephone"), max_length=60)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("contact")
        constraints = [
            models.CheckConstraint(condition=Q(national=True, province__isnull=True)
                                   | Q(national=False, province__isnull=False), name="contact_national_or_province"),
            models.UniqueConstraint(fields=["national"], condition=Q(national=True), name="one_national_contact"),
        ]

    def __str__(self):
        return self.office


class DataRequestKind(models.TextChoices):
    ACCESS = "access", _("See and copy what is held")
    CORRECTION = "correction", _("Correct it")


class DataRequest(models.Model):
    """A request to see, copy or correct personal information (个人信息保护法 Art. 44–46): from an applicant's
    contact person about one of its submitted applications, or from an objector about their objection. It goes to
    the bureau holding what it concerns (portal.data_requests.holder), which answers it in writing; the answer
    reaches the requester. Made and answered through portal.data_requests only."""

    kind = models.CharField(_("request"), max_length=12, choices=DataRequestKind.choices)
    application = models.ForeignKey("applications.Application", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="data_requests")
    objection = models.ForeignKey("review.Objection", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="data_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    text = models.TextField(_("what is wrong, and what it should say"), blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    # Who answers: a role and, but for CNIPA, the city, province or ministry of that role (fixed when made).
    holder_role = models.CharField(max_length=20)
    holder_id = models.PositiveIntegerField(null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("personal information request")
        constraints = [
            # About exactly one thing: an application (its contact person asks) or an objection (its objector).
            models.CheckConstraint(name="data_request_about_one",
                                   condition=Q(application__isnull=False, objection__isnull=True,
                                               requested_by__isnull=False)
                                   | Q(application__isnull=True, objection__isnull=False, requested_by__isnull=True)),
            models.CheckConstraint(name="data_request_answered_with_text",
                                   condition=Q(answered_at__isnull=True) | ~Q(answer="")),
            models.CheckConstraint(name="data_request_kind_known", condition=Q(kind__in=DataRequestKind.values)),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"
