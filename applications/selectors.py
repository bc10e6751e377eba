"""Reads: what each user may see, and the application's content as one snapshot.

Everything outside `applications_for_user` is answered with 404 — a reviewer cannot tell another
province's application from one that does not exist.
"""

import hashlib
import json

from django.core.cache import cache
from django.db.models import Q

from navportal import seals
from navportal.compiled import CompiledQuery
from navportal.models import Role, User

from .enums import Route, State
from .sections import SECTIONS
from .validators import SERVICE_FIELDS, STAFF_FIELDS, eligibility_problems



def applications_for_user(user):
    from .models import Application

    qs = Application.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.role == Role.APPLICANT:
        return qs.filter(organisation_id=user.organisation_id)
    # Before it reaches a desk, an application is nobody's business but its applicant's.
    submitted = qs.exclude(state__in=State.NOT_SUBMITTED)
    if user.role == Role.CITY:
        return submitted.filter(route=Route.CITY, city_id=user.city_id)
    if user.role == Role.PROVINCE:
        return submitted.filter(route__in=(Route.CITY, Route.PROVINCE), province_id=user.province_id)
    if user.role == Role.MINISTRY:
        return submitted.filter(route=Route.MINISTRY, ministry_id=user.ministry_id)
    if user.role == Role.NATIONAL:
        return submitted
    return qs.none()


def in_scope(user, application):
    """Whether `application` is in `applications_for_user(user)`, without a query: the same rules, on the
    loaded row (tests/applications/test_scope.py keeps the two in agreement)."""
    if not user.is_authenticated:
        return False
    if user.role == Role.APPLICANT:
        return application.organisation_id == user.organisation_id
    if application.state in State.NOT_SUBMITTED:
        return False
    if user.role == Role.CITY:
        return application.route == Route.CITY and application.city_id == user.city_id
    if user.role == Role.PROVINCE:
        return application.route in (Route.CITY, Route.PROVINCE) and application.province_id == user.province_id
    if user.role == Role.MINISTRY:
        return application.route == Route.MINISTRY and application.ministry_id == user.ministry_id
    return user.role == Role.NATIONAL


def identity_fixed(organisation):
    """Whether the organisation has ever submitted: from then on its credit code, province, city and ministry
    are fixed (SPEC §4)."""
    from .models import Application

    return Application.objects.filter(organisation=organisation, submitted_at__isnull=False).exists()


def reviewers_for_state(application, state):
    """The officials whose desk an application in `state` is on: they are told when it arrives."""
    if state == State.CITY_REVIEW:
        scope = Q(role=Role.CITY, city_id=application.city_id)
    elif state == State.PROVINCE_REVIEW:
        scope = Q(role=Role.PROVINCE, province_id=application.province_id)
    elif state == State.MINISTRY_REVIEW:
        scope = Q(role=Role.MINISTRY, ministry_id=application.ministry_id)
    else:
        return User.objects.none()
    return User.objects.filter(scope, is_active=True)


def _plain(value):
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (str, bool, int)):
        return value
    return str(value)


def application_snapshot(application, *, staff=None, services=None):
    """The form's content as plain data: frozen in each version and fingerprinted for the sealed scan."""
    staff = list(application.staff.all()) if staff is None else staff
    services = list(application.services.all()) if services is None else services
    data = {"credit_code": application.organisation.credit_code}
    for section in SECTIONS:
        for name in section.fields:
            field = application._meta.get_field(name)
            data[name] = _plain(getattr(application, field.attname))
    data["staff"] = [{f: _plain(getattr(row, f)) for f in STAFF_FIELDS} for row in staff]
    data["services"] = [{f: _plain(getattr(row, f)) for f in SERVICE_FIELDS} for row in services]
    return data


def content_fingerprint(snapshot):
    """A short check code printed on the form; the sealed scan must carry the current one."""
    digest = hashlib.sha256(json.dumps(snapshot, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return digest[:12].upper()


class ApplicationContent:
    """An application with its rows and attachments loaded once, and everything derived from them."""

    def __init__(self, application):
        self.application = application
        self.staff = list(application.staff.all())
        self.services = list(application.services.all())
        self.attachments = {a.kind: a for a in application.attachments.all()}
        self.snapshot = application_snapshot(application, staff=self.staff, services=self.services)
        self.fingerprint = content_fingerprint(self.snapshot)

    def problems(self):
        return eligibility_problems(self.application, staff=self.staff, services=self.services,
                                    attachments=self.attachments, fingerprint=self.fingerprint)


def _versions(application_id):
    from .models import ApplicationVersion

    return ApplicationVersion.objects.filter(application_id=application_id).order_by("number").defer(
        "data", "print_html")


# An application's versions, read on every application page: the queryset compiled once (navportal.compiled).
VERSIONS = CompiledQuery(_versions, "application_versions")


def verified_versions(application, *, also=None):
    """The application's submitted versions, oldest first, without their content (read when used), each with
    `verdict`: its seal's, kept under the version's content epoch (navportal.seals.cached_verdicts: a change by
    SQL moves no version counter, but the database moves the epoch), else verified on the content read anew. One
    query, and one a version whose verdict is not kept. `also`: a dict of other cache keys, filled with what the
    cache holds of them in the same round trip as the verdicts."""
    versions = VERSIONS.list(application.pk)
    found = None
    if also is not None:
        found = cache.get_many([*also, *seals.verdict_keys(versions).values()])
        also.update({key: found.get(key) for key in also})
    verdicts = seals.cached_verdicts(versions, lambda version: type(version).objects.get(pk=version.pk).verify(),
                                     found=found)
    for version in versions:
        version.verdict = verdicts[version.pk]
    return versions


def versions_alarm(versions):
    """The verdict a page with these verified versions must raise the alarm with: a broken seal before one of an
    unknown key; None when every seal verifies."""
    verdict = seals.combined(version.verdict for version in versions)
    return verdict if verdict is not None and not verdict.intact else None
