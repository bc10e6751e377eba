"""Permission predicates of the review side, derived from the transition table (see applications.rules)."""

import rules

from applications.workflow import may
from navportal.models import Role


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
def rechecks_claims(user, application):
    return (user.is_authenticated and bool(application.exempt_category)
            and may("claim_exemption_recheck", application, user.role))


rules.add_perm("review.national_claim_check", rechecks_claims)


@rules.predicate
def is_recommending_bureau(user, package):
    return user.is_authenticated and user.role in (Role.PROVINCE, Role.MINISTRY)


@rules.predicate
def is_cnipa(user, package=None):
    return user.is_authenticated and user.role == Role.NATIONAL


rules.add_perm("review.change_package", is_recommending_bureau)
rules.add_perm("review.reopen_package", is_cnipa)
