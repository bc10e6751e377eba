"""Writes on the applicant's side: one function per action, each one transaction.

Every function locks the application row and hands the change to the one writer,
applications.transitions.application_transition, which checks role, scope, state and deadline, writes,
records the audit line and the notifications (mails into the outbox) in the same transaction. Errors a
user can act on are raised as PortalError with a translated message.
"""

import datetime
import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from navportal import seals
from navportal.audit import audit_record
from navportal.compiled import CompiledQuery
from navportal.errors import PortalError
from navportal.files import file_writing_transaction
from navportal.identifiers import opaque_username, users_by_email
from navportal.models import City, Ministry, PlatformIdentity, Province, Role, User
from navportal.notify import lazy_text
from navportal.privacy_rules import RULES_VERSION, check_acknowledged
from navportal.references import reference_take
from navportal.rules import is_applicant
from review.selectors import province_deadline_for

from . import printing
from .claims import claim_resets, document_resets
from .deadline_checks import applicant_deadline, check_applicant_window
from .enums import APPLICANT_LABELS, Affiliation, State, Verification, VerifiedVia
from .models import (
    SUBMISSION_SERIES, Application, ApplicationVersion, Attachment, Organisation, PendingRegistration, ServiceRecord,
    StaffMember,
)
from .organisations import submission_blocker, transfer_request_transaction, transfer_request_write
from .sections import PERSONAL_FIELDS, PERSONAL_ROWS, SECTION_BY_KEY
from .selectors import ApplicationContent, applications_for_user, identity_fixed, in_scope, reviewers_for_state
from .validators import clean_registration, clean_rows, clean_section_values
from .transitions import Tell, application_transition, check_deadline, check_transition
from .workflow import route_for, submit_target

__all__ = ["applicant_deadline", "check_transition", "locked_application"]

logger = logging.getLogger(__name__)


# The locking read of every change of an application (a draft save, a submission …), one query compiled once per
# set of related objects (navportal.compiled): the row read by its id and held against the actor's scope on the
# row (applications.selectors.in_scope, kept in agreement with applications_for_user by tests).
_LOCKED = {}


def _locked_query(related):
    query = _LOCKED.get(related)
    if query is None:
        query = _LOCKED[related] = CompiledQuery(lambda pk: Application.objects.select_related(
            "call", "organisation", *related).select_for_update(of=("self",)).filter(pk=pk),
            "_".join(("locked_application", *related)))
    return query


def locked_application(actor, application_id, *, related=()):
    """The application, row-locked, if the actor may see it; otherwise the same 404 as a missing one. Its call and
    organisation, which most changes read (the deadline, the registration), come in the same query, unlocked, and
    so do the `related` objects the caller names (`FOR UPDATE OF` the application alone). Inside the change's
    transaction only, as the ORM's select_for_update (a lock outside one would end with its statement)."""
    if transaction.get_autocommit():
        raise transaction.TransactionManagementError("locked_application() is used inside a transaction")
    # A row the actor does not see is refused as a missing one (its lock ends with the refusal's rollback).
    try:
        pk = int(application_id)
    except (TypeError, ValueError):
        pk = 0
    application = _locked_query(tuple(related)).get(pk) if 0 < pk < 2**63 else None
    if application is None or not in_scope(actor, application):
        raise PortalError(_("This application does not exist."), code="not_found")
    return application


REGISTRATION_CONFIRM_HOURS = 24

# What a pending registration's mailed link leads to: a new organisation, or a request to transfer a registered one.
_NEW, _TRANSFER = "new", "transfer"


def registration_request(*, name, credit_code, applicant_type, affiliation, ministry, province, city, contact_name,
                         email, password, privacy_version, site_url=""):
    """Someone registers an organisation: checked as the form checks it, then the answer is a mail to the address
    given — and the page says the same whatever the case (SPEC §7: registration never reveals whether an account
    or a credit code exists):

    - an account with this address exists: its owner is told, with the way to sign in or reset the password;
    - the credit code is registered already: the address given is told so, with a link to ask the organisation's
      bureau to transfer its account (registration_transfer_pending → organisations.organisation_transfer_request,
      with the two documents). The organisation's contact persons are told only if such a request is made — one
      mail about one event, and a public credit code alone cannot make the portal mail them;
    - otherwise a link to finish the registration (registration_confirm).

    Both links hold a token valid REGISTRATION_CONFIRM_HOURS; the values are kept in a PendingRegistration, the
    password only as its hash, with the version of the personal information rules the form acknowledged
    (privacy_version: the current one, else PortalError "privacy"), which the account made from it keeps. Mails are
    sent inside the transaction (the mail outbox makes them durable with it). Returns nothing."""
    check_acknowledged(privacy_version)
    name, credit_code, ministry, contact_name, email = clean_registration(
        name=name, credit_code=credit_code, applicant_type=applicant_type, affiliation=affiliation,
        ministry=ministry, province=province, city=city, contact_name=contact_name, email=email, password=password)
    sign_in = site_url.rstrip("/") + reverse("login")
    reset = site_url.rstrip("/") + reverse("password_reset")
    with transaction.atomic():
        if users_by_email(email).exists():
            _mail(email, "applications/mail/registration_exists", {"sign_in": sign_in, "reset": reset})
            return
        known = Organisation.objects.filter(credit_code=credit_code).exists()
        token = secrets.token_urlsafe(32)
        PendingRegistration.objects.create(
            token_hash=_token_hash(token), email=email, password_hash=make_password(password),
            expires_at=timezone.now() + datetime.timedelta(hours=REGISTRATION_CONFIRM_HOURS),
            values={"purpose": _TRANSFER if known else _NEW,
                    "name": name, "credit_code": credit_code, "applicant_type": applicant_type,
                    "affiliation": affiliation, "ministry": ministry.pk if ministry else None,
                    "province": province.pk, "city": city.pk, "contact_name": contact_name,
                    "privacy_version": privacy_version})
        if known:
            _mail(email, "applications/mail/registration_code_taken", {
                "credit_code": credit_code, "hours": REGISTRATION_CONFIRM_HOURS,
                "link": site_url.rstrip("/") + reverse("register_transfer", args=[token])})
            return
        _mail(email, "applications/mail/registration_confirm", {
            "name": name, "hours": REGISTRATION_CONFIRM_HOURS,
            "link": site_url.rstrip("/") + reverse("register_confirm", args=[token])})


def _token_hash(token):
    return hashlib.sha256((token or "").encode()).hexdigest()


def _pending_locked(token, purpose):
    """The pending registration of a mailed link, locked (inside the caller's transaction). Errors: unknown (or made
    for the other purpose), expired (then deleted)."""
    pending = PendingRegistration.objects.select_for_update().filter(token_hash=_token_hash(token)).first()
    if pending is None or pending.values.get("purpose", _NEW) != purpose:
        raise PortalError(_("This link is not valid, or the registration was finished with it already. Sign in, "
                            "or register again."), code="not_found")
    if timezone.now() > pending.expires_at:
        pending.delete()
        raise PortalError(_("This link has expired: a registration must be confirmed within %(hours)d hours. "
                          "Register again.") % {"hours": REGISTRATION_CONFIRM_HOURS}, code="expired")
    return pending


def registration_transfer_pending(*, token):
    """The pending registration a transfer link was mailed for (read only: the page shows its form). Errors as
    registration_transfer."""
    with transaction.atomic():
        return _pending_locked(token, _TRANSFER)


def registration_transfer(*, token, documents):
    """The transfer link mailed by registration_request is followed with the two documents: the request to transfer
    the organisation's account goes to its bureau (organisations.organisation_transfer_request: the new contact's
    account made disabled, with the pending registration's name, address and password hash; the organisation's
    contacts, the requester and the bureau told). Returns the transfer. Errors: the link is unknown or expired;
    those of organisation_transfer_request (a document missing, a request already waiting, the address taken)."""
    # One transaction for the link and the request: the link is spent only if the request is made.
    with transfer_request_transaction() as track:
        pending = _pending_locked(token, _TRANSFER)
        transfer = transfer_request_write(
            track, credit_code=pending.values["credit_code"], contact_name=pending.values["contact_name"],
            email=pending.email, password_hash=pending.password_hash, documents=documents,
            privacy=(pending.values.get("privacy_version", ""), pending.created_at))
        pending.delete()
    return transfer


def registration_confirm(*, token):
    """The link mailed by registration_request is followed: the organisation and its contact person's account are
    created (organisation_register's rules: provisional until its bureau verifies the documents; the database
    decides a race for the code or the address). Returns the user. Errors: the link is unknown, expired, or the code
    or address was registered meanwhile."""
    with transaction.atomic():
        pending = _pending_locked(token, _NEW)
        values = pending.values
        user = _organisation_create(
            name=values["name"], credit_code=values["credit_code"], applicant_type=values["applicant_type"],
            affiliation=values["affiliation"], ministry=Ministry.objects.filter(pk=values["ministry"]).first(),
            province=Province.objects.get(pk=values["province"]), city=City.objects.get(pk=values["city"]),
            contact_name=values["contact_name"], email=pending.email, password_hash=pending.password_hash,
            privacy=(values.get("privacy_version", ""), pending.created_at))
        pending.delete()
    return user


def _mail(address, template, context):
    send_mail(render_to_string(f"{template}_subject.txt", context).strip(),
              render_to_string(f"{template}.txt", context), settings.DEFAULT_FROM_EMAIL, [address])


def _organisation_create(*, name, credit_code, applicant_type, affiliation, ministry, province, city, contact_name,
                         email, password_hash, privacy, platform=None):
    try:
        with transaction.atomic():
            vouched = {} if platform is None else {"verification": Verification.VERIFIED, "verified_at": timezone.now(),
                                                   "verified_via": VerifiedVia.PLATFORM}
            org = Organisation.objects.create(
                name=name, credit_code=credit_code, applicant_type=applicant_type, affiliation=affiliation,
                ministry=ministry, province=province, city=city, **vouched)
            user = User.objects.create_user(username=opaque_username(), email=email, password=None,
                                            display_name=contact_name, role=Role.APPLICANT, organisation=org)
            user.password = password_hash
            user.privacy_version, user.privacy_acknowledged_at = privacy
            user.save(update_fields=["password", "privacy_version", "privacy_acknowledged_at"])
            audit_record(actor=user, action="organisation_register", obj=org, to_state=org.verification)
            if platform is not None:
                PlatformIdentity.objects.create(user=user, issuer=platform[0], subject=platform[1])
                audit_record(actor=user, action="organisation_verify_platform", obj=org,
                             to_state=Verification.VERIFIED, note=platform[0])
    except IntegrityError:
        raise PortalError(_("An organisation with this credit code, or an account with this e-mail, was registered "
                            "a moment ago."), code="duplicate") from None
    return user


def organisation_register(*, name, credit_code, applicant_type, affiliation, ministry, province, city,
                          contact_name, email, password, privacy_version, platform=None):
    """Register an organisation together with its contact person's applicant account, at once: the path of a
    registration a government identity platform vouched for (the public form goes through registration_request
    and registration_confirm instead), and of the demo data and tests.

    The registration is provisional (SPEC §10: drafts, no submission) until its bureau verifies the documents
    (applications.organisations) — unless `platform`, the (issuer, subject) of a government identity platform's
    sign-in that vouched for this credit code, is given: then it is verified at once and the account linked to
    that identity. A credit code registered already is not this function's: it becomes a transfer request
    (organisations.organisation_transfer_request). The database decides between two registrations of one credit
    code or e-mail at the same moment: the second is refused with a message, never a server error. What the
    registration form refuses is refused here too, with nothing created (PortalError, code "invalid":
    validators.clean_registration). privacy_version: the personal information rules the form acknowledged (the
    current version, else PortalError "privacy"), kept with the account.
    """
    check_acknowledged(privacy_version)
    # The registration form's rules, checked here too: no caller stores what the form refuses.
    name, credit_code, ministry, contact_name, email = clean_registration(
        name=name, credit_code=credit_code, applicant_type=applicant_type, affiliation=affiliation,
        ministry=ministry, province=province, city=city, contact_name=contact_name, email=email, password=password)
    return _organisation_create(name=name, credit_code=credit_code, applicant_type=applicant_type,
                                affiliation=affiliation, ministry=ministry, province=province, city=city,
                                contact_name=contact_name, email=email, password_hash=make_password(password),
                                privacy=(privacy_version, timezone.now()), platform=platform)


def application_start(*, actor, call):
    """Open the organisation's application to `call`, pre-filled from its registration.

    Errors: the actor is no applicant; the call is not open for this organisation (the province's own
    deadline counts); the organisation already has one (the database constraint decides when two requests
    race).
    """
    if not is_applicant(actor):
        raise PortalError(_("Only an applicant's contact person can start an application."), code="forbidden")
    org = actor.organisation
    existing = Application.objects.filter(call=call, organisation=org).first()
    if existing is not None:
        return existing
    # The window is the one a submission will meet: the province's own deadline where it set one.
    check_applicant_window(Application(call=call, affiliation=org.affiliation, province_id=org.province_id),
                           timezone.now())
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
        if not is_applicant(actor):
            raise PortalError(_("Only the applicant can make this pledge."), code="forbidden")
        if application.pledged_at is not None:
            return application
        return application_transition(actor=actor, application=application, action="pledge",
                                      changes={"pledged_at": timezone.now()})


def _check_pledged(application):
    if application.pledged_at is None:
        raise PortalError(_("Accept the truthfulness pledge first."), code="pledge")


IDENTITY_PLACE_FIELDS = ("province", "city", "ministry")


def _identity_changes(application, values):
    """The organisation's identity (province, city, ministry) is fixed once it has submitted (SPEC §4): the
    section may restate it but not change it. The ministry follows the affiliation: the organisation's own
    for a ministry-affiliated unit, none otherwise."""
    if not any(name in values for name in IDENTITY_PLACE_FIELDS) or not identity_fixed(application.organisation):
        return values
    org = application.organisation
    affiliation = values.get("affiliation", application.affiliation)
    fixed = {"province": org.province, "city": org.city,
             "ministry": org.ministry if affiliation == Affiliation.MINISTRY else None}
    if affiliation == Affiliation.MINISTRY and org.ministry is None or any(
            name in values and _pk(values[name]) != _pk(fixed[name]) for name in IDENTITY_PLACE_FIELDS):
        raise PortalError(
            _("The province, city and ministry are your organisation's own and fixed since its first submission. "
              "To change them, write to your provincial intellectual property office (or, for a ministry, to "
              "CNIPA), which corrects the registration."), code="identity")
    return {**values, **fixed}


def _pk(value):
    return getattr(value, "pk", value)


def _privacy_changes(application, section, values, rows, privacy_version, now):
    """The acknowledgement a save of personal data needs (个人信息保护法 Art. 17): an application that has not
    acknowledged the current personal information rules stores no name, telephone, e-mail or roster row before
    the save acknowledges them (PortalError "privacy"). An acknowledgement given is recorded, with its time."""
    if privacy_version is not None:
        check_acknowledged(privacy_version)
        return {"privacy_version": privacy_version, "privacy_acknowledged_at": now}
    if application.privacy_version == RULES_VERSION:
        return {}
    if any(values.get(name) for name in PERSONAL_FIELDS) or (section.rows in PERSONAL_ROWS and rows):
        check_acknowledged(privacy_version)
    return {}


def application_save_section(*, actor, application_id, section_key, values, rows=None, lock_version,
                             privacy_version=None):
    """Save one section of a draft (or of a returned application), with no required-field checks: those run
    at submission.

    values: field → cleaned value of the section's fields; rows: for a section with a table, the
    complete list of row dicts (it replaces the table). lock_version: the version the page was opened
    at; if the application changed since, nothing is written. A change of a claim puts it back to pending at
    every level; the organisation's identity (province, city, ministry) cannot change once it has submitted.
    Values and rows are cleaned as the forms clean them, rows left all blank dropped; what the forms refuse is
    refused here with nothing written (PortalError, code "invalid": validators.clean_section_values, clean_rows).
    The page stores every value its form accepted by passing only those (forms.SectionForm.savable_values,
    formset_rows) and shows the refused ones, as typed, with their reasons; rows=None leaves the table as it is.
    privacy_version: the version of the personal information rules the page's tick box acknowledged; a save that
    stores personal data (sections.PERSONAL_FIELDS, the roster) needs it until the application holds an
    acknowledgement of the current rules (PortalError "privacy", nothing written).
    """
    section = SECTION_BY_KEY[section_key]
    with transaction.atomic():
        application = locked_application(actor, application_id)
        _check_pledged(application)
        check_transition("edit", application, actor)
        # The section form's rules, checked here too: no caller stores what the form refuses.
        values = clean_section_values(section, values, application)
        rows = None if rows is None else clean_rows(section.rows, rows)
        values = _identity_changes(application, {name: values[name] for name in section.fields if name in values})
        changes = {**values, **claim_resets(application, values),
                   **_privacy_changes(application, section, values, rows, privacy_version, timezone.now())}
        if section_key not in application.sections_saved:
            changes["sections_saved"] = [*application.sections_saved, section_key]
        # A section the reviewer flagged when returning the application is taken as revised once saved.
        changes["flagged_sections"] = [key for key in application.flagged_sections if key != section_key]
        application_transition(actor=actor, application=application, action="edit", changes=changes,
                               expected_version=lock_version)
        if "privacy_version" in changes:
            audit_record(actor=actor, action="privacy_acknowledge", obj=application,
                         note=f"{section_key}: {changes['privacy_version']}")
        if rows is not None:
            model = {"staff": StaffMember, "services": ServiceRecord}[section.rows]
            model.objects.filter(application=application).delete()
            model.objects.bulk_create(model(application=application, **row) for row in rows)
        return application


def application_attach(*, actor, application_id, kind, upload, content_type, lock_version=None):
    """Store an uploaded document (already checked by content and size), replacing one of the same kind.

    Kept even when other fields of the same page fail validation, so nothing uploaded is lost. A new claim
    document puts the claim back to pending. If the transaction fails, the file just written is removed; the
    replaced one goes only after the commit.
    """
    with file_writing_transaction() as track:
        application = locked_application(actor, application_id)
        _check_pledged(application)
        check_transition("attach", application, actor)
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
        application_transition(actor=actor, application=application, action="attach",
                               changes=document_resets(kind), expected_version=lock_version,
                               note=f"{kind}: {upload.name}")
        return attachment


def _fix_identity(application):
    """At the organisation's first submission its place becomes fixed: the organisation takes the one it
    submitted with — and the affiliation that goes with its ministry (a draft may have corrected both: an
    organisation has a ministry exactly when it is ministry-affiliated)."""
    org = application.organisation
    if identity_fixed(org):
        return
    Organisation.objects.filter(pk=org.pk).update(
        province_id=application.province_id, city_id=application.city_id, ministry_id=application.ministry_id,
        affiliation=application.affiliation)


# What a submission reads of the application's place: the eligibility rules (the city's province) and the frozen
# document (the names).
SUBMISSION_PLACE = ("province", "city", "ministry")


def application_submit(*, actor, application_id):
    """Submit (or resubmit) the application and route it (SPEC §4).

    Returns the list of eligibility problems: empty when the application was submitted. With problems
    nothing changes except that the task list marks the failing sections. Raises PortalError for the
    wrong role or state (a second click on an already submitted application) and after the deadline.
    Effects: state → the route's first desk, or back to the desk that returned it — unless type or affiliation
    were corrected so that the route changed: then the new route starts again at its first desk; route fixed,
    the content frozen as a new version, audit line, the applicant and the next reviewers notified.
    """
    with transaction.atomic():
        # The place, which the eligibility rules and the frozen document read, in the locking query.
        application = locked_application(actor, application_id, related=SUBMISSION_PLACE)
        transition, _target = check_transition("submit", application, actor, target=State.PROVINCE_REVIEW)
        now = timezone.now()
        # Checked here, before the content (a late applicant is told so, not what to complete), and again by the
        # one writer below: the province's deadline read once, inside this transaction, for both.
        province_deadline = province_deadline_for(application)
        check_deadline(transition, application, now=now, province_deadline=province_deadline)
        # A provisional registration drafts but does not submit (SPEC §10): the message names what is missing
        # and which bureau verifies.
        blocker = submission_blocker(application.organisation)
        if blocker:
            raise PortalError(blocker, code="unverified")
        content = ApplicationContent(application)
        problems = content.problems()
        if problems:
            Application.objects.filter(pk=application.pk).update(submit_failed_at=now, updated_at=now)
            return problems
        route = route_for(application.applicant_type, application.affiliation)
        target = submit_target(route, previous_route=application.route, returned_from=application.returned_from)
        note = "" if not application.route or application.route == route else \
            f"route {application.route} → {route}"
        number = application.versions.count() + 1
        reference = reference_take(SUBMISSION_SERIES, now=now)
        version = ApplicationVersion(
            application=application, number=number, submitted_at=now, submitted_by=actor,
            data=content.snapshot, reference=reference,
            # The document as submitted, frozen here (a template's rendering, milliseconds). Its PDF is laid out
            # from this page at each download (version_pdf): the layout takes a second or more of CPU, which
            # neither the submission's locks nor its response should wait for (measured: laid out after the
            # commit, in the request, 16 applicants submitting at once waited 9 s each).
            print_html=printing.print_html(application, content=content, printed_at=timezone.localtime(now)))
        # Sealed as it is frozen, in the same transaction: from the first read on, a change by SQL is seen.
        seals.seal(version).save(force_insert=True)
        _fix_identity(application)
        application_transition(
            actor=actor, application=application, action="submit", target=target, now=now,
            province_deadline=province_deadline,
            changes={"route": route, "submitted_at": now, "submit_failed_at": None, "returned_from": "",
                     "flagged_sections": []},
            note=f"version {number}, {reference}" + (f"; {note}" if note else ""),
            # Lazy texts: each recipient's mail is written in their own language (navportal.notify).
            tell=[Tell(application.organisation.members.all(),
                       lazy_text(gettext_lazy("Application submitted: %(name)s"), name=application.name),
                       lazy_text(gettext_lazy("Your application to “%(call)s” was submitted and is now: %(state)s. "
                                              "Its reference number is %(reference)s; please quote it when you "
                                              "contact the bureau."),
                                 call=application.call.title, state=APPLICANT_LABELS[target], reference=reference),
                       f"/applications/{application.pk}/", reference=reference),
                  Tell(reviewers_for_state(application, target),
                       lazy_text(gettext_lazy("New application to review: %(name)s"), name=application.name),
                       lazy_text(gettext_lazy("%(name)s submitted an application to “%(call)s” (reference number "
                                              "%(reference)s); it is on your desk."),
                                 name=application.name, call=application.call.title, reference=reference),
                       f"/review/applications/{application.pk}/", reference=reference)])
        return []


def version_pdf(version):
    """The PDF of a submitted version, laid out from the page frozen at its submission (print_html, sealed with
    it): the same document at every download, without keeping anything — a download changes nothing (issue 18).
    A version laid out and kept by an earlier release (`pdf`) is served by the view as kept.

    Raises PortalError: "seal" when the version's seal does not verify (navportal.seals.refusal); "no_document"
    for a version submitted before the page was frozen; "pdf" when the layout fails (logged; the submission
    stands and the next download tries again)."""
    check_version_seal(version)
    if not version.print_html and version.application.anonymised_at:
        raise PortalError(_("No PDF is kept for this version: the names and contacts it held were removed at the end "
                            "of their retention period."), code="no_document")
    if not version.print_html:
        # Submitted before the form was kept as a document: its content is in `data`, but no page was frozen, and
        # a page laid out today would not be the one that was printed and sealed.
        raise PortalError(_("No PDF was kept for this version: it was submitted before the portal kept them."),
                          code="no_document")
    try:
        return printing.html_to_pdf(version.print_html)
    except Exception:
        logger.exception("The PDF of application version %s could not be laid out", version.pk)
        raise PortalError(_("The PDF of this version could not be made just now; please try again later. The "
                            "submission itself is not affected."), code="pdf") from None


def check_version_seal(version):
    """PortalError (code "seal") unless the version's seal verifies on its content as read; logged."""
    verdict = version.verify()
    if not verdict.intact:
        logger.error("Application version %s (%s): seal %s (key %r)", version.pk, version.reference, verdict.status,
                     verdict.key_id)
        raise PortalError(seals.refusal(verdict, _("This version cannot be offered")), code="seal")
    return verdict


def application_withdraw(*, actor, application_id, reason=""):
    """Take the application back before it is recommended (SPEC §8)."""
    with transaction.atomic():
        application = locked_application(actor, application_id)
        desk = reviewers_for_state(application, application.state)
        return application_transition(
            actor=actor, application=application, action="withdraw", note=reason,
            tell=[Tell(desk, lazy_text(gettext_lazy("Application withdrawn: %(name)s"), name=application.name),
                       lazy_text(gettext_lazy("%(name)s withdrew its application; it has left your desk."),
                                 name=application.name))])


def application_reopen(*, actor, application_id):
    """Turn a withdrawn application back into a draft, while the applicant's deadline has not passed."""
    with transaction.atomic():
        application = locked_application(actor, application_id)
        return application_transition(actor=actor, application=application, action="reopen",
                                      changes={"route": "", "returned_from": ""})
