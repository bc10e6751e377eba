"""Each request's id, on every log line written while it is served and in its response's X-Request-ID header,
so that what a user, nginx's access log and the portal's log say about one request can be put together.

- The id is the incoming X-Request-ID when it is well formed (nginx: `proxy_set_header X-Request-ID
  $request_id;`, 32 hex digits), else a new uuid4: a header that is too long, too short or holds anything but
  letters, digits and `-_.` is replaced, so that no client writes what it likes into the log.
- `RequestIdMiddleware` (first in settings.MIDDLEWARE, before anything that might log) keeps it in a context
  variable until the response is closed (`request_finished`), not only until the middleware returns: Django
  logs a 4xx or 5xx answer ("Not Found: …") after the last middleware, and a streamed body (an export) is
  produced after it too. `RequestIdFilter`, on the log handler, copies it onto every record.
- One access line per request (logger `navportal.request`, INFO): method, path, status, duration, the user's id
  if signed in — never a name or an address. gunicorn's own access log is off (bench/gunicorn.conf.py) and
  knows no user; nginx's knows neither the user nor the time Django took. It follows LOG_LEVEL: WARNING
  silences it, and then costs one comparison.
"""

import contextvars
import logging
import re
import time
import uuid

from django.core.signals import request_finished
from django.utils.functional import empty

from .privacy import SECRET_NAME

request_id = contextvars.ContextVar("request_id", default=None)
WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,64}")
access_log = logging.getLogger("navportal.request")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (None outside a request) on every record the handler writes."""

    def filter(self, record):
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


class RequestIdMiddleware:
    """Gives the request its id (`request.request_id`), answers it in X-Request-ID and writes the access line.

    Cheap by design (measured in docs/deployment.md): no query — the user is named only when something already
    loaded it, as SessionPolicyMiddleware does for every request that reaches it — and no work for the access
    line when its level is off.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if WELL_FORMED.fullmatch(incoming) else uuid.uuid4().hex
        request_id.set(request.request_id)  # until request_finished
        started = time.perf_counter()
        response = self.get_response(request)
        response.headers["X-Request-ID"] = request.request_id
        if access_log.isEnabledFor(logging.INFO):
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            path = logged_path(request)
            access_log.info("%s %s %s %sms", request.method, path, response.status_code, duration_ms,
                            extra={"method": request.method, "path": path, "status": response.status_code,
                                   "duration_ms": duration_ms, "user_id": user_id(request)})
        return response


def _request_finished(**kwargs):
    request_id.set(None)


request_finished.connect(_request_finished, dispatch_uid="navportal.request_id")


def user_id(request):
    """The signed-in user's id, if the request has loaded its user (never loaded here: that would be a query)."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


def logged_path(request):
    """The path without its query string, and without the values of secret URL arguments: the one-time tokens
    of the password reset, the registration and the objection's confirmation are in their paths."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    for name, value in (match.kwargs.items() if match else ()):
        if value and SECRET_NAME.fullmatch(name):
            path = path.replace(str(value), "[redacted]")
    return path
