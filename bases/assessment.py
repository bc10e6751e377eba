"""Assessment (考核评价, issue 19.4): CNIPA defines a reporting period's indicators — grouped as project
implementation, effect of application and basic guarantees, each computed from the bases' checked filings
(bases.figures) or scored by an assessor with a written reason — and the totals' thresholds of the grades; scores
the bases; and publishes: every assessed base's total and grade is frozen, shown to it with the reasons, and an
unqualified base is put under rectification (19.5, through the same writer). Bases that missed the period's report
are put under rectification from the period's page (rectify_missed)."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from navportal.audit import audit_record
from navportal.errors import PortalError
from navportal.notify import Tell, lazy_text
from navportal.rules import is_cnipa
from review.services import required_text

from .figures import FIGURES, figures_by_base, year_bounds
from .filings import MAX_COUNT
from .models import (
    AssessmentResult, AssessmentScheme, Base, BaseStatus, Grade, Indicator, IndicatorGroup, IndicatorKind,
    RectificationReason, ReportingPeriod, Score,
)
from .reports import missed_reports
from .services import _members, check_answer_by, locked_base, rectification_open
from .transitions import base_transition

CENT = Decimal("0.01")

# A set to start from (CNIPA changes it as it likes): 100 points, the three groups.
STANDARD_INDICATORS = [
    (IndicatorGroup.IMPLEMENTATION, "立项的专利导航项目", IndicatorKind.COMPUTED, "projects_filed", 3, 20),
    (IndicatorGroup.IMPLEMENTATION, "验收的专利导航项目", IndicatorKind.COMPUTED, "projects_completed", 2, 15),
    (IndicatorGroup.EFFECT, "成果得到应用的项目", IndicatorKind.COMPUTED, "results_in_use", 1, 15),
    (IndicatorGroup.EFFECT, "公益服务", IndicatorKind.COMPUTED, "services", 4, 10),
    (IndicatorGroup.EFFECT, "培训人次", IndicatorKind.COMPUTED, "participants", 200, 10),
    (IndicatorGroup.GUARANTEES, "建设方案落实情况", IndicatorKind.SCORED, "", None, 10),
    (IndicatorGroup.GUARANTEES, "组织机构与人员保障", IndicatorKind.SCORED, "", None, 10),
    (IndicatorGroup.GUARANTEES, "经费保障", IndicatorKind.SCORED, "", None, 10),
]


def _cnipa(actor):
    if not is_cnipa(actor):
        raise PortalError(_("Only CNIPA staff can do this."), code="forbidden")


def _open_scheme(period_id, *, lock=True):
    """The period's assessment, locked, while it is not published (made on first use)."""
    period = ReportingPeriod.objects.filter(pk=period_id).first()
    if period is None:
        raise PortalError(_("This reporting period does not exist."), code="not_found")
    scheme, _created = AssessmentScheme.objects.get_or_create(period=period)
    if lock:
        scheme = AssessmentScheme.objects.select_for_update().get(pk=scheme.pk)
    if scheme.published_at is not None:
        raise PortalError(_("The assessment was published; it no longer changes."), code="state")
    return scheme


def scheme_save(*, actor, period_id, excellent, good, qualified):
    """CNIPA sets the grades' thresholds (points): excellent above good above qualified, none negative."""
    _cnipa(actor)
    if not all(isinstance(v, Decimal) for v in (excellent, good, qualified)) or not excellent > good > qualified >= 0:
        raise PortalError(_("The thresholds must fall from excellent to good to qualified, none below zero."),
                          code="invalid")
    with transaction.atomic():
        scheme = _open_scheme(period_id)
        scheme.excellent, scheme.good, scheme.qualified = excellent, good, qualified
        scheme.save(update_fields=["excellent", "good", "qualified"])
        audit_record(actor=actor, action="assessment_scheme", obj=scheme, note=f"{excellent}/{good}/{qualified}")
        return scheme


def indicator_add(*, actor, period_id, group, name, kind, points, figure="", target=None):
    """CNIPA adds an indicator: a computed one names its figure and the value that earns full points."""
    _cnipa(actor)
    name = required_text(name, _("Name the indicator."))
    if group not in IndicatorGroup.values or kind not in IndicatorKind.values:
        raise PortalError(_("Choose the group and the kind."), code="invalid")
    if not isinstance(points, Decimal) or not Decimal(0) < points <= Decimal(100):
        raise PortalError(_("An indicator is worth more than 0 and at most 100 points."), code="invalid")
    if kind == IndicatorKind.COMPUTED and (figure not in FIGURES or not isinstance(target, int)
                                           or not 1 <= target <= MAX_COUNT):
        raise PortalError(_("A computed indicator names its figure and the value that earns full points."),
                          code="invalid")
    if kind == IndicatorKind.SCORED:
        figure, target = "", None
    with transaction.atomic():
        scheme = _open_scheme(period_id)
        indicator = Indicator.objects.create(scheme=scheme, group=group, name=name, kind=kind, figure=figure,
                                             target=target, points=points.quantize(CENT),
                                             order=scheme.indicators.count())
        audit_record(actor=actor, action="assessment_indicator", obj=scheme, to_state=kind,
                     note=f"{name}: {points}")
        return indicator


def indicators_standard(*, actor, period_id):
    """CNIPA starts from the standard set (STANDARD_INDICATORS), on an assessment without indicators."""
    _cnipa(actor)
    with transaction.atomic():
        scheme = _open_scheme(period_id)
        if scheme.indicators.exists():
            raise PortalError(_("The assessment has indicators already."), code="state")
        for group, name, kind, figure, target, points in STANDARD_INDICATORS:
            indicator_add(actor=actor, period_id=period_id, group=group, name=name, kind=kind, figure=figure,
                          target=target, points=Decimal(points))
        return scheme


def indicator_remove(*, actor, indicator_id):
    _cnipa(actor)
    with transaction.atomic():
        indicator = Indicator.objects.select_related("scheme").filter(pk=indicator_id).first()
        if indicator is None:
            raise PortalError(_("This indicator does not exist."), code="not_found")
        scheme = _open_scheme(indicator.scheme.period_id)
        Score.objects.filter(indicator=indicator).delete()
        indicator.delete()
        audit_record(actor=actor, action="assessment_indicator", obj=scheme, to_state="removed", note=indicator.name)


def assessed_bases(scheme):
    """The bases an assessment covers: current ones designated by the end of its year."""
    _start, end = year_bounds(scheme.period.year)
    return Base.objects.exclude(status=BaseStatus.REVOKED).filter(designated_on__lte=end).order_by("province__code",
                                                                                                  "name")


def score_save(*, actor, period_id, base_id, indicator_id, points, reason):
    """An assessor (CNIPA) scores a base on a scored indicator: at most its points, with the reason the base reads.
    A second score replaces the first until the assessment is published. Audited on the base."""
    _cnipa(actor)
    reason = required_text(reason, _("Give the reason for the score: the base reads it."))
    with transaction.atomic():
        scheme = _open_scheme(period_id)
        indicator = scheme.indicators.filter(pk=indicator_id, kind=IndicatorKind.SCORED).first()
        if indicator is None:
            raise PortalError(_("This indicator does not exist."), code="not_found")
        if not isinstance(points, Decimal) or not Decimal(0) <= points <= indicator.points:
            raise PortalError(_("Give between 0 and %(points)s points.") % {"points": indicator.points},
                              code="invalid")
        base = locked_base(actor, base_id)
        if not assessed_bases(scheme).filter(pk=base.pk).exists():
            raise PortalError(_("This base is not assessed for this year."), code="state")
        base_transition(actor=actor, base=base, action="assessment_score",
                        audit_states=("", f"{points.quantize(CENT)}/{indicator.points}"),
                        note=f"{indicator.name}: {reason}"[:200])
        score, _created = Score.objects.update_or_create(indicator=indicator, base=base, defaults={
            "points": points.quantize(CENT), "reason": reason, "scored_by": actor, "scored_at": timezone.now()})
        return score


@dataclass
class Row:
    base: Base
    total: Decimal = Decimal(0)
    grade: str = ""
    detail: list = field(default_factory=list)
    missing: int = 0   # scored indicators without a score yet


def computed_points(indicator, value):
    """Full points at the target, in proportion below it (to the cent)."""
    share = min(Decimal(value) / Decimal(indicator.target), Decimal(1))
    return (indicator.points * share).quantize(CENT, rounding=ROUND_HALF_UP)


def results(scheme, bases=None):
    """Every assessed base's total, grade and detail as they stand (a preview until published): the computed
    indicators from the checked filings of the year, the scored ones from the scores. Four queries."""
    bases = list(bases if bases is not None else assessed_bases(scheme).select_related("province"))
    indicators = list(scheme.indicators.all())
    figures = figures_by_base([b.pk for b in bases], scheme.period.year, checked_only=True)
    scores = {(s.indicator_id, s.base_id): s for s in Score.objects.filter(indicator__scheme=scheme,
                                                                         base__in=[b.pk for b in bases])}
    rows = []
    for base in bases:
        row = Row(base)
        values = figures.get(base.pk, {})
        for indicator in indicators:
            if indicator.kind == IndicatorKind.COMPUTED:
                value = values.get(indicator.figure, 0)
                points, reason = computed_points(indicator, value), ""
            else:
                score = scores.get((indicator.pk, base.pk))
                value = None
                points, reason = (score.points, score.reason) if score else (Decimal(0), "")
                row.missing += score is None
            row.total += points
            row.detail.append({"indicator": indicator.name, "group": indicator.group, "kind": indicator.kind,
                               "points": str(points), "of": str(indicator.points), "value": value, "reason": reason})
        row.grade = scheme.grade(row.total)
        rows.append(row)
    return rows


def assessment_publish(*, actor, period_id, rectify_by):
    """CNIPA publishes the assessment: every assessed base scored on every scored indicator, the results frozen
    (AssessmentResult), each base told its grade; an unqualified base is put under rectification, to answer by
    `rectify_by` — unless it is under one already. Returns (results, rectifications opened)."""
    _cnipa(actor)
    check_answer_by(rectify_by)
    with transaction.atomic():
        scheme = _open_scheme(period_id)
        if not scheme.indicators.exists():
            raise PortalError(_("Define the indicators first."), code="state")
        rows = results(scheme)
        incomplete = [row.base.name for row in rows if row.missing]
        if incomplete:
            raise PortalError(_("Score every base on every scored indicator first: %(n)s bases are not scored "
                                "fully (%(names)s).") % {"n": len(incomplete), "names": "、".join(incomplete[:5])},
                              code="incomplete")
        scheme.published_at, scheme.published_by = timezone.now(), actor
        scheme.save(update_fields=["published_at", "published_by"])
        AssessmentResult.objects.bulk_create(AssessmentResult(scheme=scheme, base=row.base, total=row.total,
                                                              grade=row.grade, detail=row.detail) for row in rows)
        audit_record(actor=actor, action="assessment_publish", obj=scheme, note=", ".join(
            f"{Grade(g).label}: {sum(1 for r in rows if r.grade == g)}" for g in Grade.values))
        opened = 0
        for row in rows:
            base = locked_base(actor, row.base.pk)
            base_transition(actor=actor, base=base, action="assessment_result", audit_states=("", row.grade),
                            note=f"{scheme.period.year}: {row.total}",
                            tell=[Tell(_members(base), lazy_text(gettext_lazy("Assessment %(year)s: %(grade)s"),
                                                                 year=scheme.period.year, grade=Grade(row.grade).label),
                                       lazy_text(gettext_lazy("CNIPA published the assessment of %(year)s: %(total)s "
                                                              "points, %(grade)s. The reasons are on the base's page."),
                                                 year=scheme.period.year, total=row.total,
                                                 grade=Grade(row.grade).label), "/base/", reference="")])
            if row.grade == Grade.UNQUALIFIED and base.status == BaseStatus.ACTIVE:
                rectification_open(actor=actor, base_id=base.pk, reason=RectificationReason.UNQUALIFIED,
                                   detail=_("The base was graded unqualified in the assessment of %(year)s "
                                            "(%(total)s points). Put right what the reasons name.")
                                   % {"year": scheme.period.year, "total": row.total}, deadline=rectify_by)
                opened += 1
        return scheme, opened


def rectify_missed(*, actor, period_id, deadline, now=None):
    """CNIPA puts every active base that missed the period's report under rectification (a base under one already
    is left as it is). Returns how many were opened."""
    _cnipa(actor)
    period = ReportingPeriod.objects.filter(pk=period_id).first()
    if period is None:
        raise PortalError(_("This reporting period does not exist."), code="not_found")
    if (now or timezone.now()) < period.deadline:
        raise PortalError(_("The bases may still report: their deadline has not passed."), code="state")
    check_answer_by(deadline, now)
    opened = 0
    with transaction.atomic():
        for base in missed_reports(period, now=now).filter(status=BaseStatus.ACTIVE).order_by("pk"):
            rectification_open(actor=actor, base_id=base.pk, reason=RectificationReason.MISSED_REPORT,
                               detail=_("The base did not submit its annual report on %(year)s by %(deadline)s. "
                                        "Submit it and say why it was late.")
                               % {"year": period.year,
                                  "deadline": timezone.localtime(period.deadline).strftime("%Y-%m-%d %H:%M")},
                               deadline=deadline)
            opened += 1
    return opened
