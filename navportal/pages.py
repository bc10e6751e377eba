"""Whole pages kept in the cache for visitors without a session: the public notice and the final list, the most
requested pages, which such a visitor sees exactly as every other one does.

A visitor with no session and no pending message sees a page that depends only on its address, its language and
the content's versions: the header holds no name, no menu, no message. The one thing of the visitor's own is the
CSRF token of the language form (and of any other form), which is cut out of the kept page and put back, the
visitor's own, on every response. Anyone with a session — signed in, or an objector told where their confirmation
went — gets the page rendered for them (whose content fragments are cached all the same).

The key is what the view says the page shows (`version`: the version counters its writers move, the seal's
verdict, the clock's phase) with the address and the language; nothing is ever deleted (docs/performance.md).
"""

import hashlib
import re

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

# How long a kept page lives unless a version moves first (the cache's own limit: memory, not correctness).
PAGE_SECONDS = 600

_TOKEN = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_SLOT = b"\x00csrf\x00"


def shared(request):
    """Whether `request` comes from a visitor the kept page may be given to: a GET (or HEAD) without a session
    cookie or a pending message."""
    return (request.method in ("GET", "HEAD") and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and CookieStorage.cookie_name not in request.COOKIES)


def shared_page(request, version, render):
    """The response of render() — a view's page — kept under `version` (a list of what the page shows) for visitors
    without a session (shared()); anyone else gets render() itself. Only a 200 is kept."""
    if not shared(request):
        return render()
    parts = "|".join(map(str, [*version, get_language(), request.get_full_path()]))
    key = "page:" + hashlib.sha256(parts.encode()).hexdigest()
    kept = cache.get(key)
    if kept is None:
        response = render()
        if response.status_code != 200 or response.streaming or response.cookies.keys() - {settings.CSRF_COOKIE_NAME}:
            return response
        kept = (_TOKEN.sub(rb"\1" + _SLOT + rb"\2", response.content), response["Content-Type"])
        cache.set(key, kept, PAGE_SECONDS)
        return response
    body, content_type = kept
    if _SLOT in body:
        # Each form gets a token of this visitor's own secret, as {% csrf_token %} gives (and the CSRF middleware
        # sets the cookie, as it does for a rendered page).
        pieces = body.split(_SLOT)
        body = pieces[0] + b"".join(get_token(request).encode() + piece for piece in pieces[1:])
    return HttpResponse(body, content_type=content_type)
