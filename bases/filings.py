"""The base's filings (issue 19.2) and their checks: the construction plan (建设方案), the patent navigation projects
(备案) and the public-welfare services and training. The base files; the bureau that supervises it acknowledges or
returns each with reasons; CNIPA marks exemplary projects. Each is one transaction that locks the base and passes
the one writer (bases.transitions.base_transition: role, scope, status, the audit line, who is told); a changed
filing is filed again, for the bureau to check what it now says."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.uploads import PDF, check_upload
from navportal.errors import PortalError
from navportal.files import file_replace, file_writing_transaction
from navportal.models import User
from navportal.notify import Tell, lazy_text
from review.services import required_text

from .models import (
    ClientKind, ConstructionPlan, Deliverable, FilingState, Project, ProjectType, PublicService, ServiceKind,
)
from .selectors import supervisor
from .services import _members, locked_base
from .transitions import base_transition


def _tell_supervisor(base, subject, link):
    return Tell(User.objects.filter(supervisor(base).reviewers_q(), is_active=True),
                lazy_text(subject, name=base.name),
                gettext_lazy("The base filed it with your bureau: check it, and acknowledge it or return it with "
                             "your reasons."), link, reference="")


def _pdf(upload):
    try:
        check_upload(upload, (PDF,))
    except ValidationError as exc:
        raise PortalError(exc.messages[0], code="file") from None


def _checked(state, acknowledge, note):
    """The state and note a check writes: acknowledged (the note optional), or returned with its reasons."""
    if state != FilingState.FILED:
        raise PortalError(_("This was checked already; it is checked again once the base files it again."),
                          code="state")
    if acknowledge:
        return FilingState.ACKNOWLEDGED, (note or "").strip()
    return FilingState.RETURNED, required_text(note, _("Give your reasons for returning it."))


# --- The construction plan -----------------------------------------------------------------------------------------

def plan_file(*, actor, base_id, summary, upload=None):
    """The base files its construction plan: the summary and the plan (a PDF). Once filed, only a plan the bureau
    returned is filed again (the PDF may then be kept)."""
    summary = required_text(summary, _("Summarise the plan by the three tasks."))
    with file_writing_transaction() as track:
        base = locked_base(actor, base_id)
        plan = ConstructionPlan.objects.select_for_update().filter(base=base).first()
        if plan is not None and plan.state != FilingState.RETURNED:
            raise PortalError(_("The construction plan is filed; it is filed again only if the bureau returns it."),
                              code="state")
        if plan is None and upload is None:
            raise PortalError(_("Attach the plan (PDF)."), code="required")
        base_transition(actor=actor, base=base, action="plan_file",
                        audit_states=(plan.state if plan else "", FilingState.FILED),
                        tell=[_tell_supervisor(base, gettext_lazy("Construction plan filed: %(name)s"),
                                               f"/review/bases/{base.pk}/")])
        if upload is not None:
            _pdf(upload)
        now = timezone.now()
        plan = plan or ConstructionPlan(base=base)
        plan.summary, plan.state, plan.filed_at, plan.checked_at, plan.check_note = (
            summary, FilingState.FILED, now, None, "")
        if upload is not None:
            file_replace(plan.file, upload, track)
            plan.file_name = upload.name[:200]
        plan.save()
        return plan


def plan_check(*, actor, base_id, acknowledge, note=""):
    """The supervising bureau acknowledges the filed plan, or returns it with its reasons; the base is told."""
    with transaction.atomic():
        base = locked_base(actor, base_id)
        plan = ConstructionPlan.objects.select_for_update().filter(base=base).first()
        if plan is None:
            raise PortalError(_("The base has not filed its construction plan."), code="state")
        state, note = _checked(plan.state, acknowledge, note)
        base_transition(actor=actor, base=base, action="plan_check", audit_states=(plan.state, state), note=note[:200],
                        tell=[_checked_tell(base, gettext_lazy("Construction plan"), state, note)])
        plan.state, plan.check_note, plan.checked_at = state, note, timezone.now()
        plan.save(update_fields=["state", "check_note", "checked_at"])
        return plan


def _checked_tell(base, what, state, note):
    if state == FilingState.ACKNOWLEDGED:
        subject = lazy_text(gettext_lazy("%(what)s checked: %(name)s"), what=what, name=base.name)
        body = gettext_lazy("The bureau that supervises the base checked the filing.")
    else:
        subject = lazy_text(gettext_lazy("%(what)s returned: %(name)s"), what=what, name=base.name)
        body = lazy_text(gettext_lazy("The bureau returned the filing: %(note)s Revise it and file it again."),
                         note=note)
    return Tell(_members(base), subject, body, "/base/", reference="")


# --- Projects ------------------------------------------------------------------------------------------------------

# A count typed by a person (participants, an indicator's target): far above any real one, well inside the column.
MAX_COUNT = 1_000_000

PROJECT_FIELDS = ("title", "need", "client_kind", "client", "project_type", "service_body", "funding",
                  "funding_source", "approved_on", "tendered_on", "started_on", "accepted_on", "deliverables")


def clean_project(values, today=None):
    """The project's fields from `values`, checked; PortalError (with the field's name as `field`) otherwise."""
    today = today or timezone.localdate()
    data = {}
    for name in ("title", "need", "client", "service_body", "funding_source"):
        data[name] = required_text(values.get(name), _("Fill this in."))
    if values.get("client_kind") not in ClientKind.values:
        raise PortalError(_("Say for whom: an industry authority or an innovation entity."), code="invalid")
    if values.get("project_type") not in ProjectType.values:
        raise PortalError(_("Choose the type of GB/T 39551."), code="invalid")
    data["client_kind"], data["project_type"] = values["client_kind"], values["project_type"]
    try:
        data["funding"] = Decimal(str(values.get("funding"))).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise PortalError(_("Give the funding in 10,000 yuan."), code="invalid") from None
    if not Decimal(0) <= data["funding"] < Decimal("100000000"):
        raise PortalError(_("Give the funding in 10,000 yuan."), code="invalid")
    dates = {name: values.get(name) for name in ("approved_on", "tendered_on", "started_on", "accepted_on")}
    if not isinstance(dates["approved_on"], datetime.date):
        raise PortalError(_("Give the date the project was approved (立项)."), code="required")
    known = [(name, date) for name, date in dates.items() if date is not None]
    if any(date > today for _name, date in known):
        raise PortalError(_("A stage's date cannot be in the future: file it once it is reached."), code="invalid")
    if any(later < earlier for (_a, earlier), (_b, later) in zip(known, known[1:])):
        raise PortalError(_("The stages' dates must follow their order: approved, tendered, running, accepted."),
                          code="invalid")
    if dates["accepted_on"] and not dates["started_on"]:
        raise PortalError(_("A project is accepted after it ran: give the date it started."), code="invalid")
    data.update(dates)
    deliverables = list(dict.fromkeys(values.get("deliverables") or []))
    if any(d not in Deliverable.values for d in deliverables):
        raise PortalError(_("Choose the deliverables from the list."), code="invalid")
    if dates["accepted_on"] and not deliverables:
        raise PortalError(_("An accepted project names its deliverables."), code="required")
    data["deliverables"] = deliverables
    return data


def project_save(*, actor, base_id, values, project_id=None, evidence=None):
    """The base files a project, or files it again changed: its fields (clean_project) and, once accepted, the
    evidence that its results are in use (a PDF). A changed project is checked again and is no longer an exemplary
    case until CNIPA marks it again."""
    data = clean_project(values)
    if evidence is not None and not data["accepted_on"]:
        raise PortalError(_("Evidence of use comes once the project is accepted (验收)."), code="invalid")
    with file_writing_transaction() as track:
        base = locked_base(actor, base_id)
        project = None
        if project_id is not None:
            project = Project.objects.select_for_update().filter(base=base, pk=project_id).first()
            if project is None:
                raise PortalError(_("This project does not exist."), code="not_found")
        base_transition(actor=actor, base=base, action="project_file",
                        audit_states=(project.state if project else "", FilingState.FILED),
                        note=data["title"][:200],
                        tell=[_tell_supervisor(base, gettext_lazy("Navigation project filed: %(name)s"),
                                               f"/review/bases/{base.pk}/")])
        if evidence is not None:
            _pdf(evidence)
        now = timezone.now()
        project = project or Project(base=base, filed_at=now)
        for name, value in data.items():
            setattr(project, name, value)
        project.state, project.updated_at, project.checked_at, project.check_note, project.exemplary_at = (
            FilingState.FILED, now, None, "", None)
        if evidence is not None:
            file_replace(project.evidence, evidence, track)
            project.evidence_name = evidence.name[:200]
        project.save()
        return project


def project_check(*, actor, base_id, project_id, acknowledge, note=""):
    return _check_filing(actor=actor, base_id=base_id, filings=Project.objects, pk=project_id,
                         missing=_("This project does not exist."), action="project_check", acknowledge=acknowledge,
                         note=note, tell=lambda base, project, state, note: [_checked_tell(
                             base, lazy_text(gettext_lazy("Project “%(title)s”"), title=project.title), state, note)])


def _check_filing(*, actor, base_id, filings, pk, missing, action, acknowledge, note, tell=None):
    """The supervising bureau's check of one of the base's filings (a project, a service): acknowledged, or returned
    with its reasons; `tell(base, filing, state, note)` says whom to tell."""
    with transaction.atomic():
        base = locked_base(actor, base_id)
        filing = filings.select_for_update().filter(base=base, pk=pk).first()
        if filing is None:
            raise PortalError(missing, code="not_found")
        state, note = _checked(filing.state, acknowledge, note)
        base_transition(actor=actor, base=base, action=action, audit_states=(filing.state, state),
                        note=f"{filing.title}: {note}"[:200],
                        tell=tell(base, filing, state, note) if tell is not None else ())
        filing.state, filing.check_note, filing.checked_at = state, note, timezone.now()
        filing.save(update_fields=["state", "check_note", "checked_at"])
        return filing


def project_exemplary(*, actor, base_id, project_id, exemplary):
    """CNIPA marks a checked project an exemplary case (shown publicly), or takes the mark back."""
    with transaction.atomic():
        base = locked_base(actor, base_id)
        project = Project.objects.select_for_update().filter(base=base, pk=project_id).first()
        if project is None:
            raise PortalError(_("This project does not exist."), code="not_found")
        if exemplary and project.state != FilingState.ACKNOWLEDGED:
            raise PortalError(_("Only a project its bureau has checked can be an exemplary case."), code="state")
        base_transition(actor=actor, base=base, action="project_exemplary",
                        audit_states=("exemplary" if project.exemplary_at else "", "exemplary" if exemplary else ""),
                        note=project.title[:200])
        project.exemplary_at = timezone.now() if exemplary else None
        project.save(update_fields=["exemplary_at"])
        return project


# --- Public-welfare services and training -------------------------------------------------------------------------

def service_file(*, actor, base_id, kind, title, held_on, participants, description=""):
    """The base files a public-welfare service or a training it delivered."""
    title = required_text(title, _("Fill this in."))
    if kind not in ServiceKind.values:
        raise PortalError(_("Say whether it was a service or a training."), code="invalid")
    if not isinstance(held_on, datetime.date) or held_on > timezone.localdate():
        raise PortalError(_("Give the date it was held (not in the future)."), code="invalid")
    if not isinstance(participants, int) or not 1 <= participants <= MAX_COUNT:
        raise PortalError(_("Give how many took part."), code="invalid")
    with transaction.atomic():
        base = locked_base(actor, base_id)
        if held_on < base.designated_on:
            raise PortalError(_("File what the base did since its designation."), code="invalid")
        base_transition(actor=actor, base=base, action="service_file", audit_states=("", FilingState.FILED),
                        note=title[:200],
                        tell=[_tell_supervisor(base, gettext_lazy("Public-welfare service filed: %(name)s"),
                                               f"/review/bases/{base.pk}/")])
        return PublicService.objects.create(base=base, kind=kind, title=title, held_on=held_on,
                                            participants=participants, description=(description or "").strip(),
                                            filed_at=timezone.now())


def service_check(*, actor, base_id, service_id, acknowledge, note=""):
    return _check_filing(actor=actor, base_id=base_id, filings=PublicService.objects, pk=service_id,
                         missing=_("This service does not exist."), action="service_check", acknowledge=acknowledge,
                         note=note)
