"""What the audit trail's codes mean, in words: its pages and its export show labels, never the stored codes
(`otp_verify`, `applications.application#5`, `province_review`, `success`).

The core labels its own events; the apps register theirs when they are ready (the core knows no app:
portal/audit_labels.py registers the applications' and the review's). A code nobody labelled is shown as it is
stored — tests/test_audit_labels.py keeps that from happening to any event the code writes.
"""

import re

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from .models import AccountRequestKind, AccountRequestState, AuditResult, Role

_ACTIONS = {
    "login": _("Sign-in"),
    "logout": _("Sign-out"),
    "lockout": _("Account locked after failed sign-ins"),
    "lockout_reset": _("Lockout lifted"),
    "otp_setup": _("Authenticator enrolled (second factor)"),
    "otp_verify": _("Second factor checked"),
    "otp_reset": _("Authenticator reset"),
    "password_change": _("Password changed"),
    "password_reset": _("Password reset"),
    "account_create": _("Account created"),
    "account_update": _("Account changed"),
    "role_change": _("Role or scope changed"),
    "account_enable": _("Account enabled"),
    "account_disable": _("Account disabled"),
    "account_request": _("Account change requested (awaits approval)"),
    "account_approve": _("Account request approved"),
    "account_refuse": _("Account request refused"),
    "account_withdraw": _("Account request withdrawn"),
    "email_change": _("E-mail address changed"),
    "access_denied": _("Access refused (outside the user's scope)"),
    "audit_export": _("Audit trail exported"),
    "mail_resend": _("Mail sent again"),
    "audit_rechain": _("Audit trail re-chained under a new key"),
    "key_rotation": _("Keys rotated"),
    "audit_forget_addresses": _("Addresses removed from the audit trail at the end of their retention period"),
}
_STATES = {
    "enrolled": _("enrolled"),
    "none": _("none"),
    "locked": _("locked"),
    "unlocked": _("unlocked"),
    "failed": _("failed"),
    "queued": _("queued"),
}
_TERMS = {}      # codes the writers put in notes ("sealed_scan: scan.pdf", "某某 · person")
_NOTES = {}      # action → a function that puts its notes in words
_STATES_OF = {"navportal.accountrequest": dict(AccountRequestState.choices)}  # object type → {state: label}: the
#                 same word means different things on different objects

# The terms of the account requests' notes (administration.request_note: "wang · request: 5 · email: a → b").
_ACCOUNT_TERMS = {
    "request": _("request"),
    "kind": _("kind"),
    "name": _("name"),
    "email": _("e-mail"),
    "requested_by": _("requested by"),
    "account": _("role and scope"),
    "reason": _("reason"),
}
_OBJECT_REFERENCE = re.compile(r"\b([a-z_]+)\.([a-z_]+)#(\w+)")


def register(*, actions=None, states=None, terms=None, notes=None):
    """An app's labels of its audit actions and, per object type, of the states its events record (from → to):
    states={"review.package": {"open": _("Being prepared"), …}}."""
    _ACTIONS.update(actions or {})
    _TERMS.update(terms or {})
    _NOTES.update(notes or {})
    for object_type, labels in (states or {}).items():
        _STATES_OF.setdefault(object_type, {}).update(labels)


def action_label(code):
    return _ACTIONS.get(code, code)


def result_label(code):
    return dict(AuditResult.choices).get(code, code)


def role_label(code):
    return dict(Role.choices).get(code, code)


def state_label(value, object_type=""):
    """A recorded state as words: a known state or status of the object's type; a role and scope ("province:12",
    as the account changes record them) as the role's name and the scope's number; anything else (dates, a
    period) as it is."""
    if not value:
        return ""
    labels = _STATES_OF.get(object_type, {})
    if value in labels:
        return labels[value]
    if value in _STATES:
        return _STATES[value]
    role, sep, scope = value.partition(":")
    if role in Role.values:
        return f"{role_label(role)} ({scope})" if sep else role_label(role)
    return value


def object_label(object_type, object_id):
    """"applications.application", "5" → "application 5", in the user's language (the model's own name)."""
    if not object_type:
        return ""
    app_label, _sep, model_name = object_type.partition(".")
    try:
        name = apps.get_model(app_label, model_name)._meta.verbose_name
    except (LookupError, ValueError):
        name = object_type
    return f"{name} {object_id}".strip()


_LEADING_TERM = re.compile(r"^([a-z]+(?:_[a-z]+)*): ")
_TRAILING_TERM = re.compile(r" · ([a-z]+(?:_[a-z]+)*)$")


def note_text(note, action=""):
    """A note as written, with the writers' codes in it put in words: an object reference
    ("applications.application#5"), a leading or trailing term ("sealed_scan: scan.pdf"), and the notes an app
    formats itself (a submission's "version 2; route city → province")."""
    note = note or ""
    if action in _NOTES:
        return str(_NOTES[action](note))
    note = _OBJECT_REFERENCE.sub(lambda m: object_label(f"{m.group(1)}.{m.group(2)}", m.group(3)), note)
    note = _LEADING_TERM.sub(lambda m: f"{_TERMS[m.group(1)]}: " if m.group(1) in _TERMS else m.group(0), note)
    return _TRAILING_TERM.sub(lambda m: f" · {_TERMS[m.group(1)]}" if m.group(1) in _TERMS else m.group(0), note)


def account_note(note):
    """An account request's note in words: each " · term: value" part with its term labelled, a request's kind
    and a role and scope ("city:12") as words; the values themselves (user names, addresses, reasons) as
    written."""
    parts = []
    for part in (note or "").split(" · "):
        term, sep, value = part.partition(": ")
        if sep and term in _ACCOUNT_TERMS:
            if term == "kind":
                value = dict(AccountRequestKind.choices).get(value, value)
            elif term == "account":
                value = state_label(value)
            part = f"{_ACCOUNT_TERMS[term]}: {value}"
        parts.append(str(part))
    return " · ".join(parts)


_NOTES.update(dict.fromkeys(("account_create", "account_update", "role_change", "email_change", "account_request",
                             "account_approve", "account_refuse", "account_withdraw"), account_note))


def is_labelled(code):
    return code in _ACTIONS


def action_choices():
    return list(_ACTIONS.items())


# The objects the trail records events of (the models of these apps), for the filter.
_OBJECT_APPS = ("navportal", "applications", "review", "otp_totp")


def object_choices():
    return [(model._meta.label_lower, model._meta.verbose_name) for model in apps.get_models()
            if model._meta.app_label in _OBJECT_APPS]
