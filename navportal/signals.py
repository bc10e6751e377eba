"""Sign-in events into the audit trail. Signals are used only here, where Django and django-axes report
authentication; the workflow itself never runs on signals."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from .audit import audit_record, client_ip
from .identifiers import audit_name
from .models import AuditResult, User


def remember_language(user, language):
    """Keep the language the user works in, for the mails written to them (navportal.notify)."""
    if user.pk and language and user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session["signed_in_at"] = timezone.now().timestamp()
    if request is not None:
        remember_language(user, getattr(request, "LANGUAGE_CODE", ""))
    audit_record(actor=user, action="login")


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="logout")


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # The account's user name when the identifier names one, else an address masked (navportal.identifiers): an
    # e-mail address typed is never written in plain. Lines written before (an address as typed) stay: the trail is
    # append-only and chained, and they age out with the retention period.
    audit_record(actor=None, action="login", result=AuditResult.FAILURE,
                 username=audit_name(request, credentials.get("username", "")))


@receiver(user_locked_out)
def audit_lockout(sender, request, username, ip_address, **kwargs):
    token = client_ip.set(ip_address)
    try:
        audit_record(actor=None, action="lockout", result=AuditResult.DENIED, username=username or "")
    finally:
        client_ip.reset(token)
