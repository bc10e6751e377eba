"""What the database can do: the PostgreSQL features the portal relies on, tried once per database and process.

The portal has two paths. SQLite, the embedded database of development and tests, has its own triggers and locks.
A server database takes the PostgreSQL path — the protective triggers, the row and advisory locks, the one-statement
upsert of the reference numbers, prepared statements, pg_dump — whatever its Django backend calls itself: a
PostgreSQL-compatible database (KingbaseES, openGauss) is reached through its vendor's backend, whose `vendor` may
say "kingbase". What decides is what the server does when asked. Each feature below is tried the way the portal
uses it, on a connection of its own, in a transaction rolled back at the end: a probe never touches the caller's
transaction, leaves nothing behind and is not counted among a page's queries.

A server database that lacks a required feature is refused before it is used — by the system check that
`migrate` runs (check_database), at the WSGI start (refuse_incapable_database: gunicorn and runserver), and by every
migration or command that would take the PostgreSQL path on it (postgresql_path) — naming each missing feature in
plain words (docs/deployment.md, "PostgreSQL-compatible databases").
"""

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections

GUIDE = 'docs/deployment.md, "PostgreSQL-compatible databases (KingbaseES, openGauss)"'


# --- The probes: each runs in a savepoint of the probe's transaction and answers whether the feature works ------

def _dialect(cursor):
    cursor.execute("SELECT current_setting('server_version_num')")
    return int(cursor.fetchone()[0])


def _plpgsql(cursor):
    cursor.execute("CREATE FUNCTION pg_temp.navportal_probe() RETURNS trigger AS $$ BEGIN "
                   "NEW.n := OLD.n + 1; RETURN NEW; END; $$ LANGUAGE plpgsql")
    return True


def _row_triggers(cursor):
    # As navportal.seals.epoch_trigger: a BEFORE UPDATE row trigger that moves a counter, in the portal's syntax.
    _plpgsql(cursor)
    cursor.execute("CREATE TEMP TABLE navportal_probe (id integer PRIMARY KEY, n integer NOT NULL)")
    cursor.execute("CREATE TRIGGER navportal_probe BEFORE UPDATE ON navportal_probe "
                   "FOR EACH ROW EXECUTE FUNCTION pg_temp.navportal_probe()")
    cursor.execute("INSERT INTO navportal_probe VALUES (1, 0)")
    cursor.execute("UPDATE navportal_probe SET n = 0 RETURNING n")
    return cursor.fetchone()[0] == 1


def _jsonb(cursor):
    # The audit trail's trigger compares rows as jsonb without the chain's columns (migrations/_audit_trigger.py).
    cursor.execute("SELECT to_jsonb(row_) - 'a' FROM (SELECT 1 AS a, 2 AS b) AS row_")
    value = cursor.fetchone()[0]
    return (json.loads(value) if isinstance(value, str) else value) == {"b": 2}


def _transaction_settings(cursor):
    # navportal.audit lets a re-chain through the trigger by a setting of its own transaction.
    cursor.execute("SET LOCAL navportal.probe = 'on'")
    cursor.execute("SELECT current_setting('navportal.probe', true), current_setting('navportal.absent', true)")
    return cursor.fetchone() == ("on", None)


def _upsert(cursor):
    # navportal.references._advance: one statement that creates or moves a counter and returns it.
    cursor.execute("CREATE TEMP TABLE navportal_probe (id integer PRIMARY KEY, n integer NOT NULL)")
    upsert = ("INSERT INTO navportal_probe (id, n) VALUES (1, %s) "
              "ON CONFLICT (id) DO UPDATE SET n = navportal_probe.n + %s RETURNING n")
    cursor.execute(upsert, [1, 1])
    cursor.execute(upsert, [1, 1])
    return cursor.fetchone()[0] == 2


def _lock_of(cursor):
    # select_for_update(of=("self",)) in the services: lock the rows of one table of a join.
    cursor.execute("CREATE TEMP TABLE navportal_probe (id integer PRIMARY KEY, n integer NOT NULL)")
    cursor.execute('SELECT "p"."id" FROM navportal_probe "p" JOIN navportal_probe "q" ON "q"."id" = "p"."id" '
                   'FOR UPDATE OF "p"')
    return True


def _advisory_locks(cursor):
    # The mail worker: one at a time across hosts (navportal/management/commands/mail_worker.py).
    # Another process's probe may hold the key this very moment: an answer either way shows the feature.
    cursor.execute("SELECT pg_try_advisory_lock(%s)", [PROBE_KEY])
    (locked,) = cursor.fetchone()
    if locked:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [PROBE_KEY])
    return locked in (True, False)


def _set_constraints(cursor):
    # navportal.fields: the migrations that encrypt existing rows run the deferred checks between their steps.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return True


def _prepared_statements(cursor):
    # navportal.compiled: prepared and run in one round trip, as it does.
    cursor.execute("PREPARE navportal_probe AS SELECT $1::integer + 1; EXECUTE navportal_probe(%s)", [1])
    return cursor.fetchone()[0] == 2


PROBE_KEY = 0x6E6176_70726F62  # an advisory lock key no other part of the portal uses ("navprob")


@dataclass(frozen=True)
class Feature:
    name: str  # the attribute of Capabilities
    words: str  # what it is, for the refusal
    probe: object  # cursor -> truthy when it works
    required: bool = True  # False: the portal does without it (more slowly)
    needs: str = ""  # a feature it cannot be tried without (not named missing when that one is)


FEATURES = (
    Feature("plpgsql", "PL/pgSQL, the language of the protective triggers (CREATE EXTENSION plpgsql)", _plpgsql),
    Feature("row_triggers", "row triggers running a function (CREATE TRIGGER … FOR EACH ROW EXECUTE FUNCTION), "
            "which keep the audit trail append-only and count every change of sealed data", _row_triggers,
            needs="plpgsql"),
    Feature("jsonb", "jsonb and to_jsonb(row), used by the audit trail's trigger and the JSON fields", _jsonb),
    Feature("transaction_settings", "settings of a transaction's own (SET LOCAL navportal.…, current_setting(…, "
            "true)), with which a key rotation re-chains the audit trail", _transaction_settings),
    Feature("upsert", "INSERT … ON CONFLICT … DO UPDATE … RETURNING, which takes the reference numbers", _upsert),
    Feature("lock_of", "SELECT … FOR UPDATE OF, the row locks of every state change", _lock_of),
    Feature("advisory_locks", "advisory locks (pg_try_advisory_lock), which keep the mail worker to one host",
            _advisory_locks),
    Feature("set_constraints", "SET CONSTRAINTS ALL IMMEDIATE / DEFERRED, used by the migrations that encrypt "
            "existing data", _set_constraints),
    Feature("prepared_statements", "prepared statements (PREPARE … EXECUTE)", _prepared_statements, required=False),
)


@dataclass(frozen=True)
class Capabilities:
    """What one server database answered: `postgresql` (it speaks PostgreSQL's SQL and catalogue), its
    server_version_num, and the features (FEATURES) found working. `missing`: the plain words of each required
    feature that is not."""

    postgresql: bool
    version: int = 0
    found: frozenset = field(default_factory=frozenset)

    @property
    def missing(self):
        if not self.postgresql:
            return ["the PostgreSQL dialect: the server did not answer current_setting('server_version_num')"]
        return [feature.words for feature in FEATURES if feature.required and feature.name not in self.found
                and (not feature.needs or feature.needs in self.found)]


_found = {}  # (engine, host, port, database, user) -> Capabilities, for the life of the process


def _key(connection):
    settings = connection.settings_dict
    return (settings["ENGINE"], settings.get("HOST"), settings.get("PORT"), settings["NAME"], settings.get("USER"))


def capabilities(connection):
    """The Capabilities of the server database behind `connection` (not SQLite), tried on a connection of its own
    at the first call for that database in this process, then remembered. DatabaseError when it cannot be
    reached (nothing is remembered then)."""
    key = _key(connection)
    if key not in _found:
        _found[key] = _probe(connection)
    return _found[key]


def _probe(connection):
    probe = connection.copy()  # the same settings, a session of its own
    try:
        probe.set_autocommit(False)
        with probe.cursor() as cursor:
            try:
                version = _tried(probe, cursor, _dialect)
            except DatabaseError:
                return Capabilities(postgresql=False)
            found = set()
            for feature in FEATURES:
                try:
                    if _tried(probe, cursor, feature.probe):
                        found.add(feature.name)
                except DatabaseError:
                    pass
        probe.rollback()
        return Capabilities(postgresql=True, version=version, found=frozenset(found))
    finally:
        probe.close()


def _tried(probe, cursor, check):
    """check(cursor)'s answer, in a savepoint always rolled back: a probe leaves nothing, and a failed one does not
    spoil the next."""
    savepoint = probe.savepoint()
    try:
        return check(cursor)
    finally:
        probe.savepoint_rollback(savepoint)


HINT = (f"The portal runs on SQLite (development) or on PostgreSQL or a PostgreSQL-compatible database with all of "
        f"these: install or enable what is missing; see {GUIDE}.")


def refusal(connection, found):
    """The words that refuse `connection`'s database: each missing feature (HINT says what to do)."""
    lines = "\n".join(f"  - {words}" for words in found.missing)
    return (f"The database {connection.alias!r} ({connection.display_name}, backend "
            f"{connection.settings_dict['ENGINE']}) lacks what the portal needs to keep its data safe:\n{lines}")


def postgresql_path(connection):
    """Whether `connection` takes the portal's PostgreSQL path (its triggers, locks and statements) rather than
    SQLite's. For a server database lacking a required feature, ImproperlyConfigured naming each missing one: a
    migration, a backup or a worker never goes half way on it."""
    if connection.vendor == "sqlite":
        return False
    found = capabilities(connection)
    if found.missing:
        raise ImproperlyConfigured(f"{refusal(connection, found)}\n{HINT}")
    return True


def prepared_statements(connection):
    """Whether `connection`'s database takes prepared statements (navportal.compiled): on the PostgreSQL path
    when the server does (a compatible one may not: the portal then runs the same SQL unprepared)."""
    return postgresql_path(connection) and "prepared_statements" in capabilities(connection).found


# --- The start-up refusal ----------------------------------------------------------------------------------

def check_database(app_configs=None, databases=None, **kwargs):
    """System check navportal.E001: each server database of `databases` has every required feature. Registered
    with the database tag (navportal.apps): `migrate` runs it on its database, `check --database default` too.
    A database that cannot be reached is not this check's to report: the command fails on it by itself."""
    errors = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor == "sqlite":
            continue
        try:
            found = capabilities(connection)
        except DatabaseError:
            continue
        if found.missing:
            errors.append(checks.Error(refusal(connection, found), hint=HINT, id="navportal.E001"))
    return errors


def refuse_incapable_database(using="default"):
    """At the WSGI start (navportal.wsgi: gunicorn, and runserver, which loads it), which runs no system checks:
    SystemCheckError with check_database's words when the database lacks a required feature."""
    from django.core.management.base import SystemCheckError

    errors = check_database(databases=[using])
    if errors:
        raise SystemCheckError("System check identified some issues:\n\nERRORS:\n"
                               + "\n".join(str(error) for error in errors))


# --- The client tools of the backup and the restore drill ----------------------------------------------------

def _major(version_line):
    """The major version in a tool's `--version` line ("pg_dump (PostgreSQL) 15.20 (Debian …)" -> 15), or None."""
    found = re.search(r"\)\s+(\d+)", version_line)
    return int(found.group(1)) if found else None


def client_tools_problems(connection, env, tools):
    """Why the client `tools` (of pg_dump, pg_restore, createdb, dropdb) cannot serve `connection`'s database with
    the PATH of `env`: those missing from it, and a pg_dump or pg_restore older than the server (pg_dump refuses to
    dump a newer server; pg_restore cannot read the archive of a pg_dump of the server's version). A version the
    tool does not give as PostgreSQL's do is not compared (the tool then answers for itself). Empty when they
    can."""
    absent = [tool for tool in tools if not shutil.which(tool, path=env.get("PATH"))]
    if absent:
        return [f"{', '.join(absent)} not found on PATH ({env.get('PATH', '')}): install the PostgreSQL client "
                f"tools of the server's version or newer"]
    server = capabilities(connection).version // 10000  # 150020 -> 15 (the form since PostgreSQL 10)
    problems = []
    for tool in set(tools) & {"pg_dump", "pg_restore"}:
        line = subprocess.run([tool, "--version"], env=env, capture_output=True, text=True).stdout.strip()
        major = _major(line)
        if major is not None and major < server:
            problems.append(f"{tool} is {line}, older than the server (version {server}): install the client "
                            f"tools of the server's version or newer")
    return sorted(problems)
