"""Every id in a URL that the database cannot hold answers 404, as an id that does not exist does — not a 500
(SQLite raised OverflowError on /notice/9223372036854775808/ when ids were Django's `int`).

The routes are read from the URLconf, so a new route is covered by being added: every id of every route is
requested out of range (2^63, and 25 digits) — one id at a time, the others in range — by a user whose role
the page is for (anonymously for the public pages), with GET and with POST. The control: the largest id the
database holds, 2^63 − 1, still reaches the view, which answers without an error, as for an id that does not
exist."""

import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter
from django.urls.exceptions import Resolver404

from navportal.converters import MAX_ID, IdConverter
from navportal.models import City, Ministry, Province, Role
from tests.conftest import make_applicant, make_user

OUT_OF_RANGE = (2**63, 10**24 + 7)  # the first value a bigint cannot hold; a 25-digit number
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    name: str
    route: str            # the whole route, e.g. "review/packages/<id:pk>/move/<id:recommendation_id>/<slug:direction>/"
    converters: dict      # parameter → converter
    permission: str | None

    @property
    def ids(self):
        return [name for name, converter in self.converters.items() if isinstance(converter, IdConverter)]

    def path(self, **values):
        """The URL with `values` for those parameters, 1 for the other ids and "x" for the rest."""
        def value(match):
            name = match["name"]
            return str(values.get(name, 1 if name in self.ids else "x"))
        return "/" + PARAMETER.sub(value, self.route)


def routes(resolver=None, prefix="", converters=None):
    for entry in (resolver or get_resolver()).url_patterns:
        found = {**(converters or {}), **entry.pattern.converters}
        if isinstance(entry, URLResolver):
            yield from routes(entry, prefix + str(entry.pattern), found)
        elif isinstance(entry, URLPattern):
            yield Route(entry.name, prefix + str(entry.pattern), found,
                        getattr(entry.callback, "permission_required", None))


ROUTES = list(routes())
WITH_IDS = [route for route in ROUTES if route.ids]


def test_no_route_takes_an_unbounded_number():
    assert [route.name for route in ROUTES if any(isinstance(c, IntConverter) for c in route.converters.values())] \
        == []
    # Every parameter named like an id is an id.
    loose = [(route.name, name) for route in ROUTES for name, converter in route.converters.items()
             if (name == "pk" or name.endswith("_id")) and not isinstance(converter, IdConverter)]
    assert loose == []
    assert len(WITH_IDS) >= 30  # the walk found the routes (38 ids in 31 routes when written)


@pytest.fixture
def cast(db):
    """One user of every role, each with a scope."""
    return [
        make_applicant("示例·编号园区", "ids-applicant"),
        make_user("ids-city", Role.CITY, city=City.objects.get(code="320100")),
        make_user("ids-province", Role.PROVINCE, province=Province.objects.get(code="320000")),
        make_user("ids-ministry", Role.MINISTRY, ministry=Ministry.objects.get(code="moe")),
        make_user("ids-cnipa", Role.NATIONAL),
        make_user("ids-sysadmin", Role.SYSTEM_ADMIN),
        make_user("ids-secadmin", Role.SECURITY_ADMIN),
        make_user("ids-auditadmin", Role.AUDIT_ADMIN),
    ]


def client_for(route, cast):
    """A client signed in as a user the page is for; anonymous for a public page."""
    client = Client()
    if route.permission:
        client.force_login(next(user for user in cast if user.has_perm(route.permission)))
    return client


@pytest.mark.parametrize("value", OUT_OF_RANGE, ids=["2^63", "25 digits"])
@pytest.mark.parametrize("route, parameter", [pytest.param(route, parameter, id=f"{route.name}-{parameter}")
                                              for route in WITH_IDS for parameter in route.ids])
def test_an_id_out_of_range_answers_404(cast, route, parameter, value):
    path = route.path(**{parameter: value})
    with pytest.raises(Resolver404):
        resolve(path)
    client = client_for(route, cast)
    assert (client.get(path).status_code, client.post(path).status_code) == (404, 404)
    # The control: the largest id the database holds reaches the view, which answers (without an error: the test
    # client raises it) as it answers for an id that does not exist.
    largest, missing = route.path(**{parameter: MAX_ID}), route.path(**{parameter: 0})
    assert resolve(largest).url_name == route.name
    assert [client.get(largest).status_code, client.post(largest).status_code] == [
        client.get(missing).status_code, client.post(missing).status_code]
