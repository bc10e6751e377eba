"""Notifications: an in-portal message written with the change, and its e-mail sent after commit.

The message rows live in the same transaction as the decision, so a rolled-back decision leaves no
message; the e-mail goes out only once the decision is committed, so nobody is told of a change that
did not happen.
"""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from .models import Message


def notify(recipients, *, subject, body, link=""):
    recipients = [user for user in dict.fromkeys(recipients) if user is not None and user.is_active]
    if not recipients:
        return
    Message.objects.bulk_create(
        Message(recipient=user, subject=subject, body=body, link=link) for user in recipients)
    mails = [(str(subject), f"{body}\n\n{link}".strip(), settings.DEFAULT_FROM_EMAIL, [user.email])
             for user in recipients if user.email]
    if mails:
        transaction.on_commit(lambda: send_mass_mail(mails, fail_silently=True))
