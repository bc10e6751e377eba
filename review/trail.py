"""The decision trail of one application (SPEC §4: every desk sees each earlier decision, opinion, person and
time; the applicant sees the part that is theirs).

The trail is the audit trail read back: every decision is already one audit line written by the one writer
(applications.transitions), in the transaction of the change, so the trail cannot miss a decision nor show
one that did not happen. It is read in one query, with the deciding person and their unit joined.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from applications.enums import ClaimStatus, Route
from navportal.models import AuditEvent, AuditResult, Role


@dataclass(frozen=True)
class Step:
    """How the trail shows one kind of decision: its label, whether the applicant sees it, and whether the
    note (the opinion or reason) is shown to the applicant too."""

    label: object
    applicant: bool = False
    applicant_note: bool = False
    tone: str = ""          # "positive", "negative" or "" — the colour of the line


STEPS = {
    "application_submit": Step(_("Application submitted"), applicant=True),
    "application_withdraw": Step(_("Withdrawn by the applicant"), applicant=True, applicant_note=True),
    "application_reopen": Step(_("Taken up again as a draft"), applicant=True),
    "application_city_consent": Step(_("City bureau consented"), applicant=True, tone="positive"),
    "application_city_decline": Step(_("City bureau did not consent"), applicant=True, applicant_note=True,
                                     tone="negative"),
    "application_city_consent_withdraw": Step(_("City bureau took back its consent"), applicant=True),
    "application_city_decline_withdraw": Step(_("City bureau took back its refusal"), applicant=True),
    "application_return": Step(_("Returned for revision"), applicant=True, applicant_note=True, tone="negative"),
    "application_decline": Step(_("Not recommended"), applicant=True, applicant_note=True, tone="negative"),
    "application_decline_withdraw": Step(_("Took back its decision not to recommend"), applicant=True),
    "application_recommend": Step(_("Recommended, with opinion"), tone="positive"),
    "recommendation_update": Step(_("Recommendation opinion revised")),
    "application_unrecommend": Step(_("Recommendation taken back")),
    "claim_exemption_check": Step(_("Exemption claim checked")),
    "claim_priority_check": Step(_("Priority (local base) claim checked")),
    "application_hand_in": Step(_("Recommended to CNIPA (package handed in)"), applicant=True, tone="positive"),
    "application_hand_back": Step(_("Package reopened by CNIPA: back with the bureau")),
    "claim_exemption_recheck": Step(_("Exemption claim checked by CNIPA")),
    "application_recheck_pass": Step(_("Passed CNIPA's re-check"), tone="positive"),
    "application_recheck_fail": Step(_("Failed CNIPA's re-check"), applicant=True, applicant_note=True,
                                     tone="negative"),
    "application_return_to_unit": Step(_("Returned by CNIPA to the recommending bureau"), tone="negative"),
    "application_unit_resubmit": Step(_("Handed back in to CNIPA by the bureau")),
    "application_unit_drop": Step(_("Recommendation withdrawn by the bureau"), applicant=True, applicant_note=True,
                                  tone="negative"),
    "application_publish": Step(_("On public notice"), applicant=True),
    "application_objection_uphold": Step(_("Objection upheld: not designated"), applicant=True, applicant_note=True,
                                         tone="negative"),
    "application_designate": Step(_("Designated a national-level base"), applicant=True, applicant_note=True,
                                  tone="positive"),
}
APPLICANT_STEPS = frozenset(action for action, step in STEPS.items() if step.applicant)

# The desk a person decided at, by the role recorded with the decision.
DESKS = {
    Role.APPLICANT: _("Applicant"),
    Role.CITY: _("City IP office"),
    Role.PROVINCE: _("Provincial IP office"),
    Role.MINISTRY: _("Ministry department"),
    Role.NATIONAL: pgettext_lazy("desk", "CNIPA"),
}

_VERSION = re.compile(r"^version (\d+)")
_ROUTE = re.compile(r"route (\w+) → (\w+)")


@dataclass(frozen=True)
class TrailEntry:
    at: object
    label: object
    tone: str
    person: str             # the official's name; empty on the applicant's trail
    unit: str               # the desk, with its place: "南京市 · 地市知识产权局"
    note: str               # the opinion, reason or outcome; empty where the reader does not see it


def application_trail(application, *, for_applicant=False):
    """The decisions on `application`, oldest first: what, by whom (name and unit), when, with which opinion or
    reason. `for_applicant`: only the applicant-facing part — their own steps, returns, declines with reasons and
    outcomes — and the desk without the official's name. One query."""
    actions = APPLICANT_STEPS if for_applicant else STEPS.keys()
    events = (AuditEvent.objects.filter(object_type="applications.application", object_id=str(application.pk),
                                        action__in=list(actions), result=AuditResult.SUCCESS)
              .select_related("actor__city", "actor__province", "actor__ministry")
              .only("at", "action", "role", "from_state", "to_state", "note", "username",
                    "actor__display_name", "actor__username", "actor__city__name", "actor__city__name_en",
                    "actor__province__name", "actor__province__name_en", "actor__ministry__name",
                    "actor__ministry__name_en")
              .order_by("at", "id"))
    return [_entry(event, for_applicant) for event in events]


def _entry(event, for_applicant):
    step = STEPS[event.action]
    actor = event.actor
    own = event.role == Role.APPLICANT
    person = "" if for_applicant and not own else (str(actor) if actor is not None else event.username)
    place = (actor.city or actor.province or actor.ministry) if actor is not None else None
    desk = DESKS.get(event.role, "")
    unit = f"{place} · {desk}" if place is not None and not own else str(desk)
    show_note = step.applicant_note or not for_applicant
    # Words in the active language, not lazy ones: the reviewer's trail is cached per language (review.views), and
    # a lazy string is unpickled as a new proxy class each time it is read back.
    return TrailEntry(at=event.at, label=str(step.label), tone=step.tone, person=person, unit=str(unit),
                      note=str(_note(event)) if show_note else "")


def submission_note(note):
    """A submission's note ("version 2; route city → province") in words."""
    parts = []
    if version := _VERSION.match(note):
        parts.append(str(_("Version %(n)s") % {"n": version.group(1)}))
    if route := _ROUTE.search(note):
        labels = dict(Route.choices)
        parts.append(str(_("route changed: %(before)s → %(after)s")
                         % {"before": labels.get(route.group(1), ""), "after": labels.get(route.group(2), "")}))
    return "; ".join(parts)


def _note(event):
    """The note as a reader reads it: the opinion or reason as written, with the writers' internal notes (the
    version number, a change of route, a claim's outcome) put in words."""
    note = event.note
    if event.action == "application_submit":
        return submission_note(note)
    if event.action.startswith("claim_"):
        outcome = dict(ClaimStatus.choices).get(event.to_state, "")
        return " — ".join(str(part) for part in (outcome, note) if part)
    if event.action in ("application_hand_in",):
        return ""   # "rank n": the rank in the package, which the package page shows as it stands
    if event.action == "application_recommend" and note.startswith("rank "):
        return ""   # written before the opinion was recorded with the decision
    return note
