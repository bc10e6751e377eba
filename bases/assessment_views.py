"""The assessment's pages (19.4): CNIPA sets the thresholds and the indicators, scores each base, previews the
totals and publishes; after that every official sees the results of the bases in scope with the provinces' figures
and a chart, and exports the table; the base reads its result on its own page."""

import re
from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from navportal import xlsx
from navportal.access import get_in_scope, permission_required_404
from navportal.audit import audit_record
from navportal.converters import MAX_ID
from navportal.errors import PortalError

from . import assessment
from .forms import IndicatorForm, MissedForm, PublishForm, ScoreForm, ThresholdsForm
from .models import AssessmentResult, AssessmentScheme, Grade, IndicatorKind, ReportingPeriod
from .report_views import FIGURE_LABELS, period_page
from .selectors import bases_for_user


def _posted_id(value):
    """The id a form posted, or None when it is none (as an <id:…> in a URL: ASCII digits, at most MAX_ID)."""
    return int(value) if re.fullmatch(r"[0-9]{1,19}", value or "") and int(value) <= MAX_ID else None


def _scheme(request, period_pk):
    period = get_in_scope(request, ReportingPeriod.objects.all(), period_pk)
    return period, AssessmentScheme.objects.filter(period=period).first()


def by_province(rows):
    """[(province, {grade: n}, n, average total)] of published results, provinces by code; and the largest count (the
    chart's scale)."""
    groups = defaultdict(list)
    for row in rows:
        groups[(row.base.province.code, row.base.province.name)].append(row)
    table = []
    for (_code, name), members in sorted(groups.items()):
        counts = {grade: sum(1 for r in members if r.grade == grade) for grade in Grade.values}
        average = (sum((r.total for r in members), Decimal(0)) / len(members)).quantize(Decimal("0.1"))
        table.append((name, counts, len(members), average))
    return table, max((n for _name, _c, n, _a in table), default=1)


@permission_required_404("bases.view_bases", methods=["GET", "HEAD"])
def assessment_page(request, period_pk):
    return assessment_page_inner(request, period_pk)


def assessment_page_inner(request, period_pk, forms_=None, status=200):
    period, scheme = _scheme(request, period_pk)
    user, forms_ = request.user, forms_ or {}
    manage = user.has_perm("bases.manage_bases")
    published = scheme is not None and scheme.published_at is not None
    if not manage and not published:
        return render(request, "bases/assessment.html", {"period": period, "scheme": scheme, "waiting": True})
    scope = bases_for_user(user)
    if published:
        rows = list(AssessmentResult.objects.filter(scheme=scheme, base__in=scope).select_related(
            "base", "base__province").order_by("base__province__code", "-total", "base__name"))
    else:
        rows = assessment.results(scheme) if scheme else []
    provinces, scale = by_province(rows) if published else ([], 1)
    context = {
        "period": period, "scheme": scheme, "rows": rows, "published": published, "manage": manage,
        "indicators": list(scheme.indicators.all()) if scheme else [], "provinces": provinces, "scale": scale,
        "grades": Grade.choices, "figure_labels": FIGURE_LABELS,
        # Before its first change an assessment has no row: its thresholds are the model's defaults.
        "thresholds_form": forms_.get("thresholds") or ThresholdsForm(initial={
            name: getattr(scheme or AssessmentScheme(period=period), name) for name in ("excellent", "good",
                                                                                           "qualified")}),
        "indicator_form": forms_.get("indicator") or IndicatorForm(figures=FIGURE_LABELS.items()),
        "publish_form": forms_.get("publish") or PublishForm(),
    }
    return render(request, "bases/assessment.html", context, status=status)


@permission_required_404("bases.manage_bases", methods=["POST"])
def assessment_setup(request, period_pk):
    """CNIPA's changes before publishing: the thresholds, an indicator added or removed, the standard set."""
    period = get_in_scope(request, ReportingPeriod.objects.all(), period_pk)
    action, user, form_name, form = request.POST.get("action"), request.user, None, None
    try:
        if action == "thresholds":
            form_name, form = "thresholds", ThresholdsForm(request.POST)
            if form.is_valid():
                assessment.scheme_save(actor=user, period_id=period.pk, **form.cleaned_data)
        elif action == "indicator":
            form_name, form = "indicator", IndicatorForm(request.POST, figures=FIGURE_LABELS.items())
            if form.is_valid():
                assessment.indicator_add(actor=user, period_id=period.pk, **form.cleaned_data)
        elif action == "standard":
            assessment.indicators_standard(actor=user, period_id=period.pk)
        elif action == "remove":
            assessment.indicator_remove(actor=user, indicator_id=_posted_id(request.POST.get("indicator")))
        else:
            raise Http404
    except PortalError as exc:
        if form is None:
            messages.error(request, exc.message)
            return redirect("assessment", period.pk)
        form.add_error(None, exc.message)
    if form is not None and form.errors:
        return assessment_page_inner(request, period.pk, {form_name: form}, status=400)
    messages.success(request, _("Saved."))
    return redirect("assessment", period.pk)


@permission_required_404("bases.manage_bases")
def assessment_base(request, period_pk, base_pk):
    """CNIPA scores one base on the scored indicators, its computed ones shown with their values."""
    period, scheme = _scheme(request, period_pk)
    if scheme is None:
        raise Http404
    base = get_in_scope(request, assessment.assessed_bases(scheme), base_pk)
    form = None
    if request.method == "POST":
        form = ScoreForm(request.POST)
        if form.is_valid():
            try:
                assessment.score_save(actor=request.user, period_id=period.pk, base_id=base.pk,
                                      indicator_id=form.cleaned_data["indicator"],
                                      points=form.cleaned_data["points"], reason=form.cleaned_data["reason"])
            except PortalError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("assessment_base", period.pk, base.pk)
    [row] = assessment.results(scheme, [base])
    scores = {s.indicator_id: s for s in base.scores.filter(indicator__scheme=scheme)}
    published = scheme.published_at is not None
    # A refused score goes back beside its indicator: the one the form names (as the form read it), if it is a
    # scored one still there and the page still shows forms.
    posted = form.cleaned_data.get("indicator") if form is not None and not published else None
    items, shown = [], False
    for indicator, detail in zip(scheme.indicators.all(), row.detail):
        score = scores.get(indicator.pk)
        bound = form if posted is not None and indicator.pk == posted else None
        shown = shown or (bound is not None and indicator.kind == IndicatorKind.SCORED)
        items.append((indicator, detail, bound or ScoreForm(initial={
            "indicator": indicator.pk, "points": score.points if score else None,
            "reason": score.reason if score else ""}) if indicator.kind == IndicatorKind.SCORED else None))
    return render(request, "bases/assessment_base.html", {
        "period": period, "scheme": scheme, "base": base, "row": row, "items": items, "published": published,
        # Otherwise (no such indicator, a computed one, published meanwhile) at the top: why, and what was typed.
        "stray_form": form if form is not None and not shown else None}, status=400 if form is not None else 200)


@permission_required_404("bases.manage_bases", methods=["POST"])
def assessment_publish(request, period_pk):
    period = get_in_scope(request, ReportingPeriod.objects.all(), period_pk)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            _scheme_, opened = assessment.assessment_publish(actor=request.user, period_id=period.pk,
                                                             rectify_by=form.cleaned_data["rectify_by"])
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Published; each base was told. Rectifications opened: %(n)s.")
                             % {"n": opened})
            return redirect("assessment", period.pk)
    return assessment_page_inner(request, period.pk, {"publish": form}, status=400)


@permission_required_404("bases.view_bases", methods=["GET", "HEAD"])
def assessment_export(request, period_pk):
    """The results as a table (.xlsx): one row per base in scope with each indicator's points, the total and the
    grade; a second sheet of the provinces' figures. Once published. Audited."""
    period, scheme = _scheme(request, period_pk)
    if scheme is None or scheme.published_at is None:
        raise Http404
    indicators = list(scheme.indicators.all())
    rows = list(AssessmentResult.objects.filter(scheme=scheme, base__in=bases_for_user(request.user)).select_related(
        "base", "base__province").order_by("base__province__code", "-total", "base__name"))
    workbook = xlsx.new_workbook()
    columns = [("序号", 6), ("基地名称", 36), ("所在省份", 12), *[(i.name, 12) for i in indicators], ("总分", 8),
               ("考核等次", 10)]
    sheet = xlsx.Sheet(workbook, "考核结果", columns, title_row=f"{period.year}年度国家级专利导航服务基地考核结果")
    for number, result in enumerate(rows, start=1):
        points = [float(d["points"]) for d in result.detail]
        sheet.append([number, result.base.name, result.base.province.name, *points, float(result.total),
                      str(Grade(result.grade).label)])
    provinces, _scale = by_province(rows)
    summary = xlsx.Sheet(workbook, "分省统计", [("省份", 16), *[(str(label), 12) for _g, label in Grade.choices],
                                             ("基地数", 8), ("平均分", 8)],
                         title_row=f"{period.year}年度考核结果分省统计")
    for name, counts, n, average in provinces:
        summary.append([name, *[counts[g] for g in Grade.values], n, float(average)])
    audit_record(actor=request.user, action="assessment_export", obj=scheme, note=f"{len(rows)} bases")
    return xlsx.response(workbook, f"考核结果-{period.year}.xlsx")


@permission_required_404("bases.manage_bases", methods=["POST"])
def missed_rectify(request, period_pk):
    """CNIPA puts the active bases that missed the period's report under rectification."""
    period = get_in_scope(request, ReportingPeriod.objects.all(), period_pk)
    form = MissedForm(request.POST)
    if not form.is_valid():
        form.add_error(None, _("Give the date to answer by."))
    else:
        try:
            opened = assessment.rectify_missed(actor=request.user, period_id=period.pk,
                                               deadline=form.cleaned_data["deadline"])
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Rectifications opened: %(n)s; each base was told.") % {"n": opened})
            return redirect("reporting_period", period.pk)
    # The period's page again with the date as typed and why it was refused (SPEC §7: keep what was typed).
    return period_page(request, period.pk, missed_form=form, status=400)
