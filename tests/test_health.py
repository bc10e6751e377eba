"""The health checks (navportal/health.py): /health/ for the load balancer (database, cache, upload storage),
/health/outbox/ for monitoring (the mail worker). 200 when every check works, 500 when one does not; public,
and saying nothing but each check's name and "working" or "unavailable"."""

import datetime
import logging

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from post_office.models import STATUS, Email

from tests.mail_helpers import deliver_mail
from tests.test_second_factor import enrolled, official, sign_in  # noqa: F401 - fixtures
from tests.test_shared_cache import shared  # noqa: F401 - fixture

HEALTH, OUTBOX = "/health/", "/health/outbox/"
JSON = {"HTTP_ACCEPT": "application/json"}
ALL_WORKING = {"database": "working", "cache": "working", "storage": "working"}
# What a failure must never show the public: the library's own wording, a path, a host, an address, a trace.
LEAKS = ("Traceback", "Errno", "Error", "Unavailable:", "unknown error", "127.0.0.1", "redis", "/tmp", "uploads",
         "mail_worker", "@example.cn", "minutes")


def get(path, **headers):
    return Client().get(path, **{**JSON, **headers})


def assert_public_and_plain(response):
    """Nothing but the checks' names and states, no cookie, never cached."""
    text = response.content.decode()
    for leak in LEAKS:
        assert leak not in text
    assert response.cookies == {} and "Set-Cookie" not in response
    assert "no-store" in response["Cache-Control"]


def queued_mail(*, due_minutes_ago, status=STATUS.queued, scheduled_in_minutes=None, to="zhang.san@example.cn"):
    """An outbox row queued `due_minutes_ago` minutes ago (or scheduled for a later try)."""
    email = Email.objects.create(from_email="navportal@localhost", to=[to], subject="健康检查", message="…",
                                 status=status)
    now = timezone.now()
    scheduled = now + datetime.timedelta(minutes=scheduled_in_minutes) if scheduled_in_minutes is not None else None
    Email.objects.filter(pk=email.pk).update(created=now - datetime.timedelta(minutes=due_minutes_ago),
                                             scheduled_time=scheduled)
    return email


# --- /health/: the balancer's ---------------------------------------------------------------------

@pytest.mark.django_db
def test_all_working_is_200_with_one_query(django_assert_num_queries):
    # The database's SELECT 1, on the request's own connection; no session, no user, nothing else.
    with django_assert_num_queries(1):
        response = get(HEALTH)
    assert (response.status_code, response.json()) == (200, ALL_WORKING)
    assert_public_and_plain(response)


@pytest.mark.django_db
def test_every_form_says_only_names_and_states(settings):
    assert Client().get(HEALTH, {"format": "text"}).content.decode() == (
        "database: working\ncache: working\nstorage: working\n")
    # The library's feeds and metrics would show timings and the checks' settings: they get the text.
    for form in ("openmetrics", "atom", "rss"):
        assert Client().get(HEALTH, {"format": form}).content.decode().startswith("database: working\n"), form
    page = Client().get(HEALTH, HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "系统状态" in page.content.decode() and "上传文件存储" in page.content.decode()


@pytest.mark.django_db
def test_an_unwritable_upload_folder_is_500_and_says_only_storage(settings, tmp_path, caplog):
    # A folder under a regular file cannot be made, even by root (the tests may run as root).
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.STORAGES = {**settings.STORAGES, "default": {
        **settings.STORAGES["default"], "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"],
                                                     "location": str(blocker / "uploads")}}}
    with caplog.at_level(logging.WARNING, logger="health_check"):
        response = get(HEALTH)
    assert (response.status_code, response.json()) == (500, {**ALL_WORKING, "storage": "unavailable"})
    assert_public_and_plain(response)
    # Why is for the log, not the public.
    assert "Not a directory" in caplog.text


@pytest.mark.django_db
def test_a_cache_that_does_not_answer_is_500_and_says_only_cache(settings):
    settings.CACHES = {**settings.CACHES, "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    response = get(HEALTH)
    assert (response.status_code, response.json()) == (500, {**ALL_WORKING, "cache": "unavailable"})
    assert_public_and_plain(response)
    page = Client().get(HEALTH, HTTP_ACCEPT="text/html").content.decode()
    assert "不可用" in page and "redis" not in page


@pytest.mark.django_db
def test_the_shared_cache_on_redis_works(shared):
    """The default cache on the real Redis (tests/test_shared_cache.py's fixture: skipped only where none answers)."""
    response = get(HEALTH)
    assert (response.status_code, response.json()) == (200, ALL_WORKING)


@pytest.mark.django_db
def test_the_balancer_does_not_look_at_the_outbox():
    """A mail worker that is down delays mail; it must not take every server out of the balancer."""
    queued_mail(due_minutes_ago=24 * 60)
    assert get(HEALTH).status_code == 200
    assert get(OUTBOX).status_code == 500


# --- /health/outbox/: the mail worker -----------------------------------------------------------

@pytest.mark.django_db
def test_a_mail_due_too_long_fails_the_outbox_until_it_is_sent(django_assert_num_queries):
    assert get(OUTBOX).json() == {"outbox": "working"}           # an empty outbox
    queued_mail(due_minutes_ago=29)
    assert get(OUTBOX).status_code == 200                         # within the 30 minutes
    queued_mail(due_minutes_ago=31)
    with django_assert_num_queries(1):
        response = get(OUTBOX)
    assert (response.status_code, response.json()) == (500, {"outbox": "unavailable"})
    assert_public_and_plain(response)                             # no recipient, no age, no command
    deliver_mail()                                                # the worker runs again
    assert (get(OUTBOX).status_code, Email.objects.filter(status=STATUS.sent).count()) == (200, 2)


@pytest.mark.django_db
def test_the_age_is_a_setting(settings):
    queued_mail(due_minutes_ago=11)
    assert get(OUTBOX).status_code == 200
    settings.HEALTH_OUTBOX_MAX_AGE_MINUTES = 10
    assert get(OUTBOX).status_code == 500


@pytest.mark.django_db
def test_a_mail_waiting_for_its_next_try_does_not_count():
    """A relay that refuses mail: the worker runs and requeues the mail for later — old, but not due."""
    queued_mail(due_minutes_ago=120, status=STATUS.requeued, scheduled_in_minutes=5)
    assert get(OUTBOX).status_code == 200
    # Its try due half an hour ago and not made: the worker is not running.
    email = queued_mail(due_minutes_ago=120, status=STATUS.requeued)
    Email.objects.filter(pk=email.pk).update(scheduled_time=timezone.now() - datetime.timedelta(minutes=31))
    assert get(OUTBOX).status_code == 500
    # Sent and failed mails are the worker's past, not its backlog.
    Email.objects.filter(pk=email.pk).update(status=STATUS.failed)
    assert get(OUTBOX).status_code == 200


@pytest.mark.django_db
def test_the_reason_goes_to_the_log(caplog):
    queued_mail(due_minutes_ago=45)
    with caplog.at_level(logging.WARNING, logger="health_check"):
        assert get(OUTBOX).status_code == 500
    assert "a mail has been due for 45 minutes (more than 30)" in caplog.text


# --- Public, and left alone by the rest of the stack -----------------------------------------------

@pytest.mark.django_db
def test_no_session_is_written_and_no_cookie_set():
    client = Client()
    for path in (HEALTH, OUTBOX):
        response = client.get(path)
        assert response.status_code == 200 and response.cookies == {}, path
    assert Session.objects.count() == 0 and client.cookies == {}


@pytest.mark.django_db
def test_not_behind_the_second_factor(enrolled):  # noqa: F811 - the fixture
    """An official signed in with the password only reaches no page but the code's — and the health checks."""
    client = Client()
    sign_in(client, enrolled)
    assert client.get(reverse("review_queue")).status_code == 302
    assert [client.get(path).status_code for path in (HEALTH, OUTBOX)] == [200, 200]


@pytest.mark.django_db
def test_plain_http_is_not_redirected(settings):
    """The balancer may probe a server over plain HTTP; every other page still goes to HTTPS."""
    settings.SECURE_SSL_REDIRECT = True
    assert [Client().get(path).status_code for path in (HEALTH, OUTBOX, reverse("help"))] == [200, 200, 301]
    assert Client().get(HEALTH, secure=True).status_code == 200


@pytest.mark.django_db
def test_a_balancer_probing_every_second_is_never_refused():
    """No rate limit on the way: 60 probes from one address all answer."""
    client = Client(REMOTE_ADDR="10.0.0.9")
    assert {client.get(HEALTH).status_code for _ in range(60)} == {200}

