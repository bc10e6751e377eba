"""The shared core: settings from the environment, migrations in step with models, reference data,
the audit trail's append-only rule and the role/scope constraint."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

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
    ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"),
    ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
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
    event = AuditEvent.objects.create(action="test")
    event.note = "changed"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
