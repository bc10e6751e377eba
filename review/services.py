"""Writes of the reviewing bureaus: decisions on applications, claim checks, and the recommendation package.

Locking policy (after pretix's): a change that touches a package's recommendations locks the package row
first, then the application row — always in that order, so two reviewers cannot deadlock — and checks
the quota only after both locks are held. Each function is one transaction that checks role, scope,
state and deadline, writes the audit line and writes the notifications (mails into the outbox) in the same transaction.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.deadline_checks import applicant_deadline, check_package_open
from applications.enums import ClaimStatus, State
from applications.models import Application
from applications.sections import SECTION_BY_KEY
from applications.selectors import applications_for_user, reviewers_for_state
from applications.services import locked_application
from applications.transitions import Tell, application_transition, check_deadline, check_transition
from applications.units import Unit
from navportal.audit import audit_record
from navportal.errors import PortalError
from navportal.files import file_replace, file_writing_transaction
from navportal.models import User
from navportal.notify import lazy_text, local_moment, notify
from navportal.rules import is_cnipa, is_recommending_bureau

from .models import Call, Notice, Package, PackageStatus, QuotaSlot, Recommendation, bump_progress
from .quota import counts_against_quota, has_priority, priority_overrides, quota_usage
from .selectors import packages_for_user


def applicant_members(application):
    return application.organisation.members.all()


def tell_applicant(application, subject, body, link=None, todo=""):
    """The notification of the applicant's contact people, linking to their application (or to `link`)."""
    return Tell(applicant_members(application), lazy_text(subject, name=application.name), body,
                link or f"/applications/{application.pk}/", todo)


def tell_desk(application, state, subject, body):
    """The notification of the officials at whose desk the application arrives: to decide on it before the
    call's deadline for the recommendations."""
    return Tell(reviewers_for_state(application, state), lazy_text(subject, name=application.name), body,
                f"/review/applications/{application.pk}/",
                lazy_text(gettext_lazy("Examine it and decide in the portal; recommendations are due by %(deadline)s."),
                          deadline=local_moment(application.call.deadline)))


def required_text(value, message):
    value = (value or "").strip()
    if not value:
        raise PortalError(message, code="required")
    return value


def act(*, actor, application_id, action, **kwargs):
    """Lock the application in the actor's scope and carry out `action` on it: the whole of a decision
    that touches nothing but the application."""
    with transaction.atomic():
        application = locked_application(actor, application_id)
        return application_transition(actor=actor, application=application, action=action,
                                      **{k: v(application) if callable(v) else v for k, v in kwargs.items()})


# --- Decisions on one application ----------------------------------------------------------------

def application_city_consent(*, actor, application_id, note=""):
    """The city bureau consents (同意): the application goes on to its province."""
    return act(actor=actor, application_id=application_id, action="city_consent", note=note, tell=lambda a: [
        tell_applicant(a, gettext_lazy("The city bureau consented: %(name)s"),
                       gettext_lazy("The city bureau consented to your application; it is now with the provincial "
                                    "bureau.")),
        tell_desk(a, State.PROVINCE_REVIEW, gettext_lazy("New application to review: %(name)s"),
                  lazy_text(gettext_lazy("The city bureau consented to %(name)s; it is on your desk."), name=a.name))])


def application_city_decline(*, actor, application_id, reason):
    """The city bureau does not consent (不同意), with a reason the applicant sees."""
    reason = required_text(reason, _("Give the reason the applicant will see."))
    return act(actor=actor, application_id=application_id, action="city_decline", note=reason,
               changes={"return_reason": reason},
               tell=lambda a: [tell_applicant(a, gettext_lazy("The city bureau did not consent: %(name)s"), reason)])


def application_return(*, actor, application_id, reason, sections=()):
    """Return for revision (退回修改) from any reviewer's desk, optionally flagging the sections to fix.

    The application keeps all its data; the applicant edits and resubmits, and it comes back to this desk.
    """
    reason = required_text(reason, _("Give the reason the applicant will see."))
    if any(key not in SECTION_BY_KEY for key in sections):
        raise PortalError(_("Unknown section."), code="invalid")
    return act(actor=actor, application_id=application_id, action="return", note=reason,
               changes=lambda a: {"returned_from": a.state, "return_reason": reason,
                                  "flagged_sections": list(dict.fromkeys(sections)), "submit_failed_at": None},
               tell=lambda a: [tell_applicant(
                   a, gettext_lazy("Returned for revision: %(name)s"), reason, todo=lazy_text(
                       gettext_lazy("Revise the application as asked and submit it again before %(deadline)s."),
                       deadline=local_moment(applicant_deadline(a))))])


def application_decline(*, actor, application_id, reason):
    """The province or ministry does not recommend (不予推荐), with a reason the applicant sees."""
    reason = required_text(reason, _("Give the reason the applicant will see."))
    return act(actor=actor, application_id=application_id, action="decline", note=reason,
               changes={"return_reason": reason},
               tell=lambda a: [tell_applicant(a, gettext_lazy("Not recommended: %(name)s"), reason)])


# --- Taking back a decision given by mistake ---------------------------------------------------------

def _unit_package_then_application(actor, application_id):
    """Lock the recommending bureau's package (for the deadline: a decision is taken back only while it is open),
    then the application — the order every package change keeps. A bureau with no package yet has an open one
    by definition: an unsaved stand-in answers the deadline check (the call's deadline)."""
    application = applications_for_user(actor).select_related("call").filter(pk=application_id).first()
    if application is None:
        raise PortalError(_("This application does not exist."), code="not_found")
    fields = Unit.of_application(application).package_fields()
    package = Package.objects.select_for_update().select_related("call").filter(
        call=application.call, **fields).first() or Package(call=application.call, status=PackageStatus.OPEN, **fields)
    return package, locked_application(actor, application_id)


def application_take_back(*, actor, application_id, reason):
    """The desk that consented or declined takes its decision back (SPEC §4: a consent or decline given by
    mistake), until the recommending bureau's package is handed in or its deadline passes:
    - the city's consent, while the application still waits at the province: back to the city's desk;
    - the city's decline: back to the city's desk;
    - the province's or ministry's decline (不予推荐): back to its desk.
    Audited with the reason; the applicant (who was told of the decision) and, for a consent, the province (at
    whose desk it was) are told. Errors (PortalError): required, forbidden, not_found, state, locked, deadline."""
    reason = required_text(reason, _("Say why the decision is taken back."))
    with transaction.atomic():
        package, application = _unit_package_then_application(actor, application_id)
        state = application.state
        action = {State.PROVINCE_REVIEW: "city_consent_withdraw", State.CITY_DECLINED: "city_decline_withdraw",
                  State.NOT_RECOMMENDED: "decline_withdraw"}.get(state, "decline_withdraw")
        target = Unit.of_application(application).desk_state if action == "decline_withdraw" else None
        tell = [tell_applicant(application, gettext_lazy("A decision on your application was taken back: %(name)s"),
                               gettext_lazy("The bureau took back its decision on your application, which is under "
                                            "review again. You will be told of the new decision."))]
        if action == "city_consent_withdraw":
            tell.append(tell_desk(application, State.PROVINCE_REVIEW,
                                  gettext_lazy("The city bureau took back its consent: %(name)s"),
                                  lazy_text(gettext_lazy("The city bureau took back its consent to %(name)s, which has "
                                                         "left your desk and is with the city again. Reason: "
                                                         "%(reason)s"), name=application.name, reason=reason)))
        return application_transition(actor=actor, application=application, action=action, target=target,
                                      package=package, note=reason, changes={"return_reason": ""}, tell=tell)


# --- The package ---------------------------------------------------------------------------------

def _unit_of(actor):
    unit = Unit.of_user(actor)
    if unit is None:
        raise PortalError(_("Only a provincial or ministry bureau recommends."), code="forbidden")
    return unit


def package_get_or_create(*, actor, call):
    """The actor's bureau's package for `call`, created with its quota slots on first use."""
    unit = _unit_of(actor)
    package = Package.objects.filter(call=call, **unit.package_fields()).first()
    if package is not None:
        return package
    try:
        with transaction.atomic():
            # The call row is locked, and the quota read from it, so that CNIPA's edit of the call (which locks
            # it too, and refuses a quota change once a package exists) cannot slip between the two.
            call = Call.objects.select_for_update().get(pk=call.pk)
            quota = call.ministry_quota if unit.is_ministry else call.quota
            package = Package.objects.create(call=call, quota=quota, **unit.package_fields())
            bump_progress(call.pk)
            if quota:
                QuotaSlot.objects.bulk_create(QuotaSlot(package=package, number=n) for n in range(1, quota + 1))
    except IntegrityError:
        # Another reviewer of the same bureau created it at the same moment: use theirs.
        package = Package.objects.get(call=call, **unit.package_fields())
    return package


def _locked_package(actor, package_id):
    try:
        return packages_for_user(actor).select_for_update().select_related("call").get(pk=package_id)
    except Package.DoesNotExist:
        raise PortalError(_("This package does not exist."), code="not_found") from None


def _check_package_open(package, actor, now=None):
    if not is_recommending_bureau(actor):
        raise PortalError(_("Only the recommending bureau changes its package."), code="forbidden")
    check_package_open(package, now or timezone.now())


def _take_slot(package, *, adding=0):
    """A free slot of the (locked) package, or None when the quota is used up.

    The count decides, not only the slots: a recommendation whose exemption CNIPA rejected counts without
    holding a slot, so a slot may be free while the quota is used up (`adding`: the recommendation about to
    count that is not in the package yet)."""
    counted, _exempt, _over = quota_usage(list(package.recommendations.select_related("application")),
                                          package.call, package.quota)
    if counted + adding > package.quota:
        return None
    return QuotaSlot.objects.filter(package=package).exclude(
        pk__in=Recommendation.objects.filter(package=package, slot__isnull=False).values("slot")).first()


def _quota_full(package):
    return PortalError(
        _("The quota of %(quota)d is used up. Take back a recommendation first, or verify an exemption claim.")
        % {"quota": package.quota}, code="quota")


def _package_and_application(actor, application_id):
    """Lock the bureau's package, then the application — the order every package change keeps."""
    application = applications_for_user(actor).select_related("call").filter(pk=application_id).first()
    if application is None:
        raise PortalError(_("This application does not exist."), code="not_found")
    package = package_get_or_create(actor=actor, call=application.call)
    return _locked_package(actor, package.pk), locked_application(actor, application_id)


def application_recommend(*, actor, application_id, opinion, score=None):
    """Recommend (推荐): put the application at the end of the bureau's ranking, taking a quota slot
    unless it is exempt. Refused when no slot is left; the database's one-recommendation-per-slot
    constraint holds even if two requests were to race past this check."""
    opinion = required_text(opinion, _("Write the recommendation opinion."))
    with transaction.atomic():
        package, application = _package_and_application(actor, application_id)
        now = timezone.now()
        transition, _target = check_transition("recommend", application, actor)
        check_deadline(transition, application, package=package, now=now)
        # The slot is taken under the package's row lock alone (the writer's audit line, which serialises every
        # writer, comes after): tests/review/test_quota_race.py's control shows the race without that lock.
        last = package.recommendations.order_by("-rank").values_list("rank", flat=True).first() or 0
        slot = None
        if package.quota is not None and counts_against_quota(application, package.call):
            slot = _take_slot(package, adding=1)
            if slot is None:
                raise _quota_full(package)
        Recommendation.objects.create(package=package, application=application, rank=last + 1, score=score,
                                      opinion=opinion, slot=slot)
        # The opinion is the decision's own word: the decision trail (review.trail) shows it with the decision.
        return application_transition(actor=actor, application=application, action="recommend", package=package,
                                      note=opinion, now=now)


def close_rank_gaps(package):
    """Renumber ranks 1..n in their current order (two passes: the unique rank holds at every step)."""
    recommendations = list(package.recommendations.order_by("rank"))
    _renumber(recommendations)


def _renumber(recommendations):
    for offset, recommendation in enumerate(recommendations, start=1):
        Recommendation.objects.filter(pk=recommendation.pk).update(rank=10000 + offset)
    for offset, recommendation in enumerate(recommendations, start=1):
        Recommendation.objects.filter(pk=recommendation.pk).update(rank=offset)


def application_unrecommend(*, actor, application_id):
    """Take a recommendation back while the package is open: the application returns to the desk and
    its quota slot is freed."""
    with transaction.atomic():
        package, application = _package_and_application(actor, application_id)
        application_transition(actor=actor, application=application, action="unrecommend", package=package,
                               target=Unit.of_application(application).desk_state)
        Recommendation.objects.filter(application=application, package=package).delete()
        close_rank_gaps(package)
        return application


def recommendation_update(*, actor, application_id, opinion, score=None):
    """Change the opinion or score of a recommendation in an open package."""
    opinion = required_text(opinion, _("Write the recommendation opinion."))
    with transaction.atomic():
        package, application = _package_and_application(actor, application_id)
        _check_package_open(package, actor)
        updated = Recommendation.objects.filter(package=package, application=application).update(
            opinion=opinion, score=score)
        if not updated:
            raise PortalError(_("This application is not in the package."), code="state")
        # Through the writer: the revised opinion is a line of the application's trail, which the detail page
        # caches under the application's lock_version.
        application_transition(actor=actor, application=application, action="revise_opinion", package=package,
                               note=opinion[:200])


def package_rank(*, actor, package_id, order):
    """Put the recommendations in the given order: `order` lists every recommendation id once."""
    with transaction.atomic():
        package = _locked_package(actor, package_id)
        _check_package_open(package, actor)
        recommendations = {r.pk: r for r in package.recommendations.all()}
        if sorted(order) != sorted(recommendations):
            raise PortalError(_("The ranking changed meanwhile; reload the page and try again."), code="stale")
        _renumber([recommendations[pk] for pk in order])
        audit_record(actor=actor, action="package_rank", obj=package,
                     note=", ".join(str(recommendations[pk].application_id) for pk in order))
        return package


def package_move(*, actor, package_id, recommendation_id, steps):
    """Move one recommendation up (negative steps) or down the ranking."""
    with transaction.atomic():
        package = _locked_package(actor, package_id)
        order = list(package.recommendations.order_by("rank").values_list("pk", flat=True))
        if recommendation_id not in order:
            raise PortalError(_("This application is not in the package."), code="not_found")
        index = order.index(recommendation_id)
        order.insert(max(0, min(len(order) - 1, index + steps)), order.pop(index))
        return package_rank(actor=actor, package_id=package.pk, order=order)


def check_registry_standing(application, kind):
    """Refuse to verify a claim whose registry title ended by the call's deadline (SPEC §5)."""
    from .registry import registry_end, registry_lookup

    entry, standing = registry_lookup(application, kind=kind, on=timezone.localdate(application.call.deadline))
    if standing in ("term_ended", "retired"):
        raise PortalError(
            _("The registry shows that this title ended on %(date)s, before the call's deadline: the claim "
              "cannot be verified and does not exempt.") % {"date": registry_end(entry).isoformat()},
            code="registry")


def claim_check(*, actor, application_id, claim, status, note=""):
    """Verify or reject an exemption ("exemption") or local-base priority ("priority") claim.

    Verifying an exemption of a recommended application frees its quota slot; rejecting it makes the
    recommendation count, which is refused when no slot is free (take another recommendation back first).
    A claim whose registry title ended by the call's deadline cannot be verified.
    """
    if claim not in ("exemption", "priority") or status not in (ClaimStatus.VERIFIED, ClaimStatus.REJECTED):
        raise PortalError(_("Unknown claim or decision."), code="invalid")
    if status == ClaimStatus.REJECTED:
        note = required_text(note, _("Say why the claim is rejected."))
    with transaction.atomic():
        package, application = _package_and_application(actor, application_id)
        claimed = application.exempt_category if claim == "exemption" else application.local_base
        if not claimed:
            raise PortalError(_("The applicant made no such claim."), code="invalid")
        if status == ClaimStatus.VERIFIED:
            check_registry_standing(application, application.exempt_category if claim == "exemption"
                                    else "local_base")
        old = getattr(application, f"{claim}_status")
        application_transition(actor=actor, application=application, action=f"claim_{claim}_check",
                               package=package, changes={f"{claim}_status": status, f"{claim}_note": note},
                               audit_states=(old, status), note=note)
        if claim == "exemption" and application.state == State.RECOMMENDED and package.quota is not None:
            recommendation = Recommendation.objects.get(application=application)
            if counts_against_quota(application, package.call) and recommendation.slot_id is None:
                slot = _take_slot(package)
                if slot is None:
                    raise _quota_full(package)
                recommendation.slot = slot
            elif not counts_against_quota(application, package.call):
                recommendation.slot = None
            recommendation.save(update_fields=["slot"])
        return application


def package_update(*, actor, package_id, justification):
    with transaction.atomic():
        package = _locked_package(actor, package_id)
        _check_package_open(package, actor)
        package.priority_justification = (justification or "").strip()
        package.save(update_fields=["priority_justification"])
        audit_record(actor=actor, action="package_update", obj=package, note=package.priority_justification[:200])
        return package


def package_attach_letter(*, actor, package_id, upload):
    """Store the sealed recommendation letter (推荐函, a PDF checked by content), replacing an earlier one."""
    with file_writing_transaction() as track:
        package = _locked_package(actor, package_id)
        _check_package_open(package, actor)
        file_replace(package.letter, upload, track)
        package.letter_name = upload.name[:200]
        package.letter_uploaded_at = timezone.now()
        package.save(update_fields=["letter", "letter_name", "letter_uploaded_at"])
        audit_record(actor=actor, action="package_letter", obj=package, note=upload.name)
        return package


def passed_over_priority(package, actor_scope):
    """Verified local bases of this bureau that it did not recommend: also a departure from the priority
    rule when anyone else is recommended."""
    # Only what the rules and the page read of them (a whole application row is wide, with encrypted fields).
    return list(actor_scope.filter(call=package.call, state=State.NOT_RECOMMENDED, local_base=True,
                                   priority_status=ClaimStatus.VERIFIED).only("name", "local_base", "priority_status"))


def justification_needed(recommendations, passed_over):
    ranked = [r.application for r in recommendations]
    return bool(priority_overrides(ranked)) or bool(passed_over and any(not has_priority(a) for a in ranked))


def package_problems(package, recommendations, undecided, passed_over=()):
    """Why the package cannot be handed in yet (empty when it can)."""
    problems = []
    if not recommendations:
        problems.append(_("Recommend at least one application."))
    counted, _exempt, over = quota_usage(recommendations, package.call, package.quota)
    if over:
        problems.append(_("%(counted)d recommendations count against the quota of %(quota)d: take back %(over)d, "
                          "or have an exemption verified.")
                        % {"counted": counted, "quota": package.quota, "over": over})
    if undecided:
        problems.append(_("%(n)d applications at your desk are still undecided: recommend, decline or return each.")
                        % {"n": undecided})
    if any(not r.opinion.strip() for r in recommendations):
        problems.append(_("Every recommendation needs an opinion."))
    if justification_needed(recommendations, passed_over) and not package.priority_justification.strip():
        problems.append(_("A non-priority applicant is ranked above (or recommended instead of) a verified local "
                          "base: write the justification."))
    if not package.letter:
        problems.append(_("Upload the sealed recommendation letter (PDF)."))
    return problems


def package_submit(*, actor, package_id, confirmed=None):
    """Hand the package in to CNIPA before the deadline; it is locked afterwards — exactly as
    review.previews.hand_in_plan works it out (the page shows that plan first; `confirmed`: its digest).

    Refused while anything in package_problems stands — over quota among them (after CNIPA rejected an
    exemption and reopened the package, it cannot go back unchanged) — and when the plan changed since the
    preview ("changed"). Effects: every recommended application moves to CNIPA's re-check; audit lines for the
    package and each application; CNIPA staff and the applicants are told.
    """
    from .previews import hand_in_plan

    with transaction.atomic():
        package = _locked_package(actor, package_id)
        _check_package_open(package, actor)
        bump_progress(package.call_id)  # the call's row before the audit chain's head, as every writer
        now = timezone.now()
        plan = hand_in_plan(package, actor, now=now, lock=True)
        plan.check(confirmed)
        for row in plan.rows:
            if row.send is None:
                continue  # after a reopening: already with CNIPA, or dropped — it stays where it is
            application = locked_application(actor, row.application.pk)
            application_transition(actor=actor, application=application, action="hand_in", package=package, now=now,
                                   note=f"rank {row.number}", tell=[row.send.tell])
        package.status = PackageStatus.SUBMITTED
        package.submitted_at = now
        package.submitted_by = actor
        package.save(update_fields=["status", "submitted_at", "submitted_by"])
        audit_record(actor=actor, action="package_submit", obj=package, from_state=PackageStatus.OPEN,
                     to_state=PackageStatus.SUBMITTED, note=f"{len(plan.rows)} recommended")
        cnipa = plan.facts["cnipa"]
        notify(cnipa.recipients, subject=cnipa.subject, body=cnipa.body, link=cnipa.link)
        return package


def package_reopen(*, actor, package_id, reason, until):
    """CNIPA reopens a handed-in (or deadline-locked) package, with a reason, until a new moment: the
    applications still under re-check go back into it (hand_back)."""
    reason = required_text(reason, _("Give the reason for reopening."))
    if not is_cnipa(actor):
        raise PortalError(_("Only CNIPA can reopen a package."), code="forbidden")
    if until is None or until <= timezone.now():
        raise PortalError(_("Reopen until a moment in the future."), code="invalid")
    with transaction.atomic():
        package = _locked_package(actor, package_id)
        if Notice.objects.filter(call_id=package.call_id).exists():
            raise PortalError(_("The proposed list has been published: the packages of this call can no longer "
                                "be reopened."), code="state")
        bump_progress(package.call_id)  # the call's row before the audit chain's head, as every writer
        old = package.status
        package.status = PackageStatus.OPEN
        package.extended_until = until
        package.save(update_fields=["status", "extended_until"])
        audit_record(actor=actor, action="package_reopen", obj=package, from_state=old, to_state=PackageStatus.OPEN,
                     note=f"{reason} (until {timezone.localtime(until):%Y-%m-%d %H:%M})")
        for application in Application.objects.select_for_update().filter(
                recommendation__package=package, state=State.NATIONAL_REVIEW).order_by("pk"):
            application_transition(actor=actor, application=application, action="hand_back", note=reason)
        unit = Unit.of_package(package)
        notify(User.objects.filter(unit.reviewers_q(), is_active=True),
               subject=gettext_lazy("Your package was reopened by CNIPA"), body=reason,
               link=f"/review/packages/{package.pk}/")
        return package
