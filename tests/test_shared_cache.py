"""The shared cache (issue 17.3): CACHE_URL makes Django's cache Redis, shared by every worker and server — what one
process caches under a version, another reads. Run against the Redis on 127.0.0.1:6379, skipped only where none
answers; the embedded default stays each process's memory."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from tests.review.test_national import handed_in  # noqa: F401 - fixtures
from tests.review.test_public import cnipa, open_notice  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/3"


def _redis():
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
        client.ping()
        return client
    except Exception:  # noqa: BLE001 - any failure to reach it means: no Redis here
        return None


def in_another_process(code, **env):
    """`code` run by a new Python process with the portal's settings and `env`; its stdout."""
    clean = {k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "CACHE_KEY_PREFIX")}
    script = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'navportal.settings'; django.setup()\n" + code
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                            env={**clean, **env})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_without_cache_url_each_process_keeps_its_own():
    out = in_another_process("from django.conf import settings; print(settings.CACHES['default']['BACKEND'])")
    assert out.strip() == "django.core.cache.backends.locmem.LocMemCache"


@pytest.fixture
def shared(settings):
    """The default cache on Redis under a prefix of this test's own; (redis client, prefix)."""
    client = _redis()
    if client is None:
        pytest.skip("no Redis answers at 127.0.0.1:6379")
    prefix = f"navportal-test-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {**settings.CACHES, "default": {
        "BACKEND": "navportal.cache.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}}
    yield client, prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.mark.django_db
def test_what_one_process_caches_under_a_version_another_reads(shared, open_notice):
    client, prefix = shared
    assert Client().get(reverse("notice_current"), follow=True).status_code == 200
    keys = [key.decode() for key in client.scan_iter(f"{prefix}:*")]
    assert keys, "the public notice cached nothing in Redis"
    # Django's key: <prefix>:<version>:<key>; another process, configured as production is, reads the same entries.
    names = [key.split(":", 2)[2] for key in keys]
    out = in_another_process(
        "import json, sys; from django.core.cache import cache\n"
        f"print(json.dumps([cache.get(name) is not None for name in {names!r}]))",
        CACHE_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix)
    assert json.loads(out) == [True] * len(names)
    assert caches["default"].__class__.__name__ == "RedisCache"


def test_with_the_shared_cache_sessions_are_read_from_it_and_without_it_from_the_database():
    code = "from django.conf import settings; print(settings.SESSION_ENGINE)"
    assert in_another_process(code).strip() == "django.contrib.sessions.backends.db"
    assert in_another_process(code, CACHE_URL=REDIS_URL).strip() == "django.contrib.sessions.backends.cached_db"


@pytest.mark.django_db
def test_a_session_read_from_the_shared_cache_ends_everywhere_at_sign_out(shared, settings, applicant):
    """cached_db with Redis: the signed-in page reads the session from the cache (no session query), and after
    signing out the old cookie opens nothing — not in this process, not in another reading the same Redis."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import PASSWORD

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.SESSION_RENEW_SECONDS = 60  # as in production (the suite renews on every request)
    browser = Client()
    assert browser.post(reverse("login"), {"username": applicant.email, "password": PASSWORD}).status_code == 302
    cookie = browser.cookies["sessionid"].value
    assert browser.get(reverse("application_list")).status_code == 200  # the renewal's write, once a minute
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(reverse("application_list")).status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]

    _client, prefix = shared
    look = ("from django.core.cache import cache; from django.contrib.sessions.backends.cached_db import KEY_PREFIX; "
            f"print(cache.get(KEY_PREFIX + {cookie!r}) is not None)")

    def in_another_server():
        return in_another_process(look, CACHE_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix).strip() == "True"

    assert in_another_server()  # another server reads the same session
    stolen = Client()
    stolen.cookies["sessionid"] = cookie
    assert stolen.get(reverse("application_list")).status_code == 200
    browser.post(reverse("logout"))
    assert stolen.get(reverse("application_list")).status_code == 302  # to the sign-in
    assert not in_another_server()


def test_one_redis_client_serves_every_operation_of_a_process(shared):
    """navportal.cache: Django's RedisCache makes a new client for each operation; ours keeps one per pool, and
    everything still reads what was written (the test's own prefix, the real Redis)."""
    client, prefix = shared
    cache = caches["default"]
    assert cache._cache.get_client() is cache._cache.get_client(write=True)
    cache.set("k", {"a": 1})
    cache.set_many({"x": 1, "y": 2})
    assert cache.get("k") == {"a": 1} and cache.get_many(["x", "y"]) == {"x": 1, "y": 2}
    assert cache.incr("x") == 2
    cache.delete_many(["x", "y"])
    assert cache.get("x") is None and client.exists(f"{prefix}:1:k")
