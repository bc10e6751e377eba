"""The shared core: settings from the environment, migrations in step with models, reference data,
the audit trail's append-only rule and the role/scope constraint."""

import datetime
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, InternalError, connection, models, transaction
from django.utils import timezone

from navportal.audit import audit_record, audit_verify
from navportal.models import AuditEvent, City, Ministry, Province, Role, User
from navportal.regions_data import CITIES, PROVINCES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DATABASE_URL",
                                                             "ALLOWED_HOSTS", "EMAIL_PORT")}
    return subprocess.run([sys.executable, "-c", "import navportal.settings"], cwd=ROOT, capture_output=True,
                          text=True, env={**clean, **env})


def test_development_defaults_need_no_variable():
    assert load_settings().returncode == 0


@pytest.mark.parametrize("env, named", [
    ({"DEBUG": "maybe"}, "DEBUG"),
    ({"DEBUG": "0"}, "SECRET_KEY"),
    ({"DEBUG": "0", "SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"DEBUG": "0", "SECRET_KEY": "x" * 60}, "ALLOWED_HOSTS"),
    ({"DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "portal.example.cn"}, "NAVPORTAL_KEY_FILE"),
    ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"),
    ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
    ({"DATABASE_URL": "sqlite:///x.sqlite3", "DATABASE_ENGINE": "tests.dbbackends.kingbase"}, "DATABASE_ENGINE"),
    ({"CACHE_URL": "memcached://127.0.0.1:11211"}, "CACHE_URL"),
    ({"EMAIL_HOST": "smtp.example.cn", "EMAIL_PORT": "twenty-five"}, "EMAIL_PORT"),
])
def test_a_bad_value_stops_start_up_naming_the_variable(env, named):
    result = load_settings(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr.splitlines()[-1]


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"models and migrations disagree:\n{out.getvalue()}")


@pytest.mark.django_db
def test_all_provincial_units_and_their_cities_are_loaded():
    assert Province.objects.count() == 32 == len(PROVINCES)
    assert Province.objects.get(code="660000").name == "新疆生产建设兵团"
    assert City.objects.count() == len(CITIES)
    assert set(Province.objects.filter(cities__isnull=True)) == set()
    assert City.objects.get(code="320500").province.code == "320000"
    for city in City.objects.select_related("province").exclude(province__code="660000"):
        assert city.code[:2] == city.province.code[:2]
    assert Ministry.objects.filter(code="moe").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role, scope", [
    (Role.APPLICANT, {}), (Role.CITY, {}), (Role.PROVINCE, {"city": "320100"}),
    (Role.NATIONAL, {"province": "320000"}), (Role.MINISTRY, {"province": "320000"}), ("admin", {}),
])
def test_a_role_without_its_scope_or_with_another_is_refused_by_the_database(role, scope):
    values = {}
    if "city" in scope:
        values["city"] = City.objects.get(code=scope["city"])
    if "province" in scope:
        values["province"] = Province.objects.get(code=scope["province"])
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="x", role=role, **values)


@pytest.mark.django_db
def test_audit_events_are_append_only():
    event = audit_record(actor=None, action="test")
    event.note = "changed"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


@pytest.mark.django_db
def test_audit_chain_links_every_row_and_verify_names_the_first_broken_one():
    events = [audit_record(actor=None, action=f"e{i}", note=str(i)) for i in range(4)]
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert audit_verify() == (4, None)
    call_command("verify_audit", stdout=StringIO())
    # A forged row slipped in between, as someone with database access might.
    forged = AuditEvent(at=timezone.now(), action="forged", prev_hash=events[-1].hash, hash="0" * 64)
    models.Model.save(forged)
    audit_record(actor=None, action="after")
    assert audit_verify() == (4, forged.pk)
    with pytest.raises(CommandError, match=f"#{forged.pk}"):
        call_command("verify_audit", stdout=StringIO())


@pytest.mark.django_db
def test_changing_a_row_breaks_the_chain_at_that_row():
    events = [audit_record(actor=None, action=f"e{i}") for i in range(3)]
    if connection.vendor == "postgresql":
        with pytest.raises(InternalError), transaction.atomic():
            AuditEvent.objects.filter(pk=events[1].pk).update(note="rewritten")
        return
    AuditEvent.objects.filter(pk=events[1].pk).update(note="rewritten")
    assert audit_verify() == (1, events[1].pk)


@pytest.mark.django_db
def test_purge_refuses_the_last_180_days():
    with pytest.raises(CommandError, match="180"):
        call_command("purge_audit", "--before", str(timezone.localdate() - datetime.timedelta(days=100)))
    old = AuditEvent(at=timezone.now() - datetime.timedelta(days=400), action="old")
    models.Model.save(old)
    audit_record(actor=None, action="recent")
    out = StringIO()
    call_command("purge_audit", "--before", str(timezone.localdate() - datetime.timedelta(days=200)), stdout=out)
    assert "1 audit events" in out.getvalue()
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["recent"]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL")
def test_postgres_refuses_deleting_young_audit_rows_and_submitted_applications(applicant, submitted):
    event = audit_record(actor=None, action="young")
    with pytest.raises(InternalError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    application = submitted(applicant)
    from applications.models import Application
    with pytest.raises(InternalError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM applications_application WHERE id = %s", [application.pk])
    assert Application.objects.filter(pk=application.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditadmin"])
def test_administrators_hold_no_scope_and_never_superuser(role):
    User.objects.create(username=f"{role}-ok", role=role)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username=f"{role}-with-province", role=role, province=Province.objects.first())
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username=f"{role}-super", role=role, is_superuser=True)
