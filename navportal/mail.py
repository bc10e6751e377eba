"""The mail outbox: every e-mail is a row written in the transaction of the change it reports, and a worker
sends the rows (django-post-office; why that library: docs/mail.md).

- `OutboxBackend` is settings.EMAIL_BACKEND, so whoever calls Django's mail API (`send_mail`,
  `EmailMessage.send()`, the password-reset form) writes a row instead of talking SMTP. Called inside a
  `transaction.atomic()` block, the row commits or rolls back with the change: a rolled-back change sends
  nothing, a committed one is never forgotten. Never call it from `transaction.on_commit`: a crash between
  the commit and the callback would lose the mail.
- A message with a line break in a header (a subject or an address typed by a member of the public) or an
  address that is not one is refused here, without raising: the change it reports still commits, and the
  mail is recorded as failed with the reason — never queued, never resendable — on the system
  administrator's page. Django would refuse it at sending time too (BadHeaderError); refusing it before
  it is queued keeps the worker from retrying it.
- `outbox_send()` is one round of the worker (`manage.py mail_worker`): it sends what is due through
  settings.POST_OFFICE["BACKENDS"]["default"] (SMTP in production), marks each row sent or, after a
  failure, requeued with a back-off that doubles after each try (RETRY_INTERVAL, 2×, 4×, …) until
  MAX_RETRIES tries have failed: then failed, with every try's error in its log.
- Once sent, a row keeps what the system administrator's page needs (subject, status, times, tries) and no more:
  `redact_delivered()` masks its recipients (w***@example.cn) and empties its text, which held names, addresses
  and one-time links (password reset, registration, objection confirmation). Only a mail still queued, or failed
  and waiting to be sent again, holds its text (docs/cryptography.md).
- `mail_resend()` is the system administrator's resend of a failed mail (audited).
- `oldest_waiting_since()` says since when the longest-waiting mail has been due: the health check of the worker
  (navportal/health.py).
"""

import logging
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.core.mail.backends.base import BaseEmailBackend
from post_office import mail as post_office_mail
from post_office.models import STATUS, Email, Log
from post_office.settings import get_message_id_enabled, get_message_id_fqdn
from post_office.utils import parse_priority
from post_office.validators import validate_email_with_name

from .audit import audit_record
from .errors import PortalError
from .models import Role
from .privacy import masked_email

logger = logging.getLogger(__name__)

REFUSED = "refused"  # the exception_type of the log line of a message refused before it was queued


def header_problem(message):
    """Why `message` (a Django EmailMessage) must never be sent, or "" when it may."""
    headers = {"Subject": message.subject, "From": message.from_email, **(message.extra_headers or {})}
    for name, value in headers.items():
        if any(c in str(value) for c in "\r\n"):
            return f"line break in the {name} header"
    for field in ("to", "cc", "bcc", "reply_to"):
        for address in getattr(message, field, None) or ():
            if any(c in str(address) for c in "\r\n"):
                return f"line break in a {field} address"
            try:
                validate_email_with_name(address)
            except ValidationError:
                return f"not an e-mail address in {field}"
    if not message.recipients():
        return "no recipient"
    return ""


class OutboxBackend(BaseEmailBackend):
    """Django's mail API, writing a queued row of the outbox (post_office) per message (outbox_write); each
    message learns its row (`message.outbox_email`)."""

    def send_messages(self, email_messages):
        rows = outbox_write(email_messages or ())
        return len([row for row in rows if row.status == STATUS.queued])


def outbox_write(messages):
    """The outbox's rows of `messages` (Django EmailMessages), in their order: one INSERT for every message that
    may be sent, and a failed row for each refused one (header_problem). Each message learns its row
    (`message.outbox_email`).

    The rows are what post_office's own backend writes — sender, recipients, subject, text, HTML alternative,
    headers with Reply-To, the queue's priority, a Message-ID fixed now — without what its `create()` adds: a
    statement per message, and the text already written compiled again as a Django template, which ate any
    `{{`, `{%` or `{#` a name or a reason holds and failed the change on a stray one."""
    messages = list(messages)
    accepted = []
    for message in messages:
        problem = header_problem(message)
        if message.attachments:
            raise ValueError("the outbox keeps no attachments: link to the file in the portal instead")
        if problem:
            message.outbox_email = _refuse(message, problem)
        else:
            message.outbox_email = _queued_row(message)
            accepted.append(message.outbox_email)
    if accepted:
        Email.objects.bulk_create(accepted)
    return [message.outbox_email for message in messages]


def _queued_row(message):
    """The queued row of `message`, as post_office's backend would make it (validated as its save() does)."""
    headers = dict(message.extra_headers or {})
    if message.reply_to:
        headers.setdefault("Reply-To", ", ".join(str(v) for v in message.reply_to))
    html = next((content for content, mimetype in getattr(message, "alternatives", ()) if mimetype == "text/html"),
                "")
    row = Email(from_email=message.from_email, to=list(message.to), cc=list(message.cc), bcc=list(message.bcc),
                subject=message.subject, message=message.body, html_message=html, headers=headers,
                priority=parse_priority(None), status=STATUS.queued,
                message_id=make_msgid(domain=get_message_id_fqdn()) if get_message_id_enabled() else None)
    row.full_clean()
    return row


def _one_line(value):
    return " ".join(str(value).split())


def _refuse(message, problem):
    """A row that shows the refused message to the system administrator — its recipients only as text in
    the log, since an address with a line break is not one to store — and is never sent."""
    email = Email.objects.create(
        from_email=settings.DEFAULT_FROM_EMAIL, to=[], subject=_one_line(message.subject)[:989],
        message=message.body, status=STATUS.failed, number_of_retries=0)
    # The recipients only as a count: an address typed by the public is not shown to the administrator.
    count = len([*message.to, *message.cc, *message.bcc])
    Log.objects.create(email=email, status=STATUS.failed, exception_type=REFUSED,
                       message=f"Refused before queueing: {problem} ({count} recipient(s) given).")
    logger.warning("mail #%s refused before queueing: %s", email.pk, problem)
    return email


def outbox_send(now=None):
    """One round of the worker: send every row that is due, then space out the retries of those that
    failed. Returns (sent, failed for good, requeued)."""
    started = now or timezone.now()
    sent, failed, requeued = post_office_mail.send_queued(processes=1)
    # post_office requeues a failed row RETRY_INTERVAL later; we double the wait after each further try, so
    # that an SMTP relay down for an hour is tried a handful of times, not sixty.
    interval = settings.POST_OFFICE["RETRY_INTERVAL"]
    for email in Email.objects.filter(status=STATUS.requeued, last_updated__gte=started,
                                      number_of_retries__gt=1).only("pk", "number_of_retries"):
        Email.objects.filter(pk=email.pk).update(
            scheduled_time=timezone.now() + interval * 2 ** (email.number_of_retries - 1))
    redact_delivered()
    return sent, failed, requeued


def redact_delivered():
    """Masks the recipients and empties the text of every sent mail that still has them; returns how many."""
    rows = (Email.objects.filter(status=STATUS.sent).exclude(message="", html_message="")
            .only("pk", "to", "cc", "bcc"))
    count = 0
    for email in rows:
        Email.objects.filter(pk=email.pk, status=STATUS.sent).update(
            to=[masked_email(a) for a in email.to], cc=[masked_email(a) for a in email.cc],
            bcc=[masked_email(a) for a in email.bcc],
            message="", html_message="", context=None)
        count += 1
    return count


def oldest_waiting_since(now=None):
    """Since when the mail waiting longest has been due — its scheduled try, else its queueing — or None when no
    mail is due. One query.

    "Due" is what the worker's next round would send (post_office's `get_queued`: queued or requeued, scheduled
    for now or earlier, not expired), so a mail waiting for its next try after a failure does not count until
    that try is due: an SMTP relay that is down delays mail but leaves this answer fresh while the worker runs.
    """
    now = now or timezone.now()
    return (Email.objects.filter(Q(scheduled_time__lte=now) | Q(scheduled_time=None),
                                 Q(expires_at__gt=now) | Q(expires_at=None),
                                 status__in=[STATUS.queued, STATUS.requeued])
            .aggregate(since=Min(Coalesce("scheduled_time", "created")))["since"])


def mail_status(email):
    """What the system administrator reads: queued (with the next try), sent, or failed after N tries."""
    return {STATUS.queued: "queued", STATUS.requeued: "queued", STATUS.sent: "sent",
            STATUS.failed: "failed"}.get(email.status, "queued")


def is_refused(email):
    return email.logs.filter(exception_type=REFUSED).exists()


def mail_resend(*, actor, email_id):
    """The system administrator sends a failed mail again: it is queued at once with its tries counted
    afresh, keeping its Message-ID (a recipient's program sees one message, not two). Refused for a mail
    that is not failed (queued or already sent: nothing to do twice) and for one refused before queueing
    (its header would be refused again). Audited."""
    if actor.role != Role.SYSTEM_ADMIN:
        raise PortalError(_("Only the %(role)s may do this.") % {"role": Role.SYSTEM_ADMIN.label},
                          code="forbidden")
    with transaction.atomic():
        email = Email.objects.select_for_update().filter(pk=email_id).first()
        if email is None:
            raise PortalError(_("This mail does not exist."), code="not_found")
        if email.status != STATUS.failed:
            raise PortalError(_("Only a mail that failed can be sent again."), code="state")
        if is_refused(email):
            raise PortalError(_("This mail was refused because of its header (a line break or a wrong "
                                "address); it can never be sent."), code="refused")
        Email.objects.filter(pk=email.pk).update(status=STATUS.requeued, scheduled_time=None, number_of_retries=0,
                                                 last_updated=timezone.now())
        audit_record(actor=actor, action="mail_resend", obj=email, from_state="failed", to_state="queued",
                     note=_one_line(email.subject)[:200])
    return email
