"""How an account is named and found (SPEC §11): the e-mail address is encrypted at rest, so an account is found by
it only through its blind index, and no user name is an e-mail address.

- Contacts' accounts get an opaque user name (`opaque_username`): a random name rather than one derived from the
  organisation or the person, so that it tells nothing and need not change when they do. People sign in with
  their e-mail address as before; officials and administrators with their user names (prov-32), or their address.
- `users_by_email(address)` is the one way to look accounts up by address (an exact match, whatever the case).
- `account_for(identifier)` is what a sign-in form's "user name or e-mail address" names: with "@" an address,
  otherwise a user name exactly as Django's ModelBackend reads it (user names never hold "@": new ones are refused,
  navportal 0014 renamed the old ones).
- What is stored about a sign-in that failed — django-axes' lockout rows (`axes_username`) and the audit trail's
  line (`audit_name`) — names the account when the identifier resolves, and never holds a typed address in plain.
"""

import secrets

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .fields import blind_index, blind_index_values
from .privacy import masked_email

CONTACT_PREFIX = "contact-"
NO_AT_SIGN = _("A user name cannot contain “@”: the sign-in form takes what has one for an e-mail address.")


def opaque_username(prefix=CONTACT_PREFIX):
    """A new random user name: 64 bits, so that two never meet (the database's unique constraint is the last word)."""
    return prefix + secrets.token_hex(8)


def is_email(identifier):
    return "@" in (identifier or "")


def users_by_email(address, queryset=None):
    """The accounts (at most one: User's user_email_unique) whose e-mail address is `address`, whatever its case."""
    queryset = get_user_model()._default_manager.all() if queryset is None else queryset
    if not (address or "").strip():
        return queryset.none()
    return queryset.filter(email_index__in=blind_index_values(address))


def account_for(identifier):
    """The account a sign-in identifier names, active or not, or None: an e-mail address through its blind index,
    anything else as a user name (Django's natural key: an exact match)."""
    if not isinstance(identifier, str) or not identifier.strip():
        return None
    User = get_user_model()
    if is_email(identifier):
        return users_by_email(identifier).first()
    try:
        return User._default_manager.get_by_natural_key(identifier)
    except User.DoesNotExist:
        return None


def _resolved(request, identifier):
    """account_for, once per request and identifier: django-axes asks several times during one sign-in."""
    memo = getattr(request, "_navportal_accounts", None) if request is not None else None
    if memo is None:
        memo = {}
        if request is not None:
            request._navportal_accounts = memo
    if identifier not in memo:
        memo[identifier] = account_for(identifier)
    return memo[identifier]


def axes_username(request, credentials):
    """django-axes' AXES_USERNAME_CALLABLE: what axes stores and locks on for a sign-in — the account's user name
    when the identifier names one (so the e-mail address and the user name count together against one account),
    else the blind index of an address typed (counted, never stored in plain), else the text as typed."""
    if credentials:
        identifier = credentials.get("username")
    else:
        identifier = getattr(request, "data", getattr(request, "POST", {})).get("username")
    if not isinstance(identifier, str) or not identifier:
        return identifier
    account = _resolved(request, identifier)
    if account is not None:
        return account.get_username()
    return blind_index(identifier) if is_email(identifier) else identifier


def audit_name(request, identifier):
    """What the audit trail records of a failed sign-in's identifier: the account's user name when it names one,
    a masked address when it is an unknown address, else the text as typed."""
    if not isinstance(identifier, str):
        return ""
    account = _resolved(request, identifier)
    if account is not None:
        return account.get_username()
    return masked_email(identifier) if is_email(identifier) else identifier
