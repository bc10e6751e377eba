"""Which bases a user sees: CNIPA all of them; a province the bases it recommended (not the ministries'); a ministry
its own; the applicant organisation its own. Everyone else none — outside them the answer is 404."""

from django.db.models import Q

from applications.units import MINISTRY, Unit
from navportal.models import Role

from .models import Base


def bases_for_user(user):
    bases = Base.objects.all()
    if not user.is_authenticated:
        return bases.none()
    if user.role == Role.NATIONAL:
        return bases
    if user.role == Role.APPLICANT:
        return bases.filter(organisation_id=user.organisation_id) if user.organisation_id else bases.none()
    unit = Unit.of_user(user)
    if unit is None:
        return bases.none()
    return bases.filter(supervised_by(unit))


def supervised_by(unit, prefix=""):
    """A Q selecting the bases `unit` supervises (checks the filings of): as it recommended them."""
    if unit.kind == MINISTRY:
        return Q(**{f"{prefix}ministry_id": unit.pk})
    return Q(**{f"{prefix}province_id": unit.pk, f"{prefix}ministry__isnull": True})


def supervisor(base):
    """The bureau that supervises `base`: its ministry, else its province (applications.units.Unit)."""
    return Unit(MINISTRY, base.ministry_id) if base.ministry_id else Unit("province", base.province_id)


def in_scope(user, base):
    return bases_for_user(user).filter(pk=base.pk).exists()
