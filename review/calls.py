"""Calls (申报批次): CNIPA opens and edits them; a province may set its applicants an earlier deadline."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from navportal.audit import audit_record
from navportal.errors import PortalError
from navportal.models import Role

from . import deadlines
from .models import Call, Package, ProvinceDeadline

CALL_FIELDS = ("title", "document_number", "notice_text", "opens_at", "deadline", "quota", "ministry_quota",
               "notice_working_days", "exempt_categories")


def call_save(*, actor, call_id=None, values):
    """Create or edit a call. The quotas cannot change once a bureau has started its package: its quota
    slots were counted out from them."""
    if actor.role != Role.NATIONAL:
        raise PortalError(_("Only CNIPA staff can do this."), code="forbidden")
    if values["deadline"] <= values["opens_at"]:
        raise PortalError(_("The deadline must come after the opening."), code="invalid")
    with transaction.atomic():
        if call_id is None:
            call = Call.objects.create(**{f: values[f] for f in CALL_FIELDS})
            audit_record(actor=actor, action="call_create", obj=call, note=call.title)
            return call
        call = Call.objects.select_for_update().get(pk=call_id)
        quota_changed = (values["quota"], values["ministry_quota"]) != (call.quota, call.ministry_quota)
        if quota_changed and Package.objects.filter(call=call).exists():
            raise PortalError(_("Recommendation packages exist already: the quotas can no longer change."),
                              code="state")
        changes = [f for f in CALL_FIELDS if getattr(call, f) != values[f]]
        for field in changes:
            setattr(call, field, values[field])
        call.save()
        audit_record(actor=actor, action="call_update", obj=call, note=", ".join(changes))
        return call


def province_deadline_set(*, actor, call, deadline):
    """The province's internal deadline for its applicants: no later than the call's; empty removes it."""
    if actor.role != Role.PROVINCE:
        raise PortalError(_("Only a provincial bureau sets its applicants' deadline."), code="forbidden")
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
