"""The transition table against the enum, the one writer against the rest of the code, and the query-free
scope check against the scoped queryset."""

import ast
from pathlib import Path

import pytest

from applications.enums import State
from applications.models import Application
from applications.selectors import applications_for_user, in_scope
from applications.workflow import FIRST_STATE, TRANSITIONS, allowed, submit_target
from navportal.models import AuditEvent, Role
from tests.access_fixtures import build_world

ROOT = Path(__file__).resolve().parents[2]
# The one writer, and the write every transition ends with (shared with the bases' writer).
THE_WRITERS = {ROOT / "applications" / "transitions.py", ROOT / "navportal" / "transitions.py"}
# Bulk-generated benchmark data is written straight to the tables (3,000 applications in seconds); it is no
# user's path through the process.
GENERATORS = {"generate_national.py"}


def test_every_state_is_reachable_from_a_draft_through_the_table():
    reached, frontier = {State.DRAFT}, [State.DRAFT]
    while frontier:
        state = frontier.pop()
        for transition in TRANSITIONS.values():
            if state in transition.sources:
                for target in transition.targets - reached:
                    reached.add(target)
                    frontier.append(target)
    assert reached == set(State)


def test_every_row_names_known_states_and_roles():
    for transition in TRANSITIONS.values():
        assert transition.sources and transition.sources <= set(State), transition.action
        assert transition.targets <= set(State), transition.action
        assert transition.roles <= set(Role), transition.action


def test_a_resubmission_whose_route_changed_starts_again_at_the_first_desk():
    assert submit_target("city", previous_route="province", returned_from="province_review") == State.CITY_REVIEW
    assert submit_target("province", previous_route="province", returned_from="province_review") == \
        State.PROVINCE_REVIEW
    assert submit_target("province", previous_route="city", returned_from="province_review") == \
        State.PROVINCE_REVIEW
    assert submit_target("ministry") == FIRST_STATE["ministry"]


def test_a_desk_decides_only_what_is_at_its_desk():
    assert allowed("unrecommend", State.RECOMMENDED, Role.PROVINCE, "province")
    assert not allowed("unrecommend", State.RECOMMENDED, Role.PROVINCE, "ministry")
    assert allowed("unit_drop", State.RETURNED_TO_UNIT, Role.MINISTRY, "ministry")
    assert not allowed("unit_drop", State.RETURNED_TO_UNIT, Role.MINISTRY, "city")
    assert not allowed("return", State.PROVINCE_REVIEW, Role.CITY, "city")


def _writes_of_state(path):
    """(line, text) of every write of an application's state or lock_version in one module."""
    tree, found = ast.parse(path.read_text()), []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in ("state", "lock_version"):
                    found.append((node.lineno, ast.unparse(node)))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                "update", "create", "bulk_update", "get_or_create", "update_or_create"):
            for keyword in node.keywords:
                if keyword.arg in ("state", "lock_version"):
                    found.append((node.lineno, ast.unparse(node)[:80]))
    return found


def test_no_code_but_the_writer_writes_state():
    writes = {}
    for package in ("applications", "review", "navportal"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path in THE_WRITERS or "migrations" in path.parts or path.name in GENERATORS:
                continue
            if found := _writes_of_state(path):
                writes[str(path.relative_to(ROOT))] = found
    assert writes == {}


@pytest.fixture
def world(db):
    """The access matrix's world: applications in most states, built through the services."""
    return build_world()


def test_in_scope_agrees_with_the_scoped_queryset(world):
    applications = list(Application.objects.all())
    assert len({a.state for a in applications}) >= 6
    for user in world.users.values():
        visible = set(applications_for_user(user).values_list("pk", flat=True))
        assert {a.pk for a in applications if in_scope(user, a)} == visible, user.username


def test_every_state_change_on_record_is_a_row_of_the_table(world):
    by_audit = {t.audit: t for t in TRANSITIONS.values() if t.audit}
    changes = AuditEvent.objects.filter(object_type="applications.application").exclude(from_state="").exclude(
        action__startswith="claim_")
    assert changes.count() >= 10
    for event in changes:
        transition = by_audit[event.action]
        assert event.from_state in transition.sources and event.to_state in transition.targets, event.action
