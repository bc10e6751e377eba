"""Permission predicates of the review side, derived from the transition table (see applications.rules)."""

import rules

from applications.enums import State
from applications.workflow import allowed
from navportal.models import Role


def _may(action):
    @rules.predicate(name=f"may_{action}")
    def predicate(user, application):
        return user.is_authenticated and allowed(action, application.state, user.role)
    return predicate


for _action in ("city_consent", "city_decline", "return", "decline", "recommend", "unrecommend", "recheck_pass",
                "recheck_fail", "return_to_unit", "unit_resubmit", "unit_drop"):
    rules.add_perm(f"review.{_action}", _may(_action))


@rules.predicate
def checks_claims(user, application):
    desk = State.MINISTRY_REVIEW if application.route == "ministry" else State.PROVINCE_REVIEW
    role = Role.MINISTRY if application.route == "ministry" else Role.PROVINCE
    return (user.is_authenticated and user.role == role
            and application.state in (desk, State.RECOMMENDED))


rules.add_perm("review.claim_check", checks_claims)


@rules.predicate
def rechecks_claims(user, application):
    return (user.is_authenticated and user.role == Role.NATIONAL and bool(application.exempt_category)
            and application.state in (State.NATIONAL_REVIEW, State.RECHECK_PASSED))


rules.add_perm("review.national_claim_check", rechecks_claims)


@rules.predicate
def is_recommending_bureau(user, package):
    return user.is_authenticated and user.role in (Role.PROVINCE, Role.MINISTRY)


@rules.predicate
def is_cnipa(user, package=None):
    return user.is_authenticated and user.role == Role.NATIONAL


rules.add_perm("review.change_package", is_recommending_bureau)
rules.add_perm("review.reopen_package", is_cnipa)
