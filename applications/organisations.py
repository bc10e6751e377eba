"""Who an organisation is (SPEC §10): its registration is provisional until the bureau that first receives its
applications verifies it from two documents — the sealed letter of authorisation naming the contact person and
the legal-person certificate or business licence — or until a government identity platform vouches for its credit
code. A second registration of a registered credit code never takes the account over: it becomes a request to the
same bureau to transfer it, decided with a reason.

The bureau is the route's first desk (applications.workflow: route_for, FIRST_STATE, responsible_role): the city
for a city-routed institution, the province for parks and province-affiliated institutions, the ministry for its
units. Every change here is one service, one transaction: lock, re-read, check role, scope and status, write, audit,
tell (the in-portal message and the mail are written inside the transaction: the outbox makes the mail durable).
"""

from contextlib import contextmanager
from functools import reduce
from operator import or_

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from navportal.audit import audit_record
from navportal.cleaning import clean_model_values
from navportal.errors import PortalError
from navportal.files import file_writing_transaction
from navportal.identifiers import opaque_username
from navportal.models import PLACE_FIELD, Message, Role, User
from navportal.rules import is_applicant

from .enums import Affiliation, ApplicantType, DocumentKind, Route, TransferStatus, Verification, VerifiedVia
from .models import Organisation, OrganisationDocument, OrganisationTransfer
from .selectors import reviewers_for_state
from .workflow import FIRST_STATE, responsible_role, route_for


# --- The first desk -------------------------------------------------------------------------------

def first_route(organisation):
    return route_for(organisation.applicant_type, organisation.affiliation)


def first_desk_role(organisation):
    """The role of the bureau that first receives the organisation's applications: it verifies the registration."""
    route = first_route(organisation)
    return responsible_role(FIRST_STATE[route], route)


def verifiers(organisation):
    """The officials of that bureau (told when documents or a transfer request arrive)."""
    return reviewers_for_state(organisation, FIRST_STATE[first_route(organisation)])


def desk_name(organisation):
    """The bureau, as the applicant reads it: 江苏省 (provincial reviewer)."""
    role = first_desk_role(organisation)
    place = {Role.CITY: organisation.city, Role.PROVINCE: organisation.province,
             Role.MINISTRY: organisation.ministry}[role]
    return f"{place} · {Role(role).label}"


def _route_q(route):
    """The organisations whose (type, affiliation) route_for sends to `route`: derived from route_for itself."""
    pairs = [(kind, affiliation) for kind in ApplicantType.values for affiliation in Affiliation.values
             if route_for(kind, affiliation) == route]
    return reduce(or_, (Q(applicant_type=kind, affiliation=affiliation) for kind, affiliation in pairs))


def organisations_for_user(user):
    """The organisations a user may see the registration of: the applicant its own, a bureau those whose
    applications it first receives, CNIPA every one. Outside it the answer is 404."""
    qs = Organisation.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.role == Role.APPLICANT:
        return qs.filter(pk=user.organisation_id)
    if user.role == Role.CITY:
        return qs.filter(_route_q(Route.CITY), city_id=user.city_id)
    if user.role == Role.PROVINCE:
        return qs.filter(_route_q(Route.PROVINCE), province_id=user.province_id)
    if user.role == Role.MINISTRY:
        return qs.filter(_route_q(Route.MINISTRY), ministry_id=user.ministry_id)
    if user.role == Role.NATIONAL:
        return qs
    return qs.none()


def is_first_desk(user, organisation):
    """Whether `user` works at the bureau that verifies `organisation` (no query: the same rule as the scope)."""
    if not user.is_authenticated or user.role != first_desk_role(organisation):
        return False
    return user.place_id == getattr(organisation, PLACE_FIELD[user.role])


def documents_for_user(user):
    """The registration documents a user may download: those of the organisations in their scope; an applicant
    only its organisation's current ones (a transfer request's are the bureau's to read)."""
    qs = OrganisationDocument.objects.filter(organisation__in=organisations_for_user(user))
    if user.is_authenticated and user.role == Role.APPLICANT:
        return qs.filter(transfer__isnull=True)
    return qs


def missing_documents(organisation, documents=None):
    """The kinds of document the organisation has not uploaded (current ones)."""
    have = {d.kind for d in (organisation.documents.filter(transfer__isnull=True) if documents is None
                             else documents)}
    return [kind for kind in DocumentKind if kind not in have]


def submission_blocker(organisation):
    """Why the organisation cannot submit yet, naming what is missing and who verifies; "" once verified."""
    if organisation.is_verified:
        return ""
    desk = desk_name(organisation)
    if organisation.verification == Verification.PENDING:
        return _("Your organisation's registration is not verified yet: %(desk)s is checking its documents. You "
                 "can go on filling in the application and submit it once the registration is verified.") % {
            "desk": desk}
    missing = "、".join(str(kind.label) for kind in missing_documents(organisation)) or _("the documents again")
    if organisation.verification == Verification.REFUSED:
        return _("%(desk)s refused to verify your organisation's registration: %(reason)s. Upload %(missing)s on "
                 "your organisation's page; the application can be submitted once the registration is verified.") % {
            "desk": desk, "reason": organisation.verification_note, "missing": missing}
    return _("Your organisation's registration is provisional: upload %(missing)s on your organisation's page, "
             "then %(desk)s verifies it. You can fill in the application meanwhile; it can be submitted once the "
             "registration is verified.") % {"desk": desk, "missing": missing}


# --- Telling people -------------------------------------------------------------------------------

def _tell(users, *, subject, body, link="", mail_only=False):
    """An in-portal message and an e-mail to each user, written inside the caller's transaction (the durable
    outbox sends the mail only if the change commits). `mail_only`: a disabled account, or one whose sessions
    have ended, reads no portal messages — it is told by mail alone."""
    users = [user for user in dict.fromkeys(users) if user is not None]
    if not mail_only:
        Message.objects.bulk_create(Message(recipient=user, subject=subject, body=body, link=link)
                                    for user in users if user.is_active)
    for user in users:
        if user.email:
            send_mail(str(subject), f"{body}\n\n{link}".strip(), settings.DEFAULT_FROM_EMAIL, [user.email],
                      fail_silently=True)


def _contacts(organisation):
    return list(organisation.members.filter(is_active=True))


# --- Services ---------------------------------------------------------------------------------------

def _locked_in_scope(actor, organisation_id):
    try:
        return organisations_for_user(actor).select_for_update().get(pk=organisation_id)
    except Organisation.DoesNotExist:
        raise PortalError(_("This organisation does not exist."), code="not_found") from None


def _store(organisation, *, kind, upload, content_type, actor, track, transfer=None):
    document = OrganisationDocument(organisation=organisation, transfer=transfer, kind=kind,
                                    original_name=upload.name[:200], content_type=content_type, size=upload.size,
                                    uploaded_by=actor)
    document.file.save(upload.name, upload, save=False)
    track(document.file)
    document.save()
    return document


def organisation_documents_upload(*, actor, documents):
    """The applicant uploads the registration documents (each already checked by content and size: forms use
    applications.uploads.check_upload). `documents`: {DocumentKind: (upload, content_type)}; each replaces the
    current one of its kind. Once both kinds are there the registration waits at its bureau (pending), which is
    told; a refused one goes back to the bureau the same way.

    Errors: not an applicant; the organisation is verified already (nothing to upload); no document.
    """
    if not is_applicant(actor):
        raise PortalError(_("Only the organisation's contact person uploads its documents."), code="forbidden")
    if not documents or any(kind not in DocumentKind.values for kind in documents):
        raise PortalError(_("Choose the documents to upload."), code="invalid")
    with file_writing_transaction() as track:
        organisation = _locked_in_scope(actor, actor.organisation_id)
        if organisation.is_verified:
            raise PortalError(_("Your organisation's registration is verified already."), code="state")
        replaced = []
        for kind, (upload, content_type) in documents.items():
            old = OrganisationDocument.objects.filter(organisation=organisation, transfer__isnull=True,
                                                      kind=kind).first()
            if old is not None:
                replaced.append(old.file)
                old.delete()
            _store(organisation, kind=kind, upload=upload, content_type=content_type, actor=actor, track=track)
        for old_file in replaced:
            transaction.on_commit(lambda f=old_file: f.storage.delete(f.name))
        before = organisation.verification
        complete = not missing_documents(organisation)
        after = Verification.PENDING if complete else Verification.AWAITING
        Organisation.objects.filter(pk=organisation.pk).update(verification=after, verification_note="")
        audit_record(actor=actor, action="organisation_documents_upload", obj=organisation, from_state=before,
                     to_state=after, note=", ".join(f"{kind}: {upload.name}" for kind, (upload, _t) in documents.items()))
        if complete:
            _tell(verifiers(organisation),
                  subject=_("Registration to verify: %(name)s") % {"name": organisation.name},
                  body=_("%(name)s (credit code %(code)s) uploaded its letter of authorisation and licence; please "
                         "verify its registration.") % {"name": organisation.name, "code": organisation.credit_code},
                  link=f"/review/organisations/{organisation.pk}/")
        organisation.refresh_from_db()
        return organisation


def organisation_verify(*, actor, organisation_id, note=""):
    """The first desk verifies the registration from its documents: from then on the organisation may submit.

    Repeating it changes nothing. Errors: outside the actor's scope (not_found); not the first desk (CNIPA sees
    but does not verify); not awaiting verification (no documents yet, or refused: the applicant uploads again).
    """
    with transaction.atomic():
        organisation = _locked_in_scope(actor, organisation_id)
        if organisation.is_verified:
            return organisation
        _check_desk(actor, organisation)
        if organisation.verification != Verification.PENDING:
            raise PortalError(_("This registration is not awaiting verification: its documents are not complete."),
                              code="state")
        now = timezone.now()
        Organisation.objects.filter(pk=organisation.pk).update(
            verification=Verification.VERIFIED, verified_at=now, verified_via=VerifiedVia.BUREAU, verification_note="")
        audit_record(actor=actor, action="organisation_verify", obj=organisation, from_state=Verification.PENDING,
                     to_state=Verification.VERIFIED, note=note)
        _tell(_contacts(organisation), subject=_("Registration verified: %(name)s") % {"name": organisation.name},
              body=_("%(desk)s verified your organisation's registration. Your applications can now be submitted.")
              % {"desk": desk_name(organisation)}, link="/organisation/")
        organisation.refresh_from_db()
        return organisation


def organisation_refuse(*, actor, organisation_id, reason):
    """The first desk refuses to verify, with a reason the applicant sees; the applicant may upload again.

    Errors: as organisation_verify; an empty reason.
    """
    # Cleaned as the form cleans it (the text rule: no control characters), so no caller stores what it refuses.
    reason = clean_model_values(Organisation, {"verification_note": reason})["verification_note"]
    if not reason:
        raise PortalError(_("Give the reason for the refusal: the applicant reads it."), code="invalid")
    with transaction.atomic():
        organisation = _locked_in_scope(actor, organisation_id)
        _check_desk(actor, organisation)
        if organisation.verification != Verification.PENDING:
            raise PortalError(_("This registration is not awaiting verification."), code="state")
        Organisation.objects.filter(pk=organisation.pk).update(verification=Verification.REFUSED,
                                                               verification_note=reason)
        audit_record(actor=actor, action="organisation_refuse", obj=organisation, from_state=Verification.PENDING,
                     to_state=Verification.REFUSED, note=reason)
        _tell(_contacts(organisation), subject=_("Registration not verified: %(name)s") % {"name": organisation.name},
              body=_("%(desk)s did not verify your organisation's registration: %(reason)s. Upload the documents "
                     "again on your organisation's page.") % {"desk": desk_name(organisation), "reason": reason},
              link="/organisation/")
        organisation.refresh_from_db()
        return organisation


def _check_desk(actor, organisation):
    if not is_first_desk(actor, organisation):
        raise PortalError(_("Only %(desk)s verifies this organisation's registration.")
                          % {"desk": desk_name(organisation)}, code="forbidden")


def organisation_transfer_request(*, credit_code, contact_name, email, password_hash, documents):
    """A registration of a credit code that is registered already (the link mailed to its sender:
    services.registration_transfer): the new contact's account is made, disabled, and a request to transfer the
    organisation's account to it goes to the organisation's bureau with the new contact's two documents. The
    current contacts are told by mail (they may know of a mistake) — the one mail they get about the attempt — and
    so is the new one. Values are those of the registration form (cleaned by it), the password as its hash;
    documents as for organisation_documents_upload, both kinds required.

    Errors: no such organisation; a request for it is already waiting (the database's one pending request per
    organisation decides a race); the e-mail has an account.
    """
    _check_transfer_documents(documents)
    with transfer_request_transaction() as track:
        return transfer_request_write(track, credit_code=credit_code, contact_name=contact_name, email=email,
                                      password_hash=password_hash, documents=documents)


def _check_transfer_documents(documents):
    if sorted(documents or {}) != sorted(DocumentKind.values):
        raise PortalError(_("Attach both documents: the sealed letter of authorisation naming you as the contact "
                            "person, and the legal-person certificate or business licence."), code="invalid")


@contextmanager
def transfer_request_transaction():
    """The transaction of a transfer request (files written: file_writing_transaction); a race lost to the database
    becomes a message."""
    try:
        with file_writing_transaction() as track:
            yield track
    except IntegrityError:
        raise PortalError(_("A request to transfer this organisation's account, or an account with this e-mail, was "
                            "made a moment ago."), code="duplicate") from None


def transfer_request_write(track, *, credit_code, contact_name, email, password_hash, documents, privacy=("", None)):
    """organisation_transfer_request's writes, inside the caller's transfer_request_transaction. privacy: (version,
    time) of the personal information rules the registration form acknowledged, kept with the account."""
    _check_transfer_documents(documents)
    organisation = Organisation.objects.select_for_update().filter(credit_code=credit_code).first()
    if organisation is None:
        raise PortalError(_("No organisation is registered with this credit code."), code="not_found")
    if OrganisationTransfer.objects.filter(organisation=organisation, status=TransferStatus.PENDING).exists():
        raise PortalError(_("A request to transfer this organisation's account is already waiting for the "
                            "bureau's decision."), code="duplicate")
    requester = User.objects.create_user(username=opaque_username(), email=email, password=None,
                                         display_name=contact_name, role=Role.APPLICANT, organisation=organisation,
                                         is_active=False)
    User.objects.filter(pk=requester.pk).update(password=password_hash, privacy_version=privacy[0],
                                                privacy_acknowledged_at=privacy[1])
    transfer = OrganisationTransfer.objects.create(organisation=organisation, requester=requester)
    for kind, (upload, content_type) in documents.items():
        _store(organisation, kind=kind, upload=upload, content_type=content_type, actor=requester,
               track=track, transfer=transfer)
    audit_record(actor=None, username=requester.username, action="organisation_transfer_request", obj=organisation,
                 to_state=TransferStatus.PENDING, note=f"transfer {transfer.pk}, {contact_name}")
    desk = desk_name(organisation)
    _tell(_contacts(organisation), mail_only=True,
          subject=_("Request to transfer your organisation's account: %(name)s") % {"name": organisation.name},
          body=_("%(person)s registered %(name)s again and asks %(desk)s to transfer the organisation's "
                 "account to them. If this is a mistake, tell the bureau; you will be told its decision.")
          % {"person": contact_name, "name": organisation.name, "desk": desk})
    _tell([requester], mail_only=True,
          subject=_("Your request to transfer an account: %(name)s") % {"name": organisation.name},
          body=_("%(name)s is registered already. Your request to transfer its account to you, with your "
                 "documents, is with %(desk)s; you will be told its decision by mail.")
          % {"name": organisation.name, "desk": desk})
    _tell(verifiers(organisation),
          subject=_("Request to transfer an account: %(name)s") % {"name": organisation.name},
          body=_("%(person)s asks to take over the account of %(name)s (credit code %(code)s); their "
                 "documents are attached.") % {"person": contact_name, "name": organisation.name,
                                               "code": organisation.credit_code},
          link=f"/review/organisations/{organisation.pk}/")
    return transfer


def organisation_transfer_decide(*, actor, organisation_id, approve, reason):
    """The first desk decides the organisation's waiting transfer request, with a reason.

    Approved: the new contact's account is enabled, the former contacts' accounts are disabled (their sessions
    end), the request's documents become the organisation's and the registration is verified by them. Refused: the
    new account stays disabled. Both contacts are told by mail; audited either way.
    Errors: outside the scope; not the first desk; no request waiting; an empty reason.
    """
    reason = clean_model_values(OrganisationTransfer, {"reason": reason})["reason"]
    if not reason:
        raise PortalError(_("Give the reason for the decision: both contact persons read it."), code="invalid")
    with transaction.atomic():
        organisation = _locked_in_scope(actor, organisation_id)
        _check_desk(actor, organisation)
        transfer = (OrganisationTransfer.objects.select_for_update().select_related("requester")
                    .filter(organisation=organisation, status=TransferStatus.PENDING).first())
        if transfer is None:
            raise PortalError(_("No request to transfer this account is waiting."), code="state")
        now = timezone.now()
        former = _contacts(organisation)
        status = TransferStatus.APPROVED if approve else TransferStatus.REFUSED
        OrganisationTransfer.objects.filter(pk=transfer.pk).update(status=status, decided_at=now, decided_by=actor,
                                                                   reason=reason)
        if approve:
            replaced = list(OrganisationDocument.objects.filter(organisation=organisation, transfer__isnull=True))
            for old in replaced:
                transaction.on_commit(lambda f=old.file: f.storage.delete(f.name))
            OrganisationDocument.objects.filter(pk__in=[d.pk for d in replaced]).delete()
            transfer.documents.update(transfer=None)
            for user in former:
                # Disabled for good: the sessions' epoch moves, as when an administrator disables an account.
                User.objects.filter(pk=user.pk).update(is_active=False, sessions_epoch=user.sessions_epoch + 1)
            User.objects.filter(pk=transfer.requester_id).update(is_active=True)
            Organisation.objects.filter(pk=organisation.pk).update(
                verification=Verification.VERIFIED, verified_at=now, verified_via=VerifiedVia.BUREAU,
                verification_note="")
        audit_record(actor=actor, action=f"organisation_transfer_{'approve' if approve else 'refuse'}",
                     obj=organisation, from_state=TransferStatus.PENDING, to_state=status,
                     note=f"transfer {transfer.pk} to {transfer.requester.username}: {reason}")
        outcome = _("approved") if approve else _("refused")
        subject = _("Transfer of the account of %(name)s: %(outcome)s") % {"name": organisation.name,
                                                                             "outcome": outcome}
        body = _("%(desk)s %(outcome)s the request to transfer the account of %(name)s to %(person)s: %(reason)s") % {
            "desk": desk_name(organisation), "outcome": outcome, "name": organisation.name,
            "person": transfer.requester.display_name, "reason": reason}
        _tell([*former, transfer.requester], subject=subject, body=body, mail_only=True)
        organisation.refresh_from_db()
        return organisation


def organisation_verify_by_platform(*, actor, organisation_id, issuer):
    """The government identity platform vouched for the organisation's credit code at a sign-in of one of its
    contacts: the registration is verified at once (audited as the platform's word). Repeating it changes nothing."""
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation_id)
        if organisation.is_verified:
            return organisation
        before = organisation.verification
        Organisation.objects.filter(pk=organisation.pk).update(
            verification=Verification.VERIFIED, verified_at=timezone.now(), verified_via=VerifiedVia.PLATFORM,
            verification_note="")
        audit_record(actor=actor, action="organisation_verify_platform", obj=organisation, from_state=before,
                     to_state=Verification.VERIFIED, note=issuer)
        organisation.refresh_from_db()
        return organisation
