"""Annual reports (issue 19.3). CNIPA opens a reporting period for a year, like a call with its deadlines; each
current base writes its report — a narrative for each of its three tasks, the year's figures taken from its
filings when it submits (bases.figures), an attachment — and submits it by the period's deadline; the bureau that
supervises it returns it with reasons (the base may submit it again until the bureaus' deadline) or forwards it
with its opinion by that deadline; CNIPA receives it. Every step locks the base and passes its one writer."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from navportal.audit import audit_record
from navportal.errors import PortalError
from navportal.files import file_replace, file_writing_transaction
from navportal.models import Role, User
from navportal.notify import Tell, lazy_text, local_moment, notify_all
from navportal.rules import is_cnipa
from review.services import required_text

from .filings import _pdf, _tell_supervisor
from .figures import base_figures
from .models import AnnualReport, Base, BaseStatus, ReportingPeriod, ReportState
from .services import _members, locked_base
from .transitions import base_transition

NARRATIVES = ("demand_matching", "organisation", "promotion")


def period_open(*, actor, year, title, opens_at, deadline, review_deadline):
    """CNIPA opens the reporting of `year`: the bases report by `deadline`, their bureaus forward by
    `review_deadline`. Every current base's accounts are told. Audited."""
    if not is_cnipa(actor):
        raise PortalError(_("Only CNIPA staff can do this."), code="forbidden")
    title = required_text(title, _("Give the period a title."))
    if not (opens_at and deadline and review_deadline) or not opens_at < deadline <= review_deadline:
        raise PortalError(_("The dates must follow each other: opening, the bases' deadline, the bureaus' "
                            "deadline."), code="invalid")
    if not 2000 <= (year or 0) <= timezone.localdate().year:
        raise PortalError(_("Report on a year that has begun."), code="invalid")
    with transaction.atomic():
        if ReportingPeriod.objects.select_for_update().filter(year=year).exists():
            raise PortalError(_("The reporting of this year is open already."), code="state")
        period = ReportingPeriod.objects.create(year=year, title=title, opens_at=opens_at, deadline=deadline,
                                                review_deadline=review_deadline, created_by=actor)
        audit_record(actor=actor, action="reporting_period_open", obj=period,
                     note=f"{year}: {local_moment(deadline)} / {local_moment(review_deadline)}")
        current = Base.objects.exclude(status=BaseStatus.REVOKED).values("organisation_id")
        notify_all([Tell(User.objects.filter(organisation_id__in=current, role=Role.APPLICANT, is_active=True),
                         lazy_text(gettext_lazy("Annual report %(year)s: due by %(deadline)s"), year=year,
                                   deadline=local_moment(deadline)),
                         lazy_text(gettext_lazy("CNIPA opened the reporting on %(year)s. Write the base's report in "
                                                "the portal and submit it by %(deadline)s."), year=year,
                                   deadline=local_moment(deadline)), "/base/", reference="")], about=period)
        return period


def _window(period, now, *, returned=False):
    """The base may write and submit from the opening until the deadline — a returned report until the bureaus'."""
    closes = period.review_deadline if returned else period.deadline
    if now < period.opens_at:
        raise PortalError(_("The reporting period has not opened yet."), code="deadline")
    if now >= closes:
        raise PortalError(_("The reporting period closed on %(moment)s.") % {"moment": local_moment(closes)},
                          code="deadline")


def _locked_report(base, period_id):
    period = ReportingPeriod.objects.filter(pk=period_id).first()
    if period is None:
        raise PortalError(_("This reporting period does not exist."), code="not_found")
    report = AnnualReport.objects.select_for_update().filter(base=base, period=period).first()
    return period, report


def report_save(*, actor, base_id, period_id, values, upload=None, now=None):
    """The base saves its report's draft (or a returned report): the three narratives and, if given, the
    attachment (a PDF). Nothing is checked for completeness until it is submitted."""
    now = now or timezone.now()
    with file_writing_transaction() as track:
        base = locked_base(actor, base_id)
        period, report = _locked_report(base, period_id)
        if report is not None and report.state not in (ReportState.DRAFT, ReportState.RETURNED):
            raise PortalError(_("The report was submitted; it changes again only if the bureau returns it."),
                              code="state")
        _window(period, now, returned=report is not None and report.state == ReportState.RETURNED)
        base_transition(actor=actor, base=base, action="report_edit")
        if upload is not None:
            _pdf(upload)
        report = report or AnnualReport(period=period, base=base)
        for name in NARRATIVES:
            setattr(report, name, (values.get(name) or "").strip())
        report.updated_at = now
        if upload is not None:
            file_replace(report.file, upload, track)
            report.file_name = upload.name[:200]
        report.save()
        return report


def report_submit(*, actor, base_id, period_id, now=None):
    """The base submits its report: each of the three narratives written; the year's figures are taken from its
    filings now. The supervising bureau is told."""
    now = now or timezone.now()
    with transaction.atomic():
        base = locked_base(actor, base_id)
        period, report = _locked_report(base, period_id)
        if report is None or report.state not in (ReportState.DRAFT, ReportState.RETURNED):
            raise PortalError(_("There is no draft of the report to submit."), code="state")
        _window(period, now, returned=report.state == ReportState.RETURNED)
        missing = [name for name in NARRATIVES if not getattr(report, name)]
        if missing:
            raise PortalError(_("Write the report on each of the three tasks before submitting it."),
                              code="incomplete")
        base_transition(actor=actor, base=base, action="report_submit", audit_states=(report.state,
                                                                                       ReportState.SUBMITTED),
                        note=period.title[:200],
                        tell=[_tell_supervisor(base, gettext_lazy("Annual report submitted: %(name)s"),
                                               f"/review/reports/{period.pk}/")])
        report.state, report.submitted_at, report.return_reason = ReportState.SUBMITTED, now, ""
        report.figures = base_figures(base, period.year)
        report.save(update_fields=["state", "submitted_at", "return_reason", "figures"])
        return report


def report_review(*, actor, report_id, forward, text, now=None):
    """The supervising bureau forwards the submitted report to CNIPA with its opinion, or returns it to the base with
    its reasons — by the bureaus' deadline. The base is told either way."""
    now = now or timezone.now()
    text = required_text(text, _("Write your opinion.") if forward else _("Give your reasons for returning it."))
    with transaction.atomic():
        base_id = AnnualReport.objects.filter(pk=report_id).values_list("base_id", flat=True).first()
        base = locked_base(actor, base_id)
        report = AnnualReport.objects.select_for_update().select_related("period").get(pk=report_id)
        if report.state != ReportState.SUBMITTED:
            raise PortalError(_("Only a submitted report is reviewed."), code="state")
        if now >= report.period.review_deadline:
            raise PortalError(_("The bureaus' deadline passed on %(moment)s.")
                              % {"moment": local_moment(report.period.review_deadline)}, code="deadline")
        state = ReportState.FORWARDED if forward else ReportState.RETURNED
        tell = Tell(_members(base), lazy_text(
            gettext_lazy("Annual report forwarded to CNIPA: %(name)s") if forward
            else gettext_lazy("Annual report returned: %(name)s"), name=base.name),
            lazy_text(gettext_lazy("The bureau's opinion: %(text)s") if forward
                      else gettext_lazy("The bureau returned the report: %(text)s Revise it and submit it again."),
                      text=text), "/base/", reference="")
        base_transition(actor=actor, base=base, action="report_review", audit_states=(report.state, state),
                        note=text[:200], tell=[tell])
        report.state = state
        if forward:
            report.opinion, report.forwarded_at = text, now
        else:
            report.return_reason = text
        report.save(update_fields=["state", "opinion", "forwarded_at", "return_reason"])
        return report


def report_receive(*, actor, report_id, now=None):
    """CNIPA receives a forwarded report."""
    with transaction.atomic():
        base_id = AnnualReport.objects.filter(pk=report_id).values_list("base_id", flat=True).first()
        base = locked_base(actor, base_id)
        report = AnnualReport.objects.select_for_update().get(pk=report_id)
        if report.state != ReportState.FORWARDED:
            raise PortalError(_("Only a forwarded report is received."), code="state")
        base_transition(actor=actor, base=base, action="report_receive",
                        audit_states=(report.state, ReportState.RECEIVED), note=str(report.period_id))
        report.state, report.received_at = ReportState.RECEIVED, now or timezone.now()
        report.save(update_fields=["state", "received_at"])
        return report


def missed_reports(period, now=None):
    """The current bases designated before the period closed that did not submit a report by its deadline (none
    before it has passed): what opens a rectification (19.5)."""
    now = now or timezone.now()
    if now < period.deadline:
        return Base.objects.none()
    submitted = AnnualReport.objects.filter(period=period).exclude(state=ReportState.DRAFT).values("base_id")
    return Base.objects.exclude(status=BaseStatus.REVOKED).filter(
        designated_on__lt=timezone.localdate(period.deadline)).exclude(pk__in=submitted)
