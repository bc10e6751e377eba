"""Permission predicates of the review side, derived from the transition table (see applications.rules), and
the review pages' permissions. The role predicates are the core's (navportal/rules.py)."""

import rules

from applications.workflow import may
from navportal.rules import is_cnipa, is_official, is_provincial_reviewer, is_recommending_bureau


def _may(action):
    @rules.predicate(name=f"may_{action}")
    def predicate(user, application):
        return user.is_authenticated and may(action, application, user.role)
    return predicate


for _action in ("city_consent", "city_decline", "return", "decline", "recommend", "unrecommend", "recheck_pass",
                "recheck_fail", "return_to_unit", "unit_resubmit", "unit_drop"):
    rules.add_perm(f"review.{_action}", _may(_action))


@rules.predicate
def checks_claims(user, application):
    return user.is_authenticated and (may("claim_exemption_check", application, user.role)
                                      or may("claim_priority_check", application, user.role))


rules.add_perm("review.claim_check", checks_claims)


@rules.predicate
def takes_back(user, application):
    """The desk that consented or declined may take its decision back (the deadline is the service's)."""
    return user.is_authenticated and any(may(action, application, user.role) for action in (
        "city_consent_withdraw", "city_decline_withdraw", "decline_withdraw"))


rules.add_perm("review.take_back", takes_back)


@rules.predicate
def rechecks_claims(user, application):
    return (user.is_authenticated and bool(application.exempt_category)
            and may("claim_exemption_recheck", application, user.role))


rules.add_perm("review.national_claim_check", rechecks_claims)


rules.add_perm("review.change_package", is_recommending_bureau)
rules.add_perm("review.reopen_package", is_cnipa)


# The pages (asked without an object: which applications and packages a user reaches is the selectors').
rules.add_perm("review.view_queue", is_official)               # the queue of the user's scope
rules.add_perm("review.filter_by_unit", is_cnipa)              # the queue's province and ministry filters
rules.add_perm("review.view_application", is_official)         # an application as reviewed: decisions, claims
rules.add_perm("review.view_verifications", is_official)       # registrations to verify, transfer requests
rules.add_perm("review.view_package", is_recommending_bureau | is_cnipa)  # a package: ranking, letter, summary
rules.add_perm("review.list_packages", is_cnipa)               # every unit's package
rules.add_perm("review.set_province_deadline", is_provincial_reviewer)  # the province's deadline for applicants
rules.add_perm("review.manage_calls", is_cnipa)                # open and edit calls
rules.add_perm("review.view_dashboard", is_cnipa)              # progress per unit, the national summary
rules.add_perm("review.manage_notice", is_cnipa)               # publish the list, dates, final list, exports
rules.add_perm("review.manage_objections", is_cnipa)           # read and decide objections, their files
rules.add_perm("review.manage_registry", is_cnipa)             # the registry of exempting titles and its import
