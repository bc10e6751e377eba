"""Who may do what with the bases after designation. Which bases a user reaches is bases.selectors.bases_for_user
(outside it: 404); these name the pages and what each role may do on them, derived from the table (bases.workflow)
so that a button shows exactly when the service would accept it."""

import rules

from navportal.rules import is_applicant, is_cnipa, is_recommending_bureau

from .workflow import allowed


def _may(action):
    @rules.predicate(name=f"may_{action}")
    def predicate(user, base):
        return user.is_authenticated and allowed(action, base.status, user.role)
    return predicate


# The pages.
rules.add_perm("bases.view_bases", is_cnipa | is_recommending_bureau)   # the bases in scope, and each one's page
rules.add_perm("bases.view_own_base", is_applicant)                     # the organisation's own base
rules.add_perm("bases.manage_bases", is_cnipa)                          # dynamic management: its POSTs
rules.add_perm("bases.check_filings", is_recommending_bureau)           # the supervising bureau's checks
rules.add_perm("bases.download_filing", is_applicant | is_cnipa | is_recommending_bureau)  # plan, evidence
# On one base (in scope).
rules.add_perm("bases.rectify_base", is_cnipa & _may("rectify"))
rules.add_perm("bases.close_rectification", is_cnipa & _may("restore"))
rules.add_perm("bases.revoke_base", is_cnipa & _may("revoke"))
rules.add_perm("bases.answer_rectification", is_applicant & _may("rectification_answer"))
