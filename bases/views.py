"""The bases' pages: the officials' list and each base's page with CNIPA's dynamic management, and the base's own
page for its organisation's accounts. Every change is a bases.services call; outside the scope, 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from navportal.access import get_in_scope, permission_required_404
from navportal.audit import audit_record
from navportal.errors import PortalError
from navportal.files import private_download

from . import filings, services
from .forms import (
    AnswerForm, CheckForm, CloseForm, PlanForm, ProjectForm, RectifyForm, RevokeForm, ServiceForm, StatusFilterForm,
)
from .models import (
    AnnualReport, AssessmentResult, BaseStatus, ConstructionPlan, Deliverable, Project, ReportingPeriod,
)
from .selectors import bases_for_user


@permission_required_404("bases.view_bases", methods=["GET", "HEAD"])
def base_list(request):
    """The bases the official's bureau supervises (CNIPA: all), by status and name."""
    form = StatusFilterForm(request.GET)
    rows = bases_for_user(request.user).select_related("province", "ministry").order_by("-designated_on", "name")
    if form.is_valid():
        if form.cleaned_data["status"]:
            rows = rows.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["q"]:
            rows = rows.filter(name__icontains=form.cleaned_data["q"])
    counts = {**dict.fromkeys(BaseStatus.values, 0), **dict(
        bases_for_user(request.user).order_by().values_list("status").annotate(n=Count("pk")))}
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "bases/list.html", {
        "form": form, "page": Paginator(rows, 50).get_page(request.GET.get("page")), "query": query.urlencode(),
        "counts": [(BaseStatus(status).label, status, n) for status, n in counts.items()]})


def _detail(request, base, status=200, **forms_):
    rectifications = list(base.rectifications.select_related("opened_by", "closed_by"))
    open_one = next((r for r in rectifications if r.is_open), None)
    plan = getattr(base, "plan", None)  # read with the base (select_related); None before it is filed
    return render(request, "bases/detail.html", {
        "base": base, "rectifications": rectifications, "open_rectification": open_one, "plan": plan,
        "reports": list(base.reports.select_related("period").order_by("-period__year")),
        "results": list(base.assessment_results.select_related("scheme__period").order_by("-scheme__period__year")),
        "plan_form": forms_.get("plan_form") or CheckForm(), "service_form": forms_.get("service_form"),
        "checked_service": forms_.get("checked_service"),
        "overdue": open_one is not None and services.rectification_overdue(open_one),
        "rectify_form": forms_.get("rectify_form") or RectifyForm(initial={"version": base.lock_version}),
        "close_form": forms_.get("close_form") or CloseForm(),
        "revoke_form": forms_.get("revoke_form") or RevokeForm(initial={"version": base.lock_version,
                                                                         "document_date": timezone.localdate()}),
    }, status=status)


def _scoped(request, pk):
    return get_in_scope(request, bases_for_user(request.user).select_related(
        "province", "ministry", "organisation", "plan").prefetch_related("projects", "services"), pk)


@permission_required_404("bases.view_bases", methods=["GET", "HEAD"])
def base_detail(request, pk):
    return _detail(request, _scoped(request, pk))


def _act(request, pk, form_class, form_name, call, done):
    """A POST of one of CNIPA's forms on the base's page: the service, or the page again with the form's errors."""
    base = _scoped(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            call(base, form.cleaned_data)
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect("base_detail", pk=base.pk)
    return _detail(request, base, status=400, **{form_name: form})


@permission_required_404("bases.manage_bases", methods=["POST"])
def base_rectify(request, pk):
    return _act(request, pk, RectifyForm, "rectify_form", lambda base, data: services.rectification_open(
        actor=request.user, base_id=base.pk, reason=data["reason"], detail=data["detail"],
        deadline=data["deadline"], expected_version=data["version"]),
        _("The rectification was opened; the base was told."))


@permission_required_404("bases.manage_bases", methods=["POST"])
def base_rectification_close(request, pk):
    return _act(request, pk, CloseForm, "close_form", lambda base, data: services.rectification_close(
        actor=request.user, base_id=base.pk, note=data["note"]),
        _("The rectification was closed; the base is active again."))


@permission_required_404("bases.manage_bases", methods=["POST"])
def base_revoke(request, pk):
    return _act(request, pk, RevokeForm, "revoke_form", lambda base, data: services.base_revoke(
        actor=request.user, base_id=base.pk, document_number=data["document_number"],
        document_date=data["document_date"], reason=data["reason"], expected_version=data["version"]),
        _("The title was revoked; the public list shows the document."))


# --- The base's own page -------------------------------------------------------------------------------------------

def _own(request, status=200, answer_form=None, answer_base=None):
    bases = list(bases_for_user(request.user).select_related("province", "ministry", "plan").prefetch_related(
        "rectifications", "projects", "services"))
    periods = list(ReportingPeriod.objects.filter(opens_at__lte=timezone.now()))
    reports = {(r.base_id, r.period_id): r for r in AnnualReport.objects.filter(base__in=bases)}
    results = {}
    for result in AssessmentResult.objects.filter(base__in=bases).select_related("scheme__period").order_by(
            "-scheme__period__year"):
        results.setdefault(result.base_id, []).append(result)
    for base in bases:
        base.open_rectification = next((r for r in base.rectifications.all() if r.is_open), None)
        base.past_rectifications = [r for r in base.rectifications.all() if not r.is_open]
        base.results = results.get(base.pk, [])
        base.period_reports = [(period, reports.get((base.pk, period.pk))) for period in periods
                               if period.year >= base.designated_on.year]
        # A refused answer goes back to its base's rectification (answered meanwhile, too): why, and what was typed.
        base.answer_refused = answer_form is not None and base.pk == answer_base
    return render(request, "bases/own.html", {"bases": bases, "answer_form": answer_form or AnswerForm()},
                  status=status)


@permission_required_404("bases.view_own_base", methods=["GET", "HEAD"])
def own_base(request):
    """The organisation's base: its status and designation, and a rectification to answer."""
    return _own(request)


@permission_required_404("bases.view_own_base", methods=["POST"])
def rectification_answer(request, pk):
    base = get_in_scope(request, bases_for_user(request.user), pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.rectification_answer(actor=request.user, base_id=base.pk, answer=form.cleaned_data["answer"])
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your answer went to CNIPA."))
            return redirect("own_base")
    return _own(request, status=400, answer_form=form, answer_base=base.pk)


# --- Filings (19.2): the base's side ------------------------------------------------------------------------------

@permission_required_404("bases.view_own_base")
def plan_edit(request, pk):
    """The base files its construction plan, or a revision of it once returned."""
    base = get_in_scope(request, bases_for_user(request.user), pk)
    plan = ConstructionPlan.objects.filter(base=base).first()
    posted = request.method == "POST"
    form = PlanForm(request.POST if posted else None, request.FILES if posted else None,
                    initial={"summary": plan.summary} if plan else None)
    if posted and form.is_valid():
        try:
            filings.plan_file(actor=request.user, base_id=base.pk, summary=form.cleaned_data["summary"],
                              upload=form.cleaned_data["file"])
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The construction plan was filed with the bureau that supervises the base."))
            return redirect("own_base")
    return render(request, "bases/plan_form.html", {"form": form, "base": base, "plan": plan},
                  status=400 if posted else 200)


def _project_initial(project):
    return {name: getattr(project, name) for name in filings.PROJECT_FIELDS}


@permission_required_404("bases.view_own_base")
def project_edit(request, pk, project_pk=None):
    """The base files a project, or files it again changed (a new stage reached, its evidence of use)."""
    base = get_in_scope(request, bases_for_user(request.user), pk)
    project = get_in_scope(request, base.projects.all(), project_pk) if project_pk is not None else None
    posted = request.method == "POST"
    form = ProjectForm(request.POST if posted else None, request.FILES if posted else None,
                       initial=_project_initial(project) if project else None)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            filings.project_save(actor=request.user, base_id=base.pk, project_id=project.pk if project else None,
                                 values={name: data[name] for name in filings.PROJECT_FIELDS},
                                 evidence=data["evidence"])
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The project was filed with the bureau that supervises the base."))
            return redirect("own_base")
    return render(request, "bases/project_form.html", {"form": form, "base": base, "project": project},
                  status=400 if posted else 200)


@permission_required_404("bases.view_own_base")
def service_new(request, pk):
    base = get_in_scope(request, bases_for_user(request.user), pk)
    posted = request.method == "POST"
    form = ServiceForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            filings.service_file(actor=request.user, base_id=base.pk, **form.cleaned_data)
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Filed with the bureau that supervises the base."))
            return redirect("own_base")
    return render(request, "bases/service_form.html", {"form": form, "base": base}, status=400 if posted else 200)


# --- Filings: the files, to the base and the officials in scope ---------------------------------------------------

@permission_required_404("bases.download_filing", methods=["GET", "HEAD"])
def plan_download(request, pk):
    base = get_in_scope(request, bases_for_user(request.user), pk)
    plan = ConstructionPlan.objects.filter(base=base).first()
    if plan is None:
        raise Http404
    audit_record(actor=request.user, action="base_file_download", obj=base, note="plan")
    return private_download(plan.file, plan.file_name or "plan.pdf", "application/pdf")


@permission_required_404("bases.download_filing", methods=["GET", "HEAD"])
def evidence_download(request, pk, project_pk):
    base = get_in_scope(request, bases_for_user(request.user), pk)
    project = get_in_scope(request, base.projects.exclude(evidence=""), project_pk)
    audit_record(actor=request.user, action="base_file_download", obj=base, note=f"evidence {project.pk}")
    return private_download(project.evidence, project.evidence_name or "evidence.pdf", "application/pdf")


# --- Filings: the bureau's checks and CNIPA's exemplary cases -----------------------------------------------------

@permission_required_404("bases.view_bases", methods=["GET", "HEAD"])
def project_detail(request, pk, project_pk):
    return _project_page(request, pk, project_pk)


def _project_page(request, pk, project_pk, status=200, form=None):
    base = _scoped(request, pk)
    project = get_in_scope(request, base.projects.all(), project_pk)
    deliverables = [Deliverable(d).label for d in project.deliverables]
    return render(request, "bases/project.html", {"base": base, "project": project, "deliverables": deliverables,
                                                  "form": form or CheckForm()}, status=status)


def _check(request, pk, call, done, redirect_to, failed):
    base = _scoped(request, pk)
    form = CheckForm(request.POST)
    if form.is_valid():
        try:
            call(base, form.cleaned_data["decision"] == "acknowledge", form.cleaned_data["note"])
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect(*redirect_to)
    return failed(base, form)


@permission_required_404("bases.check_filings", methods=["POST"])
def plan_check(request, pk):
    return _check(request, pk, lambda base, ack, note: filings.plan_check(
        actor=request.user, base_id=base.pk, acknowledge=ack, note=note), _("Recorded; the base was told."),
        ("base_detail", pk), lambda base, form: _detail(request, base, status=400, plan_form=form))


@permission_required_404("bases.check_filings", methods=["POST"])
def project_check(request, pk, project_pk):
    return _check(request, pk, lambda base, ack, note: filings.project_check(
        actor=request.user, base_id=base.pk, project_id=project_pk, acknowledge=ack, note=note),
        _("Recorded; the base was told."), ("base_project", pk, project_pk),
        lambda base, form: _project_page(request, pk, project_pk, status=400, form=form))


@permission_required_404("bases.check_filings", methods=["POST"])
def service_check(request, pk, service_pk):
    return _check(request, pk, lambda base, ack, note: filings.service_check(
        actor=request.user, base_id=base.pk, service_id=service_pk, acknowledge=ack, note=note),
        _("Recorded."), ("base_detail", pk),
        lambda base, form: _detail(request, base, status=400, service_form=form, checked_service=service_pk))


@permission_required_404("bases.manage_bases", methods=["POST"])
def project_exemplary(request, pk, project_pk):
    base = _scoped(request, pk)
    get_in_scope(request, base.projects.all(), project_pk)
    try:
        filings.project_exemplary(actor=request.user, base_id=base.pk, project_id=project_pk,
                                  exemplary=request.POST.get("exemplary") == "1")
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Recorded."))
    return redirect("base_project", pk, project_pk)


# --- Public: the exemplary cases --------------------------------------------------------------------------------

@require_safe
def exemplary_cases(request):
    """Public: the projects CNIPA marked exemplary cases — base, project, type, need, deliverables; no person."""
    cases = Project.objects.filter(exemplary_at__isnull=False).select_related("base").only(
        "title", "need", "project_type", "client_kind", "deliverables", "accepted_on", "exemplary_at", "base__name",
        "base__status").order_by("-exemplary_at")
    return render(request, "bases/cases.html", {"page": Paginator(cases, 30).get_page(request.GET.get("page"))})
