"""Progress per recommending unit (推荐单位) in one call: what the national dashboard, CNIPA's national summary,
the reminders and publishing count, counted once here.

`unit_progress(call)` reads two queries whatever the number of units, applications and recommendations: the
call's submitted applications counted by unit and state (on a covering index), and every province and ministry
with its package for the call, if any, and what that package recommends. The counts are then worked out in
Python by the rules that own them: the unit by applications.units.Unit, the quota by review.quota.quota_usage,
the hand-in by review.deadlines.
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
from .quota import over_quota, quota_usage

# What quota_usage reads of a recommended application.
QUOTA_FIELDS = ("state", "exempt_category", "exemption_status", "national_exemption_status")
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
    received = _received(call)
    progress = []
    for unit, body, package, (counted, exempt) in _units(call):
        states = received.get(unit, Counter())
        if unit.is_ministry and not states and package is None:
            continue  # a ministry with nothing in this call is no unit of it
        over = over_quota(counted, package.quota if package is not None else None)
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


def _received(call):
    """{unit: Counter of states} of the call's submitted applications. Counted on the covering index
    application_unit_counts (call, state, route, province, ministry) alone: an index-only scan."""
    received = defaultdict(Counter)
    for row in (Application.objects.filter(call=call).exclude(state__in=State.NOT_SUBMITTED).order_by()
                .values("route", "province_id", "ministry_id", "state").annotate(n=Count("*"))):
        # City- and province-routed applications of one province come as separate rows: they add up.
        received[Unit.of(row["route"], row["province_id"], row["ministry_id"])][row["state"]] += row["n"]
    return received


def _units(call):
    """(unit, body, package or None, [counted, exempt]) of every province and ministry, in display order:
    provinces by code, then ministries by code. Each recommendation is counted by quota_usage from what it reads
    of the application, as plain values (hundreds of wide application rows cost more to build as model instances
    than to count).

    One query: the provinces and the ministries, each joined to its package for `call` (at most one, by the
    package's unique constraints) and on to the package's recommendations — a row per recommendation, or one
    for a unit whose package has none or that has no package."""
    package_columns = [f"call_package__{name}" for name in PACKAGE_FIELDS]
    claim_columns = [f"call_package__recommendations__application__{name}" for name in QUOTA_FIELDS]
    columns = ("kind", *BODY_FIELDS, *package_columns, "call_package__recommendations__id", *claim_columns)

    def of(model, kind):
        return (model.objects.annotate(kind=Value(kind),
                                       call_package=FilteredRelation("package", condition=Q(package__call=call)))
                .order_by().values_list(*columns))

    query = of(Province, PROVINCE).union(of(Ministry, MINISTRY), all=True)
    units = {}
    # Streamed, and each recommendation counted as it comes (no row kept): memory stays flat whatever their number.
    # 100 rows a fetch, as the national summary reads its own (issue 17): with 500, the summary's peak memory for
    # 3,000 recommendations was this chunk's, 1.6 times that for 300; counting 3,000 takes 23-24 ms either way.
    for kind, *values in query.iterator(chunk_size=100):
        body_values = values[:len(BODY_FIELDS)]
        package_values = values[len(BODY_FIELDS):len(BODY_FIELDS) + len(PACKAGE_FIELDS)]
        recommendation, *claims = values[len(BODY_FIELDS) + len(PACKAGE_FIELDS):]
        unit = Unit(kind, body_values[0])
        if unit not in units:
            model = Ministry if kind == MINISTRY else Province
            body = _loaded(model, query.db, dict(zip(BODY_FIELDS, body_values)))
            package = None
            if package_values[0] is not None:
                package = _loaded(Package, query.db, {
                    **dict(zip(PACKAGE_FIELDS, package_values)), "call_id": call.pk, "province_id": None,
                    "ministry_id": None, f"{kind}_id": body.pk})
                package.call = call
                setattr(package, kind, body)
            units[unit] = (unit, body, package, [0, 0])
        if recommendation is not None:
            one = SimpleNamespace(application=SimpleNamespace(**dict(zip(QUOTA_FIELDS, claims))))
            counted, exempt, _over = quota_usage([one], call, None)
            units[unit][3][0] += counted
            units[unit][3][1] += exempt
    return sorted(units.values(), key=lambda item: (item[0].is_ministry, item[1].code))


def _loaded(model, db, values):
    """An instance of `model` as the database returned it, with only `values` loaded (the other fields deferred,
    as with .only())."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(db, names, [values[name] for name in names])
