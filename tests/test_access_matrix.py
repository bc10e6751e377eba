"""The route × role matrix (after pretix's src/tests/control/test_permissions.py): every named route of the
portal requested as every kind of user, with the answer a careful reading of SPEC §1 expects.

- ROUTES has one row per URL name; test_every_route_has_a_row fails for a route without one.
- test_get_matrix: ROUTES × users, the GET's status asserted exactly. 404 means "no such thing": out of
  scope, another organisation, a role the page is not for (administrators hold no business role). A 404
  for an existing object must look exactly like the 404 for a missing id, and a refused download must
  carry nothing of the file.
- test_post_*: every state-changing route refuses GET (405), refuses a POST without CSRF token (403), and
  answers a POST by anyone outside its scope as the matrix says (404 for those who cannot see the object)
  without changing the object — then, as a control, the user in scope makes the same POST and the object
  does change, so "nothing changed" could have failed.
- test_extra_fields_*: fields a form does not have are ignored, whatever they are named.

The world (tests/access_fixtures.py) is built once for the module inside a transaction that is rolled back
at the end; every test runs in a savepoint of it (pytest-django's `db`), so what one test changes the next
never sees.
"""

import re
import datetime
import io
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote

import openpyxl
from axes.models import AccessAttempt
import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from post_office.models import Email

from applications.models import (
    Application, Organisation, OrganisationDocument, OrganisationTransfer, PendingRegistration,
)
from bases.models import Base, Rectification, ReportingPeriod
from navportal.demo.content import TINY_PDF, credit_code
from navportal.models import AccountRequest, AuditEvent, City, Message, Province, Role, User
from portal.models import BureauContact, DataRequest
from review import national, previews
from review.models import Call, Notice, Objection, Package, ProvinceDeadline, RegistryEntry
from tests.access_fixtures import (
    BASE_PLAN_NAME, EVIDENCE_NAME, REPORT_NAME, JS_LETTER_NAME, MOE_LETTER_NAME, OBJECTION_LETTER_NAME, PENDING_LETTER_NAME,
    SCAN_NAME, SECRET_PDF, build_world,
)
from tests.conftest import PASSWORD, outer_test_transaction, resealed, user_by_email
from tests.mail_helpers import deliver_mail

# The columns of the matrix, in the order of the expectation strings below.
COLUMNS = ("anon", "owner", "other", "city_in", "city_out", "prov_in", "prov_out", "min_in", "min_out", "cnipa",
           "sysadmin", "secadmin", "auditadmin")
# A cell: an HTTP status, "login" (302 to the login page with ?next=), or "." (not requested).
LOGIN = "login"
SKIP = "."


def row(cells):
    values = cells.split()
    assert len(values) == len(COLUMNS), cells
    return dict(zip(COLUMNS, (v if v in (LOGIN, SKIP) else int(v) for v in values)))


def same(cell):
    return row(" ".join([cell] * len(COLUMNS)))


def signed_in(cell, anon=LOGIN):
    return row(" ".join([str(anon)] + [cell] * (len(COLUMNS) - 1)))


@dataclass(frozen=True)
class Post:
    """A state-changing POST: valid data, the user in scope who may make it and what they get, and the
    object's state (a snapshot read from the database) that a refused POST must leave as it was."""

    data: Callable                       # world → POST data (a new upload every call)
    actor: str                           # the column in scope: makes the control POST
    done: int | None                     # the actor's status; None: no control (auth forms)
    state: Callable | None = None        # world → snapshot of what the POST changes
    expect: dict = field(default_factory=dict)   # column → status of the refused POST ("." not tried)
    prepare: Callable | None = None      # world → None: bring the object into a state the action needs


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: Callable | None              # world → URL kwargs
    methods: tuple                       # what the view serves
    get: dict                            # column → expected status of a GET
    owner: str = "city"                  # which applicant is "owner" (tests/access_fixtures.World.owners)
    post: Post | None = None             # for a route that changes state
    download: bytes | None = None        # a file route: how a 200's body starts
    secrets: Callable | None = None      # world → strings a 404 must not contain
    to: dict = field(default_factory=dict)   # column or "*" → world → where a 302 cell redirects

    @property
    def changes_state(self):
        return "POST" in self.methods

    def __str__(self):
        return self.name


def url(name):
    return lambda w: reverse(name)


def matrix_data_request(w):
    """A request to correct the Nanjing institution's application, which the Nanjing bureau holds."""
    request, _created = DataRequest.objects.get_or_create(
        application=w.app_city, defaults={"kind": "correction", "text": "矩阵·姓名有误", "holder_role": Role.CITY,
                                          "holder_id": w.app_city.city_id,
                                          "requested_by": w.app_city.organisation.members.first()})
    return request


def base_standing(w):
    return Base.objects.values_list("status", "lock_version").get(pk=w.base.pk), list(
        Rectification.objects.filter(base=w.base).values_list("closed_at", "answer"))


# The base's filings: who may file (its own contact) and check (its supervisor, Jiangsu), and who sees its files.
SUPERVISOR_POST = row("login 404 404 404 404 .   404 404 404 404 404 404 404")
BASE_OWN = row("login 200 404 404 404 404 404 404 404 404 404 404 404")
BASE_OWN_POST = row("login .   404 404 404 404 404 404 404 404 404 404 404")
BASE_FILE = row("login 200 404 404 404 200 404 404 404 200 404 404 404")
MATRIX_PROJECT = {"need": "矩阵·需求", "client_kind": "innovator", "client": "矩阵·企业", "project_type": "enterprise",
                  "service_body": "矩阵·服务机构", "funding": "8", "funding_source": "矩阵·自筹",
                  "approved_on": (timezone.localdate() - datetime.timedelta(days=2)).isoformat()}


def filing_states(w):
    from bases.models import ConstructionPlan, Project, PublicService

    return (list(ConstructionPlan.objects.filter(base=w.base).values_list("state", "summary")),
            list(Project.objects.filter(base=w.base).order_by("pk").values_list("title", "state", "exemplary_at")),
            list(PublicService.objects.filter(base=w.base).order_by("pk").values_list("title", "state")))


BUREAUS = row("login 404 404 404 404 200 200 200 200 200 404 404 404")


def scheme_state(w):
    from bases.models import AssessmentScheme, Score

    scheme = AssessmentScheme.objects.get(period=w.period)
    return (scheme.excellent, scheme.good, scheme.published_at,
            list(Score.objects.filter(indicator__scheme=scheme).values_list("points", "reason")))


def scored(w):
    from bases.models import Indicator

    return list(Indicator.objects.filter(scheme__period=w.period, kind="scored").order_by("pk"))


def scored_all(w):
    from decimal import Decimal

    from bases import assessment

    for indicator in scored(w):
        assessment.score_save(actor=w.users["cnipa"], period_id=w.period.pk, base_id=w.base.pk,
                              indicator_id=indicator.pk, points=Decimal(5), reason="矩阵·评分")


def report_state(w):
    from bases.models import AnnualReport

    return AnnualReport.objects.values_list("state", "demand_matching", "opinion").get(pk=w.report.pk)


def report_forwarded(w):
    from bases import reports

    reports.report_review(actor=w.users["prov_in"], report_id=w.report.pk, forward=True, text="矩阵·同意")


def report_returned(w):
    from bases import reports

    reports.report_review(actor=w.users["prov_in"], report_id=w.report.pk, forward=False, text="矩阵·请修改")


def project_checked(w):
    from bases import filings

    filings.project_check(actor=w.users["prov_in"], base_id=w.base.pk, project_id=w.project.pk, acknowledge=True)


def plan_returned(w):
    from bases import filings

    filings.plan_check(actor=w.users["prov_in"], base_id=w.base.pk, acknowledge=False, note="矩阵·请补充")


def rectifying(w):
    """CNIPA opened a rectification of the world's base (what closing and answering it need)."""
    from bases import services as base_services

    base_services.rectification_open(actor=w.users["cnipa"], base_id=w.base.pk, reason="finding",
                                     detail="矩阵·整改要求", deadline=timezone.localdate() + datetime.timedelta(days=9))


def lock(application):
    return Application.objects.values_list("lock_version", flat=True).get(pk=application.pk)


def app_state(attr):
    return lambda w: Application.objects.values_list("state", flat=True).get(pk=getattr(w, attr).pk)


def ranks(w):
    return list(w.package_js.recommendations.order_by("pk").values_list("pk", "rank"))


def local(moment, fmt="%Y-%m-%dT%H:%M"):
    return timezone.localtime(moment).strftime(fmt)


def call_data(title, call=None):
    now = timezone.now()
    return {"title": title, "document_number": "矩阵〔2026〕9号", "notice_text": "",
            "opens_at": local(call.opens_at if call else now),
            "deadline": local(call.deadline if call else now + datetime.timedelta(days=60)),
            "quota": 3, "ministry_quota": "", "notice_working_days": 5, "exempt_categories": ["protection_centre"]}


def registry_sheet():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["类别", "名称", "别名", "统一社会信用代码", "省份", "认定文件文号", "认定日期", "届满日期"])
    sheet.append(["国家级知识产权保护中心", "矩阵·某保护中心", None, None, "江苏", "国知办函〔2019〕1号",
                  datetime.date(2019, 3, 1), None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("registry.xlsx", buffer.getvalue(), "application/octet-stream")


def unread_of(user):
    return list(Message.objects.filter(recipient=user, read_at__isnull=True).order_by("pk").values_list("pk", flat=True))


def request_state(w):
    return AccountRequest.objects.values_list("state", flat=True).get(pk=w.account_request.pk)


def close_notice_period(w):
    """notice_final needs the period over and every objection decided."""
    today = timezone.localdate()
    Notice.objects.filter(pk=w.notice.pk).update(starts_on=today - datetime.timedelta(days=12),
                                                 ends_on=today - datetime.timedelta(days=5))
    resealed(w.notice)  # the calendar moved, not an attacker: the list's seal goes with it
    for objection in (w.objection_person, w.objection_org):
        national.objection_decide(actor=w.users["cnipa"], objection_id=objection.pk, decision="dismissed",
                                  note="异议不成立。")


def app_secrets(attr):
    return lambda w: [getattr(w, attr).name, getattr(w, attr).organisation.credit_code]


# The usual shapes of a GET row.
PUBLIC = same("200")
CNIPA_ONLY = row("login 404 404 404 404 404 404 404 404 200 404 404 404")
POST_ONLY = signed_in("405")
APPLICANT_OWN = row("login 200 404 404 404 404 404 404 404 404 404 404 404")
# The usual shapes of the refused POSTs ("." is the actor, who makes the control POST). Whoever cannot see
# the object gets 404; whoever sees it but may not act gets the portal's refusal with its message, 409.
OWNER_POST = row("login .   404 404 404 404 404 404 404 404 404 404 404")
PACKAGE_POST = row("login 404 404 404 404 .   404 404 404 409 404 404 404")   # CNIPA sees every package
CNIPA_POST = row("login 404 404 404 404 404 404 404 404 .   404 404 404")
SYSADMIN_ONLY = row("login 404 404 404 404 404 404 404 404 404 200 404 404")
SECADMIN_ONLY = row("login 404 404 404 404 404 404 404 404 404 404 200 404")
SYSADMIN_POST = row("login 404 404 404 404 404 404 404 404 404 .   404 404")
SECADMIN_POST = row("login 404 404 404 404 404 404 404 404 404 404 .   404")

#                                      anon  own  oth  cI   cO   pI   pO   mI   mO   nat  sys  sec  aud
ROUTES = [
    # --- Accounts (Django's auth views) and the home page ---------------------------------------
    # Signed in, the home page sends each user to their desk.
    Route("home", None, ("GET",), row("200  302  302  302  302  302  302  302  302  302  302  302  302"),
          to={"owner": url("application_list"), "other": url("application_list"), "city_in": url("review_queue"),
              "prov_out": url("review_queue"), "min_in": url("review_queue"), "cnipa": url("review_queue"),
              "sysadmin": url("account_list"), "secadmin": url("security_home"), "auditadmin": url("audit_list")}),
    # redirect_authenticated_user: a signed-in user has nothing to do on the login page.
    Route("login", None, ("GET", "POST"), signed_in("302", anon=200), to={"*": url("home")},
          post=Post(lambda w: {"username": w.owners["rec1"].username, "password": PASSWORD}, "anon", 302)),
    Route("logout", None, ("POST",), same("405"), post=Post(lambda w: {}, "owner", 302)),
    # The second factor: applicants never have one (404, as for any page not for their role); every official
    # and administrator here signed in with it passed already (tests/conftest.py), so they go on to the home
    # page. The pages themselves, unverified, are tested in tests/test_second_factor.py.
    Route("otp_setup", None, ("GET", "POST"), row("login 404  404  302  302  302  302  302  302  302  302  302  302"),
          to={"*": url("home")},
          post=Post(lambda w: {"code": "000000"}, "city_in", 302,
                    expect=row("login 404 404 .   302 302 302 302 302 302 302 302 302"))),
    Route("otp_verify", None, ("GET", "POST"), row("login 404  404  302  302  302  302  302  302  302  302  302  302"),
          to={"*": url("home")},
          post=Post(lambda w: {"code": "000000"}, "city_in", 302,
                    expect=row("login 404 404 .   302 302 302 302 302 302 302 302 302"))),
    Route("password_change", None, ("GET", "POST"), signed_in("200"),
          post=Post(lambda w: {"old_password": PASSWORD, "new_password1": "Nq8!matrix-Pass",
                               "new_password2": "Nq8!matrix-Pass"}, "owner", 302,
                    state=lambda w: User.objects.get(pk=w.owners["city"].pk).password,
                    expect=row("login .  .  .  .  .  .  .  .  .  .  .  ."))),
    Route("password_change_done", None, ("GET",), signed_in("200")),
    Route("password_reset", None, ("GET", "POST"), PUBLIC,
          post=Post(lambda w: {"email": w.owners["city"].email}, "anon", 302, state=lambda w: Email.objects.count())),
    Route("password_reset_done", None, ("GET",), PUBLIC),
    # A valid link redirects to the same URL with the token moved into the session (Django's design).
    Route("password_reset_confirm", lambda w: {"uidb64": w.reset[0], "token": w.reset[1]}, ("GET", "POST"),
          same("302"), to={"*": lambda w: reverse("password_reset_confirm", args=[w.reset[0], "set-password"])},
          post=Post(lambda w: {"new_password1": "Nq8!matrix-Pass", "new_password2": "Nq8!matrix-Pass"}, "anon",
                    None)),
    Route("password_reset_complete", None, ("GET",), PUBLIC),
    Route("messages", None, ("GET",), signed_in("200")),
    # Each user marks only their own messages read: the owner's ids posted by anyone else mark nothing.
    Route("messages_mark_read", None, ("POST",), POST_ONLY,
          post=Post(lambda w: {"message": unread_of(w.owners["city"])}, "owner", 302,
                    state=lambda w: unread_of(w.owners["city"]),
                    expect=row("login .   302  302  302  302  302  302  302  302  302  302  302"))),
    # --- The administrators (三权分立): each page is for one of them, 404 for everyone else -------
    Route("account_list", None, ("GET",), SYSADMIN_ONLY),
    Route("account_create", None, ("GET", "POST"), SYSADMIN_ONLY,
          post=Post(lambda w: {"username": "matrix-new", "display_name": "矩阵·新用户", "email": "new@example.cn",
                               "role": "national"}, "sysadmin", 302,
                    state=lambda w: AccountRequest.objects.filter(username="matrix-new").exists(),
                    expect=SYSADMIN_POST)),
    # Officials' accounts only: an applicant's or an administrator's is not edited here.
    Route("account_edit", lambda w: {"pk": w.users["city_out"].pk}, ("GET", "POST"), SYSADMIN_ONLY,
          post=Post(lambda w: {"display_name": "矩阵·改名", "email": "renamed@example.cn", "role": "city",
                               "province": w.users["city_out"].city.province_id, "city": w.users["city_out"].city_id}, "sysadmin", 302,
                    state=lambda w: User.objects.values_list("display_name", flat=True).get(pk=w.users["city_out"].pk),
                    expect=SYSADMIN_POST)),
    Route("account_active", lambda w: {"pk": w.users["min_out"].pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {"active": "0"}, "sysadmin", 302,
                    state=lambda w: User.objects.values_list("is_active", flat=True).get(pk=w.users["min_out"].pk),
                    expect=SYSADMIN_POST)),
    Route("mail_list", None, ("GET",), SYSADMIN_ONLY),
    Route("mail_resend", lambda w: {"pk": w.failed_mail.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {}, "sysadmin", 302,
                    state=lambda w: Email.objects.values_list("status", flat=True).get(pk=w.failed_mail.pk),
                    expect=SYSADMIN_POST)),
    # Two people for powers: the system administrator's requests, the security administrator's decisions.
    Route("account_requests", None, ("GET",), SYSADMIN_ONLY),
    Route("account_request_withdraw", lambda w: {"pk": w.account_request.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {}, "sysadmin", 302, state=request_state, expect=SYSADMIN_POST)),
    Route("account_approvals", None, ("GET",), SECADMIN_ONLY),
    Route("account_request_approve", lambda w: {"pk": w.account_request.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {}, "secadmin", 302, state=request_state, expect=SECADMIN_POST)),
    Route("account_request_refuse", lambda w: {"pk": w.account_request.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {"reason": "矩阵·未核实"}, "secadmin", 302, state=request_state,
                    expect=SECADMIN_POST)),
    Route("security_home", None, ("GET",), SECADMIN_ONLY),
    Route("lockout_reset", lambda w: {"pk": w.lockout.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {}, "secadmin", 302, state=lambda w: AccessAttempt.objects.filter(pk=w.lockout.pk).exists(),
                    expect=SECADMIN_POST)),
    Route("second_factor_reset", lambda w: {"pk": w.users["city_out"].pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {}, "secadmin", 302,
                    state=lambda w: TOTPDevice.objects.filter(user=w.users["city_out"]).count(),
                    expect=SECADMIN_POST)),
    Route("audit_list", None, ("GET",), row("login 404  404  404  404  404  404  404  404  404  404  404  200")),
    Route("audit_export", None, ("GET",), row("login 404  404  404  404  404  404  404  404  404  404  404  200"),
          download=b"PK"),
    # Django's view: a GET redirects without changing anything; only a POST sets the language.
    Route("set_language", None, ("GET", "POST"), same("302"), to={"*": lambda w: "/"},
          post=Post(lambda w: {"language": "en", "next": "/"}, "anon", 302)),

    # --- The public pages ----------------------------------------------------------------------
    Route("notice_current", None, ("GET",), same("302"),
          to={"*": lambda w: reverse("notice_detail", args=[w.call_notice.pk])}),
    Route("notice_detail", lambda w: {"call_id": w.call_notice.pk}, ("GET",), PUBLIC),
    Route("objection_create", lambda w: {"call_id": w.call_notice.pk, "entry_id": w.entries[2].pk}, ("GET", "POST"),
          PUBLIC,
          post=Post(lambda w: {"kind": "person", "name": "矩阵异议人", "phone": "13912345678", "email": "m@example.cn",
                               "signature": "矩阵异议人", "declaration": "on", "reasons": "材料不实。",
                               "privacy": "on"}, "anon", 302,
                    state=lambda w: Objection.objects.count())),
    Route("objection_done", lambda w: {"call_id": w.call_notice.pk}, ("GET",), PUBLIC),
    # The link mailed to an objector: a GET shows the button; the POST (anyone holding the link) confirms.
    Route("objection_confirm", lambda w: {"token": w.objection_token}, ("GET", "POST"), PUBLIC,
          post=Post(lambda w: {}, "anon", 302, state=lambda w: Objection.objects.confirmed().count())),
    Route("bases", None, ("GET",), PUBLIC),
    # The identity platform's sign-in: off in this world (no OIDC settings), so no one reaches it; with the
    # settings, tests/test_platform_sign_in.py signs in through a real provider.
    Route("platform_login", None, ("GET",), same("404")),
    Route("platform_callback", None, ("GET",), same("404")),
    # Registration answers the same page whatever the case; the link mailed creates the organisation, or for a
    # registered code asks for the documents and makes a transfer request.
    Route("register", None, ("GET", "POST"), signed_in("302", anon=200), to={"*": url("home")},
          post=Post(lambda w: registration(), "anon", 200, state=lambda w: PendingRegistration.objects.count(),
                    expect=signed_in("302", anon=SKIP))),
    Route("register_confirm", lambda w: {"token": w.registration_token}, ("GET", "POST"), PUBLIC,
          post=Post(lambda w: {}, "anon", 302, state=lambda w: Organisation.objects.count())),
    Route("register_transfer", lambda w: {"token": w.transfer_token}, ("GET", "POST"), PUBLIC,
          post=Post(lambda w: {
              "authorisation": SimpleUploadedFile("矩阵-接管委托书.pdf", TINY_PDF, "application/pdf"),
              "licence": SimpleUploadedFile("矩阵-接管执照.pdf", TINY_PDF, "application/pdf")},
              "anon", 200, state=lambda w: OrganisationTransfer.objects.count())),

    # --- The applicant's pages ------------------------------------------------------------------
    Route("application_list", None, ("GET",), row("login 200  200  404  404  404  404  404  404  404  404  404  404")),
    # Any applicant may start one (a second start returns the one it has: no change); no one else.
    Route("application_start", lambda w: {"call_id": w.call.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {}, "other", 302, state=lambda w: Application.objects.filter(call=w.call).count(),
                    expect=row("login 302  .    404  404  404  404  404  404  404  404  404  404"))),
    Route("application_tasks", lambda w: {"pk": w.app_city.pk}, ("GET",), APPLICANT_OWN,
          secrets=app_secrets("app_city")),
    Route("application_pledge", lambda w: {"pk": w.app_draft.pk}, ("GET", "POST"), APPLICANT_OWN, owner="draft",
          secrets=app_secrets("app_draft"),
          post=Post(lambda w: {"pledge": "on"}, "owner", 302, expect=OWNER_POST,
                    state=lambda w: Application.objects.values_list("pledged_at", flat=True).get(pk=w.app_draft.pk))),
    Route("application_section", lambda w: {"pk": w.app_complete.pk, "section_key": "plan"}, ("GET", "POST"),
          APPLICANT_OWN, owner="complete", secrets=app_secrets("app_complete"),
          post=Post(lambda w: {"lock_version": lock(w.app_complete), "plan_goals": "矩阵·新目标"}, "owner", 302,
                    expect=OWNER_POST,
                    state=lambda w: Application.objects.values_list("plan_goals", "lock_version").get(
                        pk=w.app_complete.pk))),
    Route("application_submit", lambda w: {"pk": w.app_complete.pk}, ("POST",), POST_ONLY, owner="complete",
          post=Post(lambda w: {}, "owner", 302, state=app_state("app_complete"), expect=OWNER_POST)),
    Route("application_withdraw", lambda w: {"pk": w.app_city.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {"reason": "矩阵"}, "owner", 302, state=app_state("app_city"),
                    expect=OWNER_POST)),
    Route("application_reopen", lambda w: {"pk": w.app_withdrawn.pk}, ("POST",), POST_ONLY, owner="withdrawn",
          post=Post(lambda w: {}, "owner", 302, state=app_state("app_withdrawn"), expect=OWNER_POST)),
    # The printable form and the files: the applicant and every bureau whose scope holds the application.
    Route("application_print", lambda w: {"pk": w.app_moe.pk}, ("GET",),
          row("login 200  404  404  404  404  404  200  404  200  404  404  404"), owner="moe",
          secrets=app_secrets("app_moe")),
    Route("application_print_pdf", lambda w: {"pk": w.app_moe.pk}, ("GET",),
          row("login 200  404  404  404  404  404  200  404  200  404  404  404"), owner="moe", download=b"%PDF-",
          secrets=app_secrets("app_moe")),
    Route("application_version_pdf", lambda w: {"pk": w.app_city.pk, "number": 1}, ("GET",),
          row("login 200  404  200  404  200  404  404  404  200  404  404  404"), download=b"%PDF-",
          secrets=app_secrets("app_city")),
    Route("attachment_download", lambda w: {"pk": w.app_city.pk, "kind": "sealed_scan"}, ("GET",),
          row("login 200  404  200  404  200  404  404  404  200  404  404  404"), download=SECRET_PDF,
          secrets=lambda w: [SCAN_NAME, w.app_city.name]),

    # --- Registrations (SPEC §10): the applicant's own page and the documents, the first desk's queue ------
    # Every applicant has its own organisation's page; the pending park's upload changes only its own documents.
    Route("organisation_own", None, ("GET", "POST"), row("login 200 200 404 404 404 404 404 404 404 404 404 404"),
          owner="pending",
          post=Post(lambda w: {"authorisation": SimpleUploadedFile("矩阵-新委托书.pdf", TINY_PDF, "application/pdf")},
                    "owner", 302, state=lambda w: sorted(OrganisationDocument.objects.filter(
                        organisation=w.org_pending, transfer__isnull=True).values_list("original_name", flat=True)),
                    expect=row("login .   302 404 404 404 404 404 404 404 404 404 404"))),
    # A Jiangsu park's documents: its applicant, Jiangsu (its first desk) and CNIPA.
    Route("organisation_document", lambda w: {"pk": w.pending_letter.pk}, ("GET",),
          row("login 200 404 404 404 200 404 404 404 200 404 404 404"), owner="pending", download=SECRET_PDF,
          secrets=lambda w: [PENDING_LETTER_NAME]),
    Route("verification_queue", None, ("GET",), row("login 404 404 200 200 200 200 200 200 200 404 404 404")),
    Route("verification_detail", lambda w: {"pk": w.org_pending.pk}, ("GET",),
          row("login 404 404 404 404 200 404 404 404 200 404 404 404"), owner="pending",
          secrets=lambda w: [PENDING_LETTER_NAME, w.org_pending.name, w.org_pending.credit_code]),
    # CNIPA sees every registration but the first desk verifies: refused with a message (409).
    Route("organisation_verify", lambda w: {"pk": w.org_pending.pk}, ("POST",), POST_ONLY, owner="pending",
          post=Post(lambda w: {}, "prov_in", 302, state=lambda w: Organisation.objects.values_list(
              "verification", flat=True).get(pk=w.org_pending.pk), expect=PACKAGE_POST)),
    Route("organisation_refuse", lambda w: {"pk": w.org_pending.pk}, ("POST",), POST_ONLY, owner="pending",
          post=Post(lambda w: {"refuse-reason": "矩阵·委托书无公章"}, "prov_in", 302, expect=PACKAGE_POST,
                    state=lambda w: Organisation.objects.values_list("verification", flat=True).get(
                        pk=w.org_pending.pk))),
    Route("organisation_transfer_decide", lambda w: {"pk": w.org_transfer.pk}, ("POST",), POST_ONLY,
          owner="transfer",
          post=Post(lambda w: {"transfer-decision": "refuse", "transfer-reason": "矩阵·理由"}, "prov_in", 302,
                    expect=PACKAGE_POST, state=lambda w: list(OrganisationTransfer.objects.filter(
                        organisation=w.org_transfer).values_list("status", flat=True)))),

    # --- CNIPA's registry -----------------------------------------------------------------------
    Route("registry_list", None, ("GET",), CNIPA_ONLY),
    Route("registry_template", None, ("GET",), CNIPA_ONLY, download=b"PK"),
    Route("registry_import", None, ("GET", "POST"), CNIPA_ONLY,
          post=Post(lambda w: {"file": registry_sheet()}, "cnipa", 200, state=lambda w: RegistryEntry.objects.count(),
                    expect=CNIPA_POST)),

    # --- Reviewers ------------------------------------------------------------------------------
    Route("review_queue", None, ("GET",), row("login 404  404  200  200  200  200  200  200  200  404  404  404")),
    Route("review_application", lambda w: {"pk": w.app_city.pk}, ("GET",),
          row("login 404  404  200  404  200  404  404  404  200  404  404  404"), secrets=app_secrets("app_city")),
    # Jiangsu and CNIPA see the application but consent is the city's: refused with a message (409).
    Route("review_decide", lambda w: {"pk": w.app_city.pk, "action": "city_consent"}, ("POST",), POST_ONLY,
          post=Post(lambda w: {"city_consent-note": "同意"}, "city_in", 302, state=app_state("app_city"),
                    expect=row("login 404  404  .    404  409  404  404  404  409  404  404  404"))),
    Route("review_claim", lambda w: {"pk": w.app_rec2.pk, "claim": "exemption"}, ("POST",), POST_ONLY, owner="rec2",
          post=Post(lambda w: {"exemption-status": "verified", "exemption-note": ""}, "prov_in", 302,
                    state=lambda w: Application.objects.values_list("exemption_status", flat=True).get(
                        pk=w.app_rec2.pk), expect=PACKAGE_POST)),
    # A city has no package: the page does not exist for it.
    Route("package_current", None, ("GET",), row("login 404  404  404  404  302  200  200  200  302  404  404  404"),
          to={"prov_in": lambda w: reverse("package_detail", args=[w.package_js.pk]), "cnipa": url("package_list")}),
    Route("package_list", None, ("GET",), row("login 404  404  404  404  302  302  302  302  200  404  404  404"),
          to={"prov_in": url("package_current"), "min_out": url("package_current")}),
    Route("package_detail", lambda w: {"pk": w.package_js.pk}, ("GET",),
          row("login 404  404  404  404  200  404  404  404  200  404  404  404"),
          secrets=lambda w: [w.app_rec1.name, JS_LETTER_NAME]),
    Route("package_rank", lambda w: {"pk": w.package_js.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {"order": f"{w.rec2.pk},{w.rec1.pk}"}, "prov_in", 302, state=ranks, expect=PACKAGE_POST)),
    Route("package_move", lambda w: {"pk": w.package_js.pk, "recommendation_id": w.rec2.pk, "direction": "up"},
          ("POST",), POST_ONLY, post=Post(lambda w: {}, "prov_in", 302, state=ranks, expect=PACKAGE_POST)),
    Route("recommendation_update", lambda w: {"pk": w.package_js.pk, "recommendation_id": w.rec1.pk}, ("POST",),
          POST_ONLY,
          post=Post(lambda w: {f"r{w.rec1.pk}-opinion": "矩阵·新意见", f"r{w.rec1.pk}-score": "88"}, "prov_in", 302,
                    state=lambda w: w.package_js.recommendations.values_list("opinion", "score").get(pk=w.rec1.pk),
                    expect=PACKAGE_POST)),
    Route("package_justify", lambda w: {"pk": w.package_js.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {"justification": "矩阵·理由"}, "prov_in", 302, expect=PACKAGE_POST,
                    state=lambda w: Package.objects.values_list("priority_justification", flat=True).get(
                        pk=w.package_js.pk))),
    Route("package_letter", lambda w: {"pk": w.package_js.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {"letter": SimpleUploadedFile("矩阵-新推荐函.pdf", TINY_PDF, "application/pdf")},
                    "prov_in", 302, expect=PACKAGE_POST,
                    state=lambda w: Package.objects.values_list("letter", "letter_name").get(pk=w.package_js.pk))),
    Route("package_letter_download", lambda w: {"pk": w.package_moe.pk}, ("GET",),
          row("login 404  404  404  404  404  404  200  404  200  404  404  404"), download=SECRET_PDF,
          secrets=lambda w: [MOE_LETTER_NAME]),
    Route("package_submit", lambda w: {"pk": w.package_js.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {"confirmed": previews.hand_in_plan(Package.objects.select_related("call").get(
              pk=w.package_js.pk), w.users["prov_in"]).digest}, "prov_in", 302, expect=PACKAGE_POST,
                    state=lambda w: Package.objects.values_list("status", flat=True).get(pk=w.package_js.pk))),
    # Only CNIPA reopens; Jiangsu sees its package but is refused (409).
    Route("package_reopen", lambda w: {"pk": w.package_js.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {"reason": "补充材料", "until": local(timezone.now() + datetime.timedelta(days=10))},
                    "cnipa", 302,
                    state=lambda w: Package.objects.values_list("status", "extended_until").get(pk=w.package_js.pk),
                    expect=row("login 404  404  404  404  409  404  404  404  .    404  404  404"))),
    Route("package_export", lambda w: {"pk": w.package_js.pk}, ("GET",),
          row("login 404  404  404  404  200  404  404  404  200  404  404  404"), download=b"PK",
          secrets=lambda w: [w.app_rec1.name]),

    # --- Calls and deadlines --------------------------------------------------------------------
    Route("call_list", None, ("GET",), CNIPA_ONLY),
    Route("call_create", None, ("GET", "POST"), CNIPA_ONLY,
          post=Post(lambda w: call_data("矩阵·新批次"), "cnipa", 302, state=lambda w: Call.objects.count(),
                    expect=CNIPA_POST)),
    Route("call_edit", lambda w: {"pk": w.call.pk}, ("GET", "POST"), CNIPA_ONLY,
          post=Post(lambda w: call_data("矩阵·改名", w.call), "cnipa", 302, expect=CNIPA_POST,
                    state=lambda w: Call.objects.values_list("title", flat=True).get(pk=w.call.pk))),
    # Each province sets its own applicants' deadline: Zhejiang's POST sets Zhejiang's, never Jiangsu's.
    Route("province_deadline", None, ("GET", "POST"),
          row("login 404  404  404  404  200  200  404  404  404  404  404  404"),
          post=Post(lambda w: {"call": w.call.pk,
                               f"{w.call.pk}-deadline": local(timezone.now() + datetime.timedelta(days=10))},
                    "prov_in", 302,
                    state=lambda w: list(ProvinceDeadline.objects.filter(
                        call=w.call, province=w.users["prov_in"].province).values_list("deadline", flat=True)),
                    expect=row("login 404  404  404  404  .    302  404  404  404  404  404  404"))),

    # --- The help page and its contacts: public; each province keeps its own, CNIPA its own (and any) ------
    Route("help", None, ("GET",), PUBLIC),
    Route("privacy_rules", None, ("GET",), PUBLIC),
    # --- Personal information: an applicant's own export and corrections; the bureau holding the application
    # answers (Nanjing while it waits for the city's consent); an objector asks CNIPA (portal.data_requests).
    Route("personal_data", None, ("GET", "POST"), row("login 200 200 404 404 404 404 404 404 404 404 404 404"),
          post=Post(lambda w: {"application": w.app_city.pk, "text": "矩阵·联系人电话有误"}, "owner", 302,
                    state=lambda w: DataRequest.objects.count(),
                    expect=row("login .   400 404 404 404 404 404 404 404 404 404 404"))),
    Route("personal_data_export", None, ("GET",), row("login 200 200 404 404 404 404 404 404 404 404 404 404")),
    Route("objector_data_request", None, ("GET", "POST"), PUBLIC,
          post=Post(lambda w: {"reference": w.objection_person.reference, "email": "wang@example.cn",
                               "kind": "access"}, "anon", 200, state=lambda w: DataRequest.objects.count())),
    Route("data_requests", None, ("GET",), row("login 404 404 200 200 200 200 200 200 200 404 404 404")),
    Route("data_request_answer", lambda w: {"pk": matrix_data_request(w).pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {"answer": "矩阵·已更正。"}, "city_in", 302,
                    state=lambda w: DataRequest.objects.values_list("answer", flat=True).get(
                        pk=matrix_data_request(w).pk),
                    expect=row("login 404 404 .   404 404 404 404 404 404 404 404 404"))),
    # --- The bases after designation: the bureaus' list, each base's page in its supervisor's scope (Jiangsu's
    # here) and CNIPA's; CNIPA's dynamic management; the base's own page and its answer (bases). ----------------
    Route("base_list", None, ("GET",), row("login 404 404 404 404 200 200 200 200 200 404 404 404")),
    Route("base_detail", lambda w: {"pk": w.base.pk}, ("GET",),
          row("login 404 404 404 404 200 404 404 404 200 404 404 404"), owner="base"),
    Route("base_rectify", lambda w: {"pk": w.base.pk}, ("POST",), POST_ONLY, owner="base",
          post=Post(lambda w: {"reason": "finding", "detail": "矩阵·需求对接不足",
                               "deadline": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
                               "version": Base.objects.get(pk=w.base.pk).lock_version}, "cnipa", 302,
                    state=lambda w: base_standing(w), expect=CNIPA_POST)),
    Route("base_rectification_close", lambda w: {"pk": w.base.pk}, ("POST",), POST_ONLY, owner="base",
          post=Post(lambda w: {"note": "矩阵·整改到位"}, "cnipa", 302, prepare=rectifying,
                    state=lambda w: base_standing(w), expect=CNIPA_POST)),
    Route("base_revoke", lambda w: {"pk": w.base.pk}, ("POST",), POST_ONLY, owner="base",
          post=Post(lambda w: {"document_number": "矩阵〔2027〕1号", "document_date": timezone.localdate().isoformat(),
                               "reason": "矩阵·撤销", "confirm": "on",
                               "version": Base.objects.get(pk=w.base.pk).lock_version}, "cnipa", 302,
                    state=lambda w: base_standing(w), expect=CNIPA_POST)),
    # Its filings: the base files them from its own pages; Jiangsu, which supervises it, checks them on the base's
    # pages; CNIPA marks exemplary cases, which the public sees; the files to the base and the officials in scope.
    Route("base_plan_check", lambda w: {"pk": w.base.pk}, ("POST",), POST_ONLY, owner="base",
          post=Post(lambda w: {"decision": "acknowledge"}, "prov_in", 302, state=lambda w: filing_states(w),
                    expect=SUPERVISOR_POST)),
    Route("base_project", lambda w: {"pk": w.base.pk, "project_pk": w.project.pk}, ("GET",),
          row("login 404 404 404 404 200 404 404 404 200 404 404 404"), owner="base"),
    Route("base_project_check", lambda w: {"pk": w.base.pk, "project_pk": w.project.pk}, ("POST",), POST_ONLY,
          owner="base", post=Post(lambda w: {"decision": "return", "note": "矩阵·补充证明"}, "prov_in", 302,
                                  state=lambda w: filing_states(w), expect=SUPERVISOR_POST)),
    Route("base_project_exemplary", lambda w: {"pk": w.base.pk, "project_pk": w.project.pk}, ("POST",), POST_ONLY,
          owner="base", post=Post(lambda w: {"exemplary": "1"}, "cnipa", 302, prepare=project_checked,
                                  state=lambda w: filing_states(w), expect=CNIPA_POST)),
    Route("base_service_check", lambda w: {"pk": w.base.pk, "service_pk": w.service.pk}, ("POST",), POST_ONLY,
          owner="base", post=Post(lambda w: {"decision": "acknowledge"}, "prov_in", 302,
                                  state=lambda w: filing_states(w), expect=SUPERVISOR_POST)),
    Route("base_plan_file", lambda w: {"pk": w.base.pk}, ("GET",), BASE_FILE, owner="base", download=SECRET_PDF,
          secrets=lambda w: [BASE_PLAN_NAME]),
    Route("base_project_evidence", lambda w: {"pk": w.base.pk, "project_pk": w.project.pk}, ("GET",), BASE_FILE,
          owner="base", download=SECRET_PDF, secrets=lambda w: [EVIDENCE_NAME]),
    Route("exemplary_cases", None, ("GET",), PUBLIC),
    Route("base_plan_edit", lambda w: {"pk": w.base.pk}, ("GET", "POST"), BASE_OWN, owner="base",
          post=Post(lambda w: {"summary": "矩阵·修订后的方案"}, "owner", 302, prepare=plan_returned,
                    state=lambda w: filing_states(w), expect=BASE_OWN_POST)),
    Route("base_project_new", lambda w: {"pk": w.base.pk}, ("GET", "POST"), BASE_OWN, owner="base",
          post=Post(lambda w: {**MATRIX_PROJECT, "title": "矩阵·新项目"}, "owner", 302,
                    state=lambda w: filing_states(w), expect=BASE_OWN_POST)),
    Route("base_project_edit", lambda w: {"pk": w.base.pk, "project_pk": w.project.pk}, ("GET", "POST"), BASE_OWN,
          owner="base", post=Post(lambda w: {**MATRIX_PROJECT, "title": "矩阵·改过的项目"}, "owner", 302,
                                  state=lambda w: filing_states(w), expect=BASE_OWN_POST)),
    Route("base_service_new", lambda w: {"pk": w.base.pk}, ("GET", "POST"), BASE_OWN, owner="base",
          post=Post(lambda w: {"kind": "service", "title": "矩阵·公益服务", "held_on": timezone.localdate().isoformat(),
                               "participants": "12"}, "owner", 302, state=lambda w: filing_states(w),
                    expect=BASE_OWN_POST)),
    # Its annual reports: CNIPA opens the periods; the bureaus see their bases' reports, Jiangsu reviews this one,
    # CNIPA receives it; the base writes its own.
    Route("reporting_periods", None, ("GET", "POST"), BUREAUS,
          post=Post(lambda w: {"year": "2020", "title": "矩阵·2020年度", "opens_at": local(timezone.now()),
                               "deadline": local(timezone.now() + datetime.timedelta(days=5)),
                               "review_deadline": local(timezone.now() + datetime.timedelta(days=9))}, "cnipa", 302,
                    state=lambda w: list(ReportingPeriod.objects.values_list("year", flat=True)), expect=CNIPA_POST)),
    Route("reporting_period", lambda w: {"pk": w.period.pk}, ("GET",), BUREAUS),
    Route("report_detail", lambda w: {"period_pk": w.period.pk, "pk": w.report.pk}, ("GET",),
          row("login 404 404 404 404 200 404 404 404 200 404 404 404"), owner="base"),
    Route("report_review", lambda w: {"period_pk": w.period.pk, "pk": w.report.pk}, ("POST",), POST_ONLY,
          owner="base", post=Post(lambda w: {"decision": "forward", "text": "矩阵·同意"}, "prov_in", 302,
                                  state=lambda w: report_state(w), expect=SUPERVISOR_POST)),
    Route("report_receive", lambda w: {"period_pk": w.period.pk, "pk": w.report.pk}, ("POST",), POST_ONLY,
          owner="base", post=Post(lambda w: {}, "cnipa", 302, prepare=report_forwarded,
                                  state=lambda w: report_state(w), expect=CNIPA_POST)),
    Route("report_attachment", lambda w: {"pk": w.base.pk, "report_pk": w.report.pk}, ("GET",), BASE_FILE,
          owner="base", download=SECRET_PDF, secrets=lambda w: [REPORT_NAME]),
    Route("base_report", lambda w: {"pk": w.base.pk, "period_pk": w.period.pk}, ("GET", "POST"), BASE_OWN,
          owner="base", post=Post(lambda w: {"demand_matching": "矩阵·改", "organisation": "矩阵·改",
                                             "promotion": "矩阵·改", "save": ""}, "owner", 302,
                                  prepare=report_returned, state=lambda w: report_state(w), expect=BASE_OWN_POST)),
    # The assessment: CNIPA prepares it (this year's), scores and publishes; the bureaus read it once published
    # (last year's) and export its table; CNIPA puts the bases that missed the report under rectification.
    Route("assessment", lambda w: {"period_pk": w.period.pk}, ("GET",), BUREAUS),
    Route("assessment_setup", lambda w: {"period_pk": w.period.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {"action": "thresholds", "excellent": "88", "good": "77", "qualified": "55"}, "cnipa",
                    302, state=lambda w: scheme_state(w), expect=CNIPA_POST)),
    Route("assessment_base", lambda w: {"period_pk": w.period.pk, "base_pk": w.base.pk}, ("GET", "POST"),
          CNIPA_ONLY, owner="base",
          post=Post(lambda w: {"indicator": scored(w)[0].pk, "points": "7", "reason": "矩阵·评分理由"}, "cnipa", 302,
                    state=lambda w: scheme_state(w), expect=CNIPA_POST)),
    Route("assessment_publish", lambda w: {"period_pk": w.period.pk}, ("POST",), POST_ONLY, owner="base",
          post=Post(lambda w: {"rectify_by": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
                               "confirm": "on"}, "cnipa", 302, prepare=scored_all, state=lambda w: scheme_state(w),
                    expect=CNIPA_POST)),
    Route("assessment_export", lambda w: {"period_pk": w.past_period.pk}, ("GET",), BUREAUS, download=b"PK"),
    # Last year's period: its deadline has passed, so CNIPA's POST is accepted (this year's is refused, at 400).
    Route("missed_rectify", lambda w: {"period_pk": w.past_period.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {"deadline": (timezone.localdate() + datetime.timedelta(days=30)).isoformat()},
                    "cnipa", 302, expect=CNIPA_POST)),
    Route("own_base", None, ("GET",), row("login 200 200 404 404 404 404 404 404 404 404 404 404"), owner="base"),
    Route("rectification_answer", lambda w: {"pk": w.base.pk}, ("POST",), POST_ONLY, owner="base",
          post=Post(lambda w: {"answer": "矩阵·已整改"}, "owner", 302, prepare=rectifying,
                    state=lambda w: list(Rectification.objects.filter(base=w.base).values_list("answer", flat=True)),
                    expect=row("login .   404 404 404 404 404 404 404 404 404 404 404"))),
    # --- The health checks: public, for the load balancer and monitoring, whoever asks (navportal/health.py) --
    Route("health", None, ("GET",), PUBLIC),
    Route("health_outbox", None, ("GET",), PUBLIC),
    Route("contact_edit", None, ("GET", "POST"),
          row("login 404  404  404  404  200  200  404  404  200  404  404  404"),
          post=Post(lambda w: {"office": "矩阵·运用促进处", "phone": "025-12345678", "email": "", "address": ""},
                    "prov_in", 302,
                    state=lambda w: list(BureauContact.objects.filter(
                        province=w.users["prov_in"].province).values_list("office", flat=True)),
                    expect=row("login 404  404  404  404  .    302  404  404  302  404  404  404"))),

    # --- CNIPA: dashboard, notice, objections ---------------------------------------------------
    Route("dashboard", None, ("GET",), CNIPA_ONLY),
    Route("national_summary", None, ("GET",), CNIPA_ONLY, download=b"PK"),
    Route("notice_manage", lambda w: {"call_id": w.call_notice.pk}, ("GET",), CNIPA_ONLY),
    Route("notice_publish", lambda w: {"call_id": w.call_ready.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {"text": "现予以公示。", "contact": "电话 010-0000", "confirmed": previews.publish_plan(
              w.call_ready, text="现予以公示。", contact="电话 010-0000").digest}, "cnipa", 302, expect=CNIPA_POST,
                    state=lambda w: Notice.objects.filter(call=w.call_ready).exists())),
    Route("notice_dates", lambda w: {"call_id": w.call_notice.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {"starts_on": str(timezone.localdate(w.notice.published_at) + datetime.timedelta(days=1)),
                               "ends_on": str(timezone.localdate() + datetime.timedelta(days=12))}, "cnipa", 302,
                    state=lambda w: Notice.objects.values_list("starts_on", "ends_on").get(pk=w.notice.pk),
                    expect=CNIPA_POST)),
    Route("notice_final", lambda w: {"call_id": w.call_notice.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {"document_number": "国知办发运字〔2026〕9号", "document_date": str(timezone.localdate()),
                               "confirmed": previews.final_plan(Notice.objects.get(pk=w.notice.pk),
                                                                document_number="国知办发运字〔2026〕9号",
                                                                document_date=timezone.localdate()).digest},
                    "cnipa", 302, prepare=close_notice_period, expect=CNIPA_POST,
                    state=lambda w: Notice.objects.values_list("confirmed_at", flat=True).get(pk=w.notice.pk))),
    Route("notice_export", lambda w: {"call_id": w.call_notice.pk, "which": "proposed"}, ("GET",), CNIPA_ONLY,
          download=b"PK"),
    Route("objection_detail", lambda w: {"pk": w.objection_person.pk}, ("GET",), CNIPA_ONLY,
          secrets=lambda w: ["13800000000", "wang@example.cn"]),
    Route("objection_decide", lambda w: {"pk": w.objection_person.pk}, ("POST",), POST_ONLY,
          post=Post(lambda w: {"decision": "dismissed", "note": "异议不成立。"}, "cnipa", 302, expect=CNIPA_POST,
                    state=lambda w: Objection.objects.values_list("decision", flat=True).get(
                        pk=w.objection_person.pk))),
    Route("objection_file", lambda w: {"pk": w.objection_org.pk, "which": "letter"}, ("GET",), CNIPA_ONLY,
          download=SECRET_PDF, secrets=lambda w: [OBJECTION_LETTER_NAME, "org@example.cn"]),
]
ROUTE_BY_NAME = {route.name: route for route in ROUTES}


def registration(**extra):
    jiangsu = Province.objects.get(code="320000")
    return {"name": "示例·矩阵新园区", "credit_code": credit_code(987001), "applicant_type": "national_park",
            "affiliation": "city", "ministry": "", "province": jiangsu.pk, "city": City.objects.get(code="320500").pk,
            "contact_name": "矩阵联系人", "email": "matrix-new@example.cn", "password1": "Zq7!matrix-Pass",
            "password2": "Zq7!matrix-Pass", "privacy": "on", **extra}


# --- The world ------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _fast_and_private():
    """Replaces conftest's per-test settings: the module's world keeps its files in one folder for the
    whole module (see _module_settings), which a per-test upload folder would hide from the downloads."""


@pytest.fixture(scope="module")
def _module_settings(tmp_path_factory):
    storages = {**settings.STORAGES, "default": {**settings.STORAGES["default"], "OPTIONS": {
        **settings.STORAGES["default"]["OPTIONS"], "location": str(tmp_path_factory.mktemp("uploads"))}}}
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], STORAGES=storages):
        yield


@pytest.fixture(scope="module")
def world(_module_settings, django_db_setup, django_db_blocker):
    """Built once, inside a transaction rolled back after the module's last test: each test runs in a
    savepoint of it (pytest-django's TestCase atomics nest), so nothing leaks from test to test or out of
    the module."""
    with django_db_blocker.unblock():
        atomic = outer_test_transaction()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def w(world, db):
    return world


def user_of(w, route, column):
    if column == "anon":
        return None
    if column == "owner":
        return w.owners[route.owner]
    return w.users[column]


def client_as(user, **options):
    client = Client(**options)
    if user is not None:
        client.force_login(user)
    return client


def path_of(w, route):
    return reverse(route.name, kwargs=route.kwargs(w) if route.kwargs else None)


def body(response):
    # Reading a streamed file to its end closes it (the test client wraps it). Never call close() again:
    # that fires request_finished, whose close_old_connections drops a connection inside a transaction.
    return b"".join(response.streaming_content) if response.streaming else response.content


def login_url(path):
    return f"{reverse('login')}?next={quote(path)}"


# --- Every route has a row -----------------------------------------------------------------------

def named_routes(resolver=None):
    """Every URL name of the project, walking the included URLconfs; Django's static-file serving (only
    routed when DEBUG is on) is left out."""
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            names |= named_routes(entry)
        elif isinstance(entry, URLPattern) and entry.name:
            if entry.lookup_str in ("django.views.static.serve", "django.contrib.staticfiles.views.serve"):
                continue
            names.add(entry.name)
    return names


def test_every_route_has_a_row():
    rows = [route.name for route in ROUTES]
    assert len(rows) == len(set(rows)), "a route has two rows"
    assert sorted(named_routes() - set(rows)) == [], "routes without a row in ROUTES"
    assert sorted(set(rows) - named_routes()) == [], "rows for routes that no longer exist"


def test_rows_are_consistent():
    """A POST-only route answers GET with 405, a route that changes state says how, a state-changing row's
    refused POSTs name every column."""
    for route in ROUTES:
        if route.methods == ("POST",):
            assert set(route.get.values()) <= {405, LOGIN}, route
        assert route.changes_state == (route.post is not None), route
        if route.post and route.post.expect:
            assert route.post.expect[route.post.actor] == SKIP, route


# --- GET: ROUTES × users -------------------------------------------------------------------------

@pytest.mark.parametrize("route, column", [pytest.param(route, column, id=f"{route.name}-{column}")
                                           for route in ROUTES for column in COLUMNS])
def test_get_matrix(w, route, column):
    expected = route.get[column]
    path = path_of(w, route)
    response = client_as(user_of(w, route, column)).get(path)
    content = body(response)
    if expected == LOGIN:
        assert (response.status_code, response.get("Location")) == (302, login_url(path))
        return
    assert response.status_code == expected
    if expected == 302:
        target = route.to.get(column) or route.to.get("*")
        if target is not None:
            assert response["Location"] == target(w)
    if expected == 200 and route.download:
        assert response["Content-Disposition"].startswith("attachment")
        assert content.startswith(route.download)
    if expected == 404:
        # Nothing of the object or its file, and the same answer as for an id that does not exist.
        assert "Content-Disposition" not in response
        assert SECRET_PDF not in content and b"access-matrix-secret" not in content
        for secret in route.secrets(w) if route.secrets else ():
            assert secret.encode() not in content
        if route.kwargs and any(isinstance(v, int) for v in route.kwargs(w).values()):
            missing = {k: 0 if isinstance(v, int) else v for k, v in route.kwargs(w).items()}
            other = client_as(user_of(w, route, column)).get(reverse(route.name, kwargs=missing))
            assert (other.status_code, body(other)) == (404, content)



# --- A GET keeps no copy and changes nothing (issue 18: "No copies left behind") ------------------------

# Every page and file of a signed-in user, and every file wherever it is reachable, is sent with no-store
# (navportal.security.NoStoreMiddleware). A visitor without a session keeps the caching the pages had: none, but
# where a view says no-store itself (Django's sign-in and password views, the second factor's, the health checks)
# — and the pages at a mailed link's one-time token, made for whoever holds the link.
NO_STORE_PARTS = {"no-store", "no-cache", "private", "max-age=0", "must-revalidate"}
ANON_NO_STORE = {"login", "otp_setup", "otp_verify", "password_reset_confirm", "health", "health_outbox",
                 "objection_confirm", "register_confirm", "register_transfer"}


def cache_control(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize("route, column", [pytest.param(route, column, id=f"{route.name}-{column}")
                                           for route in ROUTES for column in COLUMNS if route.get[column] != 405])
def test_get_keeps_no_copy(w, route, column):
    """Signed in, every answer is no-store: pages, files, exports, redirects and refusals, a public page too (its
    header names the user); signed out, the public notice, the final list and the other public pages keep their
    caching (none: Cache-Control unset)."""
    response = client_as(user_of(w, route, column)).get(path_of(w, route))
    body(response)
    if column != "anon" or route.name in ANON_NO_STORE:
        assert NO_STORE_PARTS <= cache_control(response)
    else:
        assert cache_control(response) == set()


def test_a_file_is_no_store_whoever_is_let_through(w):
    """A download is no-store for its own sake, not only because a session asked for it: the file rule alone,
    checked on a response with no session behind it."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    from navportal.security import made_for_one
    request = RequestFactory().get("/somewhere/")
    response = HttpResponse(b"%PDF-", headers={"Content-Disposition": 'attachment; filename="x.pdf"'})
    assert (made_for_one(request, response), made_for_one(request, HttpResponse(b"<p>"))) == (True, False)


# What a GET may write, and nothing else (SQL captured per request; a write's table is the statement's target):
# - the session (django_session): the sign-in's first request stamps it, and SessionPolicyMiddleware renews it
#   once a minute of activity (the 30-minute idle limit moves with it);
# - the audit trail (its line and the chain's head), only for these events: a download or export of personal
#   data is recorded as read (SECURITY.md: downloads and exports are audited), and so is a refused look at
#   something out of scope (access_denied, navportal.access.get_in_scope).
# Sign-in bookkeeping (the user's last_login, django-axes' attempts) and the rate-limit counters (a cache, not
# the database) are written by POSTs only; a GET that signs in — the identity platform's callback, off here —
# is tested in tests/test_platform_sign_in.py.
GET_MAY_WRITE = {"django_session", "navportal_auditevent", "navportal_audithead"}
GET_MAY_AUDIT = {"access_denied", "attachment_download", "organisation_document_download", "package_letter_download",
                 "package_export", "national_summary_export", "proposed_list_export", "final_list_export",
                 "objection_file_download", "audit_export", "personal_data_export", "base_file_download",
                 "assessment_export"}
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(\w+)"?', re.IGNORECASE)


def written_tables(queries):
    """The tables the captured statements write (INSERT, UPDATE, DELETE; an upsert is an INSERT)."""
    return {match.group(1).lower() for query in queries if (match := WRITE.match(query["sql"]))}


@pytest.mark.parametrize("route, column", [pytest.param(route, column, id=f"{route.name}-{column}")
                                           for route in ROUTES for column in COLUMNS if route.get[column] != 405])
def test_get_changes_nothing(w, route, column):
    client = client_as(user_of(w, route, column))
    path = path_of(w, route)
    last_line = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with CaptureQueriesContext(connection) as captured:
        body(client.get(path))
    audited = set(AuditEvent.objects.filter(pk__gt=last_line).values_list("action", flat=True))
    assert (written_tables(captured.captured_queries) - GET_MAY_WRITE, audited - GET_MAY_AUDIT) == (set(), set())


def test_written_tables_reads_every_kind_of_write(db):
    """The control of test_get_changes_nothing: its reader of statements finds each kind of write, as Django and
    navportal.references write them, and takes a locking read for none."""
    with CaptureQueriesContext(connection) as captured:
        Province.objects.filter(pk=0).update(name="x")
        list(City.objects.select_for_update().filter(pk=0))
        with connection.cursor() as cursor:
            cursor.execute('DELETE FROM "navportal_ministry" WHERE "id" = 0')
            cursor.execute('INSERT INTO "navportal_referencecounter" ("series", "year", "last") VALUES (%s, %s, %s) '
                           'ON CONFLICT ("series", "year") DO UPDATE SET "last" = 1', ["T", 1999, 1])
    assert written_tables(captured.captured_queries) == {"navportal_province", "navportal_ministry",
                                                         "navportal_referencecounter"}

# --- Lists hold exactly the scope -----------------------------------------------------------------

NANJING = {"示例·南京市中心"}
JIANGSU = NANJING | {"示例·已撤回园区", "示例·江苏推荐园区一", "示例·江苏推荐园区二", "示例·公示园区0", "示例·公示园区1",
                     "示例·公示园区2", "示例·江苏认定基地"}
MOE = {"示例·某大学中心"}
# The queue with every state and call shown (?state=): which of the world's applications each user finds.
# Drafts are nobody's business but the applicant's; a city sees only what needs its consent.
QUEUE = {"city_in": NANJING, "city_out": set(), "prov_in": JIANGSU, "prov_out": set(), "min_in": MOE,
         "min_out": set(), "cnipa": JIANGSU | MOE}


@pytest.mark.parametrize("column", QUEUE)
def test_review_queue_lists_exactly_the_scope(w, column):
    response = client_as(w.users[column]).get(reverse("review_queue"), {"state": ""})
    assert {a.name for a in response.context["page"]} == QUEUE[column]


# The registrations waiting for a bureau (SPEC §10): only at the first desk of their organisation, and CNIPA's.
WAITING = {"示例·待核园区", "示例·转移园区"}
VERIFICATIONS = {"city_in": set(), "city_out": set(), "prov_in": WAITING, "prov_out": set(), "min_in": set(),
                 "min_out": set(), "cnipa": WAITING}


@pytest.mark.parametrize("column", VERIFICATIONS)
def test_verification_queue_lists_exactly_the_scope(w, column):
    response = client_as(w.users[column]).get(reverse("verification_queue"))
    assert {o.name for o in response.context["page"]} == VERIFICATIONS[column]


@pytest.mark.parametrize("column, owner, expected", [
    ("owner", "city", NANJING), ("owner", "moe", MOE), ("other", None, set())])
def test_application_list_holds_only_the_organisation(w, column, owner, expected):
    user = w.owners[owner] if owner else w.users[column]
    response = client_as(user).get(reverse("application_list"))
    assert {a.name for a in response.context["applications"]} == expected


# --- POST: 405 on GET, 403 without CSRF token, refused out of scope, done in scope -----------------

def by_name(routes):
    return [pytest.param(route, id=route.name) for route in routes]


STATE_CHANGING = [route for route in ROUTES if route.changes_state]


def snapshot(w, route):
    return route.post.state(w) if route.post.state else None


@pytest.mark.parametrize("route", by_name(r for r in STATE_CHANGING if r.methods == ("POST",)))
def test_post_route_refuses_get(w, route):
    before = snapshot(w, route)
    response = client_as(user_of(w, route, route.post.actor)).get(path_of(w, route))
    assert response.status_code == 405
    assert snapshot(w, route) == before


@pytest.mark.parametrize("route", by_name(STATE_CHANGING))
def test_post_without_csrf_token_is_403(w, route):
    if route.post.prepare:
        route.post.prepare(w)
    before = snapshot(w, route)
    client = client_as(user_of(w, route, route.post.actor), enforce_csrf_checks=True)
    response = client.post(path_of(w, route), route.post.data(w))
    assert response.status_code == 403
    assert snapshot(w, route) == before


@pytest.mark.parametrize("route", by_name(r for r in STATE_CHANGING if r.post.done is not None))
def test_post_outside_scope_changes_nothing(w, route):
    post = route.post
    if post.prepare:
        post.prepare(w)
    path = path_of(w, route)
    before = current = snapshot(w, route)
    answers, expected, changed_by = {}, {}, []
    for column, cell in post.expect.items():
        if cell == SKIP:
            continue
        response = client_as(user_of(w, route, column)).post(path, post.data(w))
        body(response)
        answers[column] = LOGIN if (response.status_code == 302 and response["Location"] == login_url(path)) \
            else response.status_code
        expected[column] = cell
        if snapshot(w, route) != current:
            changed_by.append(column)
            current = snapshot(w, route)
    # Who was refused how, and whose refused POST changed the object anyway (must be nobody).
    assert (answers, changed_by) == (expected, [])
    # The control: the same POST by the user in scope goes through and changes the object.
    response = client_as(user_of(w, route, post.actor)).post(path, post.data(w))
    body(response)
    assert response.status_code == post.done
    if post.state:
        assert snapshot(w, route) != before


# --- Fields a form does not have are ignored -------------------------------------------------------

APPLICATION_GUARDED = ("state", "province_id", "city_id", "organisation_id", "call_id", "route", "exemption_status",
                       "national_exemption_status", "priority_status", "submitted_at", "pledged_at")


@pytest.mark.parametrize("section, fields", [
    ("plan", {"plan_goals": "矩阵·新目标"}),
    ("claims", {"exempt_category": "protection_centre", "exempt_document_number": "国知发〔2019〕1号"}),
])
def test_extra_fields_on_a_section_save_are_ignored(w, section, fields):
    application = w.app_complete
    guarded = lambda: Application.objects.values(*APPLICATION_GUARDED).get(pk=application.pk)  # noqa: E731
    before, version = guarded(), lock(application)
    neighbour = Application.objects.values(*APPLICATION_GUARDED, "plan_goals").get(pk=w.app_city.pk)
    response = client_as(w.owners["complete"]).post(
        reverse("application_section", args=[application.pk, section]),
        {**fields, "lock_version": version,
         "state": "designated", "province": Province.objects.get(code="330000").pk, "route": "ministry",
         "organisation": w.users["other"].organisation_id, "call": w.call_ready.pk,
         "exemption_status": "verified", "national_exemption_status": "verified", "priority_status": "verified",
         "version": 999, "lock_version_": 999, "application-lock_version": 999,
         "id": w.app_city.pk, "pk": w.app_city.pk, "pledged_at": "", "submitted_at": "2026-01-01"})
    assert response.status_code == 302  # saved
    saved = Application.objects.values(*fields, "lock_version").get(pk=application.pk)
    assert saved == {**fields, "lock_version": version + 1}
    assert guarded() == before
    assert Application.objects.values(*APPLICATION_GUARDED, "plan_goals").get(pk=w.app_city.pk) == neighbour


def test_extra_fields_on_registration_are_ignored(w):
    client = client_as(None)
    response = client.post(reverse("register"), registration(
        role=Role.NATIONAL, is_superuser="1", is_staff="1", organisation=w.users["other"].organisation_id,
        province_id=Province.objects.get(code="330000").pk, groups="1", user_permissions="1"))
    assert response.status_code == 200
    link = re.search(r"https?://\S+(/register/confirm/[\w-]+/)", deliver_mail()[-1].body).group(1)
    assert client.post(link, {"role": Role.NATIONAL, "is_superuser": "1"}).status_code == 302
    user = user_by_email("matrix-new@example.cn")
    assert (user.role, user.is_superuser, user.is_staff, user.city_id, user.province_id, user.ministry_id) == (
        Role.APPLICANT, False, False, None, None, None)
    assert list(user.groups.all()) == [] and list(user.user_permissions.all()) == []
    assert user.organisation_id != w.users["other"].organisation_id
    assert (user.organisation.name, user.organisation.province.code) == ("示例·矩阵新园区", "320000")
    assert check_password("Zq7!matrix-Pass", user.password)



