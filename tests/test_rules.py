"""The permission rules: the role predicates × the roles as a table, every view behind
navportal.access.permission_required_404 unless it is listed as public, no template deciding by role.

The route × role matrix (tests/test_access_matrix.py) asks what each page answers; this asks how it is
guarded, so that a new view without a gate — or a template that looks at `user.role` — fails here."""

import re
from pathlib import Path

import pytest
import rules
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from navportal import rules as roles
from navportal.models import Role, User

# The role predicates, and the roles each one holds for (the columns of ROLE_TABLE).
COLUMNS = (Role.APPLICANT, Role.CITY, Role.PROVINCE, Role.MINISTRY, Role.NATIONAL, Role.SYSTEM_ADMIN,
           Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
#                                    app  city prov min  nat  sys  sec  aud
ROLE_TABLE = {
    "is_signed_in":           "1    1    1    1    1    1    1    1",
    "is_applicant":           "1    .    .    .    .    .    .    .",
    "is_city_reviewer":       ".    1    .    .    .    .    .    .",
    "is_provincial_reviewer": ".    .    1    .    .    .    .    .",
    "is_ministry_reviewer":   ".    .    .    1    .    .    .    .",
    "is_cnipa":               ".    .    .    .    1    .    .    .",
    "is_recommending_bureau": ".    .    1    1    .    .    .    .",
    "is_official":            ".    1    1    1    1    .    .    .",
    "is_sysadmin":            ".    .    .    .    .    1    .    .",
    "is_secadmin":            ".    .    .    .    .    .    1    .",
    "is_auditadmin":          ".    .    .    .    .    .    .    1",
    "is_administrator":       ".    .    .    .    .    1    1    1",
    "needs_second_factor":    ".    1    1    1    1    1    1    1",
}


def holders(cells):
    return {role for role, cell in zip(COLUMNS, cells.split(), strict=True) if cell == "1"}


def users():
    """One unsaved user per role: a predicate reads the role only, never the database."""
    return {role: User(username=role, role=role) for role in COLUMNS}


# The core's one predicate about people rather than roles (tested below with the account requests' permissions).
PERSON_PREDICATES = {"made_the_request"}


def test_the_table_names_every_role_predicate():
    predicates = {name for name, value in vars(roles).items() if isinstance(value, rules.Predicate)}
    assert sorted(predicates - PERSON_PREDICATES) == sorted(ROLE_TABLE)


@pytest.mark.parametrize("name", ROLE_TABLE)
def test_role_predicate(name):
    """Without the database (no `db` fixture: a query would fail the test)."""
    predicate = getattr(roles, name)
    cast = users()
    # Called as a service calls it: with the actor alone, or with the object at hand (ignored); and as rules
    # calls it (test()).
    alone = {role for role, user in cast.items() if predicate(user)}
    with_object = {role for role, user in cast.items() if predicate(user, object())}
    tested = {role for role, user in cast.items() if predicate.test(user)}
    assert alone == with_object == tested == holders(ROLE_TABLE[name])
    assert predicate(AnonymousUser()) is False
    assert predicate(AnonymousUser(), object()) is False


# --- The pages' permissions ------------------------------------------------------------------------

# Each page permission and the roles whose users hold it.
#                                          app  city prov min  nat  sys  sec  aud
PAGE_TABLE = {
    "navportal.read_messages":            "1    1    1    1    1    1    1    1",
    "navportal.change_password":          "1    1    1    1    1    1    1    1",
    "navportal.use_second_factor":        ".    1    1    1    1    1    1    1",
    "navportal.manage_accounts":          ".    .    .    .    .    1    .    .",
    "navportal.manage_mail":              ".    .    .    .    .    1    .    .",
    "navportal.manage_security":          ".    .    .    .    .    .    1    .",
    "navportal.approve_accounts":         ".    .    .    .    .    .    1    .",
    "navportal.view_audit":               ".    .    .    .    .    .    .    1",
    "applications.apply":                 "1    .    .    .    .    .    .    .",
    "applications.print_application":     "1    1    1    1    1    .    .    .",
    "applications.download_attachment":   "1    1    1    1    1    .    .    .",
    "applications.view_organisation_documents": "1    1    1    1    1    .    .    .",
    "review.view_queue":                  ".    1    1    1    1    .    .    .",
    "review.filter_by_unit":              ".    .    .    .    1    .    .    .",
    "review.view_application":            ".    1    1    1    1    .    .    .",
    "review.view_verifications":          ".    1    1    1    1    .    .    .",
    "review.view_package":                ".    .    1    1    1    .    .    .",
    "review.list_packages":               ".    .    .    .    1    .    .    .",
    "review.set_province_deadline":       ".    .    1    .    .    .    .    .",
    "review.manage_calls":                ".    .    .    .    1    .    .    .",
    "review.view_dashboard":              ".    .    .    .    1    .    .    .",
    "review.manage_notice":               ".    .    .    .    1    .    .    .",
    "review.manage_objections":           ".    .    .    .    1    .    .    .",
    "review.manage_registry":             ".    .    .    .    1    .    .    .",
    "portal.edit_contacts":               ".    .    1    .    1    .    .    .",
    "portal.request_personal_data":       "1    .    .    .    .    .    .    .",
    "portal.answer_data_requests":        ".    1    1    1    1    .    .    .",
    "bases.view_bases":                   ".    .    1    1    1    .    .    .",
    "bases.view_own_base":                "1    .    .    .    .    .    .    .",
    "bases.manage_bases":                 ".    .    .    .    1    .    .    .",
    "bases.check_filings":                ".    .    1    1    .    .    .    .",
    "bases.download_filing":              "1    .    1    1    1    .    .    .",
}


@pytest.mark.parametrize("perm", PAGE_TABLE)
def test_page_permission(perm):
    """Through the user, as the decorator and {% has_perm %} ask, and without the database: no permission rows
    are read (base.html asks for a dozen on every page)."""
    cast = users()
    granted = {role for role, user in cast.items() if user.has_perm(perm)}
    assert not AnonymousUser().has_perm(perm)
    assert granted == holders(PAGE_TABLE[perm])


@pytest.mark.django_db
def test_the_user_asks_the_rules_as_djangos_backends_would_answer(reviewers, applicant, submitted):
    """User.has_perm asks the rules directly: for every permission of the rules, every role, an inactive account
    and an object or none, the same answer as Django's way through every authentication backend."""
    from django.contrib.auth import get_backends

    application = submitted(applicant)
    inactive = User(username="gone", role=Role.PROVINCE, province_id=reviewers["province_js"].province_id,
                    is_active=False)
    people = [*users().values(), *reviewers.values(), applicant, inactive]
    permissions = sorted(rules.permissions.permissions)
    assert len(permissions) > 50
    def answer(ask):  # a rule asked without the object it needs fails the same way both ways
        try:
            return ask()
        except Exception as exc:  # noqa: BLE001 - compared, not hidden
            return type(exc)

    answers = set()
    for perm in permissions:
        for obj in (None, application):
            for user in people:
                django = answer(lambda: any(backend.has_perm(user, perm, obj) for backend in get_backends()
                                            if hasattr(backend, "has_perm")))
                assert answer(lambda: user.has_perm(perm, obj)) == django, (perm, user.username, obj)
                answers.add(django)
    assert {True, False} <= answers


def test_an_account_request_is_decided_by_another_person_and_withdrawn_by_its_own():
    """Two people for powers: by identity, so a requester holding the security administrator's role (roles are
    single, but the rule is about people) still may not decide his own request."""
    from navportal.models import AccountRequest

    cast = users()
    for pk, user in enumerate(cast.values(), 1):
        user.pk = pk
    asker = cast[Role.SYSTEM_ADMIN]
    request = AccountRequest(requested_by_id=asker.pk)
    decide = {role for role, user in cast.items() if user.has_perm("navportal.decide_account_request", request)}
    withdraw = {role for role, user in cast.items() if user.has_perm("navportal.withdraw_account_request", request)}
    assert (decide, withdraw) == ({Role.SECURITY_ADMIN}, {Role.SYSTEM_ADMIN})
    both = User(pk=asker.pk, username="both", role=Role.SECURITY_ADMIN)
    assert not both.has_perm("navportal.decide_account_request", request)
    assert not User(pk=99, username="sys2", role=Role.SYSTEM_ADMIN).has_perm(
        "navportal.withdraw_account_request", request)


# --- Every view is behind the decorator, or public -----------------------------------------------

# Permissions that no view's gate asks for: they choose a part of a page (the queue's unit filters; CNIPA's
# list of every package rather than the bureau's own).
PAGE_PARTS = {"review.filter_by_unit", "review.list_packages"}

# The views anyone may open (each does what it needs for a signed-in visitor itself), by URL name.
PUBLIC = {
    "home", "help",                               # the public calls and how to apply, or a signed-in user's desk
    "privacy_rules",                              # the 个人信息处理规则 (个人信息保护法 Art. 17)
    "objector_data_request",                      # an objector's request about their data (portal.data_requests)
    "login", "logout", "register", "register_confirm", "register_transfer",
    "platform_login", "platform_callback",      # 404 unless the identity platform is configured (portal/platform.py)
    "password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete",
    "set_language",
    "health", "health_outbox",                  # the load balancer's and monitoring's (navportal/health.py)
    "notice_current", "notice_detail", "objection_create", "objection_done", "objection_confirm", "bases",  # SPEC §1: the public
    "exemplary_cases",                          # the bases' exemplary projects (bases, issue 19.2)
}


def url_patterns(resolver=None):
    """(name, callback) of every route of the project, walking the included URLconfs; Django's static-file
    serving (routed only when DEBUG is on) is left out."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry)
        elif entry.lookup_str not in ("django.views.static.serve", "django.contrib.staticfiles.views.serve"):
            assert isinstance(entry, URLPattern)
            yield entry.name, entry.callback


def test_every_view_is_behind_the_decorator_or_public():
    routes = list(url_patterns())
    assert all(name for name, _view in routes), "a route without a name"
    gates = {name: getattr(view, "permission_required", None) for name, view in routes}
    assert sorted(name for name, perm in gates.items() if perm is None) == sorted(PUBLIC)
    unknown = {name: perm for name, perm in gates.items() if perm is not None and not rules.perm_exists(perm)}
    assert unknown == {}
    # PAGE_TABLE above lists every gate's permission, and those that choose a part of a page.
    assert sorted({perm for perm in gates.values() if perm} | PAGE_PARTS) == sorted(PAGE_TABLE)


def test_the_decorator_answers_404_and_sends_the_anonymous_to_sign_in(db):
    """The gate of every route, as one sample: the audit trail (navportal.view_audit)."""
    auditor = User.objects.create_user("auditor", role=Role.AUDIT_ADMIN)
    sysadmin = User.objects.create_user("sysadmin", role=Role.SYSTEM_ADMIN)
    anonymous = Client().get("/audit/")
    assert (anonymous.status_code, anonymous["Location"]) == (302, f"{reverse('login')}?next=/audit/")
    refused, granted = Client(), Client()
    refused.force_login(sysadmin)
    granted.force_login(auditor)
    assert refused.get("/audit/").status_code == 404
    assert granted.get("/audit/").status_code == 200


# --- No template decides by role -------------------------------------------------------------------

def test_no_template_compares_the_role():
    """Templates ask {% has_perm %}, as the views do: none reads the user's role (showing its name,
    user.get_role_display, is fine)."""
    root = Path(settings.BASE_DIR) / "templates"
    found = [f"{path.relative_to(root)}:{number}: {line.strip()}"
             for path in sorted(root.rglob("*")) if path.is_file()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"\buser\.role\b", line)]
    assert found == []


def test_the_home_page_has_one_desk_for_every_role():
    """portal.views.home sends a signed-in user to the first desk whose permission they hold: each role holds
    exactly one (where each goes is in the route × role matrix)."""
    from portal.views import DESKS

    desks = {role: [name for perm, name in DESKS if user.has_perm(perm)] for role, user in users().items()}
    assert {role: len(names) for role, names in desks.items()} == dict.fromkeys(COLUMNS, 1)
