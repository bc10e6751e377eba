"""The bases after designation (SPEC §12, notice 四(二)): what CNIPA "guides, assesses and dynamically manages".

A base is made by the confirmation of the final list (review.national.final_confirm, through bases.services) from
the application designated and its entry on the list, and lives on by its status: 在建 active, 整改 under
rectification (one open Rectification), 撤销 revoked by document. Its status changes only through the one writer,
bases.transitions.base_transition, by the table bases.workflow.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class BaseStatus(models.TextChoices):
    ACTIVE = "active", _("Active")                       # 在建
    RECTIFYING = "rectifying", _("Under rectification")  # 整改
    REVOKED = "revoked", _("Revoked")                    # 撤销


class Base(models.Model):
    """A national-level patent navigation service base: the designated application and its entry on the list as
    confirmed (name, province, key industry fields), the designating document, and its status. Its contact is the
    applicant organisation's accounts; its supervising bureau is the one that recommended it (bases.selectors)."""

    application = models.OneToOneField("applications.Application", on_delete=models.PROTECT, related_name="base")
    entry = models.OneToOneField("review.NoticeEntry", on_delete=models.PROTECT, related_name="base")
    organisation = models.ForeignKey("applications.Organisation", on_delete=models.PROTECT, related_name="bases",
                                     verbose_name=_("organisation"))
    province = models.ForeignKey("navportal.Province", on_delete=models.PROTECT, verbose_name=_("province"))
    # A ministry-routed base is supervised by its ministry; every other one by its province.
    ministry = models.ForeignKey("navportal.Ministry", null=True, blank=True, on_delete=models.PROTECT,
                                 verbose_name=_("ministry"))
    name = models.CharField(_("base"), max_length=200)
    industry = models.TextField(_("key industry field(s)"))
    document_number = models.CharField(_("designating document"), max_length=100)
    designated_on = models.DateField(_("designated on"))
    status = models.CharField(_("status"), max_length=12, choices=BaseStatus.choices, default=BaseStatus.ACTIVE)
    revoked_document = models.CharField(_("revoking document"), max_length=100, blank=True)
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for the revocation"), blank=True)
    # Grows with every change through the writer: the version the base's pages and a stale form are checked by.
    lock_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-designated_on", "name"]
        verbose_name = _("base")
        verbose_name_plural = _("bases")
        constraints = [
            models.CheckConstraint(name="base_status_known", condition=Q(status__in=BaseStatus.values)),
            # Revoked exactly when a revoking document, its date and the reason are on record.
            models.CheckConstraint(name="base_revoked_by_document",
                                   condition=Q(status=BaseStatus.REVOKED, revoked_on__isnull=False)
                                   & ~Q(revoked_document="") & ~Q(revoked_reason="")
                                   | ~Q(status=BaseStatus.REVOKED)
                                   & Q(revoked_on__isnull=True, revoked_document="", revoked_reason="")),
        ]

    def __str__(self):
        return self.name

    @property
    def is_current(self):
        """Active or under rectification: a base that files and is managed (not revoked)."""
        return self.status != BaseStatus.REVOKED


class RectificationReason(models.TextChoices):
    UNQUALIFIED = "unqualified", _("Graded unqualified in the assessment")
    MISSED_REPORT = "missed_report", _("Annual report not submitted")
    FINDING = "finding", _("CNIPA's finding")


class RectificationOutcome(models.TextChoices):
    CLOSED = "closed", _("Rectified: closed")
    REVOKED = "revoked", _("Title revoked")


class Rectification(models.Model):
    """A rectification (整改) CNIPA opened for a base: why, what to put right and by when; the base's answer; how it
    ended — closed (the base active again) or the title revoked by document. At most one open per base."""

    base = models.ForeignKey(Base, on_delete=models.PROTECT, related_name="rectifications")
    reason = models.CharField(_("reason"), max_length=20, choices=RectificationReason.choices)
    detail = models.TextField(_("what to put right"))
    deadline = models.DateField(_("answer by"))
    opened_at = models.DateTimeField(_("opened"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answer = models.TextField(_("the base's answer"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=RectificationOutcome.choices, blank=True)
    outcome_note = models.TextField(_("CNIPA's conclusion"), blank=True)
    closed_at = models.DateTimeField(_("ended"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("rectification")
        constraints = [
            models.UniqueConstraint(fields=["base"], condition=Q(closed_at__isnull=True),
                                    name="one_open_rectification_per_base"),
            models.CheckConstraint(name="rectification_reason_known", condition=Q(reason__in=RectificationReason.values)),
            models.CheckConstraint(name="rectification_ended_with_outcome",
                                   condition=Q(closed_at__isnull=True, outcome="")
                                   | Q(closed_at__isnull=False, outcome__in=RectificationOutcome.values)),
            models.CheckConstraint(name="rectification_answered_with_text",
                                   condition=Q(answered_at__isnull=True) | ~Q(answer="")),
        ]

    def __str__(self):
        return f"{self.base} · {self.get_reason_display()}"

    @property
    def is_open(self):
        return self.closed_at is None


# --- Filings (issue 19.2): the construction plan, the navigation projects, the public-welfare services ------------

class FilingState(models.TextChoices):
    """Where a filing stands with the supervising bureau: filed (to check), acknowledged, or returned with reasons.
    A filing changed after it was checked is filed again: the bureau checks what it now says."""

    FILED = "filed", _("Filed, to be checked")
    ACKNOWLEDGED = "acknowledged", _("Checked")
    RETURNED = "returned", _("Returned for revision")


def filing_path(instance, filename):
    return f"bases/{uuid.uuid4().hex}.pdf"


class ConstructionPlan(models.Model):
    """The base's construction plan (建设方案), filed once and revised when the bureau returns it: its summary by the
    three tasks and the plan itself (a PDF checked by its content)."""

    base = models.OneToOneField(Base, on_delete=models.PROTECT, related_name="plan")
    summary = models.TextField(_("summary: demand matching, organisation and management, application and promotion"))
    file = models.FileField(_("the plan (PDF)"), upload_to=filing_path)
    file_name = models.CharField(max_length=200)
    state = models.CharField(_("state"), max_length=12, choices=FilingState.choices, default=FilingState.FILED)
    filed_at = models.DateTimeField(_("filed"))
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    check_note = models.TextField(_("the bureau's note"), blank=True)

    class Meta:
        verbose_name = _("construction plan")
        constraints = [
            models.CheckConstraint(name="plan_state_known", condition=Q(state__in=FilingState.values)),
            models.CheckConstraint(name="plan_returned_with_reasons",
                                   condition=~Q(state=FilingState.RETURNED) | ~Q(check_note="")),
        ]


class ProjectType(models.TextChoices):
    """The patent navigation project types of GB/T 39551 (专利导航指南), parts 2 to 6."""

    REGION = "region", _("Regional planning (GB/T 39551.2)")
    INDUSTRY = "industry", _("Industrial planning (GB/T 39551.3)")
    ENTERPRISE = "enterprise", _("Enterprise operation (GB/T 39551.4)")
    RESEARCH = "research", _("Research and development (GB/T 39551.5)")
    TALENT = "talent", _("Talent management (GB/T 39551.6)")


class ClientKind(models.TextChoices):
    AUTHORITY = "authority", _("Industry authority (产业主管部门)")
    INNOVATOR = "innovator", _("Innovation entity (创新主体)")


class Deliverable(models.TextChoices):
    REPORT = "report", _("Report")
    DATABASE = "database", _("Database")
    TOOL = "tool", _("Tool")


class ProjectStage(models.TextChoices):
    """立项 → 招投标 → 执行 → 验收: how far a project has come, by the dates filed."""

    APPROVED = "approved", _("Approved (立项)")
    TENDERED = "tendered", _("Tendered (招投标)")
    RUNNING = "running", _("Running (执行)")
    ACCEPTED = "accepted", _("Accepted (验收)")


class Project(models.Model):
    """A patent navigation project the base runs, filed (备案) with its supervising bureau: the need it answers and
    for whom, its GB/T 39551 type, who serves it, its funding, its stages with their dates, its deliverables and the
    evidence that its results are in use (成果应用证明). CNIPA may mark it an exemplary case, shown publicly."""

    base = models.ForeignKey(Base, on_delete=models.PROTECT, related_name="projects")
    title = models.CharField(_("project"), max_length=200)
    need = models.TextField(_("the need it answers"))
    client_kind = models.CharField(_("for whom"), max_length=12, choices=ClientKind.choices)
    client = models.CharField(_("client"), max_length=200)
    project_type = models.CharField(_("type (GB/T 39551)"), max_length=12, choices=ProjectType.choices)
    service_body = models.CharField(_("service body"), max_length=200)
    funding = models.DecimalField(_("funding (10,000 yuan)"), max_digits=10, decimal_places=2)
    funding_source = models.CharField(_("source of funding"), max_length=200)
    approved_on = models.DateField(_("approved (立项)"))
    tendered_on = models.DateField(_("tendered (招投标)"), null=True, blank=True)
    started_on = models.DateField(_("running since (执行)"), null=True, blank=True)
    accepted_on = models.DateField(_("accepted (验收)"), null=True, blank=True)
    deliverables = models.JSONField(_("deliverables"), default=list, blank=True)
    evidence = models.FileField(_("evidence of use (成果应用证明, PDF)"), upload_to=filing_path, blank=True)
    evidence_name = models.CharField(max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=FilingState.choices, default=FilingState.FILED)
    filed_at = models.DateTimeField(_("filed"))
    updated_at = models.DateTimeField(_("last changed"))
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    check_note = models.TextField(_("the bureau's note"), blank=True)
    exemplary_at = models.DateTimeField(_("exemplary case since"), null=True, blank=True)

    class Meta:
        ordering = ["-approved_on", "-id"]
        verbose_name = _("navigation project")
        constraints = [
            models.CheckConstraint(name="project_state_known", condition=Q(state__in=FilingState.values)),
            models.CheckConstraint(name="project_type_known", condition=Q(project_type__in=ProjectType.values)),
            models.CheckConstraint(name="project_client_known", condition=Q(client_kind__in=ClientKind.values)),
            models.CheckConstraint(name="project_returned_with_reasons",
                                   condition=~Q(state=FilingState.RETURNED) | ~Q(check_note="")),
            models.CheckConstraint(name="project_funding_not_negative", condition=Q(funding__gte=0)),
            # The stages in their order: each date on or after the one before it that is filed.
            models.CheckConstraint(name="project_stages_in_order", condition=(
                (Q(tendered_on__isnull=True) | Q(tendered_on__gte=F("approved_on")))
                & (Q(started_on__isnull=True) | Q(started_on__gte=F("approved_on")))
                & (Q(tendered_on__isnull=True) | Q(started_on__isnull=True) | Q(started_on__gte=F("tendered_on")))
                & (Q(accepted_on__isnull=True) | Q(started_on__isnull=False) & Q(accepted_on__gte=F("started_on"))))),
            # Only a checked project can be an exemplary case.
            models.CheckConstraint(name="project_exemplary_when_checked",
                                   condition=Q(exemplary_at__isnull=True) | Q(state=FilingState.ACKNOWLEDGED)),
        ]

    def __str__(self):
        return self.title

    @property
    def stage(self):
        if self.accepted_on:
            return ProjectStage.ACCEPTED
        if self.started_on:
            return ProjectStage.RUNNING
        if self.tendered_on:
            return ProjectStage.TENDERED
        return ProjectStage.APPROVED

    @property
    def in_use(self):
        """Its results are in use: accepted, with evidence of use filed and checked."""
        return bool(self.accepted_on and self.evidence and self.state == FilingState.ACKNOWLEDGED)


class ServiceKind(models.TextChoices):
    SERVICE = "service", _("Public-welfare service (公益服务)")
    TRAINING = "training", _("Training (培训)")


class PublicService(models.Model):
    """A public-welfare service or training the base delivered: what, when, for how many."""

    base = models.ForeignKey(Base, on_delete=models.PROTECT, related_name="services")
    kind = models.CharField(_("kind"), max_length=10, choices=ServiceKind.choices)
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("date"))
    participants = models.PositiveIntegerField(_("participants"))
    description = models.TextField(_("what was done"), blank=True)
    state = models.CharField(_("state"), max_length=12, choices=FilingState.choices, default=FilingState.FILED)
    filed_at = models.DateTimeField(_("filed"))
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    check_note = models.TextField(_("the bureau's note"), blank=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("public-welfare service or training")
        constraints = [
            models.CheckConstraint(name="service_state_known", condition=Q(state__in=FilingState.values)),
            models.CheckConstraint(name="service_kind_known", condition=Q(kind__in=ServiceKind.values)),
            models.CheckConstraint(name="service_returned_with_reasons",
                                   condition=~Q(state=FilingState.RETURNED) | ~Q(check_note="")),
        ]

    def __str__(self):
        return self.title


# --- Annual reports (issue 19.3) ----------------------------------------------------------------------------------

class ReportingPeriod(models.Model):
    """A year's reporting (like a call): CNIPA opens it; the bases report by `deadline`; the supervising bureaus
    review and forward by `review_deadline` (a report returned to its base may be submitted again until then)."""

    year = models.PositiveSmallIntegerField(_("year reported on"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    opens_at = models.DateTimeField(_("opens at"))
    deadline = models.DateTimeField(_("bases report by"))
    review_deadline = models.DateTimeField(_("bureaus forward by"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-year"]
        verbose_name = _("reporting period")
        constraints = [
            models.CheckConstraint(name="period_deadline_after_opening", condition=Q(deadline__gt=F("opens_at"))),
            models.CheckConstraint(name="period_review_after_deadline",
                                   condition=Q(review_deadline__gte=F("deadline"))),
        ]

    def __str__(self):
        return self.title


class ReportState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted to the bureau")
    RETURNED = "returned", _("Returned to the base")
    FORWARDED = "forwarded", _("Forwarded to CNIPA")
    RECEIVED = "received", _("Received by CNIPA")


class AnnualReport(models.Model):
    """A base's report on a year: a narrative for each of its three tasks, the year's figures as its filings gave
    them when it was submitted (`figures`, bases.figures), an attachment; the bureau's return reasons or its opinion
    forwarding it; CNIPA's receipt."""

    period = models.ForeignKey(ReportingPeriod, on_delete=models.PROTECT, related_name="reports")
    base = models.ForeignKey(Base, on_delete=models.PROTECT, related_name="reports")
    state = models.CharField(_("state"), max_length=12, choices=ReportState.choices, default=ReportState.DRAFT)
    demand_matching = models.TextField(_("Demand matching (需求对接)"), blank=True)
    organisation = models.TextField(_("Organisation and management (组织管理)"), blank=True)
    promotion = models.TextField(_("Application and promotion (应用推广)"), blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    file = models.FileField(_("attachment (PDF)"), upload_to=filing_path, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(_("last saved"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    return_reason = models.TextField(_("the bureau's reasons for returning it"), blank=True)
    opinion = models.TextField(_("the bureau's opinion"), blank=True)
    forwarded_at = models.DateTimeField(_("forwarded"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)

    class Meta:
        ordering = ["period", "base"]
        verbose_name = _("annual report")
        constraints = [
            models.UniqueConstraint(fields=["period", "base"], name="one_report_per_base_and_period"),
            models.CheckConstraint(name="report_state_known", condition=Q(state__in=ReportState.values)),
            models.CheckConstraint(name="report_returned_with_reasons",
                                   condition=~Q(state=ReportState.RETURNED) | ~Q(return_reason="")),
            models.CheckConstraint(name="report_forwarded_with_opinion",
                                   condition=~Q(state__in=[ReportState.FORWARDED, ReportState.RECEIVED])
                                   | ~Q(opinion="") & Q(forwarded_at__isnull=False)),
            models.CheckConstraint(name="report_submitted_with_time",
                                   condition=Q(state=ReportState.DRAFT) | Q(submitted_at__isnull=False)),
        ]

    def __str__(self):
        return f"{self.base} · {self.period}"


# --- Assessment (考核评价, issue 19.4) -------------------------------------------------------------------------------

class IndicatorGroup(models.TextChoices):
    """The grouping CNIPA uses for provincial work."""

    IMPLEMENTATION = "implementation", _("Project implementation (项目实施)")
    EFFECT = "effect", _("Effect of application (应用成效)")
    GUARANTEES = "guarantees", _("Basic guarantees (基础保障)")


class IndicatorKind(models.TextChoices):
    COMPUTED = "computed", _("Computed from the filings")
    SCORED = "scored", _("Scored by assessors, with a reason")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent (优秀)")
    GOOD = "good", _("Good (良好)")
    QUALIFIED = "qualified", _("Qualified (合格)")
    UNQUALIFIED = "unqualified", _("Unqualified (不合格)")


class AssessmentScheme(models.Model):
    """The assessment of a reporting period's year: its indicators, the totals' thresholds of each grade (set per
    period), and, once CNIPA publishes it, every assessed base's result (frozen)."""

    period = models.OneToOneField(ReportingPeriod, on_delete=models.PROTECT, related_name="assessment")
    excellent = models.DecimalField(_("excellent from (points)"), max_digits=6, decimal_places=2, default=90)
    good = models.DecimalField(_("good from (points)"), max_digits=6, decimal_places=2, default=80)
    qualified = models.DecimalField(_("qualified from (points)"), max_digits=6, decimal_places=2, default=60)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")

    class Meta:
        verbose_name = _("assessment")
        constraints = [
            models.CheckConstraint(name="assessment_thresholds_in_order",
                                   condition=Q(excellent__gt=F("good"), good__gt=F("qualified"), qualified__gte=0)),
        ]

    def __str__(self):
        return str(self.period)

    def grade(self, total):
        for grade, threshold in ((Grade.EXCELLENT, self.excellent), (Grade.GOOD, self.good),
                                 (Grade.QUALIFIED, self.qualified)):
            if total >= threshold:
                return grade
        return Grade.UNQUALIFIED


class Indicator(models.Model):
    """One indicator of an assessment, worth up to `points`: computed — the base's figure (bases.figures, checked
    filings only) against `target`, full points at the target, in proportion below — or scored by an assessor with
    a written reason."""

    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.PROTECT, related_name="indicators")
    group = models.CharField(_("group"), max_length=16, choices=IndicatorGroup.choices)
    name = models.CharField(_("indicator"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=IndicatorKind.choices)
    figure = models.CharField(_("figure"), max_length=30, blank=True)
    target = models.PositiveIntegerField(_("target (full points)"), null=True, blank=True)
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("indicator")
        constraints = [
            models.CheckConstraint(name="indicator_group_known", condition=Q(group__in=IndicatorGroup.values)),
            models.CheckConstraint(name="indicator_points_positive", condition=Q(points__gt=0)),
            models.CheckConstraint(name="indicator_computed_from_a_figure", condition=(
                Q(kind=IndicatorKind.COMPUTED, target__gte=1) & ~Q(figure="")
                | Q(kind=IndicatorKind.SCORED, target__isnull=True, figure=""))),
        ]

    def __str__(self):
        return self.name


class Score(models.Model):
    """An assessor's points for a base on a scored indicator, with the reason the base reads."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="scores")
    base = models.ForeignKey(Base, on_delete=models.PROTECT, related_name="scores")
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    reason = models.TextField(_("reason"))
    scored_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scored_at = models.DateTimeField(_("scored"))

    class Meta:
        verbose_name = _("score")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "base"], name="one_score_per_indicator_and_base"),
            models.CheckConstraint(name="score_not_negative", condition=Q(points__gte=0)),
            models.CheckConstraint(name="score_with_reason", condition=~Q(reason="")),
        ]


class AssessmentResult(models.Model):
    """A base's result as published: its total, its grade and each indicator's points with their reason (`detail`:
    [{indicator, group, points, of, value, reason}]), frozen when CNIPA published the assessment."""

    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.PROTECT, related_name="results")
    base = models.ForeignKey(Base, on_delete=models.PROTECT, related_name="assessment_results")
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=2)
    grade = models.CharField(_("grade"), max_length=12, choices=Grade.choices)
    detail = models.JSONField(default=list)

    class Meta:
        ordering = ["-total", "base"]
        verbose_name = _("assessment result")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "base"], name="one_result_per_base_and_assessment"),
            models.CheckConstraint(name="result_grade_known", condition=Q(grade__in=Grade.values)),
        ]
