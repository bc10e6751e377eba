"""What happens to a base after designation: its making, and dynamic management (四(二)) — a rectification opened,
answered and closed, a title revoked by document. Each is one transaction that locks the base and goes through the
one writer (bases.transitions.base_transition); each tells the base's accounts."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.enums import Route
from navportal.audit import audit_record
from navportal.errors import PortalError
from navportal.models import Role, User
from navportal.notify import Tell, lazy_text
from review.services import required_text

from .models import Base, Rectification, RectificationOutcome, RectificationReason
from .selectors import bases_for_user
from .transitions import base_transition


def bases_designate(*, actor, notice, applications):
    """The bases of a list confirmed by `notice`'s document (review.national.final_confirm, in its transaction):
    one per application designated, from its entry on the list as confirmed. Audited, one line per base."""
    entries = {entry.application_id: entry for entry in notice.entries.filter(
        application__in=[a.pk for a in applications])}
    bases = Base.objects.bulk_create(
        Base(application=application, entry=entries[application.pk], organisation_id=application.organisation_id,
             province_id=application.province_id,
             ministry_id=application.ministry_id if application.route == Route.MINISTRY else None,
             name=entries[application.pk].name, industry=entries[application.pk].industry,
             document_number=notice.final_document_number, designated_on=notice.final_document_date)
        for application in applications)
    for base in bases:
        audit_record(actor=actor, action="base_designate", obj=base, to_state=base.status,
                     note=notice.final_document_number)
    return bases


def locked_base(actor, base_id):
    """The base, row-locked, if `actor` sees it (else not_found)."""
    base = bases_for_user(actor).select_for_update(of=("self",)).filter(pk=base_id).first()
    if base is None:
        raise PortalError(_("This base does not exist."), code="not_found")
    return base


def _members(base):
    return User.objects.filter(organisation_id=base.organisation_id, role=Role.APPLICANT, is_active=True)


def _tell_base(base, subject, body):
    return Tell(_members(base), lazy_text(subject, name=base.name), body, "/base/", reference="")


def check_answer_by(deadline, now=None):
    """The date a rectification is to be answered by must come after today: for one opened by hand, for the
    unqualified at an assessment's publication and for the missed reports alike (checked before anything)."""
    if deadline is None or deadline <= timezone.localdate(now or timezone.now()):
        raise PortalError(_("The date to answer by must be after today."), code="invalid")


def rectification_open(*, actor, base_id, reason, detail, deadline, expected_version=None, now=None):
    """CNIPA opens a rectification (整改) for an active base: why, what to put right, and the date to answer by (after
    today). The base becomes "under rectification"; its accounts are told."""
    now = now or timezone.now()
    detail = required_text(detail, _("Say what the base must put right."))
    if reason not in RectificationReason.values:
        raise PortalError(_("Choose the reason."), code="invalid")
    check_answer_by(deadline, now)
    with transaction.atomic():
        base = locked_base(actor, base_id)
        rectification = Rectification(base=base, reason=reason, detail=detail, deadline=deadline, opened_at=now,
                                      opened_by=actor)
        base_transition(actor=actor, base=base, action="rectify", expected_version=expected_version,
                        note=f"{RectificationReason(reason).label}; {deadline:%Y-%m-%d}",
                        tell=[_tell_base(base, gettext_lazy("Rectification required: %(name)s"), lazy_text(
                            gettext_lazy("CNIPA requires the base to rectify: %(detail)s Answer in the portal by "
                                         "%(deadline)s."), detail=detail, deadline=f"{deadline:%Y-%m-%d}"))])
        rectification.save()
        return rectification


def rectification_answer(*, actor, base_id, answer):
    """The base answers its open rectification: what it has put right (once; CNIPA is told)."""
    answer = required_text(answer, _("Write what the base has put right."))
    with transaction.atomic():
        base = locked_base(actor, base_id)
        rectification = base.rectifications.select_for_update().filter(closed_at__isnull=True).first()
        if rectification is not None and rectification.answered_at is not None:
            raise PortalError(_("The rectification was answered already."), code="state")
        base_transition(actor=actor, base=base, action="rectification_answer", audit_states=("open", "answered"),
                        tell=[Tell(User.objects.filter(role=Role.NATIONAL, is_active=True),
                                   lazy_text(gettext_lazy("Rectification answered: %(name)s"), name=base.name),
                                   gettext_lazy("The base answered its rectification. Close it, or revoke the title."),
                                   f"/review/bases/{base.pk}/", reference="")])
        if rectification is None:  # the writer keeps "under rectification" and an open one together
            raise PortalError(_("This base has no open rectification."), code="state")
        rectification.answer, rectification.answered_at = answer, timezone.now()
        rectification.save(update_fields=["answer", "answered_at"])
        return rectification


def rectification_close(*, actor, base_id, note):
    """CNIPA closes the open rectification as put right: the base is active again; its accounts are told."""
    note = required_text(note, _("Write CNIPA's conclusion."))
    with transaction.atomic():
        base = locked_base(actor, base_id)
        rectification = base.rectifications.select_for_update().filter(closed_at__isnull=True).first()
        base_transition(actor=actor, base=base, action="restore", note=note[:200],
                        tell=[_tell_base(base, gettext_lazy("Rectification closed: %(name)s"), lazy_text(
                            gettext_lazy("CNIPA closed the rectification: %(note)s"), note=note))])
        if rectification is None:
            raise PortalError(_("This base has no open rectification."), code="state")
        _end(rectification, actor, RectificationOutcome.CLOSED, note)
        return rectification


def base_revoke(*, actor, base_id, document_number, document_date, reason, expected_version=None):
    """CNIPA revokes the title by a document (撤销): its number and date (not before the designation, not in the
    future) and the reason. An open rectification ends with it. The public list shows the revocation."""
    document_number = required_text(document_number, _("Give the number of the revoking document."))
    reason = required_text(reason, _("Give the reason."))
    with transaction.atomic():
        base = locked_base(actor, base_id)
        if document_date is None or not base.designated_on <= document_date <= timezone.localdate():
            raise PortalError(_("The document's date must lie between the designation (%(date)s) and today.")
                              % {"date": f"{base.designated_on:%Y-%m-%d}"}, code="invalid")
        rectification = base.rectifications.select_for_update().filter(closed_at__isnull=True).first()
        base_transition(actor=actor, base=base, action="revoke", expected_version=expected_version,
                        changes={"revoked_document": document_number, "revoked_on": document_date,
                                 "revoked_reason": reason},
                        note=f"{document_number} {document_date:%Y-%m-%d}: {reason}"[:500],
                        tell=[_tell_base(base, gettext_lazy("Title revoked: %(name)s"), lazy_text(
                            gettext_lazy("CNIPA revoked the title of national-level patent navigation service base "
                                         "by document %(document)s of %(date)s: %(reason)s"),
                            document=document_number, date=f"{document_date:%Y-%m-%d}", reason=reason))])
        if rectification is not None:
            _end(rectification, actor, RectificationOutcome.REVOKED, reason)
        return base


def _end(rectification, actor, outcome, note):
    rectification.outcome, rectification.outcome_note = outcome, note
    rectification.closed_at, rectification.closed_by = timezone.now(), actor
    rectification.save(update_fields=["outcome", "outcome_note", "closed_at", "closed_by"])


def rectification_overdue(rectification, today=None):
    """Whether the base let its answer's date pass without answering."""
    today = today or timezone.localdate()
    return rectification.is_open and rectification.answered_at is None and rectification.deadline < today
