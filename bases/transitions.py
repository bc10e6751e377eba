"""The one writer of a base's changes, as applications.transitions is of an application's.

Every service that changes a base locks its row, then calls `base_transition`, which checks the table
(bases.workflow: status, role), the actor's scope and the copy the actor's page was opened at, and hands the write
to navportal.transitions.transition_write: the change, `lock_version`, the audit line, the notifications — and,
before the audit line, the version of the public list the base is on (review.Notice.version, the key its cached
page is kept under). No other code writes `status` or `lock_version`.
"""

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from navportal.errors import PortalError
from navportal.transitions import transition_write

from .selectors import in_scope
from .workflow import TRANSITIONS, allowed


def check_base_transition(action, base, actor):
    """Raise PortalError unless `actor` may take `action` on `base` now; return the transition."""
    transition = TRANSITIONS[action]
    if actor is None or not actor.is_authenticated or actor.role not in transition.roles:
        raise PortalError(_("Your role cannot do this."), code="forbidden")
    if not in_scope(actor, base):
        raise PortalError(_("This base does not exist."), code="not_found")
    if not allowed(action, base.status, actor.role):
        raise PortalError(_("This cannot be done while the base is “%(status)s”.")
                          % {"status": base.get_status_display()}, code="state")
    return transition


def base_transition(*, actor, base, action, changes=None, note="", tell=(), audit_states=None,
                    expected_version=None):
    """Carry out `action` on `base`, which the caller has row-locked in the current transaction. Errors
    (PortalError): forbidden, not_found, state, stale."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("base_transition runs inside the transaction that locked the base")
    transition = check_base_transition(action, base, actor)
    if expected_version is not None and expected_version != base.lock_version:
        raise PortalError(_("This base was changed by someone else after you opened this page. Nothing was saved: "
                            "reload the page and do it again."), code="stale")

    def public_list_moved():
        from review.models import Notice, NoticeEntry

        Notice.objects.filter(pk=NoticeEntry.objects.filter(pk=base.entry_id).values("notice_id")[:1]).update(
            version=F("version") + 1)

    return transition_write(actor=actor, obj=base, transition=transition,
                            target=transition.target if transition.moves else None, changes=changes, note=note,
                            tell=tell, audit_states=audit_states, state_field="status",
                            before_audit=public_list_moved if transition.moves else None)
