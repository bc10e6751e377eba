"""Permission predicates of the applicant's side, shared by views ({% has_perm %}) and templates.

They are derived from the transition table, so a button is shown exactly when the service would accept
the action. Scope (which applications a user may see at all) is applications_for_user; these add the
role and state.
"""

import rules

from navportal.models import Role

from .workflow import may


@rules.predicate
def is_member(user, application):
    return (user.is_authenticated and user.role == Role.APPLICANT
            and application.organisation_id == user.organisation_id)


def _may(action):
    @rules.predicate(name=f"may_{action}")
    def predicate(user, application):
        return user.is_authenticated and may(action, application, user.role)
    return predicate


rules.add_perm("applications.change_application", is_member & _may("submit"))
rules.add_perm("applications.submit_application", is_member & _may("submit"))
rules.add_perm("applications.withdraw_application", is_member & _may("withdraw"))
rules.add_perm("applications.reopen_application", is_member & _may("reopen"))
