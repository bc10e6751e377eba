"""Reads of the review side: which packages a user may see, and what changed between two versions."""

from applications.models import Application
from applications.sections import SECTIONS
from applications.validators import SERVICE_FIELDS, STAFF_FIELDS
from navportal.models import Role

from .models import Package


def packages_for_user(user):
    qs = Package.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.role == Role.PROVINCE:
        return qs.filter(province_id=user.province_id)
    if user.role == Role.MINISTRY:
        return qs.filter(ministry_id=user.ministry_id)
    if user.role == Role.NATIONAL:
        return qs
    return qs.none()


def version_changes(application):
    """What changed between the last two submitted versions, field by field and row by row.

    Returns a list of (section title, label, before, after); empty when there is one version only.
    """
    versions = list(application.versions.order_by("-number")[:2])
    if len(versions) < 2:
        return []
    new, old = versions[0].data, versions[1].data
    changes = []
    for section in SECTIONS:
        for name in section.fields:
            if old.get(name) != new.get(name):
                label = Application._meta.get_field(name).verbose_name
                changes.append((section.title, label, old.get(name), new.get(name)))
        if section.rows:
            fields = STAFF_FIELDS if section.rows == "staff" else SERVICE_FIELDS
            before, after = old.get(section.rows, []), new.get(section.rows, [])
            for number in range(max(len(before), len(after))):
                a = before[number] if number < len(before) else None
                b = after[number] if number < len(after) else None
                if a != b:
                    changes.append((section.title, f"#{number + 1}", _row_text(a, fields), _row_text(b, fields)))
    return changes


def _row_text(row, fields):
    return "; ".join(str(row.get(f) or "") for f in fields) if row else "—"

