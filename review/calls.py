"""Calls (申报批次): CNIPA opens and edits them; a province may set its applicants an earlier deadline."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from navportal.audit import audit_record
from navportal.bounds import datetime_bounds
from navportal.cleaning import refusal
from navportal.errors import PortalError
from navportal.rules import is_cnipa, is_provincial_reviewer

from . import deadlines
from .models import Call, Package, ProvinceDeadline
from .validators import CALL_FIELDS, clean_call_values


def call_save(*, actor, call_id=None, values):
    """Create (call_id None) or edit a call.

    values: a value for each of CALL_FIELDS, cleaned and checked as the call form checks them
    (validators.clean_call_values). The quotas and the exempt categories cannot change once a bureau has
    started its package (SPEC §5): its quota slots were counted out from them.
    Errors (PortalError, nothing stored): not CNIPA staff ("forbidden"); a value the form refuses ("invalid");
    no such call ("not_found"); a change of the quotas or the exempt categories once a package exists ("state").
    """
    if not is_cnipa(actor):
        raise PortalError(_("Only CNIPA staff can do this."), code="forbidden")
    values = clean_call_values(values)
    with transaction.atomic():
        if call_id is None:
            call = Call.objects.create(**values)
            audit_record(actor=actor, action="call_create", obj=call, note=call.title)
            return call
        call = Call.objects.select_for_update().filter(pk=call_id).first()
        if call is None:
            raise PortalError(_("This call does not exist."), code="not_found")
        if Package.objects.filter(call=call).exists():
            if (values["quota"], values["ministry_quota"]) != (call.quota, call.ministry_quota):
                raise PortalError(_("Recommendation packages exist already: the quotas can no longer change."),
                                  code="state")
            if set(values["exempt_categories"]) != set(call.exempt_categories):
                raise PortalError(_("Recommendation packages exist already: the exempt categories can no longer "
                                    "change."), code="state")
        changes = [f for f in CALL_FIELDS if getattr(call, f) != values[f]]
        for field in changes:
            setattr(call, field, values[field])
        call.version += 1
        call.save()
        audit_record(actor=actor, action="call_update", obj=call, note=", ".join(changes))
        return call


def province_deadline_set(*, actor, call, deadline):
    """The province's internal deadline for its applicants: no later than the call's; empty removes it."""
    if not is_provincial_reviewer(actor):
        raise PortalError(_("Only a provincial bureau sets its applicants' deadline."), code="forbidden")
    if deadline is not None:
        try:
            for validator in datetime_bounds():
                validator(deadline)
        except ValidationError as exc:
            raise refusal(ProvinceDeadline._meta.get_field("deadline").verbose_name, exc) from None
    if deadline is not None and not deadlines.province_deadline_fits(call, deadline):
        raise PortalError(_("The province's deadline cannot be later than the call's (%(deadline)s).")
                          % {"deadline": timezone.localtime(call.deadline).strftime("%Y-%m-%d %H:%M")},
                          code="invalid")
    with transaction.atomic():
        current = ProvinceDeadline.objects.select_for_update().filter(call=call, province_id=actor.province_id).first()
        old = current.deadline.isoformat() if current else ""
        if deadline is None:
            if current:
                current.delete()
        elif current:
            current.deadline = deadline
            current.save(update_fields=["deadline"])
        else:
            ProvinceDeadline.objects.create(call=call, province_id=actor.province_id, deadline=deadline)
        audit_record(actor=actor, action="province_deadline_set", obj=call, from_state=old,
                     to_state=deadline.isoformat() if deadline else "")
