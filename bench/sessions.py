"""Signed-in sessions made on the server, for load tools: what the sign-in and second-factor pages leave in a
session, written straight into the session store — no password typed, no TOTP code computed, and nothing in the
portal weakened. Only for a benchmark database (run by bench/run.py and bench/burst.py)."""

import secrets
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from navportal.second_factor import needs_second_factor


def signed_in(user):
    """(session key, CSRF secret) of a fresh session of `user`, with the second factor passed for officials."""
    # Made by the servers' own engine (cached_db with CACHE_URL), so that it is stored where theirs are, the cache
    # too, and a measured request reads it as a signed-in user's would: not as a cache miss, nor from a store the
    # servers do not read.
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = "navportal.auth.ScopedModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["signed_in_at"] = timezone.now().timestamp()
    if needs_second_factor(user):
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    # The CSRF cookie holds the unmasked secret; Django accepts the same 32 characters back in the form.
    return session.session_key, secrets.token_hex(16)
