"""Progress per recommending unit (推荐单位) in one call: what the national dashboard, CNIPA's national summary,
the reminders and publishing count, counted once here.

`unit_progress(call)` reads two queries whatever the number of units, applications and recommendations: every
province and ministry with its package for the call (if any), and the call's submitted applications counted by
unit, state and claim — with the package each is recommended in. The counts are then worked out in Python by
the rules that own them: the unit by applications.units.Unit, the quota by review.quota.quota_usage, the
hand-in by review.deadlines.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from types import SimpleNamespace

from django.db.models import Count, FilteredRelation, Q, Value

from applications.enums import State
from applications.models import Application
from applications.units import MINISTRY, PROVINCE, Unit
from navportal.models import Ministry, Province

from . import deadlines
from .models import Package
from .quota import quota_usage

# What quota_usage reads of a recommended application, besides its state.
CLAIM_FIELDS = ("exempt_category", "exemption_status", "national_exemption_status")
# What is read of a unit's package: enough for its link, its quota and whether it was handed in on time.
PACKAGE_FIELDS = ("id", "status", "quota", "submitted_at", "extended_until")
BODY_FIELDS = ("id", "code", "name", "name_en")
# The counts that add up to the totals.
TOTALLED = ("received", "city", "desk", "recommended", "counted", "exempt", "over")


@dataclass(frozen=True)
class UnitProgress:
    """Where one recommending unit stands in a call."""

    unit: Unit                    # the value: PROVINCE or MINISTRY, and its id
    body: Province | Ministry     # the province or ministry itself: its name and code
    package: Package | None       # its package for the call (only the fields above read), None if it has none
    received: int                 # submitted applications routed to it, whatever became of them (drafts are not)
    city: int                     # of which awaiting a city's consent
    desk: int                     # of which at its own desk (to recommend, decline or return)
    recommended: int              # of which recommended by it, whatever happened after
    counted: int                  # recommendations counting against the quota (dropped ones do not)
    exempt: int                   # recommendations of verified exempt applicants
    over: int                     # how far the counted ones exceed the quota (after CNIPA rejected an exemption)
    quota: int | None             # the package's quota, or the call's for the unit when it has no package yet
    hand_in: str                  # deadlines.NOT_HANDED_IN, ON_TIME or LATE

    @property
    def kind(self):
        return self.unit.kind

    @property
    def handed_in(self):
        return self.hand_in != deadlines.NOT_HANDED_IN

    @property
    def on_time(self):
        return self.hand_in == deadlines.ON_TIME


def unit_progress(call):
    """One UnitProgress per recommending unit of `call`: every province, by code, then the ministries with an
    application or a package in the call, by code. Two queries."""
    received, recommendations = _applications(call)
    progress = []
    for unit, body, package in _units(call):
        states = received.get(unit, Counter())
        if unit.is_ministry and not states and package is None:
            continue  # a ministry with nothing in this call is no unit of it
        counted, exempt, over = quota_usage(recommendations.get(package.pk, []), call, package.quota) \
            if package is not None else (0, 0, 0)
        progress.append(UnitProgress(
            unit=unit, body=body, package=package, received=states.total(), city=states[State.CITY_REVIEW],
            desk=sum(states[s] for s in State.RECOMMENDING_DESK),
            recommended=sum(states[s] for s in State.RECOMMENDED_ONWARD), counted=counted, exempt=exempt, over=over,
            quota=package.quota if package is not None else (call.ministry_quota if unit.is_ministry else call.quota),
            hand_in=deadlines.hand_in_status(package, call)))
    return progress


def unit_totals(progress):
    """{count: its sum over the units} for the counts in TOTALLED."""
    return {name: sum(getattr(row, name) for row in progress) for name in TOTALLED}


def units_over_quota(call):
    """The units whose counted recommendations exceed their quota — after CNIPA rejected an exemption: while
    there is one, the proposed list cannot be published (SPEC §5)."""
    return [row for row in unit_progress(call) if row.over]


def _applications(call):
    """({unit: Counter of states} of the call's submitted applications, {package id: [recommendation]} of what
    each package recommends, each recommendation carrying what quota_usage reads of its application)."""
    received, recommendations = defaultdict(Counter), defaultdict(list)
    rows = (Application.objects.filter(call=call).exclude(state__in=State.NOT_SUBMITTED).order_by()
            .values("route", "province_id", "ministry_id", "state", "recommendation__package", *CLAIM_FIELDS)
            .annotate(n=Count("pk")))
    for row in rows:
        # City- and province-routed applications of one province come as separate rows: they add up.
        received[Unit.of(row["route"], row["province_id"], row["ministry_id"])][row["state"]] += row["n"]
        if row["recommendation__package"] is not None:
            claims = SimpleNamespace(state=row["state"], **{name: row[name] for name in CLAIM_FIELDS})
            recommendations[row["recommendation__package"]].extend(
                [SimpleNamespace(application=claims)] * row["n"])
    return received, recommendations


def _units(call):
    """(unit, body, package or None) of every province and ministry, in display order: provinces by code, then
    ministries by code. One query: the provinces and the ministries, each joined to its package for `call` (at
    most one, by the package's unique constraints)."""
    columns = ("kind", *BODY_FIELDS, *(f"call_package__{name}" for name in PACKAGE_FIELDS))

    def of(model, kind):
        return (model.objects.annotate(kind=Value(kind),
                                       call_package=FilteredRelation("package", condition=Q(package__call=call)))
                .order_by().values_list(*columns))

    query = of(Province, PROVINCE).union(of(Ministry, MINISTRY), all=True)
    units = []
    for kind, *values in query:
        body_values, package_values = values[:len(BODY_FIELDS)], values[len(BODY_FIELDS):]
        model = Ministry if kind == MINISTRY else Province
        body = _loaded(model, query.db, dict(zip(BODY_FIELDS, body_values)))
        package = None
        if package_values[0] is not None:
            package = _loaded(Package, query.db, {**dict(zip(PACKAGE_FIELDS, package_values)), "call_id": call.pk,
                                                  "province_id": None, "ministry_id": None, f"{kind}_id": body.pk})
            package.call = call
            setattr(package, kind, body)
        units.append((Unit(kind, body.pk), body, package))
    units.sort(key=lambda item: (item[0].is_ministry, item[1].code))
    return units


def _loaded(model, db, values):
    """An instance of `model` as the database returned it, with only `values` loaded (the other fields deferred,
    as with .only())."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(db, names, [values[name] for name in names])
