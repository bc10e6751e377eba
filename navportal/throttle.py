"""Rate limits of the public forms (SPEC §7: objections, registration, password reset), counted in a shared cache.

django-ratelimit counts each limit in fixed windows in the cache named by RATELIMIT_USE_CACHE (settings: Redis
when RATELIMIT_CACHE_URL is set, so that every server process counts together; each process's memory without it).
A limit keys either on the client's address (navportal.security.client_ip: REMOTE_ADDR, or behind TRUSTED_PROXIES
the address the nearest trusted proxy saw — a client-set X-Forwarded-For never counts) or on the target a form
names (the e-mail address a mail would go to), so that neither one address nor many addresses aimed at one
mailbox can flood it. Every submission counts, accepted or refused: a refused one costs the server as much.

A view asks `throttle(request, "objection", email=...)` before it does anything else with a POST; a Refusal
becomes the form page again with status 429, what was typed still in it, and when to try again
(`throttled_response`).
"""

import dataclasses
import datetime
import math

from django.shortcuts import render
from django.utils import timezone
from django_ratelimit.core import get_usage

from .security import client_ip


@dataclasses.dataclass(frozen=True)
class Limit:
    key: str        # "ip": the client's address; "email": the address typed in the form (normalised)
    rate: str       # django-ratelimit's notation: "5/m" five a minute, "20/h" twenty an hour


# What each public form allows. Objections: one person writes a few, not thirty a minute; a notice runs five working
# days, so twenty an hour from one address (an office behind one NAT) is still far above any honest need. Mails to one
# address: a confirmation link or a reset link is asked for again when it did not arrive, rarely more than twice.
LIMITS = {
    "objection": (Limit("ip", "5/m"), Limit("ip", "20/h"), Limit("email", "5/h")),
    "registration": (Limit("ip", "5/h"), Limit("email", "3/h")),
    # The transfer request behind a registration's mailed link: documents uploaded, an account made; the link's token
    # is the gate, this limit keeps one connection from filling the disk with uploads.
    "registration_transfer": (Limit("ip", "10/h"),),
    "password_reset": (Limit("ip", "10/h"), Limit("email", "3/h")),
}


@dataclasses.dataclass(frozen=True)
class Refusal:
    form: str
    retry_after: int                # seconds until the window that refused ends

    @property
    def minutes(self):
        return max(1, math.ceil(self.retry_after / 60))

    @property
    def until(self):
        return timezone.localtime() + datetime.timedelta(seconds=self.retry_after)


def _key(kind, email):
    if kind == "ip":
        return lambda group, request: client_ip(request) or "unknown"
    normalised = (email or "").strip().lower()
    return lambda group, request: normalised


def throttle(request, form, *, email=""):
    """Count this submission of `form` against each of its limits; a Refusal when any is over, else None.

    A limit keyed on the e-mail address is skipped when none was typed (the form refuses that anyway)."""
    refused = []
    for limit in LIMITS[form]:
        if limit.key == "email" and not (email or "").strip():
            continue
        usage = get_usage(request, group=f"{form}:{limit.key}", key=_key(limit.key, email), rate=limit.rate,
                          method="POST", increment=True)
        if usage is not None and usage["should_limit"]:
            # A cache that did not answer reports time_left -1 (RATELIMIT_FAIL_OPEN off): ask for a minute.
            refused.append(max(usage["time_left"], 60))
    if refused:
        return Refusal(form, max(refused))
    return None


def throttled_response(request, template, context, refusal):
    """The form's own page again, status 429, with what was typed and when to try again (Retry-After too)."""
    response = render(request, template, {**context, "throttled": refusal}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response
