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
