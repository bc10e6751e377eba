"""The mail worker in tests: what the recipients would have received."""


def deliver_mail():
    """Run the mail worker's round until nothing is due, and return what it delivered so far (Django's
    locmem outbox): what the recipients would have received."""
    from django.core import mail

    from navportal.mail import outbox_send

    while any(outbox_send()):
        pass
    return mail.outbox


class DeliveredMail:
    """pytest-django's `mailoutbox`, as the recipients see it: each look first lets the worker deliver what
    the outbox holds (tests written before the outbox keep asserting on what was sent)."""

    def _sent(self):
        return deliver_mail()

    def __iter__(self):
        return iter(list(self._sent()))

    def __len__(self):
        return len(self._sent())

    def __getitem__(self, index):
        return self._sent()[index]

    def __eq__(self, other):
        return list(self._sent()) == list(other)

    def __bool__(self):
        return bool(self._sent())

    def clear(self):
        """Deliver what the set-up queued and forget it: the test looks at the mails of what it does next."""
        drain_mail()


def drain_mail():
    """Deliver what the outbox holds and forget it: a fixture's own mails, so that a test sees the mails of
    what it does itself."""
    deliver_mail().clear()


def mail_beyond_administrators():
    """What was delivered to anyone but the administrators (who are told of each account request and decision):
    what an account request sends its subject, the official."""
    from navportal.models import ADMIN_ROLES, User

    administrators = {user.email for user in User.objects.filter(role__in=ADMIN_ROLES)}  # encrypted: read, decrypted
    return [message for message in deliver_mail() if not set(message.to) <= administrators]
