"""What an irreversible act will do, worked out before it is done (issue 13): publishing the proposed list,
confirming the final list, handing in a package, upholding an objection.

Each `*_plan` function returns a plan: the exact list the act will write (names, provinces, industry fields),
its facts (the notice's dates as the calendar computes them, the document, the registry titles retired, the
quota, the letter), the messages it will send and to whom, and the refusals that stand now. The preview page
shows the plan; the service computes the plan again under its row locks and then carries out exactly that plan
— the list, the dates, the messages — so there is no second copy of the rules. The plan's digest travels in the
confirmation form: when the service's plan differs from the one the user saw (the list changed meanwhile, or a
day passed and the dates moved), the service refuses with code "changed" and the page shows the new preview.
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.enums import Route, State
from applications.models import Application
from applications.selectors import applications_for_user
from applications.transitions import Tell
from applications.units import Unit
from navportal.errors import PortalError
from navportal.notify import lazy_text
from navportal.models import Role, User
from navportal.rules import is_cnipa

from . import deadlines
from .calendar import notice_period
from .models import RETIRED_WITH_FINAL_LIST, Notice, NoticeEntry, Objection, ObjectionDecision
from .registry import titles_to_retire
from .progress import units_over_quota
from .quota import counts_against_quota, has_priority, quota_usage


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


@dataclass
class Send:
    """One message the act sends: to whom (in words and by name), what; `tell` is what the service sends."""

    to: str
    recipients: list
    subject: str
    body: str
    link: str = ""

    @property
    def tell(self):
        return Tell(self.recipients, self.subject, self.body, self.link)

    @property
    def names(self):
        return [user.get_full_name() or user.username for user in self.recipients]


@dataclass
class Row:
    """One line of the list the act writes."""

    number: int
    name: str
    province: str
    industry: str
    application: object = None
    extra: dict = field(default_factory=dict)
    send: object = None  # the message this row's applicant gets (also in Plan.sends)
    chain: object = None  # the message to the desks it came up through (also in Plan.sends)

    @property
    def tells(self):
        """What the service sends for this row."""
        return [send.tell for send in (self.send, self.chain) if send is not None]


@dataclass
class Plan:
    action: str
    rows: list
    sends: list
    refusals: list
    facts: dict

    @property
    def digest(self):
        """A fingerprint of everything the preview shows: equal digests, the same act."""
        content = [self.action, [(r.number, r.name, r.province, r.industry, r.application.pk if r.application
                                  else None, sorted(map(str, r.extra.items()))) for r in self.rows],
                   [(s.to, sorted(u.pk for u in s.recipients), str(s.subject), str(s.body)) for s in self.sends],
                   [(r.code, str(r.message)) for r in self.refusals], sorted(map(str, self.facts.items()))]
        return hashlib.sha256(json.dumps(content, ensure_ascii=False, default=str).encode()).hexdigest()[:32]

    def check(self, confirmed):
        """Refuse what the plan refuses; refuse a plan other than the one the user confirmed (when one was)."""
        if self.refusals:
            raise PortalError(" ".join(str(r.message) for r in self.refusals), code=self.refusals[0].code)
        if confirmed is not None and confirmed != self.digest:
            raise PortalError(_("What this will do changed after you opened the preview (the list, its dates or "
                                "the messages): nothing was done. Check the new preview below and confirm again."),
                              code="changed")


def _active(users):
    return [user for user in users if user.is_active]


def _cnipa_staff():
    return list(User.objects.filter(role=Role.NATIONAL, is_active=True).order_by("pk"))


def _applicant_send(application, subject, body, link=None):
    """The message to an applicant's contact people (their members, prefetched by the caller)."""
    return Send(_("Contact people of %(name)s") % {"name": application.name},
                _active(application.organisation.members.all()), lazy_text(subject, name=application.name), body,
                link or f"/applications/{application.pk}/")


def chain_desks(applications):
    """{application pk: the active reviewers of the desks it came up through} — its recommending bureau and,
    for a city-routed one, the city that consented (SPEC: outcomes go back up the chain). One query."""
    wanted = Q(pk__in=[])
    for application in applications:
        wanted |= Unit.of_application(application).reviewers_q()
        if application.route == Route.CITY:
            wanted |= Q(role=Role.CITY, city_id=application.city_id)
    users = list(User.objects.filter(wanted, is_active=True).order_by("pk"))
    return {application.pk: [u for u in users if Unit.of_user(u) == Unit.of_application(application)
                             or application.route == Route.CITY and u.role == Role.CITY
                             and u.city_id == application.city_id] for application in applications}


def _chain_send(application, desks, subject, body):
    return Send(_("The bureaus %(name)s came through") % {"name": application.name}, desks,
                lazy_text(subject, name=application.name), body, f"/review/applications/{application.pk}/")


# --- Publishing the proposed list (SPEC §6.2) ------------------------------------------------------

def publish_plan(call, *, text, contact, now=None, published_on=None, lock=False):
    """The proposed list publishing would freeze now: the passing applications by province and rank, the
    notice period the official calendar gives from `published_on` (today), the applicants' messages."""
    now = now or timezone.now()
    refusals = []
    if Notice.objects.filter(call=call).exists():
        refusals.append(Refusal("state", _("The proposed list of this call has been published already.")))
    pending = Application.objects.filter(call=call, state__in=State.PENDING_RECHECK).count()
    if pending:
        refusals.append(Refusal("pending", _("%(n)d recommended applications are not re-checked yet.")
                                % {"n": pending}))
    still_open = packages_still_open(call, now)
    if still_open:
        refusals.append(Refusal("open", _(
            "Still open to its bureau, with recommendations not handed in: %(units)s. Publish once the "
            "package is handed in or its deadline has passed.") % {"units": "、".join(still_open)}))
    over = units_over_quota(call)
    if over:
        refusals.append(Refusal("quota", _("Over quota: %(units)s. Return the package or drop applications before "
                                           "publishing.") % {"units": "、".join(str(row.body) for row in over)}))
    passing = Application.objects.filter(call=call, state=State.RECHECK_PASSED).select_related(
        "province", "ministry", "recommendation").prefetch_related("organisation__members").order_by(
        "province__code", "ministry__code", "recommendation__rank", "pk")
    if lock:
        passing = passing.select_for_update(of=("self",))
    passing = list(passing)
    if not passing:
        refusals.append(Refusal("empty", _("No application has passed the re-check.")))
    published_on = published_on or timezone.localdate(now)
    starts_on, ends_on, known = notice_period(published_on, call.notice_working_days)
    rows = [Row(number, application.name, application.province.name, application.industry_fields, application,
                {"unit": str(application.ministry or application.province)},
                _applicant_send(application, gettext_lazy("On public notice: %(name)s"),
                                _("Your application is on the public notice from %(start)s to %(end)s.")
                                % {"start": starts_on, "end": ends_on}, reverse("notice_detail", args=[call.pk])))
            for number, application in enumerate(passing, start=1)]
    return Plan("notice_publish", rows, [row.send for row in rows], refusals, {
        "published_on": published_on, "starts_on": starts_on, "ends_on": ends_on, "dates_known": known,
        "working_days": call.notice_working_days, "text": text, "contact": contact})


def packages_still_open(call, now):
    """The units whose package its bureau may still change now and that holds recommendations not handed in:
    publishing then would leave them off the list for good (a package CNIPA reopened, or one before the call's
    deadline)."""
    from .models import Package, PackageStatus

    packages = Package.objects.filter(call=call, status=PackageStatus.OPEN,
                                      recommendations__application__state=State.RECOMMENDED).select_related(
        "call", "province", "ministry").distinct().order_by("pk")
    return [str(package.province or package.ministry) for package in packages
            if not deadlines.package_window(package, now).passed]


# --- Confirming the final list (SPEC §6.4–5) --------------------------------------------------------

def final_plan(notice, *, document_number, document_date, now=None, lock=False):
    """What confirming the list by the document would do now: the bases designated (the entries still on the
    list), the bases that left it, the registry titles retired, the applicants' messages."""
    now = now or timezone.now()
    refusals = []
    if notice.is_final:
        refusals.append(Refusal("state", _("The list has been confirmed already.")))
    elif not notice.dates_confirmed:
        refusals.append(Refusal("dates", _("Confirm the notice dates first (the official calendar did not know "
                                           "the year).")))
    elif not deadlines.notice_period_over(notice, now):
        refusals.append(Refusal("period", _("The notice period ends on %(end)s; confirm the list after it.")
                                % {"end": notice.ends_on}))
    pending = Objection.objects.confirmed().filter(entry__notice=notice, decision=ObjectionDecision.PENDING).count()
    if pending:
        refusals.append(Refusal("objections", _("%(n)d objections are still undecided.") % {"n": pending}))
    entries = list(NoticeEntry.objects.filter(notice=notice).order_by("number"))
    # The bases designated: on the list and still on notice — locked, and their state read under the lock.
    designated = Application.objects.filter(pk__in=[e.application_id for e in entries if e.removed_at is None],
                                            state=State.ON_NOTICE).prefetch_related("organisation__members")
    if lock:
        designated = designated.select_for_update(of=("self",))
    designated = {application.pk: application for application in designated}
    desks = chain_desks(list(designated.values()))
    rows = [Row(e.number, e.name, e.province_name, e.industry, designated[e.application_id], send=_applicant_send(
                designated[e.application_id], _("Designated a national-level patent navigation service base: "
                                                "%(name)s"),
                _("CNIPA confirmed the list by %(doc)s.") % {"doc": document_number}, reverse("bases")),
                chain=_chain_send(designated[e.application_id], desks[e.application_id], gettext_lazy("Designated: %(name)s"),
                                  _("%(name)s was designated a national-level patent navigation service base by "
                                    "%(doc)s.") % {"name": e.name, "doc": document_number}))
            for e in entries if e.application_id in designated]
    removed = [Row(e.number, e.name, e.province_name, e.industry) for e in entries
               if e.application_id not in designated]
    retiring = list(titles_to_retire(RETIRED_WITH_FINAL_LIST).order_by("kind", "name"))
    sends = [send for row in rows for send in (row.send, row.chain)]
    return Plan("final_confirm", rows, sends, refusals, {
        "document_number": document_number, "document_date": document_date, "removed": removed,
        "retiring": retiring, "retiring_ids": [entry.pk for entry in retiring]})


# --- Handing in a package (SPEC §5) ----------------------------------------------------------------

def hand_in_plan(package, actor, *, now=None, lock=False):
    """What handing the package in would do now: the ranked recommendations that go to CNIPA's re-check, the
    quota used, the letter, the messages to CNIPA and the applicants; the refusals (the package's window,
    package_problems) in plain words. `package.call` loaded."""
    from .services import _check_package_open, justification_needed, package_problems, passed_over_priority

    now = now or timezone.now()
    refusals = []
    try:
        _check_package_open(package, actor, now)
    except PortalError as exc:
        refusals.append(Refusal(exc.code, exc.message))
    recommendations = package.recommendations.select_related("application", "application__city").prefetch_related(
        "application__organisation__members").order_by("rank")
    if lock:
        recommendations = recommendations.select_for_update(of=("self",))
    recommendations = list(recommendations)
    scope = applications_for_user(actor)
    undecided = scope.filter(call=package.call, state=Unit.of_package(package).desk_state).count() \
        if not is_cnipa(actor) else 0
    passed_over = passed_over_priority(package, scope) if not is_cnipa(actor) else []
    refusals += [Refusal("incomplete", str(problem))
                 for problem in package_problems(package, recommendations, undecided, passed_over)]
    counted, exempt, over = quota_usage(recommendations, package.call, package.quota)
    rows = []
    for r in recommendations:
        application = r.application
        # After a reopening, one already with CNIPA (or dropped) stays where it is and is not told again.
        moves = application.state == State.RECOMMENDED
        rows.append(Row(r.rank, application.name, str(package.unit), application.industry_fields, application, {
            "city": str(application.city), "counts": counts_against_quota(application, package.call),
            "priority": has_priority(application), "score": r.score, "opinion": r.opinion, "moves": moves},
            _applicant_send(application, gettext_lazy("Recommended to CNIPA: %(name)s"),
                            _("Your application was recommended to CNIPA, which will now re-check it."))
            if moves else None))
    cnipa = Send(_("CNIPA staff"), _cnipa_staff(),
                 _("Recommendation package handed in: %(unit)s") % {"unit": package.unit},
                 _("%(unit)s handed in %(n)d recommendations for “%(call)s”.")
                 % {"unit": package.unit, "n": len(recommendations), "call": package.call},
                 f"/review/packages/{package.pk}/")
    return Plan("package_submit", rows, [cnipa, *(row.send for row in rows if row.send)], refusals, {
        "quota": package.quota, "counted": counted, "exempt": exempt, "over": over,
        "letter_name": package.letter_name, "letter_uploaded_at": package.letter_uploaded_at,
        "justification": package.priority_justification if justification_needed(recommendations, passed_over)
        else "", "cnipa": cnipa})


# --- Deciding an objection (SPEC §6.3) -------------------------------------------------------------

def objection_plan(objection, *, decision, note):
    """What recording the decision would do: upheld, the base leaves the list (its applicant: 未认定, told
    with the reasons); either way the objector is told. `objection.entry.notice` loaded."""
    refusals = []
    if objection.decision != ObjectionDecision.PENDING:
        refusals.append(Refusal("state", _("This objection has been decided already.")))
    elif objection.entry.notice.is_final:
        refusals.append(Refusal("state", _("The list is final.")))
    entry = objection.entry
    upheld = decision == ObjectionDecision.UPHELD
    leaves = upheld and entry.removed_at is None
    application = Application.objects.prefetch_related("organisation__members").get(pk=entry.application_id)
    told = leaves and application.state == State.ON_NOTICE
    row = Row(entry.number, entry.name, entry.province_name, entry.industry, application, {"leaves": leaves},
              _applicant_send(application, gettext_lazy("Not designated: %(name)s"), note) if told else None,
              _chain_send(application, chain_desks([application])[application.pk], gettext_lazy("Objection upheld: %(name)s"),
                          _("CNIPA upheld an objection to %(name)s, which leaves the list and is not designated. "
                            "Reasons: %(note)s") % {"name": application.name, "note": note}) if told else None)
    objector = Send(_("The objector (%(email)s)") % {"email": objection.email}, [],
                    *objector_outcome(objection, decision, note))
    remaining = entry.notice.entries.filter(removed_at__isnull=True).count() - (1 if leaves else 0)
    return Plan(f"objection_{decision}", [row], [*(s for s in (row.send, row.chain) if s), objector], refusals, {
        "remaining": remaining, "note": note, "objector": objector})


def objector_outcome(objection, decision, note):
    """The subject and body of the mail that tells the objector the decision."""
    return (lazy_text(gettext_lazy("The outcome of your objection (%(reference)s)"), reference=objection.reference),
            lazy_text(gettext_lazy("Your objection to %(name)s was %(decision)s. %(note)s"), name=objection.entry.name,
                      decision=ObjectionDecision(decision).label, note=note))
