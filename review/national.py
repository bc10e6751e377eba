"""CNIPA's side (SPEC §6): re-check, the proposed list and its public notice, objections, the final list.

Same discipline as review.services: one transaction per action, row locks before checks, the audit line
in the same transaction, notifications (mails into the outbox) with it.
"""

import datetime
import hashlib
import logging
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.enums import ClaimStatus, State
from applications.models import Application
from applications.uploads import PDF, check_upload
from applications.services import locked_application
from applications.transitions import application_transition, check_transition
from navportal import seals
from navportal.audit import audit_record
from navportal.errors import PortalError
from navportal.files import file_writing_transaction
from navportal.models import Role, User
from navportal.notify import lazy_text, mail_person, notify
from navportal.privacy_rules import check_acknowledged
from navportal.references import reference_take
from navportal.rules import is_cnipa

from . import deadlines
from .calendar import working_days_between
from .models import (
    OBJECTION_FILES_MAX_BYTES, OBJECTION_SERIES, RETIRED_WITH_FINAL_LIST, Notice, NoticeEntry, Objection, ObjectionDecision, ObjectorKind,
    Package, Recommendation, bump_progress, bump_version, notice_seal_content,
)
from .quota import counts_against_quota
from .validators import PHONE_PATTERN
from .services import act, check_registry_standing, close_rank_gaps, required_text, tell_applicant


def _national(actor):
    if not is_cnipa(actor):
        raise PortalError(_("Only CNIPA staff can do this."), code="forbidden")


def _tell_cnipa(application, subject, body):
    from applications.transitions import Tell
    return Tell(User.objects.filter(role=Role.NATIONAL, is_active=True), lazy_text(subject, name=application.name),
                body, f"/review/applications/{application.pk}/")


def tell_chain(application, subject, body):
    """The notification of the desks the application came up through (SPEC: outcomes go back up the chain): its
    recommending bureau and, for a city-routed one, the city that consented."""
    from applications.transitions import Tell

    from .previews import chain_desks

    return Tell(chain_desks([application])[application.pk], lazy_text(subject, name=application.name), body,
                f"/review/applications/{application.pk}/")


# --- Re-check ------------------------------------------------------------------------------------

def recheck_pass(*, actor, application_id, note=""):
    """The application passes CNIPA's re-check (复核通过) and will stand on the proposed list.

    Refused while an exemption the bureau verified waits for CNIPA's own check: the re-check covers the
    exemption (SPEC §6.1), and an exemption only the bureau verified would stand on the list outside the quota."""
    with transaction.atomic():
        application = locked_application(actor, application_id)
        check_transition("recheck_pass", application, actor)
        if application.exempt_category and application.exemption_status == ClaimStatus.VERIFIED \
                and application.national_exemption_status == ClaimStatus.PENDING:
            raise PortalError(_("Check the exemption claim first: it does not count against the quota only once "
                                "CNIPA has verified it too."), code="claim")
        return application_transition(actor=actor, application=application, action="recheck_pass", note=note,
                                      changes={"recheck_note": note})


def recheck_fail(*, actor, application_id, reason):
    """The application fails the re-check (复核未通过), with a reason the applicant sees. Its
    recommendation stays on record (rank, opinion) but stops counting against the quota and gives its slot
    back — which is how CNIPA drops one from an over-quota package, and what lets the bureau fill the place
    if CNIPA reopens the package."""
    reason = required_text(reason, _("Give the reason the applicant will see."))
    with transaction.atomic():
        application = locked_application(actor, application_id)
        application_transition(actor=actor, application=application, action="recheck_fail", note=reason,
                               changes={"recheck_note": reason},
                               tell=[tell_applicant(application, gettext_lazy("Not designated: %(name)s"), reason),
                                     tell_chain(application, gettext_lazy("Failed CNIPA's re-check: %(name)s"),
                                                lazy_text(gettext_lazy("CNIPA's re-check found that %(name)s does not "
                                                                       "pass. Reason: %(reason)s"),
                                                          name=application.name, reason=reason))])
        Recommendation.objects.filter(application=application).update(slot=None)
        return application


def recheck_return_to_unit(*, actor, application_id, reason):
    """Send the application back to its recommending bureau (退回推荐单位) to correct or withdraw it."""
    reason = required_text(reason, _("Say what the bureau should correct."))
    return act(actor=actor, application_id=application_id, action="return_to_unit", note=reason,
               changes={"recheck_note": reason},
               tell=lambda a: [tell_chain(a, gettext_lazy("Returned by CNIPA: %(name)s"), reason)])


def national_claim_check(*, actor, application_id, status, note=""):
    """CNIPA verifies an exemption claim again. A rejection makes the recommendation count; if that puts
    the package over its quota, the dashboard says so, the package cannot be handed in again and the list
    cannot be published until resolved. A claim whose registry title ended by the call's deadline cannot
    be verified."""
    _national(actor)
    if status not in (ClaimStatus.VERIFIED, ClaimStatus.REJECTED):
        raise PortalError(_("Unknown claim or decision."), code="invalid")
    if status == ClaimStatus.REJECTED:
        note = required_text(note, _("Say why the claim is rejected."))
    with transaction.atomic():
        application = locked_application(actor, application_id)
        if not application.exempt_category:
            raise PortalError(_("The applicant made no such claim."), code="invalid")
        if status == ClaimStatus.VERIFIED:
            check_registry_standing(application, application.exempt_category)
        application_transition(
            actor=actor, application=application, action="claim_exemption_recheck",
            changes={"national_exemption_status": status, "recheck_note": note or application.recheck_note},
            audit_states=(application.national_exemption_status, status), note=note)
        if not counts_against_quota(application, application.call):
            # Exempt, verified at both levels: its recommendation holds no quota slot (as a failed re-check gives
            # its slot back), so that the count and the slots agree when the package is reopened.
            Recommendation.objects.filter(application=application).update(slot=None)
        return application


def unit_resubmit(*, actor, application_id, note=""):
    """The bureau hands an application CNIPA returned to it back in, corrected."""
    return act(actor=actor, application_id=application_id, action="unit_resubmit", note=note,
               tell=lambda a: [_tell_cnipa(a, gettext_lazy("Handed back in: %(name)s"), note)])


def unit_drop(*, actor, application_id, reason):
    """The bureau withdraws its recommendation of an application CNIPA returned to it (不予推荐)."""
    reason = required_text(reason, _("Give the reason the applicant will see."))
    with transaction.atomic():
        application = locked_application(actor, application_id)
        application_transition(actor=actor, application=application, action="unit_drop", note=reason,
                               changes={"return_reason": reason},
                               tell=[tell_applicant(application, gettext_lazy("Not recommended: %(name)s"), reason)])
        recommendation = Recommendation.objects.select_related("package").filter(application=application).first()
        if recommendation is not None:
            package = Package.objects.select_for_update().get(pk=recommendation.package_id)
            recommendation.delete()
            close_rank_gaps(package)
        return application


logger = logging.getLogger(__name__)


# --- The public notice ---------------------------------------------------------------------------

# The seal of a published list (navportal.seals, SPEC §11): made by notice_publish and renewed by each function here
# that changes the notice or its list — notice_confirm_dates, objection_decide (a base leaves the list),
# final_confirm —, in its transaction, under the notice's row lock; the pages and exports verify it. Each of them
# verifies the seal before its change (notice_seal_check) and refuses to change a list found changed outside the
# portal: renewing the seal over it would make the forged content look genuine. Putting back what was published
# (from the backup, or by hand from the trail) makes the seal verify again.

def notice_seal_check(*, actor, notice):
    """Refuses a change to `notice` (call under its row lock) when its seal does not verify; the error is logged."""
    verdict = notice.verify()
    if not verdict.intact:
        logger.error("Notice %s: seal %s (key %r); the change by %s was refused", notice.pk, verdict.status,
                     verdict.key_id, actor)
        raise PortalError(seals.refusal(verdict, _("The published list cannot be changed")), code="state")
    return verdict


def notice_seal_renew(notice):
    """Seal `notice` and its list as they now stand, under the current key, and write the seal (only its two
    columns). In the transaction of the change, after it."""
    content = notice_seal_content(notice, list(NoticeEntry.objects.filter(notice=notice)))
    notice.seal_key_id, notice.seal = seals.mac(content)
    Notice.objects.filter(pk=notice.pk).update(seal=notice.seal, seal_key_id=notice.seal_key_id)
    return notice


def notice_publish(*, actor, call, text, contact, published_on=None, confirmed=None):
    """Publish the proposed list (拟确定名单) and open the public notice — exactly as review.previews.publish_plan
    works it out (the page shows that plan first; `confirmed`: the digest of the plan the user confirmed).

    Preconditions: every recommended application re-checked (none under re-check or with its bureau), no
    package over quota or still open, at least one passing application, no notice yet; the plan unchanged
    since the preview ("changed"). Effects: the passing applications are frozen as entries (by province, then
    rank) and go on notice; the period is counted on the official calendar; applicants are told.
    """
    from .previews import publish_plan

    _national(actor)
    text = required_text(text, _("Write the text of the notice."))
    contact = required_text(contact, _("Say how to object: address, telephone, e-mail."))
    with transaction.atomic():
        call = type(call).objects.select_for_update().get(pk=call.pk)
        now = timezone.now()
        plan = publish_plan(call, text=text, contact=contact, now=now, published_on=published_on, lock=True)
        plan.check(confirmed)
        starts_on, ends_on, known = plan.facts["starts_on"], plan.facts["ends_on"], plan.facts["dates_known"]
        notice = Notice.objects.create(call=call, published_at=now, published_by=actor, starts_on=starts_on,
                                       ends_on=ends_on, dates_confirmed=known, text=text, contact=contact)
        NoticeEntry.objects.bulk_create(
            NoticeEntry(notice=notice, application=row.application, number=row.number, name=row.name,
                        province_name=row.province, industry=row.industry) for row in plan.rows)
        notice_seal_renew(notice)
        audit_record(actor=actor, action="notice_publish", obj=notice,
                     note=f"{len(plan.rows)} bases, {starts_on}–{ends_on}{'' if known else ' (dates to confirm)'}")
        for row in plan.rows:
            application_transition(actor=actor, application=row.application, action="publish", now=now,
                                   tell=row.tells)
        return notice


def notice_confirm_dates(*, actor, notice_id, starts_on, ends_on):
    """CNIPA confirms (or corrects) the period when the calendar had to be guessed."""
    _national(actor)
    with transaction.atomic():
        notice = Notice.objects.select_for_update().select_related("call").get(pk=notice_id)
        if notice.is_final:
            raise PortalError(_("The list is final."), code="state")
        notice_seal_check(actor=actor, notice=notice)
        if ends_on < starts_on:
            raise PortalError(_("The notice cannot end before it starts."), code="invalid")
        # The period starts the day after publication (SPEC §6.2): days before it were never public, so a
        # correction cannot count them.
        first_day = timezone.localdate(notice.published_at) + datetime.timedelta(days=1)
        if starts_on < first_day:
            raise PortalError(_("The notice was published on %(published)s: its period starts on %(first)s at the "
                                "earliest.") % {"published": first_day - datetime.timedelta(days=1),
                                                "first": first_day}, code="invalid")
        # A correction may move or lengthen the period, never shorten it below the call's working days.
        days = working_days_between(starts_on, ends_on)
        if days < notice.call.notice_working_days:
            raise PortalError(
                _("From %(start)s to %(end)s there are %(days)d working days on the official calendar; the notice "
                  "lasts at least %(wanted)d.") % {"start": starts_on, "end": ends_on, "days": days,
                                                    "wanted": notice.call.notice_working_days}, code="invalid")
        old = f"{notice.starts_on}–{notice.ends_on}"
        notice.starts_on, notice.ends_on, notice.dates_confirmed = starts_on, ends_on, True
        notice.version += 1
        notice.save(update_fields=["starts_on", "ends_on", "dates_confirmed", "version"])
        notice_seal_renew(notice)
        audit_record(actor=actor, action="notice_confirm_dates", obj=notice, from_state=old,
                     to_state=f"{starts_on}–{ends_on}")
        return notice


# --- Objections ----------------------------------------------------------------------------------

# An unconfirmed objection can be confirmed for this long after it was sent (and only while the period runs); after
# that it never counts. Long enough for a mail that is slow to arrive, short enough that a flood of unconfirmed
# submissions does not pile up: purge_objections removes them with their files.
OBJECTION_CONFIRM_HOURS = 24
# The files one client address may store with objections in a day (Asia/Shanghai), confirmed or not: three
# objections with the largest letter and evidence. A person or office with more to send writes to CNIPA.
OBJECTION_FILES_PER_ADDRESS_DAY = 60 * 1024 * 1024


def _token_hash(token):
    return hashlib.sha256((token or "").encode()).hexdigest()


def objection_submit(*, entry_id, kind, name, phone, email, reasons, privacy_version, signature="", letter=None,
                     evidence=None, ip=None, now=None, site_url=""):
    """A member of the public objects to one listed base, in writing and under real name (SPEC §6.3).

    Refused without the acknowledgement of the current personal information rules (privacy_version, kept with the
    objection), outside the period, for a base no longer on the list, and without real name: a person signs
    with the name given; an organisation uploads its letter with the official seal (a checked PDF); the telephone
    must be a mainland mobile or a landline with its area code. Refused too when the files are over what one
    objection, or one client address in a day, may store.

    Effects: the objection is stored unconfirmed, and a link to confirm it is mailed to the address given (sent
    inside this transaction: the mail and the row stand or fall together). Nothing else happens until the link is
    followed (objection_confirm): no reference number, nobody else is told, no list or count shows it. The returned
    objection carries the link's token as `confirmation_token` (never stored: only its hash is).
    """
    check_acknowledged(privacy_version)
    name, phone, email = (name or "").strip(), re.sub(r"\s+", "", phone or ""), (email or "").strip()
    reasons = required_text(reasons, _("Give the reasons for the objection."))
    if not (name and phone and email):
        raise PortalError(_("Objections are accepted under real name only: give a name, a telephone number and "
                            "an e-mail address."), code="anonymous")
    if not re.fullmatch(PHONE_PATTERN, phone):
        raise PortalError(_("This is not a valid mobile or landline number."), code="invalid")
    try:
        validate_email(email)  # a line break (a header injection) or a second address included
    except ValidationError:
        raise PortalError(_("This is not a valid e-mail address: the objection counts only once you confirm it "
                            "from a mail sent there."), code="invalid") from None
    if kind == ObjectorKind.PERSON and (signature or "").strip() != name:
        raise PortalError(_("Sign with your full name, exactly as given above."), code="anonymous")
    if kind == ObjectorKind.ORGANISATION and not letter:
        raise PortalError(_("An organisation objects by its letter bearing the official seal (PDF)."),
                          code="anonymous")
    if kind not in ObjectorKind.values:
        raise PortalError(_("Say whether you object as a person or as an organisation."), code="invalid")
    now = now or timezone.now()
    files_bytes = sum(upload.size for upload in (letter, evidence) if upload)
    if files_bytes > OBJECTION_FILES_MAX_BYTES:
        raise PortalError(_("The files of one objection may be at most %(limit)s together; these are %(size)s.")
                          % {"limit": filesizeformat(OBJECTION_FILES_MAX_BYTES), "size": filesizeformat(files_bytes)},
                          code="file")
    token = secrets.token_urlsafe(32)
    with file_writing_transaction() as track:
        entry = NoticeEntry.objects.select_related("notice").select_for_update(of=("self",)).filter(
            pk=entry_id).first()
        if entry is None or entry.removed_at is not None:
            raise PortalError(_("This base is not on the list."), code="not_found")
        notice = entry.notice
        if not deadlines.notice_is_open(notice, now):
            raise PortalError(
                _("Objections are accepted only during the notice period, %(start)s to %(end)s.")
                % {"start": notice.starts_on, "end": notice.ends_on}, code="period")
        # Checked here as well as in the form: the service is the one way in, whoever calls it.
        try:
            if letter:
                check_upload(letter, (PDF,))
            if evidence:
                check_upload(evidence)
        except ValidationError as exc:
            raise PortalError(exc.messages[0], code="file") from None
        if files_bytes and ip:
            # Counted under the entry's row lock: two objections from one address to one base cannot both slip
            # under the day's limit (to two bases they can, by at most one objection's files).
            day_start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), datetime.time.min))
            stored = Objection.objects.filter(ip=ip, submitted_at__gte=day_start).aggregate(
                total=Coalesce(Sum("files_bytes"), 0))["total"]
            if stored + files_bytes > OBJECTION_FILES_PER_ADDRESS_DAY:
                raise PortalError(
                    _("Objections sent from your connection today already hold %(stored)s of files; at most "
                      "%(limit)s a day can be stored. Send the objection without files, or send the files to CNIPA "
                      "as the notice's contact says.")
                    % {"stored": filesizeformat(stored), "limit": filesizeformat(OBJECTION_FILES_PER_ADDRESS_DAY)},
                    code="file_quota")
        objection = Objection(entry=entry, kind=kind, name=name, phone=phone, email=email, reasons=reasons,
                              signature=(signature or "").strip() if kind == ObjectorKind.PERSON else "", ip=ip,
                              language=get_language() or "", privacy_version=privacy_version,
                              confirm_token_hash=_token_hash(token),
                              confirm_by=now + datetime.timedelta(hours=OBJECTION_CONFIRM_HOURS),
                              files_bytes=files_bytes)
        if letter:
            objection.letter.save(letter.name, letter, save=False)
            track(objection.letter)
        if evidence:
            objection.evidence.save(evidence.name, evidence, save=False)
            track(objection.evidence)
        objection.save()
        audit_record(actor=None, action="objection_submit", obj=objection, to_state="unconfirmed",
                     note=f"{entry.name} · {kind}")
        link = site_url.rstrip("/") + reverse("objection_confirm", args=[token])
        context = {"objection": objection, "entry": entry, "link": link, "hours": OBJECTION_CONFIRM_HOURS,
                   "confirm_by": timezone.localtime(min(objection.confirm_by, deadlines.notice_window(
                       notice.starts_on, notice.ends_on)[1]))}
        send_mail(render_to_string("public/objection_confirm_subject.txt", context).strip(),
                  render_to_string("public/objection_confirm_email.txt", context),
                  settings.DEFAULT_FROM_EMAIL, [email])
        objection.confirmation_token = token
        return objection


def objection_confirm(*, token, now=None):
    """The objector follows the link mailed by objection_submit: the objection is accepted and now counts.

    Preconditions: a link of an objection not yet confirmed (a confirmed one is returned as it is: following the
    link twice is no second effect), followed within OBJECTION_CONFIRM_HOURS and while the notice period runs, to a
    base still on the list. Effects: the reference number (受理编号), the audit line, CNIPA told (in the portal and
    by mail), the objector mailed the reference — all in this transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        objection = Objection.objects.select_for_update(of=("self",)).select_related("entry", "entry__notice").filter(
            confirm_token_hash=_token_hash(token)).first()
        if objection is None:
            raise PortalError(_("This confirmation link is not valid. Copy the whole link from the e-mail, or send "
                                "the objection again."), code="not_found")
        if objection.confirmed_at is not None:
            return objection
        entry, notice = objection.entry, objection.entry.notice
        if now > objection.confirm_by:
            raise PortalError(_("This confirmation link has expired: an objection must be confirmed within "
                                "%(hours)d hours. Send it again while the notice period runs.")
                              % {"hours": OBJECTION_CONFIRM_HOURS}, code="expired")
        if entry.removed_at is not None:
            raise PortalError(_("This base is not on the list."), code="not_found")
        if not deadlines.notice_is_open(notice, now):
            raise PortalError(
                _("Objections are accepted only during the notice period, %(start)s to %(end)s; this one was not "
                  "confirmed in time and does not count.") % {"start": notice.starts_on, "end": notice.ends_on},
                code="period")
        objection.confirmed_at = now
        objection.reference = reference_take(OBJECTION_SERIES, now=now)
        objection.save(update_fields=["confirmed_at", "reference"])
        audit_record(actor=None, action="objection_confirm", obj=objection, from_state="unconfirmed",
                     to_state="confirmed", note=f"{objection.reference} · {entry.name} · {objection.kind}")
        notify(User.objects.filter(role=Role.NATIONAL, is_active=True),
               subject=lazy_text(gettext_lazy("New objection to %(name)s"), name=entry.name),
               body=lazy_text(gettext_lazy("An objection was received during the public notice (reference number "
                                           "%(reference)s)."), reference=objection.reference),
               link=reverse("objection_detail", args=[objection.pk]))
        _mail_objector(objection, lazy_text(gettext_lazy("Your objection was received (%(reference)s)"),
                                            reference=objection.reference),
                       lazy_text(gettext_lazy("We received your objection to %(name)s. Its reference number is "
                                              "%(reference)s; please quote it when you contact CNIPA. You will be "
                                              "told the outcome."), name=entry.name, reference=objection.reference))
        return objection


def objections_purge_unconfirmed(*, now=None):
    """Delete the objections never confirmed whose link has expired, and their files (after the commit): they never
    counted and nobody but their sender ever saw them. Returns how many went."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(Objection.objects.select_for_update().filter(confirmed_at__isnull=True, confirm_by__lt=now))
        files = [(f.storage, f.name) for o in expired for f in (o.letter, o.evidence) if f]
        Objection.objects.filter(pk__in=[o.pk for o in expired]).delete()
        if expired:
            audit_record(actor=None, action="objections_purge", note=f"{len(expired)} unconfirmed objections expired")
        transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])
    return len(expired)


def _mail_objector(objection, subject, body):
    """The objector's mail, written to the outbox in the transaction under way, in the language they objected
    in. An address with a line break is refused by the outbox (navportal.mail), the objection kept."""
    mail_person(objection.email, language=objection.language, subject=subject, body=body,
                link=reverse("notice_detail", args=[objection.entry.notice.call_id]), about=objection,
                recipient_name=objection.name, name=objection.entry.name)


def objection_decide(*, actor, objection_id, decision, note, confirmed=None):
    """CNIPA decides an objection: upheld (the base leaves the list) or dismissed. The objector is told.

    What it does is review.previews.objection_plan's; the page previews an upheld objection first, and
    `confirmed` is the digest of the plan the user confirmed (refused as "changed" when it no longer holds).
    """
    from .previews import objection_plan

    _national(actor)
    note = required_text(note, _("Give the reasons for the decision."))
    if decision not in (ObjectionDecision.UPHELD, ObjectionDecision.DISMISSED):
        raise PortalError(_("Choose upheld or dismissed."), code="invalid")
    with transaction.atomic():
        objection = Objection.objects.confirmed().select_for_update().select_related(
            "entry", "entry__notice").filter(pk=objection_id).first()
        if objection is None:
            raise PortalError(_("This objection does not exist."), code="not_found")
        plan = objection_plan(objection, decision=decision, note=note)
        plan.check(confirmed)
        bump_progress(objection.entry.notice.call_id)  # the call's row before the audit chain's head
        objection.decision, objection.decision_note = decision, note
        objection.decided_at, objection.decided_by = timezone.now(), actor
        objection.save(update_fields=["decision", "decision_note", "decided_at", "decided_by"])
        audit_record(actor=actor, action="objection_decide", obj=objection, from_state=ObjectionDecision.PENDING,
                     to_state=decision, note=note)
        entry, row = objection.entry, plan.rows[0]
        if row.extra["leaves"]:
            notice_seal_check(actor=actor, notice=entry.notice)
            entry.removed_at = objection.decided_at
            entry.save(update_fields=["removed_at"])
            bump_version(entry.notice)
            notice_seal_renew(entry.notice)
            application = Application.objects.select_for_update().get(pk=entry.application_id)
            if application.state == State.ON_NOTICE:
                application_transition(actor=actor, application=application, action="objection_uphold", note=note,
                                       changes={"recheck_note": note}, tell=row.tells)
        objector = plan.facts["objector"]
        _mail_objector(objection, objector.subject, objector.body)
        return objection


# --- The final list ------------------------------------------------------------------------------

def final_confirm(*, actor, notice_id, document_number, document_date, confirmed=None):
    """Confirm the list by a document (发文予以确定) once the period is over and every objection decided — exactly
    as review.previews.final_plan works it out (`confirmed`: the digest of the plan the user confirmed).

    Effects: the bases on the list become national-level patent navigation service bases, each with its record
    (bases.models.Base, active); the titles
    原国家专利导航产业发展实验区 and 原国家专利导航试点工程研究基地 are marked retired in the registry
    with the document; the applicants are told.
    """
    from bases.services import bases_designate

    from .previews import final_plan
    from .registry import registry_retire

    _national(actor)
    document_number = required_text(document_number, _("Give the number of the confirming document."))
    if document_date is None:
        raise PortalError(_("Give the date of the confirming document."), code="required")
    with transaction.atomic():
        notice = Notice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None:
            raise PortalError(_("This notice does not exist."), code="not_found")
        plan = final_plan(notice, document_number=document_number, document_date=document_date,
                          now=timezone.now(), lock=True)
        plan.check(confirmed)
        notice_seal_check(actor=actor, notice=notice)
        notice.final_document_number, notice.final_document_date = document_number, document_date
        notice.confirmed_at, notice.confirmed_by = timezone.now(), actor
        notice.version += 1
        notice.save(update_fields=["final_document_number", "final_document_date", "confirmed_at", "confirmed_by",
                                   "version"])
        notice_seal_renew(notice)
        for row in plan.rows:
            application_transition(actor=actor, application=row.application, action="designate", note=document_number,
                                   tell=row.tells)
        bases_designate(actor=actor, notice=notice, applications=[row.application for row in plan.rows])
        retired = registry_retire(kinds=RETIRED_WITH_FINAL_LIST, document=document_number, on=document_date,
                                  only=plan.facts["retiring_ids"])
        audit_record(actor=actor, action="final_confirm", obj=notice,
                     note=f"{document_number} {document_date}: {len(plan.rows)} bases, {retired} titles retired")
        return notice
