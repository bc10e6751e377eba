"""Who is who, and the core's own pages: the role predicates, defined once, and the permissions of the
pages that belong to the core (accounts, security, the audit trail, messages, the second factor).

- A role predicate reads `user.role` and nothing else: no query, no request. base.html asks for several on
  every page at no cost, and a service asks with its actor alone or with the object at hand —
  `is_cnipa(actor)` and `is_cnipa(actor, package)` answer alike (the object is ignored). An anonymous
  visitor holds no role.
- A page permission (`navportal.view_audit`, `review.view_queue`, …) names what a page lets its user do and
  says which roles may: the view is wrapped by navportal.access.permission_required_404, its links and
  buttons ask `{% has_perm %}`, so the two cannot disagree. It is asked without an object: *which* objects a
  user sees on the page is the selectors' (applications_for_user, packages_for_user), and outside them the
  answer is 404 too (navportal.access.get_in_scope).
- One predicate is about people rather than roles: `made_the_request` (an account request is decided by
  another person than its requester: two people for powers, navportal/administration.py).
- Permissions on one application or package, derived from the transition table, are the apps' own
  (applications/rules.py, review/rules.py), as are the apps' page permissions.
"""

import rules

from .models import ADMIN_ROLES, OFFICIAL_ROLES, Role


def _holds(*roles, name):
    """A predicate true for a signed-in user holding one of `roles`; any object passed along is ignored."""

    def holds(user, obj=None):
        return user.is_authenticated and user.role in roles

    return rules.predicate(holds, name=name)


@rules.predicate
def is_signed_in(user, obj=None):
    return user.is_authenticated


is_applicant = _holds(Role.APPLICANT, name="is_applicant")
is_city_reviewer = _holds(Role.CITY, name="is_city_reviewer")
is_provincial_reviewer = _holds(Role.PROVINCE, name="is_provincial_reviewer")
is_ministry_reviewer = _holds(Role.MINISTRY, name="is_ministry_reviewer")
is_cnipa = _holds(Role.NATIONAL, name="is_cnipa")
# The bureaus that rank and hand in a recommendation package (a province, or a ministry's department).
is_recommending_bureau = _holds(Role.PROVINCE, Role.MINISTRY, name="is_recommending_bureau")
# Whoever reviews: the three desks and CNIPA.
is_official = _holds(*OFFICIAL_ROLES, name="is_official")
# Separation of administration (三权分立): three roles, no business page, none with another's powers.
is_sysadmin = _holds(Role.SYSTEM_ADMIN, name="is_sysadmin")
is_secadmin = _holds(Role.SECURITY_ADMIN, name="is_secadmin")
is_auditadmin = _holds(Role.AUDIT_ADMIN, name="is_auditadmin")
is_administrator = _holds(*ADMIN_ROLES, name="is_administrator")
# 等保 2.0 level 3 asks two kinds of authentication of whoever decides or administers (second_factor.py).
needs_second_factor = is_official | is_administrator


@rules.predicate
def made_the_request(user, request):
    """The user asked for this account request (AccountRequest) himself: he may withdraw it, never decide it.
    By identity, not by role, so that it holds even for someone who held both administrators' roles."""
    return user.is_authenticated and request is not None and request.requested_by_id == user.pk


# The core's pages.
rules.add_perm("navportal.read_messages", is_signed_in)           # the in-portal messages
rules.add_perm("navportal.change_password", is_signed_in)         # the password change and its done page
rules.add_perm("navportal.use_second_factor", needs_second_factor)  # enrolling the authenticator, the code
rules.add_perm("navportal.manage_accounts", is_sysadmin)          # officials' accounts, roles and scopes
rules.add_perm("navportal.manage_mail", is_sysadmin)              # the outbox: each mail's status, resend
rules.add_perm("navportal.approve_accounts", is_secadmin)         # the queue of account requests to decide
# On one account request (asked with it): who may decide it, and who may withdraw it.
rules.add_perm("navportal.decide_account_request", is_secadmin & ~made_the_request)
rules.add_perm("navportal.withdraw_account_request", is_sysadmin & made_the_request)
rules.add_perm("navportal.manage_security", is_secadmin)          # lockouts, lost authenticators
rules.add_perm("navportal.view_audit", is_auditadmin)             # the audit trail and its export
