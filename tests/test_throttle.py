"""The public forms' rate limits (navportal/throttle.py): objections, registration, password reset.

Each test runs on the portal's default counter store (each process's memory) and on Redis (database 5 of the
local server, as in production with RATELIMIT_CACHE_URL) — the Redis run is skipped only where no Redis answers.
"""

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from navportal.models import User
from review.models import Objection
from navportal.identifiers import users_by_email
from tests.review.test_public import cnipa, form_data, object_url, open_notice  # noqa: F401 - fixtures
from tests.review.test_national import handed_in  # noqa: F401 - fixtures
from tests.mail_helpers import deliver_mail

REDIS_URL = "redis://127.0.0.1:6379/5"


def _redis_answers():
    try:
        import redis
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except Exception:  # noqa: BLE001 - any failure to reach it means: no Redis here
        return False


@pytest.fixture(params=["memory", "redis"])
def counters(request, settings):
    """The cache holding the counters: the default one, or Redis as configured by RATELIMIT_CACHE_URL."""
    if request.param == "redis":
        if not _redis_answers():
            pytest.skip("no Redis answers at 127.0.0.1:6379")
        settings.CACHES = {**settings.CACHES, "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
            "KEY_PREFIX": "navportal-test"}}
    caches["ratelimit"].clear()
    yield caches["ratelimit"]
    caches["ratelimit"].clear()


def visitor(address="127.0.0.9", **extra):
    return Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en", **extra)


# --- Objections ---------------------------------------------------------------------------------------------

def test_objections_from_one_address_are_paused_after_five_a_minute(counters, open_notice):
    _notice, entries = open_notice
    url, public = object_url(entries[0]), visitor()
    answers = [public.post(url, form_data(email=f"p{i}@example.cn")).status_code for i in range(5)]
    assert answers == [302] * 5
    refused = public.post(url, form_data(email="p5@example.cn", reasons="第六份异议的理由"))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    page = refused.content.decode()
    assert "please try again in 1 minute" in page
    assert "第六份异议的理由" in page and "p5@example.cn" in page  # what was typed is still in the form
    assert Objection.objects.count() == 5
    # Another address is not affected; clearing the shared counters lifts the pause.
    assert visitor("127.0.0.10").post(url, form_data(email="other@example.cn")).status_code == 302
    counters.clear()
    assert public.post(url, form_data(email="p6@example.cn")).status_code == 302


def test_the_pause_is_told_in_chinese_too(counters, open_notice):
    _notice, entries = open_notice
    public = Client(REMOTE_ADDR="127.0.0.9")  # the portal's default language
    for i in range(5):
        public.post(object_url(entries[0]), form_data(email=f"p{i}@example.cn"))
    refused = public.post(object_url(entries[0]), form_data())
    assert refused.status_code == 429
    assert "请稍候再提交" in refused.content.decode()


def test_invalid_submissions_count_too(counters, open_notice):
    """A refused submission costs the server as much as an accepted one: it counts."""
    _notice, entries = open_notice
    public = visitor()
    answers = [public.post(object_url(entries[0]), form_data(phone="12")).status_code for _ in range(6)]
    assert answers == [400] * 5 + [429]


def test_mails_to_one_address_are_limited_whatever_the_sender(counters, open_notice):
    """Five objections an hour may name one e-mail address, from however many client addresses."""
    _notice, entries = open_notice
    answers = [visitor(f"127.0.0.{20 + i}").post(object_url(entries[i % 4]), form_data(
        email="Victim@Example.cn" if i % 2 else "victim@example.cn")).status_code for i in range(6)]
    assert answers == [302] * 5 + [429]


def test_a_forwarded_for_header_is_ignored_without_a_trusted_proxy(counters, open_notice):
    _notice, entries = open_notice
    answers = [visitor(HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").post(object_url(entries[0]), form_data(
        email=f"p{i}@example.cn")).status_code for i in range(6)]
    assert answers[-1] == 429


def test_behind_a_trusted_proxy_the_address_it_saw_counts(counters, open_notice, settings):
    settings.TRUSTED_PROXIES = 1
    _notice, entries = open_notice
    proxy = "127.0.0.2"
    answers = [visitor(proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}").post(object_url(entries[0]), form_data(
        email=f"p{i}@example.cn")).status_code for i in range(6)]
    assert answers == [302] * 6
    answers = [visitor(proxy, HTTP_X_FORWARDED_FOR="203.0.113.5, 192.0.2.200").post(
        object_url(entries[0]), form_data(email=f"q{i}@example.cn")).status_code for i in range(6)]
    assert answers == [302] * 5 + [429]


# --- Registration and password reset -------------------------------------------------------------------------

def registration(email, code_seed):
    from navportal.demo.content import credit_code
    from navportal.models import City, Province
    return {"name": f"示例·限流园区{code_seed}", "credit_code": credit_code(9000 + code_seed),
            "applicant_type": "provincial_park", "affiliation": "city",
            "province": Province.objects.get(code="320000").pk, "city": City.objects.get(code="320500").pk,
            "contact_name": "王联络", "email": email, "password1": "Navigate-2026", "password2": "Navigate-2026",
            "privacy": "on"}


def test_registrations_from_one_address_are_limited(db, counters):
    public = visitor()
    answers = [public.post(reverse("register"), registration(f"r{i}@example.cn", i)).status_code for i in range(6)]
    assert answers == [200] * 5 + [429]
    assert len(deliver_mail()) == 5
    page = visitor().get(reverse("register"))
    assert page.status_code == 200  # reading the form is never limited


def test_a_platform_vouched_registration_is_limited_too(db, counters, settings):
    """The identity platform's direct path (no mail round trip) counts against the same limits."""
    from applications.models import Organisation
    # The platform configured (no provider is asked: the POST is refused before anything is sent anywhere).
    issuer = "http://127.0.0.1:8549/o"
    for name, value in {"OIDC_RP_CLIENT_ID": "portal", "OIDC_RP_CLIENT_SECRET": "secret", "OIDC_OP_ISSUER": issuer,
                        "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{issuer}/authorize/",
                        "OIDC_OP_TOKEN_ENDPOINT": f"{issuer}/token/", "OIDC_OP_USER_ENDPOINT": f"{issuer}/userinfo/",
                        "OIDC_OP_JWKS_ENDPOINT": f"{issuer}/jwks/"}.items():
        setattr(settings, name, value)
    for i in range(5):
        visitor().post(reverse("register"), registration(f"r{i}@example.cn", i))
    public = visitor()
    session = public.session
    session["platform_registration"] = {"issuer": "https://id.example.cn", "subject": "faren-1",
                                        "credit_code": registration("", 42)["credit_code"], "name": "示例·平台园区",
                                        "contact_name": "李法人", "email": "faren@example.cn"}
    session.save()
    response = public.post(reverse("register"), registration("faren@example.cn", 42))
    assert response.status_code == 429 and not Organisation.objects.exists()


def test_transfer_requests_from_one_address_are_limited(db, counters, applicant):
    import re
    visitor().post(reverse("register"), {**registration("taker@example.cn", 1),
                                         "credit_code": applicant.organisation.credit_code})
    link = re.search(r"https?://\S+(/register/transfer/[\w-]+/)", deliver_mail()[-1].body).group(1)
    public = visitor("127.0.0.77")
    assert [public.post(link).status_code for _ in range(11)] == [400] * 10 + [429]  # no documents: refused
    assert public.get(link).status_code == 200  # reading the form is never limited


def test_reset_mails_per_account_are_limited(db, counters, applicant):
    answers = [visitor(f"127.0.0.{30 + i}").post(reverse("password_reset"), {"email": applicant.email}).status_code
               for i in range(4)]
    assert answers == [302, 302, 302, 429]
    assert len(deliver_mail()) == 3
    assert all(m.to == [applicant.email] for m in deliver_mail())
    assert users_by_email(applicant.email).exists()
