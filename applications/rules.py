"""Permission predicates of the applicant's side, shared by views ({% has_perm %}) and templates.

They are derived from the transition table, so a button is shown exactly when the service would accept
the action. Scope (which applications a user may see at all) is applications_for_user; these add the
role and state. The pages' permissions come last; the role predicates are the core's (navportal/rules.py).
"""

import rules

from navportal.rules import is_applicant, is_official

from .organisations import is_first_desk
from .workflow import may


@rules.predicate
def is_member(user, application):
    return is_applicant(user) and application.organisation_id == user.organisation_id


def _may(action):
    @rules.predicate(name=f"may_{action}")
    def predicate(user, application):
        return user.is_authenticated and may(action, application, user.role)
    return predicate


rules.add_perm("applications.change_application", is_member & _may("submit"))
rules.add_perm("applications.submit_application", is_member & _may("submit"))
rules.add_perm("applications.withdraw_application", is_member & _may("withdraw"))
rules.add_perm("applications.reopen_application", is_member & _may("reopen"))


@rules.predicate
def verifies(user, organisation):
    """The bureau that first receives the organisation's applications verifies its registration (SPEC §10)."""
    return is_first_desk(user, organisation)


rules.add_perm("applications.verify_organisation", verifies)


# The pages (asked without an application: which ones a user reaches is applications_for_user's).
rules.add_perm("applications.apply", is_applicant)  # the organisation's own applications: list, start, fill in, act
rules.add_perm("applications.print_application", is_applicant | is_official)   # the printable form
rules.add_perm("applications.download_attachment", is_applicant | is_official)  # its documents
rules.add_perm("applications.view_organisation_documents", is_applicant | is_official)  # registration documents
