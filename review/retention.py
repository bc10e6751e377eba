"""Retention (个人信息保护法 Art. 19): personal information kept no longer than its purpose needs, by the periods the
rules page states (navportal.privacy_rules, settings PRIVACY_*), applied daily by manage.py apply_retention.

- An objector's identity — name, telephone, e-mail, signature, sealed letter, evidence and the address the objection
  came from — once the call's final list has been confirmed for PRIVACY_OBJECTION_DAYS: the objection itself (its
  reasons, reference number and decision) remains, and so do the counts. With it go the text of the objector's
  requests about their information (the bureau's answer and the dates stay), and the address in the audit trail's
  lines of the objector's own actions (sending, confirming, asking): the lines stay, chained as before
  (navportal.audit.audit_forget_addresses). An objection never confirmed is deleted within days
  (objections_purge); the address of its one line goes PRIVACY_OBJECTION_DAYS after it was sent.
- The people of an application never designated — head, contact person, declarant, the roster's names — once its
  call's deadline is PRIVACY_ROSTER_YEARS years past: on the application, its roster and every submitted version
  (the frozen content anonymised and sealed anew, the print view and its PDF and the signed scan removed, as they
  show the names). The organisation, the roster's size and qualifications, the states and the audit trail remain.
  A designated base keeps everything: its people are needed while it is managed.

Each pass is one transaction with one audit line that says what it did; a second pass finds nothing more.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from applications.enums import AttachmentKind, State
from applications.models import Application, ApplicationVersion, Attachment, StaffMember
from applications.sections import PERSONAL_FIELDS
from navportal import seals
from navportal.audit import audit_forget_addresses, audit_record
from navportal.models import AuditEvent
from portal.models import DataRequest

from .models import Objection

# What an objection keeps of its objector once the period ended: nothing that names or reaches them.
OBJECTOR_FIELDS = {"name": "", "phone": "", "email": "", "signature": "", "ip": None, "letter": "", "evidence": ""}


@dataclass
class Report:
    objections: int = 0
    applications: int = 0
    versions: int = 0
    files: int = 0
    addresses: int = 0

    def __str__(self):
        return (f"{self.objections} objections and {self.applications} applications ({self.versions} submitted "
                f"versions) anonymised, {self.files} files removed, {self.addresses} addresses removed from the "
                "audit trail")


def retention_apply(*, now=None):
    """Remove the personal information whose retention period has ended (see the module). Returns the Report; the
    files go after the commit."""
    now = now or timezone.now()
    report, files = Report(), []
    with transaction.atomic():
        _objections(now, report, files)
        _applications(now, report, files)
        if report.objections or report.applications or report.addresses:
            audit_record(actor=None, action="retention_apply", note=str(report))
        transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])
    return report


def _objections(now, report, files):
    ended = now - datetime.timedelta(days=settings.PRIVACY_OBJECTION_DAYS)
    objections = list(Objection.objects.select_for_update().filter(
        anonymised_at__isnull=True, entry__notice__confirmed_at__lte=ended))
    for objection in objections:
        kept = [(f.storage, f.name) for f in (objection.letter, objection.evidence) if f]
        files.extend(kept)
        report.files += len(kept)
        for name, value in OBJECTOR_FIELDS.items():
            setattr(objection, name, value)
        objection.anonymised_at = now
        objection.save(update_fields=[*OBJECTOR_FIELDS, "anonymised_at"])
    report.objections = len(objections)
    ids = [objection.pk for objection in objections]
    requests = list(DataRequest.objects.filter(objection__in=ids).values_list("pk", flat=True))
    DataRequest.objects.filter(pk__in=requests).update(text="")
    report.addresses = audit_forget_addresses(_objector_lines(ids, requests, ended))


def _objector_lines(objections, requests, ended):
    """The ids of the audit lines of objectors' own actions (no account: actor NULL) that still hold an address:
    about these objections and requests, and about objections deleted unconfirmed, once sent before `ended`."""
    public = AuditEvent.objects.filter(actor__isnull=True, ip__isnull=False)
    lines = set(public.filter(Q(object_type="review.objection", object_id__in=[str(pk) for pk in objections])
                              | Q(object_type="portal.datarequest", object_id__in=[str(pk) for pk in requests]))
                .values_list("pk", flat=True))
    old = dict(public.filter(object_type="review.objection", at__lte=ended).values_list("pk", "object_id"))
    existing = {str(pk) for pk in Objection.objects.filter(
        pk__in=[int(pk) for pk in set(old.values()) if pk.isdigit()]).values_list("pk", flat=True)}
    return lines | {pk for pk, objection in old.items() if objection not in existing}


def _applications(now, report, files):
    ended = _years_before(now, settings.PRIVACY_ROSTER_YEARS)
    applications = list(Application.objects.select_for_update(of=("self",)).filter(
        anonymised_at__isnull=True, call__deadline__lte=ended).exclude(state=State.DESIGNATED))
    if not applications:
        return
    ids = [a.pk for a in applications]
    Application.objects.filter(pk__in=ids).update(anonymised_at=now, **{name: "" for name in PERSONAL_FIELDS})
    # The roster (sections.PERSONAL_ROWS): its names go; its size and qualifications stay, unattributable.
    StaffMember.objects.filter(application__in=ids).update(name="")
    for scan in Attachment.objects.filter(application__in=ids, kind=AttachmentKind.SEALED_SCAN):
        files.append((scan.file.storage, scan.file.name))
        scan.delete()
        report.files += 1
    for version in ApplicationVersion.objects.select_for_update().filter(application__in=ids):
        _anonymise_version(version, files, report)
        report.versions += 1
    report.applications = len(applications)


def _anonymise_version(version, files, report):
    """The frozen content without the people, sealed anew: a later change by SQL is still seen."""
    data = dict(version.data)
    for name in PERSONAL_FIELDS:
        if name in data:
            data[name] = ""
    data["staff"] = [{**row, "name": ""} for row in data.get("staff", [])]
    version.data, version.print_html = data, ""
    if version.pdf:
        files.append((version.pdf.storage, version.pdf.name))
        report.files += 1
        version.pdf = ""
    seals.seal(version)
    version.save(update_fields=["data", "print_html", "pdf", "seal", "seal_key_id"])


def _years_before(moment, years):
    """The same day and hour `years` years earlier (28 February for a 29th that year lacks)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)
