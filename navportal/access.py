"""Access to pages and objects, answered as "no such thing" (404) whenever the answer is no.

- `permission_required_404(perm)` wraps every view that is not public: the page is for the users holding
  `perm` (a rules permission: navportal/rules.py and the apps' rules.py). A signed-in user without it gets
  404, the same answer as for a page or an object that does not exist, so a URL tells nothing about whom it
  is for; an anonymous visitor is sent to sign in, as by login_required.
- `get_in_scope` fetches one object through the user's scope (a selector's queryset): 404 outside it —
  exactly as for a missing one — and the refusal recorded in the audit trail when the object does exist
  (someone tried an id that is not theirs).
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.views.decorators.http import require_http_methods

from .audit import audit_record
from .models import AuditResult


def permission_required_404(perm, *, methods=None):
    """The view for users holding `perm`, asked without an object (which object is get_in_scope's).

    In order: anonymous → the login page with ?next=; a method not in `methods` (e.g. ["POST"]) → 405, as
    require_http_methods answers, to anyone signed in (the method says nothing about the page's users);
    without `perm` → 404. The wrapped view carries `permission_required`, for tests that walk the URLs.
    Works on a class-based view's as_view() like on a function.
    """

    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.has_perm(perm):
                raise Http404
            return view(request, *args, **kwargs)

        if methods is not None:
            guarded = require_http_methods(methods)(guarded)
        guarded = login_required(guarded)
        guarded.permission_required = perm
        return guarded

    return decorator


def found_in_scope(request, model, pk, obj, allowed):
    """get_in_scope's answer for `obj`, read by primary key without the scope (None when there is none), and
    `allowed`: whether the user's scope holds it, by the same rules on the loaded row (e.g.
    applications.selectors.in_scope). The same 404 and the same audited refusal."""
    if obj is not None and allowed:
        return obj
    if obj is not None or model._base_manager.filter(pk=pk).exists():
        audit_record(actor=request.user, action="access_denied", result=AuditResult.DENIED,
                     note=f"{model._meta.label_lower}#{pk} {request.method} {request.path}"[:500])
    raise Http404


def get_in_scope(request, scoped_queryset, pk):
    try:
        return scoped_queryset.get(pk=pk)
    except scoped_queryset.model.DoesNotExist:
        return found_in_scope(request, scoped_queryset.model, pk, None, False)
