"""The whole process under random use (issue 12): a model-based test that checks every invariant after every step.

Hypothesis drives the real services (and the public pages) of a small world (tests/model_world.py) through
random sequences of what people do — applicants register, edit any section (identity, type and affiliation,
claims, documents), submit, withdraw, reopen; cities consent, decline, return; bureaus check claims, recommend,
take back, rank, write their letter and justification, set their applicants' deadline, hand in and answer CNIPA's
returns; CNIPA re-checks, checks exemptions, reopens packages, publishes, decides objections, corrects the dates
and confirms the list; the public objects (validly or not, in the period or not); the clock moves on across
Jiangsu's deadline, the call's and the notice period. Actors are drawn among all users, mostly the one whose
desk it is, so that refusals are exercised as much as successes. After every step the database is checked
(`Process.everything_holds`):

- a refused step (PortalError) changed nothing: applications, organisations, documents, versions, packages,
  recommendations, notice, entries, objections, registry, deadlines, users, audit lines, messages;
- each change of state has exactly one audit line, from → to as observed, under a row of the transition table;
  the audit chain holds (every new line, and audit_verify() at the end of each run); a frozen version never changes;
- every application sits at the desk its identity and route lead to, keeps its organisation's place once that
  has submitted, and is past the city's desk only with the city's consent after its last submission there;
  recommendations only where the state says so, in the application's own bureau's package;
- a claim is verified only as it was when verified (category, number, date, file), and a step that changes a
  claim leaves it pending at every level; a registry title ended by the call's deadline is verified at neither
  level; an exemption counts only when verified, and — once re-checked — when CNIPA verified it (the exemption,
  the quota count and the registry's standing by the rule of SPEC §5 as written out here, not by the code under
  test);
- no package goes over its quota but by CNIPA rejecting an exemption, and then it cannot be handed in nor the
  list published; a handed-in package holds nothing merely recommended; a package has its quota's slots, and a
  recommendation holds one only while it counts, and counts without one only after CNIPA rejected its exemption;
- the list is drawn once: after its publication no package or recommendation changes, nothing waits for the
  re-check, and an application still merely recommended was in a package its bureau could no longer change;
- the notice lasts the call's working days on the official calendar from the day after publication; no objection
  is accepted outside the period, and every valid one inside it is; the list is confirmed only after the period;
- the public pages (the notice, the final list) show the listed bases only, and no personal data.

Any other exception is a failure. A failure prints the sequence Hypothesis shrank it to and, below it, the
shortest sequence found by replaying those steps by name while leaving out ever more of them (`shortest`: a run
costs too much for Hypothesis' own shrinker, given MODEL_SHRINK_SECONDS, default 60, to get far), e.g.

    state = Process()
    state.start_from(stage='handed in', desks='as built')
    state.correct_identity(applicant='moe_centre', by='moe_centre', kind='national_park', resubmit=True)
    state.teardown()

(`applicant` names the organisation, `by` who acts: an organisation's key is its contact person; the stages are
described at `Process.start_from`.) The line the run prints counts, besides steps and time, the runs that reached
each stage of the process and met each guard the model must keep exercising (an ended title refused, a corrected
route restarted, ...): a change that makes one of them rare weakens the test.
`make test` runs a fixed seed, 96 runs of 50 steps; `make test-model` runs ten times as many with a random seed
(MODEL_SEED, MODEL_SCALE): the seed is printed, and `MODEL_SEED=<seed> MODEL_SCALE=10 .venv/bin/pytest
tests/test_model_process.py` replays a failure. What it found is kept in tests/test_model_found.py."""

import datetime
import functools
import logging
import os
import random
import re
import sys
import time
from collections import Counter
from types import SimpleNamespace

from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import engine
from hypothesis.internal.conjecture.engine import ConjectureRunner
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule as hypothesis_rule, run_state_machine_as_test

from applications import services as applicant_services
from applications.enums import AttachmentKind, ClaimStatus, Route, State
from applications.models import Application, ApplicationVersion, Attachment, Organisation
from applications.sections import SECTION_BY_KEY
from applications.units import Unit
from applications.workflow import TRANSITIONS, route_for
from navportal.audit import audit_verify
from navportal.demo.content import service_rows, staff_rows
from navportal.errors import PortalError
from navportal.models import AuditEvent, AuditHead, Message, Ministry, User
from navportal.privacy_rules import RULES_VERSION
from review import calls, deadlines, national, services as review_services
from review.calendar import notice_period, working_days_between
from review.models import (
    Notice, NoticeEntry, Objection, Package, ProvinceDeadline, QuotaSlot, Recommendation, RegistryEntry,
)
from tests.conftest import MODEL_REPORT, outer_test_transaction
from tests.model_world import (  # noqa: F401 - frozen_clock and model_world are fixtures
    BUREAUS, CALL_DEADLINE, CLAIM_FIELDS, CLAIM_FILES, EXEMPTION, JIANGSU_DEADLINE, KINDS, LOCAL_BASE, ORG_BY_KEY, ORGS,
    PLACES, START, claim_now, contact, frozen_clock, model_world, pdf, place_of, register,
)

# --- The budget ---------------------------------------------------------------------------------------------

SCALE = float(os.environ.get("MODEL_SCALE", "1"))
SEED = int(os.environ.get("MODEL_SEED") or 20261130)
STEPS_PER_EXAMPLE = 50
EXAMPLES = max(1, int(96 * SCALE))

# --- Names the steps are printed with -------------------------------------------------------------------------

ORG_KEYS = [org.key for org in ORGS]
REGISTERED = [org.key for org in ORGS if org.stage != "unregistered"]
OFFICIAL_NAMES = ["city_nanjing", "city_suzhou", "city_hangzhou", "province_js", "province_zj", "ministry_moe",
                  "ministry_cas", "cnipa"]
ACTORS = REGISTERED + OFFICIAL_NAMES
CITY_REVIEWERS = {"320100": "city_nanjing", "320500": "city_suzhou", "330100": "city_hangzhou"}
# Only reached through the province's desk: a city-routed application in one of these states had the city's consent.
PAST_THE_CITY = frozenset({State.PROVINCE_REVIEW, State.NOT_RECOMMENDED}) | State.RECOMMENDED_ONWARD
PERSONAL_FIELDS = ("contact_name", "contact_mobile", "contact_phone", "contact_email")
OBJECTORS = {
    "person": {"kind": "person", "name": "异议人赵某甲", "phone": "13712345678", "email": "objector@mail.example.cn",
               "signature": "异议人赵某甲"},
    "organisation": {"kind": "organisation", "name": "异议单位某某公司", "phone": "021-55667788",
                     "email": "legal@objector.example.cn"},
    "anonymous": {"kind": "person", "name": "", "phone": "", "email": "", "signature": ""},
    "forged_signature": {"kind": "person", "name": "异议人钱某乙", "phone": "13787654321",
                         "email": "other@mail.example.cn", "signature": "别人代签"},
}
OBJECTOR_DATA = ("异议人", "13712345678", "objector@mail.example.cn", "021-55667788", "legal@objector.example.cn",
                 "13787654321", "other@mail.example.cn", "异议单位")


# The statuses of a claim, at the bureau and at CNIPA.
CLAIM_STATUSES = {"exemption": ("exemption_status", "national_exemption_status"), "priority": ("priority_status",)}

# Where a run starts (Process.start_from): the call's stage, and what more waits at the desks.
STAGES = ["handed in", "exemption rejected", "on notice", "notice period over"]
DESKS = ["as built", "suzhou_centre consented, jiangsu_institution submitted",
         "hangzhou_park returned after its exemption was verified"]

# Where the steps that are no rows of the table start from.
SPECIAL_SOURCES = {"objection": State.PUBLIC | {State.NOT_DESIGNATED}}

# What an applicant may change in a step: key → (section, changes) or a document to attach. The first is the one
# Hypothesis draws most and shrinks to.
EDITS = {
    "new sealed scan": ("attach", AttachmentKind.SEALED_SCAN),
    "revise plan": ("plan", {"plan_goals": "三年内形成覆盖重点产业的专利导航服务网络（修订）。"}),
    "revise conditions": ("conditions", {"funding_amount": 320}),
    "revise roster": ("department", {"department_duties": "负责专利导航与成果推广（修订）。"}),
    "revise services": ("mechanism", {"mechanism": "需求征集—立项—管理—应用（修订）。"}),
    **{f"move to {place}": ("basic", {"place": place}) for place in PLACES},
    "fill in the whole form": ("whole", {}),
}
# Changes of a claim (SPEC §5: any change of category, number, date or file puts it back to pending).
CLAIM_EDITS = {
    "exemption number": ("claims", {"exempt_document_number": "国知发〔2021〕6号"}),
    "exemption date": ("claims", {"exempt_document_date": datetime.date(2021, 5, 11)}),
    "claim protection_centre": ("claims", {"exempt_category": "protection_centre", **EXEMPTION}),
    "claim demonstration_park": ("claims", {"exempt_category": "demonstration_park", **EXEMPTION}),
    "claim experimental_zone": ("claims", {"exempt_category": "experimental_zone", **EXEMPTION}),
    "no exemption": ("claims", {"exempt_category": "", "exempt_document_number": "", "exempt_document_date": None}),
    "local base number": ("claims", {"local_base_document_number": "省知发〔2020〕13号"}),
    "claim local base": ("claims", dict(LOCAL_BASE)),
    "no local base": ("claims", {"local_base": False, "local_base_document_number": "",
                                 "local_base_document_date": None}),
    "new exemption document": ("attach", AttachmentKind.EXEMPTION_DOCUMENT),
    "new local base document": ("attach", AttachmentKind.LOCAL_BASE_DOCUMENT),
    "claims unchanged": ("claims", {}),
}

CITY_DECISIONS = {"consent": "city_consent", "decline": "city_decline", "return": "return"}
BUREAU_DECISIONS = {"recommend": "recommend", "return": "return", "decline": "decline", "take back": "unrecommend"}
RECHECK_OUTCOMES = {"pass": "recheck_pass", "fail": "recheck_fail", "return to unit": "return_to_unit"}
UNIT_ANSWERS = {"resubmit": "unit_resubmit", "drop": "unit_drop"}
PACKAGE_TASKS = ("attach letter", "rank in reverse", "move the last up", "rewrite the opinions", "justify priority",
                 "own deadline sep 23", "own deadline sep 28",
                 "own deadline oct 2")


def complete_content(section):
    from navportal.demo.content import complete_values
    values = complete_values(START.date())
    return {name: values[name] for name in SECTION_BY_KEY[section].fields if name in values}


STATS = Counter()
# Refusals reported with the run (how many examples met each): the guards the model has to keep exercising.
REFUSALS_REPORTED = {"registry": "an ended title refused", "open": "publishing waited for an open package",
                     "quota": "a recommendation refused over quota"}


# --- Strategies: mostly an organisation the action applies to now, and mostly the person at its desk ---------

def ring(keys, laps=4, order=20261130):
    """`keys` in `laps` fixed shuffled orders one after the other: a position on it, moved on to the first fitting
    key (`nearest`), picks each of a few fitting keys about as often, whatever their places in `keys`."""
    shuffle = random.Random(order)
    return [key for _lap in range(laps) for key in shuffle.sample(keys, len(keys))]


def nearest(keys, index, wanted):
    """The first of `keys` from position `index` on (round the end) that is in `wanted`; keys[index] if none is."""
    for offset in range(len(keys)):
        key = keys[(index + offset) % len(keys)]
        if key in wanted:
            return key
    return keys[index]


# Each choice is a position in a fixed list, moved on to a fitting entry when the state asks for it: positions keep
# their meaning when the shrinker removes earlier steps, so that it finds short sequences quickly.
APPLICANT_RING = ring(REGISTERED)
BUREAU_RING = ring(list(BUREAUS))


def applicant_for(*actions, returned=3, having=None):
    """An organisation's key: seven times in eight one whose application is where `actions` start from now
    (`returned` of those seven, one a reviewer returned, if any: there claims, identity and route change after a
    check; `having`, a column of the application, narrows them to those with it set, if any), else any."""
    def pick(drawn):
        machine, aim, index = drawn
        wanted = machine.plausible(actions, returned=aim > 7 - returned, having=having) if aim else ()
        return machine.chose(nearest(APPLICANT_RING, index, wanted))
    return st.tuples(st.runner(), st.integers(0, 7), st.integers(0, len(APPLICANT_RING) - 1)).map(pick)


def at_its_desk():
    """Who acts (drawn after the organisation): three times in four whoever's desk its application is on now —
    its own contact for a draft, the city, the bureau or CNIPA —, else anyone."""
    def pick(drawn):
        machine, aim, index = drawn
        return machine.desk_of(machine.chosen_org) if aim else ACTORS[index]
    return st.tuples(st.runner(), st.integers(0, 3), st.integers(0, len(ACTORS) - 1)).map(pick)


def its_claim():
    """A claim (drawn after the organisation): three times in four one its application made, else either."""
    def pick(drawn):
        machine, aim, index = drawn
        row = machine.app_row(machine.chosen_org) if machine.before else None
        made = [claim for claim, column in (("exemption", "exempt_category"), ("priority", "local_base"))
                if row and row[column]] if aim else []
        return nearest(["exemption", "priority"], index, made)
    return st.tuples(st.runner(), st.integers(0, 3), st.integers(0, 1)).map(pick)


def its_reviewer():
    """For a step on a bureau's package (drawn after the bureau): three times in four its reviewer, else anyone."""
    def pick(drawn):
        machine, aim, index = drawn
        return BUREAUS[machine.chosen_bureau] if aim else ACTORS[index]
    return st.tuples(st.runner(), st.integers(0, 3), st.integers(0, len(ACTORS) - 1)).map(pick)


def bureau(where=None):
    """A bureau: three times in four one whose package is `where` now ("open": open and holding
    recommendations; "handed in"), if any, else any."""
    def pick(drawn):
        machine, aim, index = drawn
        wanted = machine.packages_where(where) if aim and where else ()
        return machine.chose_bureau(nearest(BUREAU_RING, index, wanted))
    return st.tuples(st.runner(), st.integers(0, 3), st.integers(0, len(BUREAU_RING) - 1)).map(pick)


def mostly_true():
    return st.integers(0, 3).map(bool)


def cnipa_mostly():
    return st.tuples(st.integers(0, 3), st.integers(0, len(ACTORS) - 1)).map(
        lambda drawn: "cnipa" if drawn[0] else ACTORS[drawn[1]])


def rule(**arguments):
    """A step: Hypothesis' rule, after which everything_holds is checked (called here rather than as an
    @invariant, so that the printed sequence holds the steps only)."""
    def decorate(function):
        @functools.wraps(function)
        def step(self, **kwargs):
            self.step_name = function.__name__
            self.trace.append((function.__name__, kwargs))
            function(self, **kwargs)
            self.everything_holds()
        return hypothesis_rule(**arguments)(step)
    return decorate


# --- Reading the database ---------------------------------------------------------------------------------

def rows(queryset, *fields):
    return {row["id"]: row for row in queryset.values("id", *fields)} if fields else {
        row["id"]: row for row in queryset.values()}


def table(model, where="", params=(), columns="*"):
    """{id: {column: value}} of a table, read raw: a snapshot is taken after every step, and the ORM's
    conversions would cost most of the run. Values are as the database driver returns them (on SQLite dates
    are text): compared with each other, and only as truth values or ids where the invariants read them."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {model._meta.db_table} {where}", params)
        names = [column[0] for column in cursor.description]
        return {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}


def snapshot(call):
    """Every row a step may touch: compared before and after a refused step, and the ground the invariants
    stand on (the notice and the objections typed: their dates are counted)."""
    with connection.cursor() as cursor:
        cursor.execute(" ".join(["SELECT", ", ".join(f"(SELECT {what} FROM {model._meta.db_table})" for what, model in (
            ("COUNT(*)", User), ("MAX(id)", AuditEvent), ("COUNT(*)", Message), ("COUNT(*)", QuotaSlot)))]))
        users, audit, messages, slots = cursor.fetchone()
    return SimpleNamespace(
        applications=table(Application, "WHERE call_id = %s", [call.pk]),
        organisations=table(Organisation),
        attachments=table(Attachment),
        versions={pk: (row["application_id"], row["number"], row["submitted_at"])
                  for pk, row in table(ApplicationVersion, columns="id, application_id, number, submitted_at").items()},
        packages=table(Package, "WHERE call_id = %s", [call.pk]),
        recommendations=table(Recommendation),
        slots=slots,
        notices=rows(Notice.objects.filter(call=call)),
        entries=table(NoticeEntry),
        objections=rows(Objection.objects.all()),
        registry=table(RegistryEntry),
        deadlines=table(ProvinceDeadline),
        users=users, audit=audit, messages=messages,
    )


def differences(before, after):
    """The tables (and rows) in which two snapshots differ."""
    found = []
    for name, old in vars(before).items():
        if name.startswith("_"):
            continue  # derived from the others
        new = getattr(after, name)
        if old == new:
            continue
        if isinstance(old, dict):
            changed = sorted({k for k in old.keys() | new.keys() if old.get(k) != new.get(k)})
            detail = [(k, {f: (old.get(k, {}).get(f), new.get(k, {}).get(f)) for f in (old.get(k) or new.get(k))
                           if (old.get(k) or {}).get(f) != (new.get(k) or {}).get(f)}) for k in changed[:3]]
            found.append((name, detail))
        else:
            found.append((name, (old, new)))
    return found


def exempt_by_rule(row, call):
    """SPEC §5, written out here rather than taken from the code under test: a claim of a category the call grants,
    verified by the bureau and not rejected by CNIPA (whose own check must be a verification by the re-check:
    checked apart)."""
    return (bool(row["exempt_category"]) and row["exemption_status"] == ClaimStatus.VERIFIED
            and row["national_exemption_status"] != ClaimStatus.REJECTED
            and row["exempt_category"] in call.exempt_categories)


def counts_by_rule(row, call):
    """A recommendation counts against the quota unless it was dropped (failed, not recommended after a return,
    objection upheld) or is exempt."""
    return row["state"] not in State.DROPPED and not exempt_by_rule(row, call)


def as_date(value):
    """A date column as read raw (text on SQLite)."""
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def local(day_or_moment):
    return timezone.localtime(day_or_moment)


# --- The machine ------------------------------------------------------------------------------------------

class Process(RuleBasedStateMachine):
    """One run of the call from the prepared world: each example starts from it and is rolled back."""

    world = None       # set by the test: the world built for this test function
    traveller = None   # the frozen clock
    latest = None      # the run begun last: after a failure, the one Hypothesis replayed as its shortest

    def __init__(self):
        super().__init__()
        # Each step is drawn uniformly among the rules whose preconditions hold. Hypothesis' own choice (swarm
        # testing) switches about half the rules off for a whole run, so that few runs of a process this long
        # ever reach the public notice. (A private attribute: should Hypothesis rename it, its own choice applies.)
        if hasattr(self, "_rules_strategy"):
            self._rules_strategy = st.runner().flatmap(Process.any_step)
        cache.clear()  # the public pages cache fragments under keys that a rolled-back example could repeat
        self.traveller.move_to(START)
        self.atomic = outer_test_transaction()
        self.atomic.__enter__()
        self.call = self.world.call
        self.chosen_org = REGISTERED[0]
        self.chosen_bureau = "jiangsu"
        self.before = None
        self.states = {}
        self.org_of_app = {}
        self.audit_seen = 0
        self.last_hash = ""
        self.consents = {}            # application id → (last submission into city_review, last city consent)
        self.versions = {}            # version id → its data, as first seen (frozen)
        self.verified = dict(self.world.verified)   # (org, claim level) → the claim as it was when verified
        self.windows = []             # the notice periods as they were over time (start, end)
        self.tokens = {}              # objection id → the token of the link mailed to confirm it
        self.public_seen = None
        self.refusal = None
        self.step_name = "start_from"
        self.exercised = set()        # what a guard had to refuse, or a change it had to make (the report)
        self.trace = []               # the steps taken, as (method, arguments): replayed by `shortest`
        Process.latest = self
        STATS["examples"] += 1
        self.everything_holds()

    def teardown(self):
        try:
            if self.before is not None and not transaction.get_connection().needs_rollback:
                checked, broken = audit_verify()
                assert broken is None, f"the audit chain breaks at {broken} after {checked} rows"
                notice = self.notice()
                STATS["reached: notice published"] += notice is not None
                STATS["reached: final list"] += bool(notice and notice.is_final)
                STATS["reached: objection accepted"] += Objection.objects.confirmed().exists()
                STATS["reached: package reopened"] += AuditEvent.objects.filter(action="package_reopen").exists()
                STATS["reached: a package over quota"] += any(self.over(pk) for pk in self.before.packages)
                for label in self.exercised:
                    STATS["reached: " + label] += 1
        finally:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

    # --- Choosing --------------------------------------------------------------------------------------

    def any_step(self):
        """A rule drawn as a position in a fixed order — time passing first (Hypothesis draws and shrinks towards
        the first), then by name —, moved on by a stride of seven to one whose preconditions hold: the rules
        waiting for the notice, neighbours by name, pass their turn to rules far apart."""
        ordered = sorted(self.rules, key=lambda r: (r.function.__name__ != "time_passes", r.function.__name__))

        def pick(index):
            for offset in [7 * step for step in range(len(ordered))] + list(range(len(ordered))):
                rule_ = ordered[(index + offset) % len(ordered)]
                if all(holds(self) for holds in rule_.preconditions):
                    return rule_

        return st.integers(0, len(ordered) - 1).map(pick).flatmap(
            lambda rule_: st.fixed_dictionaries(rule_.arguments_strategies).map(lambda arguments: (rule_, arguments)))

    def chose(self, key):
        self.chosen_org = key
        return key

    def chose_bureau(self, name):
        self.chosen_bureau = name
        return name

    def plausible(self, actions, returned=False, having=None):
        """The organisations whose application is where `actions` start from (returned: of those, the ones a
        reviewer returned, if any; having: those whose application has that column set, if any)."""
        sources = set().union(*(TRANSITIONS[a].sources if a in TRANSITIONS else SPECIAL_SOURCES[a] for a in actions))
        found = [key for key in ORG_KEYS if self.states.get(key) in sources]
        if having:
            found = [key for key in found if self.app_row(key)[having]] or found
        return [key for key in found if self.states[key] == State.RETURNED] or found if returned else found

    def packages_where(self, where):
        """The bureaus whose package is open and holds recommendations ("open"), or is handed in."""
        held = {r["package_id"] for r in self.before.recommendations.values()}
        return [name for name, pk in self.world.packages.items()
                if (self.before.packages[pk]["status"] == "submitted") == (where == "handed in")
                and (where != "open" or pk in held)]

    def desk_of(self, key):
        """Who decides on the organisation's application now: its own contact while it is theirs to change (or
        before it exists), the city, the recommending bureau, or CNIPA."""
        row = self.app_row(key) if self.before else None
        if row is None or row["state"] in State.EDITABLE | {State.WITHDRAWN}:
            return key
        state = row["state"]
        if state in (State.NATIONAL_REVIEW, State.RECHECK_PASSED, State.ON_NOTICE):
            return "cnipa"
        if state == State.CITY_REVIEW:
            return CITY_REVIEWERS.get(self.city_codes[row["city_id"]], "city_nanjing")
        route = row["route"] or route_for(row["applicant_type"], row["affiliation"])
        unit = Unit.of(route, row["province_id"], row["ministry_id"])
        if unit.is_ministry:
            return "ministry_moe" if unit.pk == self.world.ids["ministries"]["moe"] else "ministry_cas"
        return "province_js" if unit.pk == self.world.ids["provinces"]["320000"] else "province_zj"

    @property
    def city_codes(self):
        return self.world.ids["cities"]

    # --- Reading ------------------------------------------------------------------------------------------

    def user(self, name):
        return User.objects.select_related("organisation").get(username=name)

    def app_id(self, key):
        """The organisation's application (0 when it has none: every service answers that with a refusal)."""
        if key in self.world.applications:
            return self.world.applications[key]
        found = Application.objects.filter(call=self.call, organisation__name=ORG_BY_KEY[key].name).values_list(
            "pk", flat=True).first()
        return found or 0

    def app_row(self, key):
        return self.before.applications.get(self.app_id(key))

    def package_of(self, name):
        return Package.objects.select_related("call").get(pk=self.world.packages[name])

    def notice(self):
        return Notice.objects.filter(call=self.call).first()

    # --- Doing ---------------------------------------------------------------------------------------------

    def attempt(self, action):
        """Carry out one service call. A PortalError is a refusal, after which nothing may have changed; any
        other exception fails the test."""
        STATS["steps"] += 1
        STATS["rule:" + self.step_name] += 1
        try:
            result = action()
        except PortalError as refusal:
            STATS["refused"] += 1
            if refusal.code in REFUSALS_REPORTED:
                self.exercised.add(REFUSALS_REPORTED[refusal.code])
            elif refusal.code == "locked" and self.before.notices:
                self.exercised.add("a package closed by the published list")
            self.refusal = refusal   # everything_holds, next, finds nothing changed since the step began
            return False, refusal
        STATS["done"] += 1
        return True, result

    def section_values(self, application, key, **changes):
        """What the section's page would save: every field of the section as it stands, with `changes`."""
        values = {name: getattr(application, name) for name in SECTION_BY_KEY[key].fields}
        values.update(changes)
        return values

    def save_section(self, key, by, section, **changes):
        actor = self.user(by)
        application_id = self.app_id(key)
        application = Application.objects.filter(pk=application_id).first()
        if application is None:
            return self.attempt(lambda: applicant_services.application_save_section(
                actor=actor, application_id=0, section_key=section, values={}, lock_version=1,
                                                                                    privacy_version=RULES_VERSION))
        rows_ = {"staff": staff_rows(5), "services": service_rows(5, START.date())}.get(SECTION_BY_KEY[section].rows)
        values = self.section_values(application, section, **changes)
        return self.attempt(lambda: applicant_services.application_save_section(
            actor=actor, application_id=application_id, section_key=section, values=values, rows=rows_,
            lock_version=application.lock_version, privacy_version=RULES_VERSION))

    # --- Where a run starts ------------------------------------------------------------------------------

    @initialize(stage=st.sampled_from(STAGES), desks=st.sampled_from(DESKS))
    def start_from(self, stage, desks):
        """A run starts from the world as built (Jiangsu's package handed in) or from one of these stages, so that
        a few steps reach what a long sequence would:
        - "exemption rejected": CNIPA rejected the 示范 park's exemption; Jiangsu's package is one over its quota;
        - "on notice", "notice period over": CNIPA checked the exemption, passed the two parks still waiting and
          published the list; the clock stands on the notice's first day, or after its period;
        and with more at the desks (before the clock moves):
        - Suzhou consented to the Suzhou centre, whose protection-centre title ends before the call's deadline,
          and the Jiangsu institution (a pilot base whose title ended in 2022) submitted: both wait at Jiangsu's
          desk with their exemption unchecked;
        - Zhejiang returned the Hangzhou park, whose exemption it had verified: the claim, the identity and the
          route may change before it is resubmitted (as the Ministry of Education's unit, returned as built, may)."""
        STATS[f"start: {stage}, {desks}"] += 1
        self.trace.append(("start_from", {"stage": stage, "desks": desks}))
        cnipa = self.user("cnipa")
        if desks == DESKS[1]:
            self.prepare(lambda: review_services.application_city_consent(
                actor=self.user("city_suzhou"), application_id=self.app_id("suzhou_centre"), note="同意"))
            self.prepare(lambda: applicant_services.application_submit(
                actor=self.user("jiangsu_institution"), application_id=self.app_id("jiangsu_institution")))
        elif desks == DESKS[2]:
            self.prepare(lambda: review_services.application_return(
                actor=self.user("province_zj"), application_id=self.app_id("hangzhou_park"), reason="请核对认定文件"))
        if stage == "exemption rejected":
            self.prepare(lambda: national.national_claim_check(
                actor=cnipa, application_id=self.app_id("suzhou_park"), status=ClaimStatus.REJECTED, note="认定文件已过期"))
        elif stage != "handed in":
            self.prepare(lambda: national.national_claim_check(
                actor=cnipa, application_id=self.app_id("suzhou_park"), status=ClaimStatus.VERIFIED),
                verified=("suzhou_park", "national", "exemption"))
            for key in ("suzhou_park", "kunshan_park"):
                self.prepare(lambda: national.recheck_pass(actor=cnipa, application_id=self.app_id(key)))
            notice = national.notice_publish(actor=cnipa, call=self.call, text="现将拟确定名单予以公示。",
                                             contact="运用促进司 010-00000000")
            self.traveller.move_to(deadlines.notice_window(notice.starts_on, notice.ends_on)[0 if stage == "on notice" else 1]
                                   + datetime.timedelta(hours=9))
        self.everything_holds()

    def prepare(self, action, verified=None):
        """A step of a starting stage: it must succeed (and everything must hold after it). verified: (org, level,
        claim) of a claim it verifies."""
        result = action()
        assert result == [] or not isinstance(result, list), f"a starting stage could not submit: {result}"
        if verified:
            key, level, claim = verified
            self.verified[(key, level)] = claim_now(self.app_id(key), claim)
        self.everything_holds()

    # --- The applicant's side ---------------------------------------------------------------------------

    @rule(organisation=st.sampled_from(["latecomer", "nanjing_company"]))
    def register(self, organisation):
        """An organisation registers with its contact person's account: once only (its credit code is unique)."""
        registered = User.objects.filter(username=organisation).exists()
        ok, _ = self.attempt(lambda: register(ORG_BY_KEY[organisation]))
        assert ok != registered, "a second registration of one credit code was accepted"

    @rule(applicant=st.sampled_from(["latecomer", "nanjing_company"]))
    def start_application(self, applicant):
        """Start an application to the call (an organisation that has one gets it back)."""
        if User.objects.filter(username=applicant).exists():
            self.attempt(lambda: applicant_services.application_start(actor=self.user(applicant), call=self.call))

    @rule(applicant=applicant_for("edit"), by=at_its_desk(), change=st.sampled_from(list(EDITS)))
    def edit(self, applicant, by, change):
        """Any change of the form: a section's content, identity (place — fixed once the organisation has
        submitted —, type and affiliation), the sealed scan."""
        self.change(applicant, by, *EDITS[change])

    def change(self, applicant, by, section, what):
        if section == "attach":
            actor, application_id = self.user(by), self.app_id(applicant)
            return self.attempt(lambda: applicant_services.application_attach(
                actor=actor, application_id=application_id, kind=what, upload=pdf(f"{what}.pdf"),
                content_type="application/pdf"))
        elif section == "whole":
            for key in ("basic", "department", "mechanism", "conditions", "plan", "declaration"):
                content = complete_content(key)
                if key == "basic":
                    content.update(contact(ORG_BY_KEY[applicant], ORG_KEYS.index(applicant)))
                ok, _ = self.save_section(applicant, by, key, **content)
                if not ok:
                    return
                self.before = snapshot(self.call)  # the next save is a step of its own
        elif "place" in what:
            province, city = place_of(what["place"])
            org = Organisation.objects.filter(name=ORG_BY_KEY[applicant].name).first()
            fixed = Application.objects.filter(organisation=org, submitted_at__isnull=False).exists()
            ok, _ = self.save_section(applicant, by, "basic", province=province, city=city)
            org.refresh_from_db()
            if ok and fixed:
                assert (org.province_id, org.city_id) == (province.pk, city.pk), \
                    "the place of an organisation that has submitted was changed"
        elif "kind" in what:
            applicant_type, affiliation, ministry = KINDS[what["kind"]]
            return self.save_section(applicant, by, "basic", applicant_type=applicant_type, affiliation=affiliation,
                                     ministry=Ministry.objects.get(code=ministry) if ministry else None)
        else:
            return self.save_section(applicant, by, section, **what)

    @rule(applicant=applicant_for("edit", returned=6), by=at_its_desk(), kind=st.sampled_from(list(KINDS)),
          resubmit=mostly_true())
    def correct_identity(self, applicant, by, kind, resubmit):
        """The unit corrects its type and affiliation — what a reviewer returns an application for —, prints,
        seals and uploads the form again and (resubmit) submits it: if the route changed, it starts again at the
        new route's first desk (SPEC §4)."""
        ok, _ = self.change(applicant, by, "basic", {"kind": kind})
        if ok:
            self.before = snapshot(self.call)  # the upload is a step of its own
            ok, _ = self.change(applicant, by, "attach", AttachmentKind.SEALED_SCAN)
        if ok and resubmit:
            self.before = snapshot(self.call)
            self.submit_now(applicant, by)

    @rule(applicant=applicant_for("edit"), by=at_its_desk(), change=st.sampled_from(list(CLAIM_EDITS)))
    def change_claim(self, applicant, by, change):
        """A change of the exemption or priority claim: its fields, or a new document."""
        row = self.app_row(applicant)
        checked = row and ClaimStatus.VERIFIED in (row["exemption_status"], row["priority_status"],
                                                  row["national_exemption_status"])
        ok, _ = self.change(applicant, by, *CLAIM_EDITS[change])
        if ok and checked and change != "claims unchanged":
            self.exercised.add("a verified claim changed")

    @rule(applicant=applicant_for("submit"), by=at_its_desk(), with_new_scan=mostly_true())
    def submit(self, applicant, by, with_new_scan):
        """Submit (or resubmit); with_new_scan: print, seal and upload the form first, as after any edit."""
        actor, application_id = self.user(by), self.app_id(applicant)
        if with_new_scan:
            ok, _ = self.attempt(lambda: applicant_services.application_attach(
                actor=actor, application_id=application_id, kind=AttachmentKind.SEALED_SCAN,
                upload=pdf("sealed-scan.pdf"), content_type="application/pdf"))
            if not ok:
                return
            self.before = snapshot(self.call)
        self.submit_now(applicant, by)

    def submit_now(self, applicant, by):
        actor, application_id = self.user(by), self.app_id(applicant)
        ok, problems = self.attempt(lambda: applicant_services.application_submit(
            actor=actor, application_id=application_id))
        if not ok:
            return
        after = Application.objects.select_related("province").get(pk=application_id)
        if problems:
            changed = differences(self.before, snapshot(self.call))
            assert [name for name, _ in changed] in ([], ["applications"]) and {
                field for _name, rows_ in changed for _pk, fields in rows_ for field in fields} <= {
                "submit_failed_at", "updated_at"}, f"a submission with problems changed {changed}"
            return
        own = ProvinceDeadline.objects.filter(call=self.call, province_id=after.province_id).first()
        deadline = CALL_DEADLINE if after.route == Route.MINISTRY or own is None else min(own.deadline, CALL_DEADLINE)
        assert timezone.now() < deadline, f"submitted after the applicant's deadline {local(deadline)}"

    @rule(applicant=applicant_for("withdraw", "reopen"), by=at_its_desk(), undo=st.booleans())
    def withdraw(self, applicant, by, undo):
        """Withdraw the application (until it is recommended), or — undo — reopen a withdrawn one as a draft."""
        actor, application_id = self.user(by), self.app_id(applicant)
        if undo:
            self.attempt(lambda: applicant_services.application_reopen(actor=actor, application_id=application_id))
        else:
            self.attempt(lambda: applicant_services.application_withdraw(
                actor=actor, application_id=application_id, reason="不再申报"))

    # --- The desks before a recommendation, and the recommending bureau ------------------------------------

    @rule(applicant=applicant_for("city_consent"), by=at_its_desk(),
          decision=st.sampled_from(list(CITY_DECISIONS)))
    def city_decides(self, applicant, by, decision):
        actor, application_id = self.user(by), self.app_id(applicant)
        service = {"consent": lambda: review_services.application_city_consent(
                       actor=actor, application_id=application_id, note="同意"),
                   "decline": lambda: review_services.application_city_decline(
                       actor=actor, application_id=application_id, reason="不同意"),
                   "return": lambda: review_services.application_return(
                       actor=actor, application_id=application_id, reason="请补充")}[decision]
        self.attempt(service)

    @rule(applicant=applicant_for("recommend", "unrecommend"), by=at_its_desk(),
          decision=st.sampled_from(list(BUREAU_DECISIONS)))
    def bureau_decides(self, applicant, by, decision):
        """The province or ministry: recommend, return or decline; take a recommendation back."""
        actor, application_id = self.user(by), self.app_id(applicant)
        service = {
            "recommend": lambda: review_services.application_recommend(
                actor=actor, application_id=application_id, opinion="同意推荐"),
            "return": lambda: review_services.application_return(
                actor=actor, application_id=application_id, reason="请修改", sections=["plan"]),
            "decline": lambda: review_services.application_decline(
                actor=actor, application_id=application_id, reason="不予推荐"),
            "take back": lambda: review_services.application_unrecommend(actor=actor, application_id=application_id),
        }
        self.attempt(service[decision])

    @rule(applicant=applicant_for("claim_exemption_check", having="exempt_category"), by=at_its_desk(),
          claim=its_claim(), decision=st.sampled_from(["verified", "rejected"]))
    def check_claim(self, applicant, by, claim, decision):
        actor, application_id = self.user(by), self.app_id(applicant)
        ok, _ = self.attempt(lambda: review_services.claim_check(
            actor=actor, application_id=application_id, claim=claim, status=decision, note="核查"))
        if ok and decision == ClaimStatus.VERIFIED:
            self.verified[(applicant, claim)] = claim_now(application_id, claim)

    @rule(bureau=bureau("open"), by=its_reviewer(), task=st.sampled_from(PACKAGE_TASKS))
    def prepare_package(self, bureau, by, task):
        """The bureau's work on its package: the sealed letter, the ranking, the priority justification — and
        the province's own deadline for its applicants (never past the call's)."""
        actor, package = self.user(by), self.package_of(bureau)
        if task == "attach letter":
            self.attempt(lambda: review_services.package_attach_letter(actor=actor, package_id=package.pk,
                                                                       upload=pdf("推荐函.pdf")))
        elif task == "rank in reverse":
            order = list(package.recommendations.order_by("-rank").values_list("pk", flat=True))
            self.attempt(lambda: review_services.package_rank(actor=actor, package_id=package.pk, order=order))
        elif task == "move the last up":
            last = package.recommendations.order_by("-rank").first()
            self.attempt(lambda: review_services.package_move(
                actor=actor, package_id=package.pk, recommendation_id=last.pk if last else 0, steps=-1))
        elif task == "rewrite the opinions":
            for application_id in package.recommendations.values_list("application_id", flat=True):
                ok, _ = self.attempt(lambda: review_services.recommendation_update(
                    actor=actor, application_id=application_id, opinion="同意推荐（修订）", score=90))
                if not ok:
                    return
                self.before = snapshot(self.call)
        elif task == "justify priority":
            self.attempt(lambda: review_services.package_update(actor=actor, package_id=package.pk,
                                                                justification="综合评分更高"))
        else:
            moment = {"own deadline sep 23": JIANGSU_DEADLINE - datetime.timedelta(days=1),
                      "own deadline sep 28": CALL_DEADLINE - datetime.timedelta(days=1),
                      "own deadline oct 2": CALL_DEADLINE + datetime.timedelta(days=3)}[task]
            self.attempt(lambda: calls.province_deadline_set(actor=actor, call=self.call, deadline=moment))

    @rule(bureau=bureau("open"), by=its_reviewer())
    def hand_in(self, bureau, by):
        """A package over quota cannot be handed in (SPEC §5)."""
        actor, package = self.user(by), self.package_of(bureau)
        over = self.over(package.pk)
        ok, _ = self.attempt(lambda: review_services.package_submit(actor=actor, package_id=package.pk))
        assert not (ok and over), f"{bureau}'s package was handed in {over} over its quota"
        if over and by == BUREAUS[bureau]:
            self.exercised.add("a hand-in over quota refused")
        if ok:
            assert timezone.now() < deadlines.package_deadline(package.call, package.extended_until), \
                "handed in after the package's deadline"

    # --- CNIPA's re-check ------------------------------------------------------------------------------

    @rule(bureau=bureau("handed in"), by=cnipa_mostly(), days=st.sampled_from([7, 2]))
    def reopen_package(self, bureau, by, days):
        actor, package = self.user(by), self.package_of(bureau)
        until = timezone.now() + datetime.timedelta(days=days)
        self.attempt(lambda: review_services.package_reopen(actor=actor, package_id=package.pk,
                                                            reason="请调整推荐", until=until))

    @rule(applicant=applicant_for(*RECHECK_OUTCOMES.values()), by=at_its_desk(),
          outcome=st.sampled_from(list(RECHECK_OUTCOMES)))
    def recheck(self, applicant, by, outcome):
        actor, application_id = self.user(by), self.app_id(applicant)
        service = {"pass": lambda: national.recheck_pass(actor=actor, application_id=application_id),
                   "fail": lambda: national.recheck_fail(actor=actor, application_id=application_id,
                                                         reason="不符合条件"),
                   "return to unit": lambda: national.recheck_return_to_unit(
                       actor=actor, application_id=application_id, reason="请补充推荐意见")}[outcome]
        held = any(r["slot_id"] for r in self.before.recommendations.values() if r["application_id"] == application_id)
        ok, _ = self.attempt(service)
        if ok and held and outcome == "fail":
            self.exercised.add("a failed re-check gave its slot back")

    @rule(applicant=applicant_for("claim_exemption_recheck", having="exempt_category"), by=at_its_desk(),
          decision=st.sampled_from(["verified", "rejected"]))
    def cnipa_checks_exemption(self, applicant, by, decision):
        actor, application_id = self.user(by), self.app_id(applicant)
        ok, _ = self.attempt(lambda: national.national_claim_check(actor=actor, application_id=application_id,
                                                                   status=decision, note="复核"))
        if ok and decision == ClaimStatus.VERIFIED:
            self.verified[(applicant, "national")] = claim_now(application_id, "exemption")

    @rule(applicant=applicant_for(*UNIT_ANSWERS.values()), by=at_its_desk(), answer=st.sampled_from(list(UNIT_ANSWERS)))
    def bureau_answers_cnipa(self, applicant, by, answer):
        """What the bureau does with an application CNIPA returned to it: hand it back in, or drop it."""
        actor, application_id = self.user(by), self.app_id(applicant)
        if answer == "resubmit":
            self.attempt(lambda: national.unit_resubmit(actor=actor, application_id=application_id, note="已补充"))
        else:
            self.attempt(lambda: national.unit_drop(actor=actor, application_id=application_id, reason="撤回推荐"))

    # --- The public notice, objections, the final list ------------------------------------------------------

    @rule(by=cnipa_mostly())
    def publish(self, by):
        """The proposed list cannot be published while any package is over quota (SPEC §5)."""
        actor = self.user(by)
        over = {name: self.over(pk) for name, pk in self.world.packages.items() if self.over(pk)}
        ok, _ = self.attempt(lambda: national.notice_publish(actor=actor, call=self.call, text="现将拟确定名单予以公示。",
                                                             contact="运用促进司 010-00000000"))
        assert not (ok and over), f"published while over quota: {over}"

    @precondition(lambda self: self.has_notice)
    @rule(applicant=applicant_for("objection"), objector=st.sampled_from(list(OBJECTORS)))
    def object_to(self, applicant, objector):
        """Anyone may object to a listed base, under real name and only during the period (SPEC §6.3)."""
        notice = self.notice()
        entry = NoticeEntry.objects.filter(application_id=self.app_id(applicant)).first()
        data = dict(OBJECTORS[objector])
        letter = pdf("异议函.pdf") if data["kind"] == "organisation" else None
        messages = Message.objects.count()
        ok, objection = self.attempt(lambda: national.objection_submit(
            entry_id=entry.pk if entry else 0, reasons="材料与事实不符。", letter=letter, **data,
                                                                       privacy_version=RULES_VERSION))
        expected = (objector in ("person", "organisation") and entry is not None and entry.removed_at is None
                    and deadlines.notice_is_open(notice, timezone.now()))
        assert ok == expected, f"an objection ({objector}) was {'accepted' if ok else 'refused'}; expected the opposite"
        if ok:
            # Sent, not confirmed: it counts for nothing yet and nobody is told (SPEC §7).
            assert objection.confirmed_at is None and objection.reference is None
            assert Message.objects.count() == messages, "an unconfirmed objection was announced"
            self.tokens[objection.pk] = objection.confirmation_token

    @precondition(lambda self: self.has_notice and self.tokens)
    @rule(pick=st.integers(min_value=0, max_value=3))
    def confirm_objection(self, pick):
        """The objector follows the link mailed to the address: only now does the objection count — if it is
        followed within its hours, while the period runs, and the base is still on the list (SPEC §7)."""
        pk = sorted(self.tokens)[pick % len(self.tokens)]
        objection = Objection.objects.select_related("entry", "entry__notice").get(pk=pk)
        now = timezone.now()
        ok, _ = self.attempt(lambda: national.objection_confirm(token=self.tokens[pk]))
        expected = objection.confirmed_at is not None or (
            now <= objection.confirm_by and objection.entry.removed_at is None
            and deadlines.notice_is_open(objection.entry.notice, now))
        assert ok == expected, f"a confirmation was {'accepted' if ok else 'refused'}; expected the opposite"
        if not ok and now > objection.confirm_by:
            self.exercised.add("an expired confirmation refused")

    @precondition(lambda self: self.has_notice)
    @rule(applicant=applicant_for("objection"), by=cnipa_mostly(), decision=st.sampled_from(["dismissed", "upheld"]))
    def decide_objection(self, applicant, by, decision):
        """CNIPA decides the first undecided objection to the base (or, if none, a decided one again)."""
        actor = self.user(by)
        objections = Objection.objects.confirmed().filter(entry__application_id=self.app_id(applicant))
        objection = objections.filter(decision="pending").order_by("pk").first() or objections.order_by("pk").first()
        self.attempt(lambda: national.objection_decide(actor=actor, objection_id=objection.pk if objection else 0,
                                                       decision=decision, note="经核实"))

    @precondition(lambda self: self.has_notice)
    @rule(by=cnipa_mostly(), start=st.sampled_from(["as published", "two days later", "day before publication"]),
          working_days=st.sampled_from([5, 6, 3]))
    def correct_notice_dates(self, by, start, working_days):
        """CNIPA corrects the period; never below the call's working days (SPEC §6.2)."""
        actor, notice = self.user(by), self.notice()
        published = local(notice.published_at).date()
        starts_on = {"day before publication": published - datetime.timedelta(days=1),
                     "as published": notice.starts_on,
                     "two days later": notice.starts_on + datetime.timedelta(days=2)}[start]
        _start, ends_on, _known = notice_period(starts_on - datetime.timedelta(days=1), working_days)
        ok, _ = self.attempt(lambda: national.notice_confirm_dates(actor=actor, notice_id=notice.pk,
                                                                   starts_on=starts_on, ends_on=ends_on))
        if not ok and by == "cnipa" and working_days < self.call.notice_working_days:
            self.exercised.add("a short notice refused")

    @precondition(lambda self: self.has_notice)
    @rule(by=cnipa_mostly())
    def confirm_final_list(self, by):
        actor, notice = self.user(by), self.notice()
        ok, _ = self.attempt(lambda: national.final_confirm(actor=actor, notice_id=notice.pk,
                                                            document_number="国知办发运字〔2026〕99号",
                                                            document_date=timezone.localdate()))
        if ok:
            _start, end = deadlines.notice_window(notice.starts_on, notice.ends_on)
            assert timezone.now() >= end, "the list was confirmed before the notice period ended"
            assert not Objection.objects.confirmed().filter(decision="pending").exists()

    # --- The clock and the public ------------------------------------------------------------------------

    @rule(amount=st.sampled_from(["1 day", "2 hours", "3 days", "8 days"]))
    def time_passes(self, amount):
        number, unit = amount.split()
        self.traveller.shift(datetime.timedelta(**{unit if unit.endswith("s") else unit + "s": int(number)}))
        STATS["steps"] += 1
        STATS["rule:time_passes"] += 1

    # --- What must hold after every step --------------------------------------------------------------------

    @property
    def has_notice(self):
        return bool(self.before and self.before.notices)

    def over(self, package_id, snap=None):
        """How far the package's counted recommendations exceed its quota (SPEC §5, by the rule written out here)."""
        snap = snap or self.before
        package = snap.packages[package_id]
        if package["quota"] is None:
            return 0
        counted = sum(counts_by_rule(snap.applications[r["application_id"]], self.call)
                      for r in snap.recommendations.values() if r["package_id"] == package_id)
        return max(0, counted - package["quota"])

    def everything_holds(self):
        snap = snapshot(self.call)
        self.org_of_app = {app_id: key for key in ORG_KEYS if (app_id := self.app_id_in(snap, key))}
        new_events = list(AuditEvent.objects.filter(id__gt=self.audit_seen).order_by("id").values())
        if self.before is not None:
            if self.refusal is not None:
                changed = differences(self.before, snap)
                assert not changed, f"refused ({self.refusal.code}: {self.refusal}) yet changed {changed}"
                self.refusal = None
            self.check_step(self.before, snap, new_events)
        self.check_audit_chain(new_events)
        self.check_world(snap, new_events)
        public = (tuple(sorted((k, v["removed_at"]) for k, v in snap.entries.items())),
                  tuple(sorted((k, v["confirmed_at"]) for k, v in snap.notices.items())))
        if public != self.public_seen:
            self.check_public_pages(snap)
            self.public_seen = public
        self.before = snap
        self.states = {key: snap.applications[app_id]["state"] for app_id, key in self.org_of_app.items()}

    def app_id_in(self, snap, key):
        if key in self.world.applications:
            return self.world.applications[key]
        return next((pk for pk, row in snap.applications.items() if row["name"] == ORG_BY_KEY[key].name
                     and pk not in self.world.applications.values()), 0)

    def check_audit_chain(self, events):
        """Each new audit line links to the one before it, and the head points at the newest."""
        for event in events:
            line = AuditEvent(**event)
            assert line.prev_hash == self.last_hash or not self.last_hash, f"audit line {line.pk} is not linked"
            assert line.hash == line.content_digest(), f"audit line {line.pk} does not match its hash"
            self.last_hash, self.audit_seen = line.hash, line.pk
        head = AuditHead.objects.get(pk=1).last_hash
        assert head == self.last_hash, "the audit head does not point at the newest line"

    def check_step(self, before, after, events):
        """What one step may have changed: every state change one audit line and a row of the table; a changed
        claim pending at every level; no package changed once the list is published; a frozen version unchanged;
        no package over its quota but by CNIPA rejecting an exemption."""
        by_app = {}
        for event in events:
            if event["object_type"] == "applications.application" and event["to_state"] in State.values \
                    and not event["action"].startswith("claim_"):
                by_app.setdefault(int(event["object_id"]), []).append(event)
        table = {t.audit: t for t in TRANSITIONS.values() if t.audit}
        for app_id, row in after.applications.items():
            old = before.applications.get(app_id)
            lines = by_app.get(app_id, [])
            if old is None:
                assert [(e["action"], e["to_state"]) for e in lines] == [("application_start", State.DRAFT)], \
                    f"a new application without its start line: {lines}"
                continue
            if old["state"] == row["state"]:
                assert not lines, f"{self.name(app_id)}: state lines {[(e['action'], e['from_state'], e['to_state']) for e in lines]} without a change of state"
                continue
            assert len(lines) == 1, f"{self.name(app_id)}: {old['state']} → {row['state']} with {len(lines)} audit lines"
            line = lines[0]
            if line["action"] == "application_submit" and old["route"] and old["route"] != row["route"]:
                self.exercised.add("a corrected route restarted")
            assert (line["from_state"], line["to_state"]) == (old["state"], row["state"]), \
                f"{self.name(app_id)}: audit {line['from_state']} → {line['to_state']} for {old['state']} → {row['state']}"
            transition = table.get(line["action"])
            assert transition is not None and old["state"] in transition.sources \
                and row["state"] in transition.targets, \
                f"{self.name(app_id)}: {old['state']} → {row['state']} by {line['action']} is no row of the table"
        for app_id, row in after.applications.items():
            # Any change of a claim (category, number, date, file) puts it back to pending at every level (SPEC §5).
            if app_id not in before.applications:
                continue
            for claim, statuses in CLAIM_STATUSES.items():
                if self.claim_in(before, app_id, claim) != self.claim_in(after, app_id, claim):
                    kept = {status: row[status] for status in statuses if row[status] != ClaimStatus.PENDING}
                    assert not kept, f"{self.name(app_id)}: its {claim} claim changed, yet it stayed {kept}"
        if before.notices:
            # The list is drawn once from the packages (SPEC §6.2): after its publication none of them changes.
            for package_id, package in after.packages.items():
                old = before.packages[package_id]
                changed = [f"its {field} changed" for field in package if package[field] != old[field]]
                for pk in before.recommendations.keys() | after.recommendations.keys():
                    was, now = before.recommendations.get(pk), after.recommendations.get(pk)
                    if (was or now)["package_id"] == package_id and was != now:
                        who = self.name((was or now)["application_id"])
                        changed.append(f"{who} recommended" if was is None else f"{who} taken out" if now is None
                                       else f"{who}'s {', '.join(f for f in now if now[f] != was[f])} changed")
                assert not changed, \
                    f"{self.bureau_name(package_id)}'s package changed after the list was published: {changed}"
        for version_id, version in after.versions.items():
            assert before.versions.get(version_id, version) == version, "a version row changed"
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, data FROM applications_applicationversion")
            frozen = dict(cursor.fetchall())
        for version_id, data in frozen.items():
            assert self.versions.setdefault(version_id, data) == data, f"frozen version {version_id} changed"
        assert set(before.versions) <= set(after.versions), "a version disappeared"
        rejected_now = {int(e["object_id"]) for e in events
                        if e["action"] == "claim_exemption_recheck" and e["to_state"] == ClaimStatus.REJECTED}
        for package_id in after.packages:
            was, now = self.over(package_id, before), self.over(package_id, after)
            if now > was:
                mine = {r["application_id"] for r in after.recommendations.values() if r["package_id"] == package_id}
                assert rejected_now & mine, (
                    f"the package of {after.packages[package_id]['province_id'] or after.packages[package_id]['ministry_id']}"
                    f" went {now} over its quota, not by CNIPA rejecting an exemption")

    def name(self, app_id):
        return self.org_of_app.get(app_id, app_id)

    def check_world(self, snap, events):
        """What must hold in the database at any moment."""
        call = self.call
        deadline_day = local(CALL_DEADLINE).date()
        consent_events = self.city_consents(events)
        for app_id, row in snap.applications.items():
            state, route, who = row["state"], row["route"], self.name(app_id)
            org = snap.organisations[row["organisation_id"]]
            # The desk its identity and route lead to.
            if state == State.DRAFT:
                assert route == "", f"{who}: a draft with route {route}"
            elif state not in (State.RETURNED, State.WITHDRAWN):
                assert route == route_for(row["applicant_type"], row["affiliation"]), \
                    f"{who}: at {state} on route {route}, but its type and affiliation lead to " \
                    f"{route_for(row['applicant_type'], row['affiliation'])}"
            if state == State.CITY_REVIEW:
                assert route == Route.CITY, f"{who}: at the city's desk on route {route}"
            if state == State.PROVINCE_REVIEW:
                assert route in (Route.CITY, Route.PROVINCE), f"{who}: at the province's desk on route {route}"
            if state == State.MINISTRY_REVIEW:
                assert route == Route.MINISTRY, f"{who}: at the ministry's desk on route {route}"
            if (route == Route.MINISTRY or row["affiliation"] == "ministry") and state not in State.EDITABLE | {
                    State.WITHDRAWN}:  # a returned application may have been corrected: it is re-routed when resubmitted
                assert row["ministry_id"] is not None, f"{who}: a ministry route without a ministry"
            if row["affiliation"] != "ministry":
                assert row["ministry_id"] is None, f"{who}: a ministry but not ministry-affiliated"
            if any(a["submitted_at"] for a in snap.applications.values() if a["organisation_id"] == org["id"]):
                assert (row["province_id"], row["city_id"]) == (org["province_id"], org["city_id"]), \
                    f"{who}: its place moved away from its organisation's after it submitted"
                if row["affiliation"] == "ministry":
                    assert row["ministry_id"] == org["ministry_id"], f"{who}: another ministry than its organisation's"
            if route == Route.CITY and state in PAST_THE_CITY:
                submitted, consented = consent_events.get(app_id, (0, 0))
                assert submitted and consented > submitted, \
                    f"{who}: at {state} on the city route without the city's consent after its last submission"
            # A recommendation where, and only where, the state says so, in its own unit's package.
            recommendation = next((r for r in snap.recommendations.values() if r["application_id"] == app_id), None)
            if state in State.RECOMMENDED_ONWARD:
                assert recommendation is not None, f"{who}: {state} without a recommendation"
            elif state not in State.DROPPED:
                assert recommendation is None, f"{who}: {state} with a recommendation"
            if recommendation is not None:
                package = snap.packages[recommendation["package_id"]]
                assert Unit.of(route, row["province_id"], row["ministry_id"]) == Unit.of_package(
                    SimpleNamespace(**package)), f"{who}: recommended in another bureau's package"
            # Claims: verified only as they were when verified; exempt only when verified and live.
            for claim, level, status in (("exemption", "exemption", row["exemption_status"]),
                                         ("priority", "priority", row["priority_status"]),
                                         ("exemption", "national", row["national_exemption_status"])):
                if status == ClaimStatus.VERIFIED:
                    key = (self.name(app_id), level)
                    assert key in self.verified, f"{who}: the {level} claim is verified, but nobody verified it"
                    assert self.claim_in(snap, app_id, claim) == self.verified[key], \
                        f"{who}: the {level} claim changed since it was verified, yet it is still verified"
            # SPEC §5: a title ended by the call's deadline cannot be verified (at either level) and does not exempt.
            if ClaimStatus.VERIFIED in (row["exemption_status"], row["national_exemption_status"]):
                assert self.title_standing(snap, row, row["exempt_category"], deadline_day) != "ended", \
                    f"{who}: its exemption is verified on a registry title that ended by the call's deadline"
            if exempt_by_rule(row, call) and state in (State.RECHECK_PASSED, State.ON_NOTICE, State.DESIGNATED):
                assert row["national_exemption_status"] == ClaimStatus.VERIFIED, \
                    f"{who}: {state} and exempt from the quota on a claim CNIPA never verified"
            if row["priority_status"] == ClaimStatus.VERIFIED:
                assert row["local_base"], f"{who}: a verified priority without a local-base claim"
                assert self.title_standing(snap, row, "local_base", deadline_day) != "ended", \
                    f"{who}: priority verified on a local-base title that ended by the call's deadline"
        # Packages: within quota but by CNIPA's rejection; a handed-in package holds nothing merely recommended.
        for package_id, package in snap.packages.items():
            over = self.over(package_id, snap)
            if over:
                rejected = [r for r in snap.recommendations.values() if r["package_id"] == package_id
                            and snap.applications[r["application_id"]]["national_exemption_status"] == "rejected"
                            and snap.applications[r["application_id"]]["state"] not in State.DROPPED]
                assert rejected, f"package {package_id} is {over} over its quota with no exemption rejected by CNIPA"
            if package["status"] == "submitted":
                held = [self.name(r["application_id"]) for r in snap.recommendations.values()
                        if r["package_id"] == package_id
                        and snap.applications[r["application_id"]]["state"] == State.RECOMMENDED]
                assert not held, f"a handed-in package still holds {held} as merely recommended"
        self.check_quota_slots(snap)
        self.check_list_drawn_once(snap)
        # The notice: the call's working days on the official calendar, counted from the day after publication.
        for notice in snap.notices.values():
            published = local(notice["published_at"]).date()
            first = max(notice["starts_on"], published + datetime.timedelta(days=1))
            days = working_days_between(first, notice["ends_on"])
            assert days >= call.notice_working_days, \
                f"the notice runs {notice['starts_on']}–{notice['ends_on']} (published {published}): {days} " \
                f"working days after publication, fewer than {call.notice_working_days}"
            window = (notice["starts_on"], notice["ends_on"])
            if not self.windows or self.windows[-1] != window:
                self.windows.append(window)
            listed = {e["application_id"]: e for e in snap.entries.values() if e["notice_id"] == notice["id"]}
            for app_id, row in snap.applications.items():
                entry = listed.get(app_id)
                if row["state"] in (State.ON_NOTICE, State.DESIGNATED):
                    assert entry is not None and entry["removed_at"] is None, f"{self.name(app_id)}: {row['state']} off the list"
                if entry is not None and entry["removed_at"] is not None:
                    assert row["state"] == State.NOT_DESIGNATED, f"{self.name(app_id)}: removed but {row['state']}"
                if notice["confirmed_at"] and entry is not None and entry["removed_at"] is None:
                    assert row["state"] == State.DESIGNATED, f"{self.name(app_id)}: on the final list but {row['state']}"
        for objection in snap.objections.values():
            # An objection is accepted when its e-mail address is confirmed; before, it has no number and no decision.
            if objection["confirmed_at"] is None:
                assert objection["reference"] is None and objection["decision"] == "pending", objection
                continue
            day = local(objection["confirmed_at"]).date()
            assert any(start <= day <= end for start, end in self.windows), \
                f"an objection was accepted on {day}, outside the notice period {self.windows}"

    def check_quota_slots(self, snap):
        """The slots agree with the count (SPEC §5: the quota is held by the slots, one recommendation each): a
        package has its quota's slots; a recommendation holds one of its own package's only while it counts
        against the quota — not dropped, not exempt —; and one that counts holds a slot unless CNIPA rejected its
        exemption (by design it then counts without one: the package may go over its quota). Upheld objections
        excepted: the packages closed with the publication, a base leaving the list keeps its slot."""
        slots = table(QuotaSlot)
        for package_id, package in snap.packages.items():
            mine = sum(1 for slot in slots.values() if slot["package_id"] == package_id)
            assert mine == (package["quota"] or 0), \
                f"{self.bureau_name(package_id)}'s package has {mine} quota slots for a quota of {package['quota']}"
        for recommendation in snap.recommendations.values():
            row = snap.applications[recommendation["application_id"]]
            package = snap.packages[recommendation["package_id"]]
            who, state, slot = self.name(row["id"]), row["state"], recommendation["slot_id"]
            counted = counts_by_rule(row, self.call)
            if slot is not None:
                assert slots[slot]["package_id"] == recommendation["package_id"], \
                    f"{who} holds a quota slot of another package"
                assert counted or state == State.NOT_DESIGNATED, (
                    f"{who} ({state}, {'exempt' if state not in State.DROPPED else 'dropped'}) still holds a quota "
                    f"slot of {self.bureau_name(recommendation['package_id'])}'s package")
            elif counted and package["quota"] is not None:
                assert row["national_exemption_status"] == ClaimStatus.REJECTED, \
                    f"{who} ({state}) counts against the quota without holding a slot"

    def check_list_drawn_once(self, snap):
        """The proposed list is drawn once, from every package (SPEC §6.2): once published, nothing of the call
        waits for the re-check or passed it off the list, and an application still merely recommended was in a
        package its bureau could no longer change when the list was published (never handed in) — else it could
        never reach the list."""
        for notice in snap.notices.values():
            published = notice["published_at"]
            packages = None
            for app_id, row in snap.applications.items():
                who, state = self.name(app_id), row["state"]
                assert state not in State.PENDING_RECHECK | {State.RECHECK_PASSED}, \
                    f"{who}: {state} after the list was published on {local(published):%Y-%m-%d %H:%M}"
                if state == State.RECOMMENDED:
                    if packages is None:
                        packages = {p.pk: p for p in Package.objects.filter(call=self.call).select_related("call")}
                    recommendation = next(r for r in snap.recommendations.values() if r["application_id"] == app_id)
                    package = packages[recommendation["package_id"]]
                    closes = deadlines.package_deadline(package.call, package.extended_until)
                    assert closes <= published, (
                        f"{who}: recommended in {self.bureau_name(package.pk)}'s package, open until "
                        f"{local(closes):%Y-%m-%d %H:%M}, when the list was published on "
                        f"{local(published):%Y-%m-%d %H:%M}: it can never reach the list")

    def bureau_name(self, package_id):
        return next((name for name, pk in self.world.packages.items() if pk == package_id), package_id)

    def claim_in(self, snap, app_id, claim):
        """The claim in the snapshot: its fields and its documents (the files indexed once per snapshot)."""
        if "_claim_files" not in vars(snap):
            snap._claim_files = {}
            for pk, attachment in sorted(snap.attachments.items()):
                key = (attachment["application_id"], attachment["kind"])
                snap._claim_files[key] = snap._claim_files.get(key, ()) + ((pk, attachment["file"]),)
        row = snap.applications[app_id]
        return tuple(row[f] for f in CLAIM_FIELDS[claim]), snap._claim_files.get((app_id, CLAIM_FILES[claim]), ())

    def title_standing(self, snap, row, kind, on):
        """The registry's word on the application's body for `kind` on day `on`, read from the registry's rows (by
        the organisation's credit code): None when it lists no such title, "live", or "ended" (its term over
        before `on`, or retired by then)."""
        code = snap.organisations[row["organisation_id"]]["credit_code"]
        titles = [e for e in snap.registry.values()
                  if e["kind"] == kind and e["credit_code"] == code and as_date(e["designated_on"]) <= on]
        if not titles:
            return None
        return "live" if any((e["retired_on"] is None or as_date(e["retired_on"]) > on)
                             and (e["term_ends_on"] is None or as_date(e["term_ends_on"]) >= on)
                             for e in titles) else "ended"

    def city_consents(self, events):
        """Per application: the audit id of its last submission into the city's desk and of the city's last
        consent (kept up to date from each step's new audit lines)."""
        for event in events:
            if event["object_type"] != "applications.application":
                continue
            submitted, consented = self.consents.get(int(event["object_id"]), (0, 0))
            if event["action"] == "application_submit" and event["to_state"] == State.CITY_REVIEW:
                submitted = event["id"]
            elif event["action"] == "application_city_consent":
                consented = event["id"]
            else:
                continue
            self.consents[int(event["object_id"])] = (submitted, consented)
        return self.consents

    def check_public_pages(self, snap):
        """The public sees the bases on notice (or designated) and nothing else: no other application, no
        personal data of an applicant or an objector."""
        client = Client()
        notice = next(iter(snap.notices.values()), None)
        request_log = logging.getLogger("django.request")
        level, request_log.level = request_log.level, logging.ERROR  # the notice page is a 404 until published
        try:
            page = client.get(f"/notice/{self.call.pk}/")
            bases = client.get("/bases/")
        finally:
            request_log.level = level
        assert page.status_code == (200 if notice else 404), f"the notice page answered {page.status_code}"
        assert bases.status_code == 200
        listed = {e["application_id"] for e in snap.entries.values() if e["removed_at"] is None}
        final = {e["application_id"] for e in snap.entries.values() if e["removed_at"] is None
                 and snap.notices[e["notice_id"]]["confirmed_at"]}
        private = [v for row in snap.applications.values() for v in (row[f] for f in PERSONAL_FIELDS) if v]
        private += [o[f] for o in snap.objections.values() for f in ("name", "phone", "email") if o[f]]
        private += ["示例人员", *OBJECTOR_DATA]
        for html, shown, label in ((page.content.decode() if notice else "", listed, "notice"),
                                   (bases.content.decode(), final, "bases")):
            for app_id, row in snap.applications.items():
                names = {row["name"], snap.organisations[row["organisation_id"]]["name"]}
                if any(n and n in html for n in names):
                    assert app_id in shown and row["state"] in State.PUBLIC, \
                        f"the public {label} page shows {row['name']} ({row['state']})"
            for app_id in shown:
                entry = next(e for e in snap.entries.values() if e["application_id"] == app_id)
                assert entry["name"] in html, f"the public {label} page leaves out {entry['name']}"
            leaked = [value for value in private if value in html]
            assert not leaked, f"the public {label} page shows personal data: {leaked}"


# --- A failure, shortened ----------------------------------------------------------------------------------
#
# Hypothesis shrinks a failing run by drawing it again with smaller choices; a run of this process costs some
# 0.3 s, so its shrinker, given its own five minutes, still leaves twenty or thirty steps, most of which do not
# matter. After it (given SHRINK_SECONDS), the steps it found are replayed as they were taken, by name, leaving out
# ever fewer of them at a time while the run still fails the same way (delta debugging, Zeller 2002), and the
# start is made as plain as it can be: what remains is printed with the failure.

SHRINK_SECONDS = float(os.environ.get("MODEL_SHRINK_SECONDS", "60"))


def failure_of(error):
    """What a failure is, for `shortest` to keep: its kind and the first line of its message without the values
    it quotes (ids, rows and numbers vary between replays)."""
    text = (str(error).splitlines() or [""])[0]
    return type(error).__name__, re.sub(r"\{.*?\}|\[.*?\]|\(.*?\)|'.*?'|\d+", "…", text)[:160]


def replay(steps):
    """Run `steps` (start_from's first) as a fresh run; the failure they end in, or None."""
    machine = Process()
    try:
        for name, arguments in steps:
            getattr(machine, name)(**arguments)
    except Exception as error:  # noqa: BLE001 - any failure is what is sought
        failure = error
    else:
        failure = None
    try:
        machine.teardown()
    except Exception as error:  # noqa: BLE001
        failure = failure or error
    return failure


def shortest(steps, wanted, seconds=120):
    """The fewest of `steps` that still end in the failure `wanted` (failure_of), found within `seconds`."""
    give_up = time.perf_counter() + seconds

    def fails(candidate):
        found = replay(candidate)
        return found is not None and failure_of(found) == wanted

    start, rest = steps[0], list(steps[1:])
    chunk = max(1, len(rest) // 2)
    while rest and time.perf_counter() < give_up:
        removed, index = False, len(rest) - chunk
        while index >= 0 and time.perf_counter() < give_up:   # from the end: the failing step is the last
            candidate = rest[:index] + rest[index + chunk:]
            if fails([start] + candidate):
                rest, removed = candidate, True
            index -= chunk
        if chunk == 1 and not removed:
            break
        chunk = chunk if removed else max(1, chunk // 2)
    starts = [("start_from", {"stage": stage, "desks": desks}) for stage in STAGES for desks in DESKS]
    for plain in starts[:starts.index(start)] if start in starts else []:   # the plainest start that still fails
        if time.perf_counter() < give_up and fails([plain] + rest):
            return [plain] + rest
    return [start] + rest


def as_program(steps):
    """Steps as Hypothesis prints them."""
    return "\n".join(["state = Process()"] + [
        f"state.{name}({', '.join(f'{key}={value!r}' for key, value in arguments.items())})"
        for name, arguments in steps] + ["state.teardown()"])


# --- The test ---------------------------------------------------------------------------------------------

def test_the_process_under_random_use(model_world, frozen_clock, request, monkeypatch):
    Process.world, Process.traveller = model_world, frozen_clock
    STATS.clear()
    # Every run takes at least one step after its start (_min_steps=1: Hypothesis would otherwise spend a run on
    # stopping right after each start it has not yet stopped after). Every run drawn afresh. Once past its first ten runs, Hypothesis follows each new run with up to six copies
    # of it, each with one step or argument replaced by a copy of another: here six runs in seven would replay
    # the same start, and a budget of 96 would see some fifteen different ones. (An internal of Hypothesis: should
    # it be renamed, its own generation applies.)
    if hasattr(ConjectureRunner, "generate_mutations_from"):
        monkeypatch.setattr(ConjectureRunner, "generate_mutations_from", lambda runner, data: None)
    # Hypothesis' own shrinking, cut to SHRINK_SECONDS (an internal: should it be renamed, its five minutes apply);
    # `shortest` finishes the work.
    monkeypatch.setattr(engine, "MAX_SHRINKING_SECONDS", SHRINK_SECONDS, raising=False)
    Process.latest = None
    started = time.perf_counter()
    try:
        run_state_machine_as_test(seed(SEED)(lambda: Process()), settings=settings(
            max_examples=EXAMPLES, stateful_step_count=STEPS_PER_EXAMPLE, deadline=None, database=None,
            derandomize=False, report_multiple_bugs=False, print_blob=False,
            phases=(Phase.explicit, Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck)), _min_steps=1)
    except Exception as error:
        found = Process.latest.trace if Process.latest else []
        if found:
            steps = shortest(found, failure_of(error))
            error.add_note(f"Shortest sequence found ({len(steps) - 1} steps, of the {len(found) - 1} Hypothesis "
                           f"left):\n{as_program(steps)}")
        raise
    finally:
        elapsed = time.perf_counter() - started
        line = (f"model-based test (MODEL_SEED={SEED}, MODEL_SCALE={SCALE:g}): {STATS['steps']} steps in "
                f"{STATS['examples']} examples ({STATS['done']} done, {STATS['refused']} refused) in {elapsed:.0f} s; "
                + ", ".join(f"{k[9:]} in {v}" for k, v in sorted(STATS.items()) if k.startswith("reached: ")))
        request.config.stash.setdefault(MODEL_REPORT, []).append(line)
        if os.environ.get("MODEL_VERBOSE"):
            request.config.stash[MODEL_REPORT].append(", ".join(
                f"{k[5:]} {v}" for k, v in STATS.most_common() if k.startswith("rule:")))
            request.config.stash[MODEL_REPORT].append("; ".join(
                f"{k[7:]} {v}" for k, v in sorted(STATS.items()) if k.startswith("start: ")))
    assert STATS["steps"] >= 2000 * SCALE, line  # the budget of issue 12: at least 2,000 steps



def test_a_failure_is_shortened_to_the_steps_that_matter(model_world, frozen_clock, monkeypatch):
    """`shortest` at work on a guard removed as by mistake (a changed claim no longer reset to pending): of a run
    with steps around it, the start and the one change of the claim remain."""
    Process.world, Process.traveller = model_world, frozen_clock
    monkeypatch.setattr(applicant_services, "claim_resets", lambda application, values: {})
    start = ("start_from", {"stage": "on notice", "desks": DESKS[2]})
    steps = [start,
             ("time_passes", {"amount": "1 day"}),
             ("edit", {"applicant": "nanjing_park", "by": "nanjing_park", "change": "revise plan"}),
             ("publish", {"by": "cnipa"}),
             ("change_claim", {"applicant": "hangzhou_park", "by": "hangzhou_park", "change": "no exemption"}),
             ("time_passes", {"amount": "2 hours"}),
             ("bureau_decides", {"applicant": "suzhou_park", "by": "province_js", "decision": "take back"})]
    failure = replay(steps)
    assert isinstance(failure, AssertionError) and "its exemption claim changed" in str(failure), failure
    found = shortest(steps, failure_of(failure))
    assert found == [("start_from", {"stage": "handed in", "desks": DESKS[2]}), steps[4]], as_program(found)
    assert as_program(found).splitlines()[2] == (
        "state.change_claim(applicant='hangzhou_park', by='hangzhou_park', change='no exemption')")
