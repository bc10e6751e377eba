"""Fetching an object within the user's scope: 404 outside it — exactly as for a missing one — and the
refusal recorded in the audit trail when the object does exist (someone tried an id that is not theirs)."""

from django.http import Http404

from .audit import audit_record
from .models import AuditResult


def get_in_scope(request, scoped_queryset, pk):
    try:
        return scoped_queryset.get(pk=pk)
    except scoped_queryset.model.DoesNotExist:
        model = scoped_queryset.model
        if model._base_manager.filter(pk=pk).exists():
            audit_record(actor=request.user, action="access_denied", result=AuditResult.DENIED,
                         note=f"{model._meta.label_lower}#{pk} {request.method} {request.path}"[:500])
        raise Http404 from None
