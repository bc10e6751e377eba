from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone

from review import deadlines
from review.models import Call

from .audit import audit_record
from .models import Message, Role


def home(request):
    user = request.user
    if user.is_authenticated:
        if user.role == Role.APPLICANT:
            return redirect("application_list")
        if user.role == Role.AUDIT_ADMIN:
            return redirect("audit_list")
        if user.role == Role.SYSTEM_ADMIN:
            return redirect("account_list")
        if user.role == Role.SECURITY_ADMIN:
            return redirect("security_home")
        return redirect("review_queue")
    now = timezone.now()
    calls = [(call, deadlines.call_window(call, now)) for call in Call.objects.order_by("-opens_at")[:10]]
    return render(request, "home.html", {"calls": calls})


@login_required
def message_list(request):
    page = Paginator(Message.objects.filter(recipient=request.user), 25).get_page(request.GET.get("page"))
    unread = [m.pk for m in page.object_list if m.read_at is None]
    response = render(request, "messages.html", {"page": page, "unread_ids": set(unread)})
    if unread:
        Message.objects.filter(pk__in=unread).update(read_at=timezone.now())
    return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view, with the change in the audit trail."""

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(actor=form.user, action="password_change")
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view (the link from the e-mail), with the new password in the audit trail."""

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(actor=form.user, action="password_reset")
        return response
