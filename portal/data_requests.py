"""Access and correction (个人信息保护法 Art. 44–46): what the portal holds about an organisation's people, as a
machine-readable export for its contact persons; their requests to correct a submitted application, which go to the
bureau holding it; an objector's request about their objection, which goes to CNIPA. Each step audited.

The rules page (templates/portal/privacy) says how to ask and that the answer comes within fifteen working days.
"""

from django.db import transaction
from django.db.models import IntegerField, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.enums import State

from applications.sections import PERSONAL_FIELDS
from applications.selectors import application_snapshot, applications_for_user
from applications.units import MINISTRY, Unit
from navportal.audit import audit_record
from navportal.compiled import CompiledQuery
from navportal.errors import PortalError
from navportal.models import PLACE_FIELD, Role, User
from navportal.notify import lazy_text, mail_person, notify
from navportal.rules import is_applicant
from review.models import Objection
from review.services import required_text

from .models import DataRequest, DataRequestKind

# The stages at which an application is on CNIPA's desk, or past it: CNIPA holds it then.
NATIONAL_STATES = frozenset({State.NATIONAL_REVIEW, State.RECHECK_FAILED, State.ON_NOTICE, State.DESIGNATED,
                             State.NOT_DESIGNATED})


def holder(application):
    """(role, id) of the bureau holding a submitted application: the city while it is at the city's desk, CNIPA
    from its re-check on, else its recommending unit (applications.units.Unit: its province or its ministry)."""
    if application.state == State.CITY_REVIEW:
        return Role.CITY, application.city_id
    if application.state in NATIONAL_STATES:
        return Role.NATIONAL, None
    unit = Unit.of_application(application)
    return (Role.MINISTRY if unit.kind == MINISTRY else Role.PROVINCE), unit.pk


def _holder_q(role, holder_id):
    place = PLACE_FIELD.get(role)
    return Q(role=role, is_active=True, **({place: holder_id} if place else {}))


def requests_for_user(user):
    """The requests a bureau answers: those its role and unit hold."""
    if user.role == Role.NATIONAL:
        return DataRequest.objects.filter(holder_role=Role.NATIONAL)
    if user.place_id is None:
        return DataRequest.objects.none()
    return DataRequest.objects.filter(holder_role=user.role, holder_id=user.place_id)


# The requests a bureau holds that wait for its answer, counted on the review queue of everyone who answers them:
# one query per role, compiled once (navportal.compiled), with the bureau's place its one value (CNIPA's has none;
# the place as an expression: a negative placeholder compared with a positive field is no query to Django).
OPEN_REQUESTS = {
    role: CompiledQuery(lambda place, role=role: DataRequest.objects.filter(
        holder_role=role, answered_at__isnull=True,
        **({"holder_id": Value(place, output_field=IntegerField())} if role in PLACE_FIELD else {})).only("pk"),
        f"open_data_requests_{role}")
    for role in (Role.NATIONAL, *PLACE_FIELD)
}


def open_requests_count(user):
    """How many of the requests the user's bureau holds wait for their answer: one query (none for an official
    without a place, who holds none). The same requests as requests_for_user's unanswered ones
    (tests/test_data_requests.py holds the two together)."""
    if user.role == Role.NATIONAL:
        return OPEN_REQUESTS[Role.NATIONAL].count()
    if user.place_id is None:
        return 0
    return OPEN_REQUESTS[user.role].count(user.place_id)


# --- The applicant's side ------------------------------------------------------------------------------------------

def _people(data):
    """The people of a form's content (applications.selectors.application_snapshot, or a version's frozen copy)."""
    return {name: data.get(name, "") for name in sorted(PERSONAL_FIELDS)}, data.get("staff", [])


def personal_data_export(*, actor):
    """Everything the portal holds about the people of the actor's organisation, as plain data: its accounts, each
    application's people (the form as it stands and each submitted version) and the requests made. Audited."""
    if not is_applicant(actor) or actor.organisation_id is None:
        raise PortalError(_("Only an applicant's contact person can export its people's data."), code="forbidden")
    organisation = actor.organisation
    applications = applications_for_user(actor).select_related("call", "organisation").prefetch_related(
        "staff", "versions")
    data = {
        "organisation": {"name": organisation.name, "credit_code": organisation.credit_code},
        "exported_at": timezone.now().isoformat(),
        "accounts": [{"name": user.display_name, "email": user.email, "active": user.is_active,
                      "privacy_rules_acknowledged": user.privacy_version,
                      "acknowledged_at": _iso(user.privacy_acknowledged_at),
                      "last_sign_in": _iso(user.last_login)}
                     for user in User.objects.filter(organisation=organisation).order_by("pk")],
        "applications": [_application_entry(application) for application in applications.order_by("pk")],
        "requests": [{"kind": r.kind, "application": r.application_id, "text": r.text, "received": _iso(r.created_at),
                      "answer": r.answer, "answered_at": _iso(r.answered_at)}
                     for r in DataRequest.objects.filter(application__organisation=organisation)],
    }
    audit_record(actor=actor, action="personal_data_export", obj=organisation,
                 note=f"{len(data['applications'])} applications")
    return data


def _application_entry(application):
    """One application's people as the form holds them now and as each version froze them, from the same snapshot
    that the versions are made of."""
    people, staff = _people(application_snapshot(application, staff=list(application.staff.all()), services=[]))
    return {
        "id": application.pk, "call": application.call.title, "state": application.state,
        "privacy_rules_acknowledged": application.privacy_version,
        "acknowledged_at": _iso(application.privacy_acknowledged_at),
        "personal_information_removed_at": _iso(application.anonymised_at),
        "people": people, "staff": staff,
        "submitted_versions": [dict(zip(("people", "staff"), _people(version.data)), number=version.number,
                                    reference=version.reference, submitted_at=_iso(version.submitted_at))
                               for version in application.versions.all()],
    }


def correction_request(*, actor, application_id, text):
    """The contact person asks the bureau holding a submitted application to correct its people's data (a draft
    they correct themselves). The bureau's reviewers are told. Returns the request."""
    text = required_text(text, _("Say what is wrong and what it should say."))
    with transaction.atomic():
        application = applications_for_user(actor).select_for_update(of=("self",)).filter(
            pk=application_id).first() if is_applicant(actor) else None
        if application is None:
            raise PortalError(_("This application does not exist."), code="not_found")
        if application.state in (State.DRAFT, State.RETURNED):
            raise PortalError(_("This application is with you: correct it on its form."), code="state")
        role, holder_id = holder(application)
        request = DataRequest.objects.create(kind=DataRequestKind.CORRECTION, application=application,
                                             requested_by=actor, text=text, holder_role=role, holder_id=holder_id)
        audit_record(actor=actor, action="data_request", obj=request, to_state="open",
                     note=f"application {application.pk}")
        notify(User.objects.filter(_holder_q(role, holder_id)),
               subject=lazy_text(gettext_lazy("Request to correct personal information: %(name)s"),
                                 name=application.name),
               body=gettext_lazy("An applicant asks you to correct the personal information of an application you "
                                 "hold. Answer within fifteen working days."),
               link="/review/data-requests/", about=application)
        return request


# --- The objector's side -------------------------------------------------------------------------------------------

def objector_request(*, reference, email, kind, text):
    """An objector asks CNIPA to show or correct what it holds about them, naming the reference number of their
    objection and the address they sent it from. Whether such an objection exists is not said (the page answers
    the same); if it does and the address matches, the request goes to CNIPA, which answers at that address.
    Returns the request, or None."""
    if kind not in DataRequestKind.values:
        raise PortalError(_("Say whether you want to see or to correct what is held."), code="invalid")
    text = required_text(text, _("Say what is wrong and what it should say.")) if kind == DataRequestKind.CORRECTION \
        else (text or "").strip()
    with transaction.atomic():
        objection = Objection.objects.select_for_update().filter(
            reference=(reference or "").strip().upper(), anonymised_at__isnull=True).first()
        if objection is None or objection.email.lower() != (email or "").strip().lower():
            return None
        request = DataRequest.objects.create(kind=kind, objection=objection, text=text, holder_role=Role.NATIONAL)
        audit_record(actor=None, action="data_request", obj=request, to_state="open",
                     note=f"objection {objection.reference}")
        notify(User.objects.filter(_holder_q(Role.NATIONAL, None)),
               subject=lazy_text(gettext_lazy("Request about personal information: objection %(reference)s"),
                                 reference=objection.reference),
               body=gettext_lazy("An objector asks to see or correct what is held about them. Answer within fifteen "
                                 "working days."),
               link="/review/data-requests/")
        return request


# --- The bureau's answer -------------------------------------------------------------------------------------------

def data_request_answer(*, actor, request_id, answer):
    """The bureau holding a request answers it in writing (once). The requester is told: the contact persons in the
    portal and by mail; an objector by mail at the address of their objection — with, for a request to see, what
    is held about them."""
    answer = required_text(answer, _("Write the answer."))
    with transaction.atomic():
        # Only the request's row is locked: its application or objection is read beside it (a nullable join, which
        # PostgreSQL does not lock).
        request = requests_for_user(actor).select_for_update(of=("self",)).select_related(
            "application", "objection").filter(pk=request_id).first()
        if request is None:
            raise PortalError(_("This request does not exist."), code="not_found")
        if request.answered_at is not None:
            raise PortalError(_("This request was answered already."), code="state")
        request.answer, request.answered_at, request.answered_by = answer, timezone.now(), actor
        request.save(update_fields=["answer", "answered_at", "answered_by"])
        audit_record(actor=actor, action="data_request_answer", obj=request, from_state="open", to_state="answered")
        if request.application is not None:
            notify(request.application.organisation.members.all(),
                   subject=gettext_lazy("Your request about personal information was answered"),
                   body=lazy_text(gettext_lazy("The bureau answered: %(answer)s"), answer=answer),
                   link="/organisation/personal-data/", about=request.application)
        elif request.objection.anonymised_at is None:
            objection = request.objection
            body = lazy_text(gettext_lazy("CNIPA answered your request: %(answer)s"), answer=answer)
            if request.kind == DataRequestKind.ACCESS:
                body = lazy_text(gettext_lazy(
                    "CNIPA answered your request: %(answer)s\n\nWhat is held about you: name %(name)s; telephone "
                    "%(phone)s; e-mail %(email)s; objection sent on %(sent)s, reference number %(reference)s."),
                    answer=answer, name=objection.name, phone=objection.phone, email=objection.email,
                    sent=timezone.localtime(objection.submitted_at).strftime("%Y-%m-%d"),
                    reference=objection.reference)
            mail_person(objection.email, language=objection.language,
                        subject=gettext_lazy("Your request about personal information was answered"), body=body,
                        about=objection)
        return request


def _iso(moment):
    return moment.isoformat() if moment else None

