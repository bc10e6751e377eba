"""The applicant-side transitions as a table: pure data and functions, no database.

Each action names the states it may start from, the roles that may take it, and where it leads.
`submit` has no fixed target: it goes where SPEC §4 routes the applicant, or, after a return, back
to the desk that returned it. A "desk" action may only be taken by the role whose desk the application
is on (a city reviewer returns only from the city desk, a province only from its own).
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
    desk: bool = False


def _t(action, sources, roles, target=None, *, desk=False):
    return Transition(action, frozenset(sources), frozenset(roles), target, desk)


FIRST_REVIEW_STATES = State.FIRST_REVIEW
RECOMMENDING_STATES = State.RECOMMENDING_DESK
DESK_ROLE = {State.CITY_REVIEW: Role.CITY, State.PROVINCE_REVIEW: Role.PROVINCE,
             State.MINISTRY_REVIEW: Role.MINISTRY}
REVIEWERS = (Role.CITY, Role.PROVINCE, Role.MINISTRY)
WITHDRAWABLE_STATES = State.WITHDRAWABLE
EDITABLE_STATES = State.EDITABLE

TRANSITIONS = {t.action: t for t in (
    _t("submit", EDITABLE_STATES, {Role.APPLICANT}),
    _t("withdraw", WITHDRAWABLE_STATES, {Role.APPLICANT}, State.WITHDRAWN),
    # A withdrawn application may be taken up again as a draft while the call is open: one
    # application per organisation and call means there is no other way back in.
    _t("reopen", {State.WITHDRAWN}, {Role.APPLICANT}, State.DRAFT),
    _t("city_consent", {State.CITY_REVIEW}, {Role.CITY}, State.PROVINCE_REVIEW, desk=True),
    _t("city_decline", {State.CITY_REVIEW}, {Role.CITY}, State.CITY_DECLINED, desk=True),
    _t("return", FIRST_REVIEW_STATES, REVIEWERS, State.RETURNED, desk=True),
    _t("decline", RECOMMENDING_STATES, REVIEWERS, State.NOT_RECOMMENDED, desk=True),
    _t("recommend", RECOMMENDING_STATES, REVIEWERS, State.RECOMMENDED, desk=True),
    # Taking a recommendation back, while the package is still open: back to the bureau's desk.
    _t("unrecommend", {State.RECOMMENDED}, {Role.PROVINCE, Role.MINISTRY}),
    # Handing in the package moves its recommendations on to CNIPA; CNIPA reopening it moves them back.
    _t("hand_in", {State.RECOMMENDED}, {Role.PROVINCE, Role.MINISTRY}, State.NATIONAL_REVIEW),
    _t("hand_back", {State.NATIONAL_REVIEW}, {Role.NATIONAL}, State.RECOMMENDED),
    # CNIPA's re-check (复核) of every recommended application.
    _t("recheck_pass", {State.NATIONAL_REVIEW}, {Role.NATIONAL}, State.RECHECK_PASSED),
    _t("recheck_fail", {State.NATIONAL_REVIEW, State.RECHECK_PASSED}, {Role.NATIONAL}, State.RECHECK_FAILED),
    _t("return_to_unit", {State.NATIONAL_REVIEW, State.RECHECK_PASSED}, {Role.NATIONAL}, State.RETURNED_TO_UNIT),
    # What the recommending bureau does with an application CNIPA returned to it.
    _t("unit_resubmit", {State.RETURNED_TO_UNIT}, {Role.PROVINCE, Role.MINISTRY}, State.NATIONAL_REVIEW),
    _t("unit_drop", {State.RETURNED_TO_UNIT}, {Role.PROVINCE, Role.MINISTRY}, State.NOT_RECOMMENDED),
    # The public notice and its outcome.
    _t("publish", {State.RECHECK_PASSED}, {Role.NATIONAL}, State.ON_NOTICE),
    _t("objection_uphold", {State.ON_NOTICE}, {Role.NATIONAL}, State.NOT_DESIGNATED),
    _t("designate", {State.ON_NOTICE}, {Role.NATIONAL}, State.DESIGNATED),
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
    if state not in transition.sources or role not in transition.roles:
        return False
    return not transition.desk or DESK_ROLE.get(state) == role


def desk_state(route):
    """The state an application waits in at its recommending bureau."""
    return State.MINISTRY_REVIEW if route == Route.MINISTRY else State.PROVINCE_REVIEW
