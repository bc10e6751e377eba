"""Query budgets: every queue, list, ranking, dashboard, detail, export and public page makes as many queries
with a handful of rows as with five times more, and never more than 25 (SPEC §7: "list pages that slow down
with every row").

Each page is requested in a small generated world (manage.py generate_national with 40 applications: one or a
few rows on every page) and, after rolling that world back, in one of 200 applications; the second request must
make exactly as many queries as the first. Per-page counts of hand-made data stay in the view tests.
"""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.enums import Route, State
from applications.models import Application, Organisation
from bases.models import Base, ReportingPeriod
from portal.management.commands.generate_national import CURRENT_DOCUMENT, PAST_DOCUMENT
from navportal.models import Role, User
from post_office.models import STATUS, Email, Log
from review.models import Call, Notice, Objection, Package

BUDGET = 25
SMALL, LARGE = 40, 200


class World:
    """The generated data, and the people and objects each page is requested with."""

    def __init__(self, n):
        call_command("generate_national", "--applications", str(n), "--past", str(n // 4), "--not-production",
                     stdout=io.StringIO())
        self.call = Call.objects.get(document_number=CURRENT_DOCUMENT)
        self.past = Call.objects.get(document_number=PAST_DOCUMENT)
        self.package = (Package.objects.filter(call=self.call, province__isnull=False)
                        .annotate(n=Count("recommendations")).order_by("-n", "pk").first())
        self.province = User.objects.filter(role=Role.PROVINCE, province=self.package.province_id).first()
        self.cnipa = User.objects.filter(role=Role.NATIONAL).first()
        self.auditor = User.objects.get(role=Role.AUDIT_ADMIN)
        self.sysadmin = User.objects.get(role=Role.SYSTEM_ADMIN)
        self.secadmin = User.objects.get(role=Role.SECURITY_ADMIN)
        ministry = (Application.objects.filter(call=self.call, state=State.MINISTRY_REVIEW).values("ministry")
                    .annotate(n=Count("id")).order_by("-n", "ministry")[0]["ministry"])
        self.ministry = User.objects.filter(role=Role.MINISTRY, ministry=ministry).first()
        city = (Application.objects.filter(call=self.call, state=State.CITY_REVIEW).values("city")
                .annotate(n=Count("id")).order_by("-n", "city")[0]["city"])
        self.city = User.objects.get(role=Role.CITY, city=city)
        self.recommended = self.package.recommendations.order_by("rank").first().application
        self.draft = next(a for a in Application.objects.filter(call=self.call, state=State.DRAFT).order_by("pk")
                          if "plan" in a.sections_saved)
        self.applicant = User.objects.get(organisation=self.draft.organisation)
        self.registration = (Organisation.objects.filter(province=self.province.province, applicant_type__in=(
            "national_park", "provincial_park")).order_by("pk").first())
        self.notice = Notice.objects.get(call=self.call)
        # The base with the most filings, and its contact (generate_national files plans, projects, services).
        self.base = Base.objects.annotate(n=Count("projects")).order_by("-n", "pk").first()
        self.base_member = User.objects.filter(organisation=self.base.organisation_id).first()
        self.period = ReportingPeriod.objects.get()
        self.report = self.period.reports.order_by("pk").first()
        self.objection = Objection.objects.filter(entry__notice=self.notice).order_by("pk").first()
        # The outbox: sent, failed after tries and waiting mails, each with its log (the generator sends none).
        for i in range(n // 8):
            status = (STATUS.sent, STATUS.failed, STATUS.requeued)[i % 3]
            mail = Email.objects.create(from_email="navportal@localhost", to=[f"r{i}@example.cn"], subject=f"邮件 {i}",
                                        message="…", status=status, number_of_retries=i % 3)
            Log.objects.bulk_create(Log(email=mail, status=STATUS.sent if status == STATUS.sent else STATUS.failed,
                                        message="" if status == STATUS.sent else "Connection refused",
                                        exception_type="") for _ in range(1 + i % 3))


# page → (who asks, which URL); None: anonymous.
PAGES = {
    "queue (city)": lambda w: (w.city, reverse("review_queue")),
    "queue (province)": lambda w: (w.province, reverse("review_queue")),
    "queue (province, all states)": lambda w: (w.province, reverse("review_queue") + "?state="),
    "queue (ministry)": lambda w: (w.ministry, reverse("review_queue")),
    "queue (CNIPA)": lambda w: (w.cnipa, reverse("review_queue")),
    "application detail (province)": lambda w: (w.province, reverse("review_application", args=[w.recommended.pk])),
    "application detail (CNIPA)": lambda w: (w.cnipa, reverse("review_application", args=[w.recommended.pk])),
    "ranking (package)": lambda w: (w.province, reverse("package_detail", args=[w.package.pk])),
    "recommendation summary (xlsx)": lambda w: (w.province, reverse("package_export", args=[w.package.pk])),
    "packages (CNIPA)": lambda w: (w.cnipa, reverse("package_list")),
    "dashboard": lambda w: (w.cnipa, reverse("dashboard")),
    "national summary (xlsx)": lambda w: (w.cnipa, reverse("national_summary")),
    "calls": lambda w: (w.cnipa, reverse("call_list")),
    "province deadline": lambda w: (w.province, reverse("province_deadline")),
    "notice (CNIPA)": lambda w: (w.cnipa, reverse("notice_manage", args=[w.call.pk])),
    "proposed list (xlsx)": lambda w: (w.cnipa, reverse("notice_export", args=[w.call.pk, "proposed"])),
    "final list (xlsx)": lambda w: (w.cnipa, reverse("notice_export", args=[w.past.pk, "final"])),
    "objection": lambda w: (w.cnipa, reverse("objection_detail", args=[w.objection.pk])),
    "registry": lambda w: (w.cnipa, reverse("registry_list")),
    "audit trail": lambda w: (w.auditor, reverse("audit_list")),
    "accounts (system administrator)": lambda w: (w.sysadmin, reverse("account_list")),
    "mail (system administrator)": lambda w: (w.sysadmin, reverse("mail_list")),
    "security (security administrator)": lambda w: (w.secadmin, reverse("security_home") + "?q=prov"),
    "audit trail (xlsx)": lambda w: (w.auditor, reverse("audit_export")),
    "messages": lambda w: (w.province, reverse("messages")),
    "registrations (province)": lambda w: (w.province, reverse("verification_queue") + "?show=all"),
    "registrations (CNIPA)": lambda w: (w.cnipa, reverse("verification_queue") + "?show=all"),
    "registration (province)": lambda w: (w.province, reverse("verification_detail", args=[w.registration.pk])),
    "organisation (applicant)": lambda w: (w.applicant, reverse("organisation_own")),
    "applications (applicant)": lambda w: (w.applicant, reverse("application_list")),
    "task list (applicant)": lambda w: (w.applicant, reverse("application_tasks", args=[w.draft.pk])),
    "section with roster (applicant)": lambda w: (
        w.applicant, reverse("application_section", args=[w.draft.pk, "department"])),
    "section with services (applicant)": lambda w: (
        w.applicant, reverse("application_section", args=[w.draft.pk, "mechanism"])),
    "print view (applicant)": lambda w: (w.applicant, reverse("application_print", args=[w.draft.pk])),
    "home (public)": lambda w: (None, reverse("home")),
    "public notice": lambda w: (None, reverse("notice_detail", args=[w.call.pk])),
    "objection form": lambda w: (None, reverse("objection_create", args=[
        w.call.pk, w.notice.entries.filter(removed_at=None).order_by("number").first().pk])),
    "final list (bases)": lambda w: (None, reverse("bases")),
    "bases (province)": lambda w: (w.province, reverse("base_list")),
    "bases (CNIPA)": lambda w: (w.cnipa, reverse("base_list")),
    "base (CNIPA)": lambda w: (w.cnipa, reverse("base_detail", args=[w.base.pk])),
    "base (its own page)": lambda w: (w.base_member, reverse("own_base")),
    "exemplary cases (public)": lambda w: (None, reverse("exemplary_cases")),
    "reporting period (CNIPA)": lambda w: (w.cnipa, reverse("reporting_period", args=[w.period.pk])),
    "reporting period (province)": lambda w: (w.province, reverse("reporting_period", args=[w.period.pk])),
    "annual report (CNIPA)": lambda w: (w.cnipa, reverse("report_detail", args=[w.period.pk, w.report.pk])),
    "assessment (CNIPA)": lambda w: (w.cnipa, reverse("assessment", args=[w.period.pk])),
    "assessment (province)": lambda w: (w.province, reverse("assessment", args=[w.period.pk])),
    "assessment table (xlsx)": lambda w: (w.cnipa, reverse("assessment_export", args=[w.period.pk])),
    "base's report (its own page)": lambda w: (w.base_member, reverse("base_report", args=[w.base.pk, w.period.pk])),
}


def _get(client, url):
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, (url, response.status_code)
    assert body
    return response


@pytest.mark.parametrize("page", PAGES)
def test_query_count_does_not_grow_with_rows(db, settings, django_assert_num_queries, page):
    settings.DEBUG = False
    counts = []
    for n in (SMALL, LARGE):
        savepoint = transaction.savepoint()
        world = World(n)
        user, url = PAGES[page](world)
        client = Client()
        if user is not None:
            client.force_login(user)  # with the second factor passed (tests/conftest.py)
        # The generator's thousands of queries fill Django's capped query log; a full log would hide some.
        connection.queries_log.clear()
        cache.clear()  # cached fragments (public pages, filter forms) are measured as a miss: the costlier case
        if not counts:
            with CaptureQueriesContext(connection) as queries:
                _get(client, url)
            counts.append(len(queries))
        else:
            with django_assert_num_queries(counts[0]):
                _get(client, url)
        transaction.savepoint_rollback(savepoint)
    assert counts[0] <= BUDGET, f"{page}: {counts[0]} queries"


def test_the_small_world_has_rows_on_every_page(db):
    """The comparison means something only if the small world already shows rows where the large shows more."""
    world = World(SMALL)
    assert world.package.recommendations.count() >= 1
    assert Application.objects.filter(call=world.call, route=Route.CITY, city=world.city.city,
                                      state=State.CITY_REVIEW).exists()
    assert world.notice.entries.exists() and world.objection is not None
    assert world.draft.staff.count() >= 5
    assert world.base.projects.count() >= 2 and Base.objects.filter(services__isnull=False).exists()
