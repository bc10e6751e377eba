"""Writes on the applicant's side: one function per action, each one transaction.

Every function locks the application row, re-reads it, checks role, scope, state and deadline, writes,
records the audit line in the same transaction and leaves notifications to be sent on commit. Errors a
user can act on are raised as PortalError with a translated message.
"""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from navportal.audit import audit_record
from navportal.errors import PortalError
from navportal.files import file_writing_transaction
from navportal.models import Role, User
from navportal.notify import notify

from .enums import State
from .models import Application, ApplicationVersion, Attachment, Organisation, ServiceRecord, StaffMember
from .sections import SECTION_BY_KEY
from .selectors import ApplicationContent, applications_for_user, reviewers_for_state
from .validators import clean_registration, clean_rows, clean_section_values
from .workflow import EDITABLE_STATES, TRANSITIONS, allowed, route_for, submit_target


def locked_application(actor, application_id):
    """The application, row-locked, if the actor may see it; otherwise the same 404 as a missing one."""
    try:
        return applications_for_user(actor).select_for_update().get(pk=application_id)
    except Application.DoesNotExist:
        raise PortalError(_("This application does not exist."), code="not_found") from None


def check_transition(action, application, actor):
    """Raise PortalError unless `actor` may take `action` on `application` in its current state."""
    transition = TRANSITIONS[action]
    if actor.role not in transition.roles:
        raise PortalError(_("Your role cannot do this."), code="forbidden")
    if not allowed(action, application.state, actor.role):
        label = (application.applicant_state_label if actor.role == Role.APPLICANT
                 else application.get_state_display())
        raise PortalError(_("This cannot be done while the application is “%(state)s”.") % {"state": label},
                          code="state")
    return transition


def applicant_deadline(application):
    """The moment after which the applicant can no longer submit: the province's own deadline if it set
    one (not for the ministry route), otherwise the call's."""
    call = application.call
    if application.affiliation != "ministry":
        own = call.province_deadlines.filter(province_id=application.province_id).first()
        if own is not None:
            return min(own.deadline, call.deadline)
    return call.deadline


def _check_open(application, now):
    if now < application.call.opens_at:
        raise PortalError(_("This call is not open yet."), code="deadline")
    deadline = applicant_deadline(application)
    if now >= deadline:
        raise PortalError(
            _("The deadline (%(deadline)s) has passed; nothing more can be submitted to this call.")
            % {"deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")}, code="deadline")


def organisation_register(*, name, credit_code, applicant_type, affiliation, ministry, province, city,
                          contact_name, email, password):
    """Register an organisation together with its contact person's applicant account.

    The database decides between two registrations of one credit code or e-mail at the same moment:
    the second is refused with a message, never a server error. What the registration form refuses is
    refused here too, with nothing created (PortalError, code "invalid": validators.clean_registration).
    """
    # The registration form's rules, checked here too: no caller stores what the form refuses.
    name, credit_code, ministry, contact_name, email = clean_registration(
        name=name, credit_code=credit_code, applicant_type=applicant_type, affiliation=affiliation,
        ministry=ministry, province=province, city=city, contact_name=contact_name, email=email, password=password)
    try:
        with transaction.atomic():
            org = Organisation.objects.create(
                name=name, credit_code=credit_code, applicant_type=applicant_type, affiliation=affiliation,
                ministry=ministry, province=province, city=city)
            user = User.objects.create_user(username=email, email=email, password=password,
                                            display_name=contact_name, role=Role.APPLICANT, organisation=org)
            audit_record(actor=user, action="organisation_register", obj=org)
    except IntegrityError:
        raise PortalError(_("An organisation with this credit code, or an account with this e-mail, was registered "
                            "a moment ago."), code="duplicate") from None
    return user


def application_start(*, actor, call):
    """Open the organisation's application to `call`, pre-filled from its registration.

    Errors: the actor is no applicant; the call is closed; the organisation already has one (the
    database constraint decides when two requests race).
    """
    if actor.role != Role.APPLICANT:
        raise PortalError(_("Only an applicant's contact person can start an application."), code="forbidden")
    now = timezone.now()
    if not call.is_open(now):
        raise PortalError(_("This call is not open for applications."), code="deadline")
    org = actor.organisation
    existing = Application.objects.filter(call=call, organisation=org).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            application = Application.objects.create(
                call=call, organisation=org, name=org.name, applicant_type=org.applicant_type,
                affiliation=org.affiliation, ministry=org.ministry, province=org.province, city=org.city,
                contact_name=actor.display_name, contact_email=actor.email)
            audit_record(actor=actor, action="application_start", obj=application, to_state=State.DRAFT)
    except IntegrityError:
        # Another tab or a double click created it a moment ago: that one is the application.
        return Application.objects.get(call=call, organisation=org)
    return application


def application_pledge(*, actor, application_id):
    """Accept the truthfulness pledge (承诺书) that opens the form. Repeating it changes nothing."""
    with transaction.atomic():
        application = locked_application(actor, application_id)
        if actor.role != Role.APPLICANT:
            raise PortalError(_("Only the applicant can make this pledge."), code="forbidden")
        if application.pledged_at is None:
            application.pledged_at = timezone.now()
            application.save(update_fields=["pledged_at", "updated_at"])
            audit_record(actor=actor, action="application_pledge", obj=application)
        return application


def _check_editable(application, actor, lock_version):
    if actor.role != Role.APPLICANT:
        raise PortalError(_("Only the applicant can change the application."), code="forbidden")
    if application.state not in EDITABLE_STATES:
        raise PortalError(
            _("The application is “%(state)s” and can no longer be changed.")
            % {"state": application.applicant_state_label}, code="state")
    if application.pledged_at is None:
        raise PortalError(_("Accept the truthfulness pledge first."), code="pledge")
    if lock_version is not None and lock_version != application.lock_version:
        raise PortalError(
            _("This application was saved elsewhere (another tab or another person) after you opened this "
              "page. Your changes were not saved, so as not to overwrite the newer copy: copy what you "
              "typed, reload the page, and enter it again."), code="stale")


def _bump(application, fields=()):
    application.lock_version = F("lock_version") + 1
    application.save(update_fields=[*fields, "lock_version", "updated_at"])
    application.refresh_from_db(fields=["lock_version", "updated_at"])


def application_save_section(*, actor, application_id, section_key, values, rows=None, lock_version):
    """Save one section of a draft, with no required-field checks: those run at submission.

    values: field → cleaned value of the section's fields; rows: for a section with a table, the
    complete list of row dicts (it replaces the table). lock_version: the version the page was opened
    at; if the application changed since, nothing is written. Values and rows are cleaned as the forms
    clean them, rows left all blank dropped; what the forms refuse is refused here with nothing written
    (PortalError, code "invalid": validators.clean_section_values and clean_rows).
    """
    section = SECTION_BY_KEY[section_key]
    with transaction.atomic():
        application = locked_application(actor, application_id)
        _check_editable(application, actor, lock_version)
        # The section form's rules, checked here too: no caller stores what the form refuses.
        values = clean_section_values(section, values, application)
        rows = None if rows is None else clean_rows(section.rows, rows)
        for name in section.fields:
            if name in values:
                setattr(application, name, values[name])
        if section_key not in application.sections_saved:
            application.sections_saved = [*application.sections_saved, section_key]
        # A section the reviewer flagged when returning the application is taken as revised once saved.
        application.flagged_sections = [key for key in application.flagged_sections if key != section_key]
        if rows is not None:
            model = {"staff": StaffMember, "services": ServiceRecord}[section.rows]
            model.objects.filter(application=application).delete()
            model.objects.bulk_create(model(application=application, **row) for row in rows)
        _bump(application, [*section.fields, "sections_saved", "flagged_sections"])
        return application


def application_attach(*, actor, application_id, kind, upload, content_type, lock_version=None):
    """Store an uploaded document (already checked by content and size), replacing one of the same kind.

    Kept even when other fields of the same page fail validation, so nothing uploaded is lost. If the
    transaction fails, the file just written is removed; the replaced one goes only after the commit.
    """
    with file_writing_transaction() as track:
        application = locked_application(actor, application_id)
        _check_editable(application, actor, lock_version)
        fingerprint = ApplicationContent(application).fingerprint
        old = Attachment.objects.filter(application=application, kind=kind).first()
        if old is not None:
            old_file = old.file
            old.delete()
            transaction.on_commit(lambda: old_file.storage.delete(old_file.name))
        attachment = Attachment(
            application=application, kind=kind, original_name=upload.name[:200],
            content_type=content_type, size=upload.size, uploaded_by=actor,
            content_fingerprint=fingerprint)
        attachment.file.save(upload.name, upload, save=False)
        track(attachment.file)
        attachment.save()
        _bump(application)
        audit_record(actor=actor, action="application_attach", obj=application, note=f"{kind}: {upload.name}")
        return attachment


def application_submit(*, actor, application_id):
    """Submit (or resubmit) the application and route it (SPEC §4).

    Returns the list of eligibility problems: empty when the application was submitted. With problems
    nothing changes except that the task list marks the failing sections. Raises PortalError for the
    wrong role or state (a second click on an already submitted application) and after the deadline.
    Effects: state → first review desk (or back to the desk that returned it), route fixed, the content
    frozen as a new version, audit line, the applicant and the next reviewers notified.
    """
    with transaction.atomic():
        application = locked_application(actor, application_id)
        check_transition("submit", application, actor)
        now = timezone.now()
        _check_open(application, now)
        content = ApplicationContent(application)
        problems = content.problems()
        if problems:
            application.submit_failed_at = now
            application.save(update_fields=["submit_failed_at", "updated_at"])
            return problems
        from_state = application.state
        route = route_for(application.applicant_type, application.affiliation)
        target = submit_target(route, application.returned_from)
        application.state = target
        application.route = route
        application.submitted_at = now
        application.submit_failed_at = None
        application.returned_from = ""
        application.flagged_sections = []
        number = application.versions.count() + 1
        ApplicationVersion.objects.create(
            application=application, number=number, submitted_at=now, submitted_by=actor,
            data=content.snapshot)
        _bump(application, ["state", "route", "submitted_at", "submit_failed_at", "returned_from",
                            "flagged_sections"])
        audit_record(actor=actor, action="application_submit", obj=application, from_state=from_state,
                     to_state=target, note=f"version {number}")
        link = f"/applications/{application.pk}/"
        notify(application.organisation.members.all(),
               subject=_("Application submitted: %(name)s") % {"name": application.name},
               body=_("Your application to “%(call)s” was submitted and is now: %(state)s.")
               % {"call": application.call, "state": application.applicant_state_label}, link=link)
        notify(reviewers_for_state(application, target),
               subject=_("New application to review: %(name)s") % {"name": application.name},
               body=_("%(name)s submitted an application to “%(call)s”; it is on your desk.")
               % {"name": application.name, "call": application.call}, link=f"/review/applications/{application.pk}/")
        return []


def application_withdraw(*, actor, application_id, reason=""):
    """Take the application back before it is recommended (SPEC §8)."""
    with transaction.atomic():
        application = locked_application(actor, application_id)
        transition = check_transition("withdraw", application, actor)
        from_state = application.state
        application.state = transition.target
        _bump(application, ["state"])
        audit_record(actor=actor, action="application_withdraw", obj=application, from_state=from_state,
                     to_state=transition.target, note=reason)
        notify(reviewers_for_state(application, from_state),
               subject=_("Application withdrawn: %(name)s") % {"name": application.name},
               body=_("%(name)s withdrew its application; it has left your desk.") % {"name": application.name})
        return application


def application_reopen(*, actor, application_id):
    """Turn a withdrawn application back into a draft, while the applicant's deadline has not passed."""
    with transaction.atomic():
        application = locked_application(actor, application_id)
        transition = check_transition("reopen", application, actor)
        _check_open(application, timezone.now())
        application.state = transition.target
        application.route = ""
        application.returned_from = ""
        _bump(application, ["state", "route", "returned_from"])
        audit_record(actor=actor, action="application_reopen", obj=application, from_state=State.WITHDRAWN,
                     to_state=transition.target)
        return application
