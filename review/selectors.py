"""Reads of the review side: which packages a user may see, a province's own deadline for its applicants, and
what changed between two versions."""

from django.core.cache import cache
from types import SimpleNamespace

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Window
from django.utils.translation import gettext as _

from applications.enums import ClaimStatus, State
from applications.models import Application, ServiceRecord, StaffMember
from applications.sections import SECTION_BY_KEY, SECTIONS
from applications.selectors import applications_for_user, verified_versions
from applications.units import MINISTRY, PROVINCE, Unit
from applications.validators import SERVICE_FIELDS, STAFF_FIELDS
from navportal.compiled import CompiledQuery
from navportal.models import Role

from . import deadlines
from .models import Notice, NoticeEntry, Package, ProvinceDeadline, Recommendation


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


def package_in_scope(user, package):
    """Whether `package` is in packages_for_user(user), without a query: the same rules on the loaded row
    (tests/review/test_package.py keeps the two in agreement)."""
    if not user.is_authenticated:
        return False
    if user.role == Role.PROVINCE:
        return user.province_id is not None and package.province_id == user.province_id
    if user.role == Role.MINISTRY:
        return user.ministry_id is not None and package.ministry_id == user.ministry_id
    return user.role == Role.NATIONAL


# A package's recommendations with what the ranking page and the quota and priority rules read of their
# applications, in rank order: read on every ranking page, compiled once (navportal.compiled).
RECOMMENDATIONS = CompiledQuery(lambda package_id: Recommendation.objects.filter(package_id=package_id).select_related(
    "application").only(
    "package_id", "rank", "score", "opinion", "slot_id", "application__name", "application__state",
    "application__exempt_category", "application__exemption_status", "application__national_exemption_status",
    "application__local_base", "application__priority_status").order_by("rank"), "review_package_recommendations")


def package_recommendations(package):
    """`package`'s recommendations in rank order, each with its application (the columns the page and the rules
    read) and its package. One query."""
    recommendations = RECOMMENDATIONS.list(package.pk)
    for recommendation in recommendations:
        recommendation.package = package
    return recommendations


def _of_package_unit(kind, package_id, *conditions):
    """The applications of the call and unit (province or ministry, `kind`) of the package `package_id` that
    `conditions` select: what its bureau's scope (applications_for_user) holds of that call, as one query of the
    package's id."""
    package = Package.objects.filter(pk=package_id, call_id=OuterRef("call_id"),
                                     **{f"{kind}_id": OuterRef(f"{kind}_id")})
    return Application.objects.filter(Exists(package), *conditions, route__in=Unit(kind, None).routes)


def _passed_over_q():
    # review.services.passed_over_priority's: verified local bases the bureau did not recommend.
    return Q(state=State.NOT_RECOMMENDED, local_base=True, priority_status=ClaimStatus.VERIFIED)


# What the ranking page lists beside a package's recommendations, for its bureau — the applications still at its
# desk, and the verified local bases it did not recommend — read on every ranking page in one query compiled once
# per kind of unit (tests/review/test_package.py holds it to the scoped querysets).
BESIDE = {kind: CompiledQuery(lambda package_id, kind=kind: _of_package_unit(
    kind, package_id, Q(state=Unit(kind, None).desk_state) | _passed_over_q()).only(
    "name", "exempt_category", "local_base", "priority_status", "state", "lock_version", "updated_at").order_by(
    "submitted_at", "pk"), f"review_package_beside_{kind}") for kind in (PROVINCE, MINISTRY)}


def beside_package(package):
    """(the applications still at the desk of a saved package's unit, in the order they came in; the verified
    local bases it passed over, in the applications' own order): one query."""
    kind = Unit.of_package(package).kind
    rows = BESIDE[kind].list(package.pk)
    desk = Unit(kind, None).desk_state
    undecided = [a for a in rows if a.state == desk]
    passed_over = sorted((a for a in rows if a.state == State.NOT_RECOMMENDED),
                         key=lambda a: (a.updated_at, a.pk), reverse=True)  # Application's Meta ordering
    return undecided, passed_over


def queue_light(rows):
    """The queue's light query over `rows` (applications in the queue's order): each one's id and the version
    counters its cached rendering is kept under, and the count of all of them (a window over the selection)."""
    return rows.select_related("call").only("lock_version", "call__version").annotate(
        total=Window(Count("pk"))).order_by("submitted_at", "pk")


_FIRST_PAGES = {}


def _first_page(role, state):
    query = _FIRST_PAGES.get((role, state))
    if query is None:
        def build(place):
            # applications_for_user's scope of an official of `role` at `place` (it reads only these).
            scope = applications_for_user(SimpleNamespace(is_authenticated=True, role=role, organisation_id=None,
                                                          city_id=place, province_id=place, ministry_id=place))
            return queue_light(scope.filter(state=state) if state else scope)[:50]
        query = _FIRST_PAGES[(role, state)] = CompiledQuery(build, f"queue_first_page_{role}_{state or 'all'}")
    return query


def queue_first_page(user, state):
    """The queue as it opens — one state ("" for all) and no other filter, its first page — as
    [(id, lock_version, call version, count of all)], by a query compiled once per role and state with the
    reviewer's place as its value (most of what reviewers ask the queue); None for an official without a place,
    whose queue the ORM reads. tests/review/test_queue.py holds it to the ORM's light query of the scope."""
    if user.role == Role.NATIONAL:
        rows = _first_page(user.role, state).list()
    elif user.place_id is not None:
        rows = _first_page(user.role, state).list(user.place_id)
    else:
        return None
    return [(a.pk, a.lock_version, a.call.version, a.total) for a in rows]


# Whether a call has a notice: compiled once, as the ranking page asks on every request.
NOTICE_OF_CALL = CompiledQuery(lambda call_id: Notice.objects.filter(call_id=call_id).only("pk")[:1],
                               "review_notice_of_call")


def list_published(call_id):
    """Whether the proposed list of the call is published: its notice exists (the packages close for good)."""
    return bool(NOTICE_OF_CALL.list(call_id))


def with_final_numbers(entries):
    """`entries` (of confirmed notices) with `final_number`: their place on the final list, 1 to n without the
    gaps that bases removed after an upheld objection leave in the proposed list's numbers — the number the
    public pages and the final list's spreadsheet both show, whatever filters a page applies. A subquery of the
    same query."""
    before = (NoticeEntry.objects.filter(notice=OuterRef("notice"), removed_at__isnull=True,
                                         number__lte=OuterRef("number"))
              .order_by().values("notice").annotate(n=Count("pk")).values("n"))
    return entries.annotate(final_number=Subquery(before, output_field=IntegerField()))


def province_deadline_for(application):
    """The province's own deadline for this application's applicant in its call (to pass to
    deadlines.applicant_deadline/applicant_window), or None: the province set none, or the applicant is
    affiliated with a central ministry. One query, none for a ministry unit."""
    if not deadlines.province_deadline_applies(application.affiliation):
        return None
    return (ProvinceDeadline.objects.filter(call_id=application.call_id, province_id=application.province_id)
            .values_list("deadline", flat=True).first())


def province_deadlines_for_organisation(organisation):
    """{call id: the province's own deadline} that binds `organisation`'s applications to calls it has not
    applied to yet (empty for a ministry unit). One query, whatever the number of calls."""
    if not deadlines.province_deadline_applies(organisation.affiliation):
        return {}
    return dict(ProvinceDeadline.objects.filter(province_id=organisation.province_id).values_list(
        "call_id", "deadline"))


def version_changes(application, versions=None):
    """What changed between the last two submitted versions, field by field and row by row.

    `versions`: the application's versions, oldest first, each with the `verdict` of its seal
    (applications.selectors.verified_versions; read when not given). Returns a list of (section title, label, before, after); empty
    when there is one version only. Versions are never changed and a new one is made only at a submission, which
    moves the application's lock_version: the comparison is cached under (application, lock_version), the labels
    put in afresh in the active language — but only a comparison of two versions whose seals verify, and only
    used while they do (the cache then holds what was sealed; of a changed version it is worked out afresh, and
    the page says the version is not intact).
    """
    if versions is None:
        versions = verified_versions(application)
    last_two = versions[-2:]
    if len(last_two) < 2:
        return []
    intact = all(version.verdict.intact for version in last_two)
    key = f"version-changes-rows:{application.pk}:{application.lock_version}"
    raw = cache.get(key) if intact else None
    if raw is None:
        raw = _raw_changes(*last_two)
        if intact:
            cache.set(key, raw)
    return [(SECTION_BY_KEY[section].title,
             Application._meta.get_field(name).verbose_name if isinstance(name, str)
             else _("Row %(n)d") % {"n": name},
             _shown(name, before, section), _shown(name, after, section))
            for section, name, before, after in raw]


def _shown(name, value, section):
    """A stored value as the reader reads it: a choice as its label (a corrected affiliation reads "City- or
    county-affiliated", not "city"), yes or no for a tick box, a table row with its choices' labels (a client
    kind reads "Industry authority", not "authority")."""
    if not isinstance(name, str):
        return _row_text(value, SECTION_BY_KEY[section].rows)
    field = Application._meta.get_field(name)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    choices = dict(field.flatchoices)
    if choices and value in choices:
        return choices[value]
    return value


def _raw_changes(older, newer):
    """(section key, field name or row number, before, after) between two versions."""
    new, old = newer.data, older.data
    changes = []
    for section in SECTIONS:
        for name in section.fields:
            if old.get(name) != new.get(name):
                changes.append((section.key, name, old.get(name), new.get(name)))
        if section.rows:
            before, after = old.get(section.rows, []), new.get(section.rows, [])
            for number in range(max(len(before), len(after))):
                a = before[number] if number < len(before) else None
                b = after[number] if number < len(after) else None
                if a != b:
                    changes.append((section.key, number + 1, a, b))
    return changes


def _row_text(row, kind):
    """One row of the roster or the services table, its choices as their labels."""
    if not row:
        return "—"
    model, fields = {"staff": (StaffMember, STAFF_FIELDS), "services": (ServiceRecord, SERVICE_FIELDS)}[kind]
    shown = []
    for name in fields:
        value = row.get(name)
        choices = dict(model._meta.get_field(name).flatchoices)
        shown.append(str(choices.get(value, value) if choices and value else value or ""))
    return "; ".join(shown)

