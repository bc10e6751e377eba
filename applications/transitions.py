"""The one writer of an application's changes (in the spirit of pretalx's `set_submission_state` and Zulip's
`do_change_user_role`).

Every service that changes an application — its state, a claim check, an applicant's edit — locks the row,
then calls `application_transition`, which checks the transition table (applications.workflow: source state,
role, desk, target), the actor's scope and the deadline, and hands the write to navportal.transitions (shared
with the bases' own table, bases.transitions): it writes the change, bumps `lock_version` (the version every
cached rendering of the application is keyed on), appends the audit line in the same transaction and writes the
notifications (the mails into the outbox) in the same transaction. No other code writes `state` or
`lock_version`.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from navportal.errors import PortalError
from navportal.models import Role
from navportal.notify import Tell
from navportal.transitions import transition_write

from .deadline_checks import UNREAD
from .selectors import in_scope
from .workflow import APPLICANT_DEADLINE, PACKAGE_DEADLINE, TRANSITIONS, allowed

__all__ = ["Tell", "application_transition", "check_deadline", "check_transition"]


def check_transition(action, application, actor, *, target=None):
    """Raise PortalError unless `actor` may take `action` on `application` now; return (transition, target)."""
    transition = TRANSITIONS[action]
    if actor is None or not actor.is_authenticated or actor.role not in transition.roles:
        raise PortalError(_("Your role cannot do this."), code="forbidden")
    if not in_scope(actor, application):
        raise PortalError(_("This application does not exist."), code="not_found")
    if not allowed(action, application.state, actor.role, application.route):
        raise PortalError(_("This cannot be done while the application is “%(state)s”.")
                          % {"state": application.applicant_state_label if actor.role == Role.APPLICANT
                             else application.get_state_display()}, code="state")
    if transition.moves:
        target = target or transition.target
        if target not in transition.targets:
            raise ValueError(f"{action}: {target!r} is not a target of the transition")
    elif target is not None:
        raise ValueError(f"{action} keeps the state")
    return transition, target


def check_deadline(transition, application, *, package=None, now, province_deadline=UNREAD):
    """The deadline of the transition's kind (the applicant's, or the bureau's package). province_deadline: the
    province's own deadline, when the caller read it in this transaction (deadline_checks.check_applicant_window)."""
    from .deadline_checks import check_applicant_window, check_package_open

    if transition.deadline == APPLICANT_DEADLINE:
        check_applicant_window(application, now, province_deadline=province_deadline)
    elif transition.deadline == PACKAGE_DEADLINE and application.state in transition.package_states:
        if package is None:
            raise ValueError(f"{transition.action} from {application.state} needs the (locked) package")
        check_package_open(package, now)


def application_transition(*, actor, application, action, target=None, changes=None, note="", package=None,
                           audit_states=None, tell=(), expected_version=None, now=None, province_deadline=UNREAD):
    """Carry out `action` on `application`, which the caller has row-locked in the current transaction.

    target: where the application goes, for a transition with several targets (submit, unrecommend).
    changes: other fields to write with it ({field: value}). package: the recommending bureau's package, row-
    locked, for transitions that need it open. audit_states: (from, to) for the audit line of an in-place
    change (a claim's old and new status). tell: notifications. expected_version: the lock_version the actor's
    page was opened at; a change made from an older copy is refused. province_deadline: the province's own
    deadline as the caller read it in this transaction (check_deadline), so that it is not read twice. Returns
    the application.

    Errors (PortalError): forbidden (role), not_found (scope), state, stale, deadline or locked.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("application_transition runs inside the transaction that locked the application")
    now = now or timezone.now()
    transition, target = check_transition(action, application, actor, target=target)
    check_deadline(transition, application, package=package, now=now, province_deadline=province_deadline)
    if expected_version is not None and expected_version != application.lock_version:
        raise PortalError(
            _("This application was saved elsewhere (another tab or another person) after you opened this "
              "page. Your changes were not saved, so as not to overwrite the newer copy: copy what you "
              "typed, reload the page, and enter it again."), code="stale")
    before_audit = None
    if transition.progress:
        # Before the audit line: every writer takes the call's row, then the audit chain's head, in that order.
        from review.models import bump_progress

        def before_audit():
            bump_progress(application.call_id)
    return transition_write(actor=actor, obj=application, transition=transition, target=target, changes=changes,
                            note=note, tell=tell, audit_states=audit_states, before_audit=before_audit)
