"""The system administrator's view of the outbox (navportal.mail): every mail with its status — queued (and
when it is tried next), sent, or failed after N tries with the error — and the resend of a failed one."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from post_office.models import STATUS, Email, Log

from .access import permission_required_404
from .errors import PortalError
from .fields import blind_index_values
from . import mail as outbox
from .mail import REFUSED
from .models import User
from .privacy import masked_email

STATUS_FILTER = {"queued": [STATUS.queued, STATUS.requeued], "sent": [STATUS.sent], "failed": [STATUS.failed]}


class MailFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("Find"), required=False, max_length=100,
                        help_text=gettext_lazy("recipient or subject"))
    status = forms.ChoiceField(label=gettext_lazy("status"), required=False, choices=[
        ("", gettext_lazy("All")), ("queued", gettext_lazy("queued")), ("sent", gettext_lazy("sent")),
        ("failed", gettext_lazy("failed"))])


def _mails(data):
    form = MailFilter(data or None)
    last_log = Log.objects.filter(email=OuterRef("pk")).order_by("-date", "-pk")
    mails = Email.objects.annotate(
        last_error=Subquery(last_log.filter(status=STATUS.failed).values("message")[:1]),
        last_error_type=Subquery(last_log.filter(status=STATUS.failed).values("exception_type")[:1]),
        failed_tries=Subquery(Log.objects.filter(email=OuterRef("pk"), status=STATUS.failed).exclude(
            exception_type=REFUSED).values("email").annotate(n=Count("pk")).values("n")[:1]),
    ).defer("message", "html_message", "context", "headers").order_by("-created", "-pk")
    if form.is_valid():
        if form.cleaned_data["status"]:
            mails = mails.filter(status__in=STATUS_FILTER[form.cleaned_data["status"]])
        q = form.cleaned_data["q"].strip()
        if q:
            # A sent mail keeps its recipients masked (navportal.mail.redact_delivered): an address finds it by
            # its masked form too.
            found = Q(to__icontains=q) | Q(subject__icontains=q)
            if "@" in q:
                found |= Q(to__icontains=masked_email(q))
            mails = mails.filter(found)
    return form, mails


@permission_required_404("navportal.manage_mail")
def mail_list(request):
    form, mails = _mails(request.GET)
    page = Paginator(mails, 50).get_page(request.GET.get("page"))
    addresses = {address for mail in page.object_list for address in mail.to}
    # The accounts' addresses are encrypted: matched through their blind indexes (one per key held).
    index_of = {index: address.lower() for address in addresses if address.strip()
                for index in blind_index_values(address)}
    known = {index_of[index] for index in
             User.objects.filter(email_index__in=list(index_of)).values_list("email_index", flat=True)}
    for mail in page.object_list:
        # An address that is no account's (an objector's) is not shown to the system administrator — objectors'
        # identities are CNIPA's only (SECURITY.md); a sent mail's are all masked already.
        mail.shown_to = [a if a.lower() in known else masked_email(a) for a in mail.to]
    query = request.GET.copy()
    query.pop("page", None)
    counts = {name: Email.objects.filter(status__in=statuses).count() for name, statuses in STATUS_FILTER.items()}
    return render(request, "administration/mail_list.html", {
        "form": form, "page": page, "query": query.urlencode(), "counts": counts, "STATUS": STATUS,
        "REFUSED": REFUSED})


@permission_required_404("navportal.manage_mail", methods=["POST"])
def mail_resend(request, pk):
    try:
        email = outbox.mail_resend(actor=request.user, email_id=pk)
    except PortalError as exc:
        if exc.code == "not_found":
            raise Http404 from None
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The mail to %(to)s is queued again; the mail worker sends it shortly.")
                         % {"to": ", ".join(email.to)})
    return redirect("mail_list")
