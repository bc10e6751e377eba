from django.shortcuts import redirect, render
from django.utils import timezone

from review import deadlines
from review.models import Call

# Where the home page sends a signed-in user: the first of these pages the user may open. Every role opens
# exactly one of them (tests/test_access_matrix.py, the home row).
DESKS = [
    ("applications.apply", "application_list"),
    ("review.view_queue", "review_queue"),
    ("navportal.manage_accounts", "account_list"),
    ("navportal.manage_security", "security_home"),
    ("navportal.view_audit", "audit_list"),
]


def home(request):
    """Public: the calls for a visitor; a signed-in user goes to their desk."""
    user = request.user
    if user.is_authenticated:
        return redirect(next(name for perm, name in DESKS if user.has_perm(perm)))
    now = timezone.now()
    calls = [(call, deadlines.call_window(call, now)) for call in Call.objects.order_by("-opens_at")[:10]]
    return render(request, "home.html", {"calls": calls})
