"""The audit trail: one call per recorded event, inside the transaction of the change it records."""

import contextvars

from .models import AuditEvent

# The client address of the request being served; set by AuditContextMiddleware so that services,
# which know nothing of requests, can still record where a change came from.
client_ip = contextvars.ContextVar("client_ip", default=None)


def audit_record(*, actor, action, obj=None, from_state="", to_state="", note=""):
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        role=getattr(actor, "role", "") or "",
        ip=client_ip.get(),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        from_state=from_state or "",
        to_state=to_state or "",
        note=note or "",
    )


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
