from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse

from . import notify
from .access import permission_required_404
from .audit import audit_record
from .forms import PasswordResetByEmailForm
from .models import Message
from .throttle import throttle, throttled_response


@permission_required_404("navportal.read_messages")
def message_list(request):
    """The user's messages, the new ones marked; the page's button marks those it shows read (messages_mark_read)."""
    page = Paginator(Message.objects.filter(recipient=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "messages.html", {"page": page,
                                             "unread_ids": [m.pk for m in page.object_list if m.read_at is None]})


@permission_required_404("navportal.read_messages", methods=["POST"])
def messages_mark_read(request):
    """The button of the messages page: the new messages it showed (`message`: their ids) are read now."""
    ids = [int(value) for value in request.POST.getlist("message") if value.isdigit() and len(value) <= 18]
    notify.messages_mark_read(recipient=request.user, message_ids=ids)
    page = request.POST.get("page", "")
    return redirect(reverse("messages") + (f"?page={page}" if page.isdigit() and len(page) <= 9 else ""))


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


def set_language(request):
    """Django's language switch; a signed-in user's choice is also kept for their mails (User.language)."""
    from django.views.i18n import set_language as django_set_language

    from .signals import remember_language

    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and language in dict(settings.LANGUAGES):
        remember_language(request.user, language)
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's view (which answers the same whether or not the account exists), rate-limited per address and per
    e-mail address typed (navportal.throttle), so that nobody can flood a mailbox with reset links. The accounts
    are found through the address's blind index (forms.PasswordResetByEmailForm)."""

    form_class = PasswordResetByEmailForm

    def post(self, request, *args, **kwargs):
        refusal = throttle(request, "password_reset", email=request.POST.get("email", ""))
        if refusal:
            return throttled_response(request, self.template_name, self.get_context_data(
                form=self.get_form()), refusal)
        return super().post(request, *args, **kwargs)
