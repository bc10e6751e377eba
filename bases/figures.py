"""The figures of a base's year, taken from its filings (bases.models): what its annual report states (19.3) and
what the assessment's computed indicators read (19.4). One function for both, so they cannot disagree.

`checked_only`: count only what the supervising bureau has acknowledged (the assessment); otherwise every filing
not returned (the report, which a base may submit before its bureau has checked everything)."""

import datetime

from django.db.models import Count, Q, Sum

from .models import FilingState, Project, PublicService, ServiceKind

FIGURES = ("projects_filed", "projects_completed", "results_in_use", "services", "trainings", "participants")


def year_bounds(year):
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def figures_by_base(bases, year, *, checked_only=False):
    """{base id: {figure: number}} for `bases` (ids or a queryset) in calendar `year`: projects approved (立项) in
    the year, projects accepted (验收) in it, of those the ones whose results are in use (evidence filed), the
    public-welfare services and the trainings held in it, and their participants. Three queries, whatever the
    number of bases."""
    start, end = year_bounds(year)
    states = [FilingState.ACKNOWLEDGED] if checked_only else [FilingState.ACKNOWLEDGED, FilingState.FILED]
    result = {}
    projects = Project.objects.filter(base__in=bases, state__in=states).values("base").annotate(
        filed=Count("pk", filter=Q(approved_on__range=(start, end))),
        completed=Count("pk", filter=Q(accepted_on__range=(start, end))),
        in_use=Count("pk", filter=Q(accepted_on__range=(start, end)) & ~Q(evidence="")))
    for row in projects:
        result.setdefault(row["base"], dict.fromkeys(FIGURES, 0)).update(
            projects_filed=row["filed"], projects_completed=row["completed"], results_in_use=row["in_use"])
    services = PublicService.objects.filter(base__in=bases, state__in=states, held_on__range=(start, end)).values(
        "base").annotate(services=Count("pk", filter=Q(kind=ServiceKind.SERVICE)),
                         trainings=Count("pk", filter=Q(kind=ServiceKind.TRAINING)), participants=Sum("participants"))
    for row in services:
        result.setdefault(row["base"], dict.fromkeys(FIGURES, 0)).update(
            services=row["services"], trainings=row["trainings"], participants=row["participants"] or 0)
    return result


def base_figures(base, year, *, checked_only=False):
    return figures_by_base([base.pk], year, checked_only=checked_only).get(base.pk, dict.fromkeys(FIGURES, 0))
