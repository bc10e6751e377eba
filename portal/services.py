"""Keeping the help page's contacts: one transaction, the actor's right checked, the audit line with it."""

from django.db import transaction
from django.utils.translation import gettext as _

from navportal.audit import audit_record
from navportal.cleaning import clean_model_values
from navportal.errors import PortalError
from navportal.rules import is_cnipa, is_provincial_reviewer

from .models import BureauContact

CONTACT_FIELDS = ("office", "phone", "email", "address")


def contact_save(*, actor, province, values):
    """Write the contact of `province` (None: CNIPA's own). CNIPA keeps every contact, a province only its own."""
    if not (is_cnipa(actor) or is_provincial_reviewer(actor) and province is not None
            and province.pk == actor.province_id):
        raise PortalError(_("You cannot change this contact."), code="forbidden")
    # Cleaned as the form cleans them: office and telephone may not be blank.
    values = clean_model_values(BureauContact, {name: values.get(name, "") for name in CONTACT_FIELDS})
    with transaction.atomic():
        contact, created = BureauContact.objects.select_for_update().get_or_create(
            province=province, national=province is None, defaults={**values, "updated_by": actor})
        if not created:
            for name, value in values.items():
                setattr(contact, name, value)
            contact.updated_by = actor
            contact.save()
        audit_record(actor=actor, action="contact_save", obj=contact, note=f"{contact.office} {contact.phone}")
    return contact
