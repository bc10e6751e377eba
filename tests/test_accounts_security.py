"""Accounts (issue 5.1): password rules, history and expiry, lockout, sessions, the client address, and
the audit of every sign-in."""

import datetime
import os
import subprocess
import sys

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from navportal.models import AuditEvent, PasswordHistory, Role, User
from tests.conftest import PASSWORD, make_user, pass_second_factor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def official(db):
    from navportal.models import Province
    return make_user("prov-js", Role.PROVINCE, province=Province.objects.get(code="320000"))


def sign_in(client, username, password=PASSWORD, ip="10.1.1.1"):
    """The password form only: an official is then asked for the second factor."""
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def sign_in_fully(client, username, ip="10.1.1.1"):
    """Password, then the second factor (tests/test_second_factor.py tests that step itself)."""
    assert sign_in(client, username, ip=ip).status_code == 302
    pass_second_factor(client, User.objects.get(username=username), REMOTE_ADDR=ip)


@pytest.mark.django_db
@pytest.mark.parametrize("password, ok", [("abcdefgh", False), ("abcd1234", False), ("Kiwi2077", True),
                                          ("abcd-1234", True), ("ABCD_EFGH", False)])
def test_three_of_four_character_classes(client, password, ok):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    try:
        validate_password(password)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == ok


def test_officials_may_not_reuse_their_last_five_passwords(client, official):
    client.force_login(official)
    current = PASSWORD
    for n in range(5):
        new = f"Navigate-{n}x"
        response = client.post(reverse("password_change"), {"old_password": current, "new_password1": new,
                                                             "new_password2": new})
        assert response.status_code == 302, response.context["form"].errors
        current = new
    reused = "Navigate-1x"
    response = client.post(reverse("password_change"), {"old_password": current, "new_password1": reused,
                                                         "new_password2": reused})
    assert response.status_code == 200 and "new_password2" in response.context["form"].errors
    assert PasswordHistory.objects.filter(user=official).count() == 5


def test_an_official_with_an_old_password_must_change_it_first(client, official, applicant):
    User.objects.filter(pk__in=[official.pk, applicant.pk]).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=91))
    client.force_login(official)
    assert client.get(reverse("review_queue")).url == reverse("password_change")
    assert client.get(reverse("password_change")).status_code == 200
    client.force_login(applicant)  # applicants are not forced
    assert client.get(reverse("application_list")).status_code == 200


def test_five_failures_lock_the_user_name_from_that_address_for_30_minutes(official):
    client = Client()
    for _ in range(4):
        assert sign_in(client, "prov-js", "wrong-password").status_code == 200
    assert sign_in(client, "prov-js", "wrong-password").status_code == 429  # the fifth failure locks
    response = sign_in(client, "prov-js")  # even the right password now
    assert response.status_code == 429
    assert "30" in response.content.decode()
    assert sign_in(Client(), "prov-js", ip="10.9.9.9").status_code == 302  # another address is not locked
    failures = AuditEvent.objects.filter(action="login", result="failure", username="prov-js")
    assert failures.count() >= 5 and set(failures.values_list("ip", flat=True)) == {"10.1.1.1"}
    assert AuditEvent.objects.filter(action="lockout", username="prov-js").exists()


def test_twenty_failures_from_many_addresses_lock_the_user_name_itself(official, client):
    """Password spraying or stuffing from many addresses: no address reaches five, the user name locks at twenty
    (AXES_LOCKOUT_PARAMETERS counts the user name across addresses too); the security administrator sees it and
    lifting it lets the owner in again."""
    for n in range(19):
        assert sign_in(Client(), "prov-js", "wrong-password", ip=f"10.3.{n}.1").status_code == 200
    assert sign_in(Client(), "prov-js", "wrong-password", ip="10.3.19.1").status_code == 429  # the twentieth
    assert sign_in(Client(), "prov-js", ip="10.4.4.4").status_code == 429  # the owner, elsewhere, right password
    assert sign_in(Client(), "prov-hb", "wrong-password", ip="10.4.4.4").status_code == 200  # other names are not
    secadmin = make_user("sec-1", Role.SECURITY_ADMIN)
    client.force_login(secadmin)
    locked = client.get(reverse("security_home")).context["locked"]
    assert {attempt.username for attempt in locked} == {"prov-js"}
    assert client.post(reverse("lockout_reset", args=[locked[0].pk])).status_code == 302
    assert sign_in(Client(), "prov-js", ip="10.4.4.4").status_code == 302


def test_sign_in_and_out_are_audited_with_the_address(official):
    client = Client()
    sign_in(client, "prov-js", ip="10.2.2.2")
    client.post(reverse("logout"), REMOTE_ADDR="10.2.2.2")
    events = list(AuditEvent.objects.filter(actor=official).values_list("action", "result", "ip", "role"))
    assert events[:2] == [("logout", "success", "10.2.2.2", "province"), ("login", "success", "10.2.2.2", "province")]


def test_the_client_address_comes_from_a_trusted_proxy_only(official, settings):
    client = Client()
    client.post(reverse("login"), {"username": "prov-js", "password": "wrong"}, REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert AuditEvent.objects.latest("id").ip == "10.0.0.1"  # no trusted proxy: the header is ignored
    settings.TRUSTED_PROXIES = 1
    client.post(reverse("login"), {"username": "prov-js", "password": "wrong"}, REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert AuditEvent.objects.latest("id").ip == "203.0.113.7"


def test_new_session_key_at_sign_in_and_30_minutes_idle(official):
    client = Client()
    client.get(reverse("login"))
    before = client.cookies.get("sessionid")
    sign_in(client, "prov-js")
    assert client.cookies["sessionid"].value != (before.value if before else None)
    after_password = client.cookies["sessionid"].value
    pass_second_factor(client, official)
    assert client.cookies["sessionid"].value != after_password  # and again after the second factor
    response = client.get(reverse("review_queue"))
    assert response.status_code == 200
    expiry = client.session.get_expiry_date()
    assert datetime.timedelta(minutes=29) < expiry - timezone.now() <= datetime.timedelta(minutes=30)


def test_twelve_hours_after_sign_in_the_session_ends(official):
    client = Client()
    sign_in_fully(client, "prov-js")
    assert client.get(reverse("review_queue")).status_code == 200
    session = client.session
    session["signed_in_at"] = (timezone.now() - datetime.timedelta(hours=12, minutes=1)).timestamp()
    session.save()
    response = client.get(reverse("review_queue"))
    assert response.url.startswith(reverse("login"))
    assert client.get(reverse("review_queue")).status_code == 302


def test_changing_the_password_ends_other_sessions(official):
    first, second = Client(), Client()
    sign_in_fully(first, "prov-js")
    sign_in_fully(second, "prov-js", ip="10.4.4.4")
    assert second.get(reverse("review_queue")).status_code == 200
    response = first.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": "Another-pass-9",
                                                       "new_password2": "Another-pass-9"})
    assert response.status_code == 302
    assert first.get(reverse("review_queue")).status_code == 200
    assert second.get(reverse("review_queue")).url.startswith(reverse("login"))
    event = AuditEvent.objects.filter(action="password_change").get()
    assert (event.username, event.role, event.ip) == ("prov-js", "province", "127.0.0.1")


def test_a_password_set_from_the_reset_link_is_audited(client, applicant):
    uid = urlsafe_base64_encode(force_bytes(applicant.pk))
    form = client.get(reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(applicant)]))
    response = client.post(form.url, {"new_password1": "Qx7!harbour-Lamp", "new_password2": "Qx7!harbour-Lamp"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="password_reset", username=applicant.username).count() == 1


@pytest.mark.django_db
def test_every_page_carries_the_security_headers(client):
    response = client.get(reverse("home"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "<script>" not in response.content.decode()  # no inline script: the policy would block it


def test_deploy_checks_pass_with_the_documented_production_environment():
    env = {k: v for k, v in os.environ.items()
           if k not in ("DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "NAVPORTAL_KEY_FILE")}
    env.update(DEBUG="0", SECRET_KEY="x" * 20 + "production-secret-key-long-and-random-0123456789",
               ALLOWED_HOSTS="navportal.example.gov.cn", DATABASE_URL="postgres://navportal@127.0.0.1:5432/navportal",
               # Production refuses to start without its keys (navportal.keys, since the key ring).
               NAVPORTAL_KEYS="prod:" + "ab" * 32)
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
