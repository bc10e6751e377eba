"""The whole process of an application as one table: pure data and functions, no database.

Every change of an application — every state change, and the in-place changes that are checked the same way
(the applicant's edits, the bureaus' and CNIPA's claim checks) — is a row here, carried out by the one writer,
applications.transitions.application_transition. A row names:
- the states it may start from and where it leads (`targets`: one fixed state, several the service chooses
  from — submit goes where SPEC §4 routes the applicant —, or none for a change that keeps the state);
- the roles that may take it, and whether only the desk responsible for the state may (`desk`): a city
  reviewer returns only from the city desk, a province only what its province recommends;
- which deadline applies: the applicant's (the province's own or the call's) or the recommending bureau's
  package (its deadline, or CNIPA's extension, and not handed in) — the latter only from `package_states`;
- the audit action it writes, and whether it writes one (a draft's section saves are not audited, the
  sealed versions are).
"""

from dataclasses import dataclass

from navportal.models import Role

from .enums import PARK_TYPES, Affiliation, Route, State

APPLICANT_DEADLINE = "applicant"
PACKAGE_DEADLINE = "package"

REVIEWERS = frozenset({Role.CITY, Role.PROVINCE, Role.MINISTRY})
UNIT_ROLES = frozenset({Role.PROVINCE, Role.MINISTRY})
APPLICANT = frozenset({Role.APPLICANT})
NATIONAL = frozenset({Role.NATIONAL})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    targets: frozenset          # empty: the state does not change
    roles: frozenset
    desk: bool = False
    deadline: str = ""          # APPLICANT_DEADLINE, PACKAGE_DEADLINE or ""
    package_states: frozenset = frozenset()   # sources from which the bureau's package must be open
    audit: str = ""             # the audit action; "" for an unaudited change
    moves: bool = True
    progress: bool = True       # changes what the call's progress counts (a state, a claim's status)
    undo: bool = False          # takes back a decision: only the desk that decided it (deciding_role) may

    @property
    def target(self):
        """The one target of a fixed transition (None when the service chooses, or for an in-place change)."""
        return next(iter(self.targets)) if len(self.targets) == 1 else None


def _t(action, sources, targets, roles, *, desk=False, deadline="", package_states=(), audit=None, progress=None,
       undo=False):
    targets = frozenset(targets if isinstance(targets, (set, frozenset, tuple)) else {targets}) if targets else frozenset()
    return Transition(action, frozenset(sources), targets, frozenset(roles), desk, deadline,
                      frozenset(package_states), f"application_{action}" if audit is None else audit, bool(targets),
                      bool(targets) if progress is None else progress, undo)


FIRST_STATE = {
    Route.CITY: State.CITY_REVIEW,
    Route.PROVINCE: State.PROVINCE_REVIEW,
    Route.MINISTRY: State.MINISTRY_REVIEW,
}

TRANSITIONS = {t.action: t for t in (
    # The applicant's side. Edits (a section saved, a document attached, the pledge) keep the state but are
    # checked like any other change: only the applicant, only while it is theirs to change.
    _t("edit", State.EDITABLE, None, APPLICANT, audit=""),
    _t("attach", State.EDITABLE, None, APPLICANT),
    _t("pledge", State.EDITABLE, None, APPLICANT),
    # A first submission goes to the route's first desk; a resubmission back to the desk that returned it —
    # or, when type or affiliation were corrected so that the route changed, to the new route's first desk.
    _t("submit", State.EDITABLE, State.FIRST_REVIEW, APPLICANT, deadline=APPLICANT_DEADLINE),
    _t("withdraw", State.WITHDRAWABLE, State.WITHDRAWN, APPLICANT),
    # One application per organisation and call: a withdrawn one is the way back in, as a draft.
    _t("reopen", {State.WITHDRAWN}, State.DRAFT, APPLICANT, deadline=APPLICANT_DEADLINE),
    # The desks before a recommendation.
    _t("city_consent", {State.CITY_REVIEW}, State.PROVINCE_REVIEW, {Role.CITY}, desk=True),
    _t("city_decline", {State.CITY_REVIEW}, State.CITY_DECLINED, {Role.CITY}, desk=True),
    _t("return", State.FIRST_REVIEW, State.RETURNED, REVIEWERS, desk=True),
    _t("decline", State.RECOMMENDING_DESK, State.NOT_RECOMMENDED, UNIT_ROLES, desk=True),
    _t("recommend", State.RECOMMENDING_DESK, State.RECOMMENDED, UNIT_ROLES, desk=True,
       deadline=PACKAGE_DEADLINE, package_states=State.RECOMMENDING_DESK),
    # The bureau revises a recommendation's opinion or score while its package is open (a line of the trail).
    _t("revise_opinion", {State.RECOMMENDED}, None, UNIT_ROLES, desk=True, deadline=PACKAGE_DEADLINE,
       package_states={State.RECOMMENDED}, audit="recommendation_update"),
    # Taking a recommendation back while the package is open: back to the bureau's desk.
    _t("unrecommend", {State.RECOMMENDED}, State.RECOMMENDING_DESK, UNIT_ROLES, desk=True,
       deadline=PACKAGE_DEADLINE, package_states={State.RECOMMENDED}),
    # The recommending bureau's check of the claims (SPEC §5), at its desk or in its open package.
    _t("claim_exemption_check", State.UNIT_CLAIM_CHECK, None, UNIT_ROLES, desk=True, deadline=PACKAGE_DEADLINE,
       package_states={State.RECOMMENDED}, audit="claim_exemption_check", progress=True),
    _t("claim_priority_check", State.UNIT_CLAIM_CHECK, None, UNIT_ROLES, desk=True, deadline=PACKAGE_DEADLINE,
       package_states={State.RECOMMENDED}, audit="claim_priority_check", progress=True),
    # A consent or decline given by mistake, taken back by the desk that gave it while the recommending bureau's
    # package is open (SPEC §4): the consent while the province has not decided (the application is still at its
    # desk), a decline back to the desk that declined.
    _t("city_consent_withdraw", {State.PROVINCE_REVIEW}, State.CITY_REVIEW, {Role.CITY}, undo=True,
       deadline=PACKAGE_DEADLINE, package_states={State.PROVINCE_REVIEW}),
    _t("city_decline_withdraw", {State.CITY_DECLINED}, State.CITY_REVIEW, {Role.CITY}, undo=True,
       deadline=PACKAGE_DEADLINE, package_states={State.CITY_DECLINED}),
    _t("decline_withdraw", {State.NOT_RECOMMENDED}, State.RECOMMENDING_DESK, UNIT_ROLES, undo=True,
       deadline=PACKAGE_DEADLINE, package_states={State.NOT_RECOMMENDED}),
    # Handing in the package moves its recommendations on to CNIPA; CNIPA reopening it moves them back.
    _t("hand_in", {State.RECOMMENDED}, State.NATIONAL_REVIEW, UNIT_ROLES, desk=True, deadline=PACKAGE_DEADLINE,
       package_states={State.RECOMMENDED}),
    _t("hand_back", {State.NATIONAL_REVIEW}, State.RECOMMENDED, NATIONAL),
    # CNIPA's re-check (复核) of every recommended application, and its second check of the exemption.
    _t("recheck_pass", {State.NATIONAL_REVIEW}, State.RECHECK_PASSED, NATIONAL),
    _t("recheck_fail", State.NATIONAL_CLAIM_CHECK, State.RECHECK_FAILED, NATIONAL),
    _t("return_to_unit", State.NATIONAL_CLAIM_CHECK, State.RETURNED_TO_UNIT, NATIONAL),
    _t("claim_exemption_recheck", State.NATIONAL_CLAIM_CHECK, None, NATIONAL, audit="claim_exemption_recheck",
       progress=True),
    # What the recommending bureau does with an application CNIPA returned to it.
    _t("unit_resubmit", {State.RETURNED_TO_UNIT}, State.NATIONAL_REVIEW, UNIT_ROLES, desk=True),
    _t("unit_drop", {State.RETURNED_TO_UNIT}, State.NOT_RECOMMENDED, UNIT_ROLES, desk=True),
    # The public notice and its outcome.
    _t("publish", {State.RECHECK_PASSED}, State.ON_NOTICE, NATIONAL),
    _t("objection_uphold", {State.ON_NOTICE}, State.NOT_DESIGNATED, NATIONAL),
    _t("designate", {State.ON_NOTICE}, State.DESIGNATED, NATIONAL),
)}


def route_for(applicant_type, affiliation):
    """Who reviews first (SPEC §4)."""
    if affiliation == Affiliation.MINISTRY:
        return Route.MINISTRY
    if applicant_type in PARK_TYPES or affiliation == Affiliation.PROVINCE:
        return Route.PROVINCE
    return Route.CITY


def submit_target(route, *, previous_route="", returned_from=""):
    """Where a submission lands: a first one at the route's first desk; a resubmission back at the desk that
    returned it, unless the route changed meanwhile (type or affiliation corrected): then the new route starts
    again at its first desk, city consent included where it applies (SPEC §4)."""
    if previous_route and previous_route != route:
        return FIRST_STATE[route]
    if returned_from in State.FIRST_REVIEW:
        return State(returned_from)
    return FIRST_STATE[route]


def responsible_role(state, route):
    """The role whose desk an application in `state` is on: the city for consent, the recommending bureau (by
    its route: the ministry or the province) for everything it decides until and after CNIPA returns it."""
    if state == State.CITY_REVIEW:
        return Role.CITY
    if state in (State.PROVINCE_REVIEW, State.MINISTRY_REVIEW, State.RECOMMENDED, State.RETURNED_TO_UNIT):
        if state == State.PROVINCE_REVIEW:
            return Role.PROVINCE
        if state == State.MINISTRY_REVIEW:
            return Role.MINISTRY
        return Role.MINISTRY if route == Route.MINISTRY else Role.PROVINCE
    return None


def deciding_role(state, route):
    """The role whose decision put an application in `state` and may take it back: the city for its decline, and
    for its consent while the application waits at the province; the recommending bureau for its decline."""
    if state == State.CITY_DECLINED or (state == State.PROVINCE_REVIEW and route == Route.CITY):
        return Role.CITY
    if state == State.NOT_RECOMMENDED:
        return Role.MINISTRY if route == Route.MINISTRY else Role.PROVINCE
    return None


def allowed(action, state, role, route=None):
    """Whether `role` may take `action` on an application in `state` (routed `route`)."""
    transition = TRANSITIONS[action]
    if state not in transition.sources or role not in transition.roles:
        return False
    if transition.undo:
        return route is None or deciding_role(state, route) == role
    if not transition.desk:
        return True
    if route is None and state in (State.RECOMMENDED, State.RETURNED_TO_UNIT):
        return role in UNIT_ROLES
    return responsible_role(state, route) == role


def may(action, application, role):
    """`allowed` for an application (its state and route)."""
    return allowed(action, application.state, role, application.route)


def desk_state(route):
    """The state an application waits in at its recommending bureau."""
    return State.MINISTRY_REVIEW if route == Route.MINISTRY else State.PROVINCE_REVIEW
