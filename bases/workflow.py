"""The life of a base after designation as one table, of the same rows as the applications' (applications.workflow):
the statuses each step may start from, where it leads (none: the status stays), who may take it, and its audit
action. Carried out by the one writer, bases.transitions.base_transition (and, through it, the write every
transition ends with, navportal.transitions)."""

from applications.workflow import APPLICANT, NATIONAL, UNIT_ROLES, Transition

from .models import BaseStatus

CURRENT = frozenset({BaseStatus.ACTIVE, BaseStatus.RECTIFYING})


def _b(action, sources, target, roles, *, audit=True):
    targets = frozenset({target}) if target else frozenset()
    return Transition(action, frozenset(sources), targets, frozenset(roles), audit=f"base_{action}" if audit else "",
                      moves=bool(targets), progress=False)


TRANSITIONS = {t.action: t for t in (
    # Dynamic management (四(二)): CNIPA opens a rectification (整改) — after an unqualified grade, a missed report
    # or a finding of its own —, the base answers it, CNIPA closes it or revokes the title by document.
    _b("rectify", {BaseStatus.ACTIVE}, BaseStatus.RECTIFYING, NATIONAL),
    _b("rectification_answer", {BaseStatus.RECTIFYING}, None, APPLICANT),
    _b("restore", {BaseStatus.RECTIFYING}, BaseStatus.ACTIVE, NATIONAL),
    _b("revoke", CURRENT, BaseStatus.REVOKED, NATIONAL),
    # The filings (19.2), while the base is current: the base files its construction plan (once, revised when
    # returned), its projects and its public-welfare services and training; the bureau that supervises it
    # (bases.selectors.supervisor) checks each — acknowledges or returns it with reasons —; CNIPA may mark a
    # checked project an exemplary case. Each keeps the base's status and is a line of its trail.
    _b("plan_file", CURRENT, None, APPLICANT),
    _b("plan_check", CURRENT, None, UNIT_ROLES),
    _b("project_file", CURRENT, None, APPLICANT),
    _b("project_check", CURRENT, None, UNIT_ROLES),
    _b("project_exemplary", CURRENT, None, NATIONAL),
    _b("service_file", CURRENT, None, APPLICANT),
    _b("service_check", CURRENT, None, UNIT_ROLES),
    # The annual report (19.3): the base writes it (drafts are not audited) and submits it; its supervising bureau
    # returns it with reasons or forwards it with its opinion; CNIPA receives it.
    _b("report_edit", CURRENT, None, APPLICANT, audit=False),
    _b("report_submit", CURRENT, None, APPLICANT),
    _b("report_review", CURRENT, None, UNIT_ROLES),
    _b("report_receive", CURRENT, None, NATIONAL),
    # The assessment (19.4): an assessor's score, and the result CNIPA publishes (an unqualified one then opens a
    # rectification: "rectify" above).
    _b("assessment_score", CURRENT, None, NATIONAL),
    _b("assessment_result", CURRENT, None, NATIONAL),
)}


def allowed(action, status, role):
    """Whether `role` may take `action` on a base in `status`."""
    transition = TRANSITIONS[action]
    return status in transition.sources and role in transition.roles
