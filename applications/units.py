"""The recommending unit (推荐单位): the provincial bureau or the ministry whose package an application goes in.

One value, used by queues, packages, the dashboard, exports and reminders, so that "which bureau recommends
this application" is decided in one place (SPEC §4): a ministry-routed application belongs to its ministry,
every other one (city- or province-routed) to its province.
"""

from dataclasses import dataclass

from django.db.models import Q

from navportal.models import Role

from .enums import Route, State

PROVINCE = "province"
MINISTRY = "ministry"


@dataclass(frozen=True, order=True)
class Unit:
    kind: str          # PROVINCE or MINISTRY
    pk: int

    @classmethod
    def of(cls, route, province_id, ministry_id):
        """The unit of an application routed `route` (a draft has no route yet: its province is assumed unless
        it is ministry-affiliated, which the caller passes as Route.MINISTRY)."""
        if route == Route.MINISTRY:
            return cls(MINISTRY, ministry_id)
        return cls(PROVINCE, province_id)

    @classmethod
    def of_application(cls, application):
        return cls.of(application.route, application.province_id, application.ministry_id)

    @classmethod
    def of_package(cls, package):
        return cls(MINISTRY, package.ministry_id) if package.ministry_id else cls(PROVINCE, package.province_id)

    @classmethod
    def of_user(cls, user):
        """The unit a provincial or ministry reviewer works for; None for every other role."""
        if user.role == Role.PROVINCE:
            return cls(PROVINCE, user.province_id)
        if user.role == Role.MINISTRY:
            return cls(MINISTRY, user.ministry_id)
        return None

    @property
    def is_ministry(self):
        return self.kind == MINISTRY

    @property
    def role(self):
        return Role.MINISTRY if self.is_ministry else Role.PROVINCE

    @property
    def desk_state(self):
        """The state an application waits in at this unit's desk."""
        return State.MINISTRY_REVIEW if self.is_ministry else State.PROVINCE_REVIEW

    @property
    def routes(self):
        return (Route.MINISTRY,) if self.is_ministry else (Route.CITY, Route.PROVINCE)

    def package_fields(self):
        """The package's own columns naming this unit."""
        return {"ministry_id": self.pk} if self.is_ministry else {"province_id": self.pk}

    def applications_q(self, prefix=""):
        """A Q selecting the (submitted) applications this unit recommends."""
        return Q(**{f"{prefix}route__in": self.routes, f"{prefix}{self.kind}_id": self.pk})

    def reviewers_q(self):
        """A Q selecting this unit's reviewers among users."""
        return Q(role=self.role, **{f"{self.kind}_id": self.pk})
