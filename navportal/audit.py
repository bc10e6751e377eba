"""The audit trail: one call per recorded event, inside the transaction of the change it records."""

import contextvars

from django.db import transaction
from django.utils import timezone

from .models import AuditEvent, AuditHead, AuditResult

# The client address of the request being served; set by AuditContextMiddleware so that services,
# which know nothing of requests, can still record where a change came from.
client_ip = contextvars.ContextVar("client_ip", default=None)


def audit_record(*, actor, action, obj=None, from_state="", to_state="", note="", result=AuditResult.SUCCESS,
                 username=""):
    """Append one line to the audit trail, chained to the previous one.

    Call it inside the transaction of the change it records. The head row is locked for the hash chain:
    concurrent writers queue here for the rest of their (short) transactions.
    """
    known = actor is not None and actor.is_authenticated
    with transaction.atomic():
        head, _created = AuditHead.objects.select_for_update().get_or_create(id=1)
        event = AuditEvent(
            at=timezone.now(), actor=actor if known else None,
            username=(actor.get_username() if known else username)[:150],
            role=getattr(actor, "role", "") or "", ip=client_ip.get(), action=action, result=result,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            from_state=from_state or "", to_state=to_state or "", note=note or "", prev_hash=head.last_hash)
        event.hash = event.content_digest()
        event.save()
        head.last_hash = event.hash
        head.save(update_fields=["last_hash"])
        return event


def audit_verify():
    """(checked, first_broken): walks the trail in order and names the first row whose hash or link to
    the previous row does not hold ("end" when the newest rows are missing). The oldest remaining row's link is trusted (older rows may have been
    purged after the retention period)."""
    previous, checked = None, 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if (previous is not None and event.prev_hash != previous) or event.hash != event.content_digest():
            return checked, event.pk
        previous, checked = event.hash, checked + 1
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and head.last_hash and head.last_hash != previous:
        return checked, "end"  # rows after the last one were removed
    return checked, None


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .security import client_ip as address_of
        token = client_ip.set(address_of(request))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
