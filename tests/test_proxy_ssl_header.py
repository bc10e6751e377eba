"""TLS ending at the balancer (docs/deployment.md): SECURE_PROXY_SSL_HEADER, read from the environment, lets the
balancer's X-Forwarded-Proto say a request was HTTPS; without it the header is ignored. `make cluster` runs the
same setting behind nginx (bench/cluster.py)."""

import os
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from navportal.models import Province, Role
from tests.conftest import PASSWORD, make_user
from tests.test_core import ROOT, load_settings

BEHIND_TLS = ("HTTP_X_FORWARDED_PROTO", "https")


def read_setting(value):
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "-c", "from navportal import settings; print(settings.SECURE_PROXY_SSL_HEADER)"],
        cwd=ROOT, capture_output=True, text=True, env={**env, "SECURE_PROXY_SSL_HEADER": value})


@pytest.mark.parametrize("value, setting", [
    ("", "None"),
    ("HTTP_X_FORWARDED_PROTO,https", "('HTTP_X_FORWARDED_PROTO', 'https')"),
    (" HTTP_X_FORWARDED_SSL , on ", "('HTTP_X_FORWARDED_SSL', 'on')"),
])
def test_the_setting_is_read_from_the_environment(value, setting):
    result = read_setting(value)
    assert (result.returncode, result.stdout.strip()) == (0, setting)


@pytest.mark.parametrize("value", [
    "X-Forwarded-Proto: https", "X-Forwarded-Proto,https", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_PROTO,",
    "http_x_forwarded_proto,https", "HTTP_X_FORWARDED_PROTO,https,http", "HTTP_X_FORWARDED_PROTO,ht tps", "1",
])
def test_a_malformed_value_stops_start_up_naming_the_variable(value):
    result = load_settings(SECURE_PROXY_SSL_HEADER=value)
    last = result.stderr.splitlines()[-1]
    assert result.returncode != 0
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: SECURE_PROXY_SSL_HEADER must be")
    assert "HTTP_X_FORWARDED_PROTO,https" in last


@pytest.mark.django_db
@pytest.mark.parametrize("proxy_header, forwarded, status", [
    (BEHIND_TLS, "https", 200),   # the balancer says HTTPS: served
    (BEHIND_TLS, None, 301),      # no header (someone reaching the server directly): redirected
    (BEHIND_TLS, "http", 301),
    (None, "https", 301),         # not configured: a client's header claims nothing
])
def test_the_ssl_redirect_trusts_the_header_only_when_configured(settings, proxy_header, forwarded, status):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = proxy_header
    extra = {"HTTP_X_FORWARDED_PROTO": forwarded} if forwarded else {}
    response = Client().get(reverse("home"), **extra)
    assert response.status_code == status
    if status == 301:
        assert response["Location"] == "https://testserver/"


@pytest.mark.django_db
@pytest.mark.parametrize("proxy_header, status", [(BEHIND_TLS, 302), (None, 403)])
def test_a_browsers_https_origin_passes_the_csrf_check_only_behind_the_configured_header(settings, proxy_header,
                                                                                        status):
    """A browser at https://… sends that Origin with its POST. Unless Django knows the request came over HTTPS it
    compares it with http://… and refuses every form as cross-site (403) — the sign-in first."""
    settings.SECURE_PROXY_SSL_HEADER = proxy_header
    make_user("prov-js", Role.PROVINCE, province=Province.objects.get(code="320000"))
    client = Client(enforce_csrf_checks=True)
    # What the balancer passes on: the browser's Host and Origin, and its word that the request came over HTTPS.
    https = {"HTTP_HOST": "testserver", "HTTP_ORIGIN": "https://testserver", "HTTP_X_FORWARDED_PROTO": "https"}
    client.get(reverse("login"), **https)
    token = client.cookies["csrftoken"].value
    response = client.post(reverse("login"), {"username": "prov-js", "password": PASSWORD,
                                              "csrfmiddlewaretoken": token}, **https)
    assert response.status_code == status
    assert ("_auth_user_id" in client.session) is (status == 302)
