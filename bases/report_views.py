"""The annual reports' pages (19.3): CNIPA's periods, each period's reports as the officials see them (CNIPA all,
a bureau the bases it supervises), one report with the bureau's review and CNIPA's receipt, and the base's own
report. Every change is a bases.reports call."""

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from navportal.access import get_in_scope, permission_required_404
from navportal.audit import audit_record
from navportal.errors import PortalError
from navportal.files import private_download

from . import reports
from .figures import FIGURES, base_figures
from .forms import MissedForm, PeriodForm, ReportForm, ReviewForm
from .models import AnnualReport, BaseStatus, ReportingPeriod, ReportState
from .selectors import bases_for_user

FIGURE_LABELS = {
    "projects_filed": gettext_lazy("Projects approved in the year"),
    "projects_completed": gettext_lazy("Projects accepted in the year"),
    "results_in_use": gettext_lazy("Of those, results in use"),
    "services": gettext_lazy("Public-welfare services"),
    "trainings": gettext_lazy("Trainings"),
    "participants": gettext_lazy("Participants"),
}


def figure_rows(figures):
    return [(FIGURE_LABELS[name], (figures or {}).get(name, 0)) for name in FIGURES]


@permission_required_404("bases.view_bases")
def period_list(request):
    """The reporting periods; CNIPA opens the next one here."""
    user = request.user
    posted = request.method == "POST"
    form = PeriodForm(request.POST if posted else None, initial={"year": timezone.localdate().year - 1})
    if posted and not user.has_perm("bases.manage_bases"):
        raise Http404  # only CNIPA opens a period
    if posted:
        if form.is_valid():
            try:
                period = reports.period_open(actor=user, **form.cleaned_data)
            except PortalError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The reporting period is open; the bases were told."))
                return redirect("reporting_period", period.pk)
    return render(request, "bases/periods.html", {"periods": ReportingPeriod.objects.all(), "form": form},
                  status=400 if posted else 200)


@permission_required_404("bases.view_bases", methods=["GET", "HEAD"])
def period_detail(request, pk):
    return period_page(request, pk)


def period_page(request, pk, missed_form=None, status=200):
    """One period: every base in the official's scope with its report's state; after the deadline, the missed."""
    period = get_in_scope(request, ReportingPeriod.objects.all(), pk)
    scope = bases_for_user(request.user)
    by_base = {r.base_id: r for r in AnnualReport.objects.filter(period=period, base__in=scope)}
    # The current bases, and a revoked one whose report the period holds.
    rows = [(base, by_base.get(base.pk)) for base in scope.filter(~Q(status=BaseStatus.REVOKED) | Q(
        pk__in=list(by_base))).select_related("province").order_by("province__code", "name")]
    missed = list(reports.missed_reports(period).filter(pk__in=scope.values("pk")).order_by("name"))
    # Those rectify_missed puts under rectification: the active ones (one under rectification already stays so).
    counts = {state: sum(1 for _b, r in rows if r and r.state == state) for state in ReportState.values}
    return render(request, "bases/period.html", {
        "period": period, "rows": rows, "missed": missed,
        "missed_active": any(base.status == BaseStatus.ACTIVE for base in missed), "counts": [(ReportState(s).label, n) for s, n in
                                                                     counts.items()],
        "overdue": timezone.now() >= period.deadline, "missed_form": missed_form or MissedForm()}, status=status)


def _report_page(request, period_pk, pk, status=200, form=None):
    report = get_in_scope(request, AnnualReport.objects.filter(
        period_id=period_pk, base__in=bases_for_user(request.user)).select_related("base", "period"), pk)
    return render(request, "bases/report.html", {"report": report, "figures": figure_rows(report.figures),
                                                 "form": form or ReviewForm()}, status=status)


@permission_required_404("bases.view_bases", methods=["GET", "HEAD"])
def report_detail(request, period_pk, pk):
    return _report_page(request, period_pk, pk)


@permission_required_404("bases.check_filings", methods=["POST"])
def report_review(request, period_pk, pk):
    get_in_scope(request, AnnualReport.objects.filter(period_id=period_pk, base__in=bases_for_user(request.user)), pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            reports.report_review(actor=request.user, report_id=pk, forward=form.cleaned_data["decision"] == "forward",
                                  text=form.cleaned_data["text"])
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Recorded; the base was told."))
            return redirect("report_detail", period_pk, pk)
    return _report_page(request, period_pk, pk, status=400, form=form)


@permission_required_404("bases.manage_bases", methods=["POST"])
def report_receive(request, period_pk, pk):
    get_in_scope(request, AnnualReport.objects.filter(period_id=period_pk), pk)
    try:
        reports.report_receive(actor=request.user, report_id=pk)
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Received."))
    return redirect("report_detail", period_pk, pk)


@permission_required_404("bases.download_filing", methods=["GET", "HEAD"])
def report_attachment(request, pk, report_pk):
    base = get_in_scope(request, bases_for_user(request.user), pk)
    report = get_in_scope(request, base.reports.exclude(file=""), report_pk)
    audit_record(actor=request.user, action="base_file_download", obj=base, note=f"report {report.pk}")
    return private_download(report.file, report.file_name or "report.pdf", "application/pdf")


# --- The base's own report -----------------------------------------------------------------------------------------

@permission_required_404("bases.view_own_base")
def base_report(request, pk, period_pk):
    """The base writes its report on the period's year, saves it as often as it likes, and submits it."""
    base = get_in_scope(request, bases_for_user(request.user), pk)
    period = get_in_scope(request, ReportingPeriod.objects.all(), period_pk)
    report = AnnualReport.objects.filter(base=base, period=period).first()
    posted = request.method == "POST"
    initial = {name: getattr(report, name) for name in reports.NARRATIVES} if report else None
    form = ReportForm(request.POST if posted else None, request.FILES if posted else None, initial=initial)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            reports.report_save(actor=request.user, base_id=base.pk, period_id=period.pk,
                                values={name: data[name] for name in reports.NARRATIVES}, upload=data["file"])
            if "submit" in request.POST:
                reports.report_submit(actor=request.user, base_id=base.pk, period_id=period.pk)
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The report was submitted to the bureau that supervises the base.")
                             if "submit" in request.POST else _("Saved."))
            return redirect("base_report", base.pk, period.pk)
        report = AnnualReport.objects.filter(base=base, period=period).first()
    figures = report.figures if report and report.state != ReportState.DRAFT else base_figures(base, period.year)
    return render(request, "bases/base_report.html", {
        "base": base, "period": period, "report": report, "form": form, "figures": figure_rows(figures),
        "editable": report is None or report.state in (ReportState.DRAFT, ReportState.RETURNED)},
        status=400 if posted else 200)
