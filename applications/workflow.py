"""The applicant-side transitions as a table: pure data and functions, no database.

Each action names the states it may start from, the roles that may take it, and where it leads.
`submit` has no fixed target: it goes where SPEC §4 routes the applicant, or, after a return, back
to the desk that returned it. Review actions (issue 3) extend the same table.
"""

from dataclasses import dataclass

from navportal.models import Role

from .enums import PARK_TYPES, Affiliation, Route, State


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    roles: frozenset
    target: State | None = None


def _t(action, sources, roles, target=None):
    return Transition(action, frozenset(sources), frozenset(roles), target)


FIRST_REVIEW_STATES = (State.CITY_REVIEW, State.PROVINCE_REVIEW, State.MINISTRY_REVIEW)
# Until recommended, the applicant may take the application back (SPEC §8).
WITHDRAWABLE_STATES = (*FIRST_REVIEW_STATES, State.RETURNED)
EDITABLE_STATES = (State.DRAFT, State.RETURNED)

TRANSITIONS = {t.action: t for t in (
    _t("submit", EDITABLE_STATES, {Role.APPLICANT}),
    _t("withdraw", WITHDRAWABLE_STATES, {Role.APPLICANT}, State.WITHDRAWN),
    # A withdrawn application may be taken up again as a draft while the call is open: one
    # application per organisation and call means there is no other way back in.
    _t("reopen", {State.WITHDRAWN}, {Role.APPLICANT}, State.DRAFT),
)}


def route_for(applicant_type, affiliation):
    """Who reviews first (SPEC §4)."""
    if affiliation == Affiliation.MINISTRY:
        return Route.MINISTRY
    if applicant_type in PARK_TYPES or affiliation == Affiliation.PROVINCE:
        return Route.PROVINCE
    return Route.CITY


FIRST_STATE = {
    Route.CITY: State.CITY_REVIEW,
    Route.PROVINCE: State.PROVINCE_REVIEW,
    Route.MINISTRY: State.MINISTRY_REVIEW,
}


def submit_target(route, returned_from=""):
    """A first submission goes to the route's first desk; a resubmission back to the desk that returned it."""
    if returned_from in FIRST_REVIEW_STATES:
        return State(returned_from)
    return FIRST_STATE[route]


def allowed(action, state, role):
    transition = TRANSITIONS[action]
    return state in transition.sources and role in transition.roles
