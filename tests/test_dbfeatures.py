"""The database path for PostgreSQL-compatible servers (navportal.dbfeatures), on the real PostgreSQL server: a
database that lacks PL/pgSQL is refused at start-up naming it; a backend presenting another vendor name (as a
KingbaseES adapter does) gets the same protective triggers and the same backup and restore drill; the backup and
the drill refuse, naming them, without their client tools on PATH."""

import os
import subprocess
import sys
from contextlib import closing, contextmanager
from io import StringIO
from pathlib import Path

import psycopg2
import psycopg2.errors
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from navportal.dbfeatures import FEATURES, capabilities

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="probes a real PostgreSQL server"),
]


def server_url(name):
    """The postgres:// URL of database `name` on the suite's server."""
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return (f"postgres://{settings.get('USER') or 'postgres'}{password}@{settings.get('HOST') or '127.0.0.1'}:"
            f"{settings.get('PORT') or 5432}/{name}")


@contextmanager
def server(name):
    """A cursor of an autocommit connection to database `name` on the suite's server, from outside the portal."""
    with closing(psycopg2.connect(server_url(name).replace("postgres://", "postgresql://"))) as database:
        database.autocommit = True
        with database.cursor() as cursor:
            yield cursor


def own_name(suffix):
    # After the suite's database (dbcaps_pg for test_dbcaps_pg): suites run side by side never share one.
    return f"{connection.settings_dict['NAME'].removeprefix('test_')}_{suffix}"


@pytest.fixture
def scratch_database():
    """make(suffix, *statements): a new, empty database of the suite's server, the statements run in it; its URL.
    Dropped afterwards."""
    made = []

    def make(suffix, *statements):
        name = own_name(suffix)
        with server("postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        with server(name) as database:
            for statement in statements:
                database.execute(statement)
        return server_url(name)

    yield make
    with server("postgres") as admin:
        for name in made:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def portal(*args, timeout=120, **env):
    """Runs the portal's Python with `args` in a process of its own, the environment changed by `env`."""
    environ = {**{key: value for key, value in os.environ.items() if key != "DATABASE_ENGINE"}, **env}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=environ, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.django_db
def test_postgresql_itself_has_every_feature():
    """Every probe works on PostgreSQL: none refuses the database the portal is built on."""
    found = capabilities(connection)
    assert found.postgresql and found.found == {feature.name for feature in FEATURES}
    assert found.missing == []


def test_a_database_without_plpgsql_is_refused_at_start_up_naming_it(scratch_database):
    url = scratch_database("noplpgsql", "DROP EXTENSION plpgsql")
    starts = {"migrate": ["manage.py", "migrate", "--noinput"],
              "runserver": ["manage.py", "runserver", "--noreload", "127.0.0.1:0"],
              "the WSGI start (gunicorn)": ["-c", "import navportal.wsgi"]}
    for start, args in starts.items():
        refused = portal(*args, DATABASE_URL=url)
        assert refused.returncode != 0, start
        assert "(navportal.E001) The database 'default'" in refused.stderr, start
        assert "  - PL/pgSQL, the language of the protective triggers" in refused.stderr, start
        assert "docs/deployment.md" in refused.stderr, start
        assert "row triggers" not in refused.stderr  # not the consequence of PL/pgSQL missing as well
    assert "Traceback" not in portal(*starts["migrate"], DATABASE_URL=url).stderr
    with server(own_name("noplpgsql")) as database:  # migrate stopped before its first migration
        database.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert database.fetchone() == (0,)


AUDIT_LINE = """
from django.db import connection, transaction
from navportal.audit import audit_record
with transaction.atomic():
    print(connection.vendor, audit_record(actor=None, action="kingbase").pk)
"""


@pytest.mark.django_db
def test_a_backend_named_otherwise_gets_the_same_triggers_and_backup(scratch_database, tmp_path):
    """A KingbaseES adapter built on PostgreSQL's backend says vendor "kingbase": the portal takes the PostgreSQL
    path on it all the same, because the server answers as PostgreSQL."""
    kingbase = {"DATABASE_URL": scratch_database("kingbase"), "DATABASE_ENGINE": "tests.dbbackends.kingbase"}
    migrated = portal("manage.py", "migrate", "--noinput", **kingbase)
    assert migrated.returncode == 0, migrated.stderr
    line = portal("manage.py", "shell", "-v", "0", "-c", AUDIT_LINE, **kingbase)
    vendor, pk = line.stdout.split()
    assert vendor == "kingbase"

    triggers = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname"
    with connection.cursor() as cursor:  # the suite's own database, migrated by PostgreSQL's backend
        cursor.execute(triggers)
        expected = cursor.fetchall()
    with server(own_name("kingbase")) as database:
        database.execute(triggers)
        assert database.fetchall() == expected
        assert ("navportal_audit_protect",) in expected and ("applications_applicationversion_epoch_own",) in expected
        with pytest.raises(psycopg2.errors.RaiseException, match="audit events are append-only"):
            database.execute("UPDATE navportal_auditevent SET note = 'rewritten' WHERE id = %s", [int(pk)])

    backup = portal("manage.py", "backup", "--dir", str(tmp_path / "b"), **kingbase)
    assert backup.returncode == 0, backup.stderr
    drill = portal("manage.py", "restore_drill", "--from", str(tmp_path / "b"), "--database", own_name("drill"),
                   **kingbase)
    assert "Restore drill passed" in drill.stdout, drill.stderr


@pytest.mark.django_db
def test_backup_and_drill_refuse_naming_the_client_tools_missing_from_path(tmp_path, monkeypatch):
    call_command("backup", "--dir", str(tmp_path / "b"), stdout=StringIO())  # with the tools: a backup to restore
    tools = tmp_path / "bin"  # createdb and dropdb, but neither pg_dump nor pg_restore
    tools.mkdir()
    for tool in ("createdb", "dropdb"):
        (tools / tool).symlink_to(subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip())
    monkeypatch.setenv("PATH", str(tools))

    with pytest.raises(CommandError, match=rf"Backup failed: pg_dump not found on PATH \({tools}\): install the "
                                           r"PostgreSQL client tools"):
        call_command("backup", "--dir", str(tmp_path / "c"), stdout=StringIO())
    assert not (tmp_path / "c").exists()
    with pytest.raises(CommandError, match=rf"Restore drill FAILED:\npg_restore not found on PATH \({tools}\)"):
        call_command("restore_drill", "--from", str(tmp_path / "b"), "--database", own_name("drill"),
                     stdout=StringIO())
    with server("postgres") as admin:  # refused before the scratch database was made
        admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [own_name("drill")])
        assert admin.fetchone() is None
