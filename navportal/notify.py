"""Notifications: an in-portal message and an e-mail, both written in the transaction of the change.

The message rows and the mail's outbox row (navportal.mail) live in the same transaction as the decision: a
rolled-back decision leaves neither, a committed one has both, and the mail worker sends it afterwards.

Each mail is written in its recipient's language (User.language; a member of the public: the language they
objected in), from templates/mail/, in the portal's formal voice: the application's name and reference
number, what happened, what to do and by when, and an absolute link (settings.SITE_URL). For that the
texts are given lazily — `lazy_text(gettext_lazy("… %(name)s"), name=…)` — and read once per language.

One decision, one mail: within one transaction a later notification about the same thing (`about`: an
application, an objection) to the same person replaces the earlier one, so a decision taken back or redone
before the commit never sends two mails that contradict each other.
"""

import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise, lazy

from .models import Message

# The languages a mail can be written in; anything else falls back to the portal's default.
MAIL_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _format(message, params):
    return str(message) % {key: str(value) if isinstance(value, Promise) else value for key, value in params.items()}


_lazy_format = lazy(_format, str)


def lazy_text(message, **params):
    """A translatable text with its values, translated each time it is read: `message` % params, in the
    language active then. (`gettext_lazy("…") % {…}` would translate at once, in the actor's language.)"""
    return _lazy_format(message, params)


def language_of(user):
    """The language to write to `user` in: their own, else the portal's default."""
    language = getattr(user, "language", "") or ""
    return language if language in MAIL_LANGUAGES else settings.LANGUAGE_CODE


def absolute_url(link):
    """A link in a mail: the portal's address (SITE_URL) in front of a path; an absolute URL as it is."""
    if not link:
        return settings.SITE_URL + "/"
    if link.startswith("/"):
        return settings.SITE_URL + link
    return link


def local_moment(value):
    """A moment as every message and page of the portal writes it: Beijing time, to the minute ("" for none)."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def compose_mail(template, *, to, language, subject_template=None, **context):
    """A Django EmailMessage rendered from templates/mail/<template>.txt (body) and <template>_subject.txt,
    in `language`. Values that are lazy texts are read in that language."""
    with translation.override(language):
        context = {key: str(value) if isinstance(value, Promise) else value for key, value in context.items()}
        subject = render_to_string(f"mail/{subject_template or template}_subject.txt", context)
        body = render_to_string(f"mail/{template}.txt", context)
    # A subject is one line: the template's own line breaks go; a line break in a value is left for the
    # outbox to refuse (navportal.mail.header_problem), never silently folded into a header.
    subject = subject.strip().replace("\n\n", " ")
    return EmailMessage(subject, body.strip() + "\n", settings.DEFAULT_FROM_EMAIL, [to])


# The mails queued in the transaction under way, by (address, topic): the one to replace when the same
# person is told about the same thing again before the commit.
_local = threading.local()


def _topics():
    """The registry of the transaction under way, or None outside one. The transaction is the outermost
    atomic block that is not a test case's (tests run inside one that never commits)."""
    connection = transaction.get_connection()
    block = next((b for b in connection.atomic_blocks if not b._from_testcase), None)
    if block is None:
        return None
    current = getattr(_local, "topics", None)
    if current is None or current[0] is not block:
        current = _local.topics = (block, {})
    return current[1]


def _replace_earlier(topics, keys):
    """Take back the mails, and their in-portal messages, queued earlier in this transaction under `keys`
    ((address, topic) each): a later notification about the same thing to the same person replaces them."""
    from post_office.models import Email

    earlier = [topics.pop(key) for key in dict.fromkeys(keys) if key in topics]
    mails = [mail for mail, _messages in earlier if mail is not None]
    messages = [pk for _mail, pks in earlier for pk in pks]
    if mails:
        Email.objects.filter(pk__in=mails).delete()
    if messages:
        Message.objects.filter(pk__in=messages).delete()


def _outbox(mails):
    """Write `mails` (Django EmailMessages) through the mail backend — the outbox (navportal.mail.OutboxBackend), in
    one statement — and return each one's outbox row (None under another backend)."""
    if mails:
        get_connection().send_messages(mails)
    return [getattr(mail, "outbox_email", None) for mail in mails]


def queue_mail(message, *, topic=""):
    """Write `message` (a Django EmailMessage) to the outbox in the transaction under way, replacing a mail
    about the same `topic` to the same address queued earlier in it."""
    topics = _topics() if topic else None
    key = (tuple(message.to), topic)
    if topics is not None:
        _replace_earlier(topics, [key])
    [row] = _outbox([message])
    if topics is not None:
        topics[key] = (row.pk if row is not None else None, [])
    return row


def _reference(about):
    """The reference number (受理编号) of an application's latest submission, or an objection's."""
    if about is None:
        return ""
    if hasattr(about, "versions"):
        return about.versions.order_by("-number").values_list("reference", flat=True).first() or ""
    return getattr(about, "reference", "") or ""


def _read(text, user):
    """A (lazy) text as `user` reads it: in their language."""
    with translation.override(language_of(user)):
        return str(text)


@dataclass(frozen=True)
class Tell:
    """A notification that goes with a change: the in-portal message and the mail's outbox row are written
    with it. subject, body and todo (what to do, by when) are lazy texts, written in each recipient's
    language."""

    recipients: object
    subject: str
    body: str
    link: str = ""
    todo: str = ""
    reference: str | None = None  # the reference number to quote, when just given (else read from `about`)


def notify(recipients, *, subject, body, link="", about=None, todo="", reference=None):
    """Tell `recipients` (users; inactive ones and duplicates skipped) that something happened.

    subject, body, todo: texts, lazy (lazy_text / gettext_lazy) to be written in each recipient's language.
    about: the application (or objection) concerned — its name and reference number go in the mail, and it
    is the topic a later notification in the same transaction replaces. todo: what the recipient should do,
    and by when. reference: the reference number to quote, when the caller has just given it (else read).
    """
    notify_all([Tell(recipients, subject, body, link, todo, reference)], about=about)


def notify_all(tells, *, about=None):
    """Every notification of one change about `about` (notify's, for each Tell): the in-portal messages written in
    one statement and the mails in one, whatever the number of recipients. A later Tell to the same person
    replaces an earlier one, as a later notify in the same transaction does."""
    topic = f"{about._meta.label_lower}:{about.pk}" if about is not None else ""
    read = []  # the reference number read from `about`, once, when a Tell does not bring it

    def reference_of(tell):
        if tell.reference is not None:
            return tell.reference
        if not read:
            read.append(_reference(about))
        return read[0]

    told = [(user, tell, reference_of(tell)) for tell in tells
            for user in dict.fromkeys(tell.recipients) if user is not None and user.is_active]
    topics = _topics() if topic else None
    if topics is not None:
        last = {((user.email,), topic): index for index, (user, _tell, _ref) in enumerate(told) if user.email}
        told = [row for index, row in enumerate(told) if not row[0].email or last[((row[0].email,), topic)] == index]
        _replace_earlier(topics, last)
    if not told:
        return
    messages = Message.objects.bulk_create(
        Message(recipient=user, subject=_read(tell.subject, user)[:200], body=_read(tell.body, user), link=tell.link)
        for user, tell, _reference_number in told)
    mailed = [(user, message) for (user, _tell, _ref), message in zip(told, messages) if user.email]
    rows = _outbox([compose_mail("notification", to=user.email, language=language_of(user), recipient=user,
                                 subject=tell.subject, body=tell.body, todo=tell.todo, url=absolute_url(tell.link),
                                 name=getattr(about, "name", ""), reference=reference_number)
                    for user, tell, reference_number in told if user.email])
    if topics is not None:
        for (user, message), row in zip(mailed, rows):
            topics[((user.email,), topic)] = (row.pk if row is not None else None,
                                             [message.pk] if message.pk is not None else [])


def mail_person(address, *, language, subject, body, link="", about=None, recipient_name="", name=""):
    """A mail to someone without an account (an objector), in `language`: about `about` (its reference
    number), concerning the application called `name`."""
    language = language if language in MAIL_LANGUAGES else settings.LANGUAGE_CODE
    mail = compose_mail("notification", to=address, language=language, recipient=None,
                        recipient_name=recipient_name, subject=subject, body=body, todo="", url=absolute_url(link),
                        name=name, reference=_reference(about))
    topic = f"{about._meta.label_lower}:{about.pk}" if about is not None else ""
    return queue_mail(mail, topic=topic)


def messages_mark_read(*, recipient, message_ids):
    """Mark `recipient`'s messages among `message_ids` read (the messages page's button), and no one else's:
    ids of another person's messages are passed over. Reading the page changes nothing (issue 18: a GET never
    writes), so what is new stays marked new until its reader says so. Returns how many were marked."""
    return Message.objects.filter(recipient=recipient, pk__in=message_ids, read_at__isnull=True).update(
        read_at=timezone.now())
