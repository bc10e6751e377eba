"""The second factor of officials and administrators (等保 2.0 level 3 asks two kinds of authentication of
whoever administers or decides): a time-based one-time code (TOTP, RFC 6238) from an authenticator app or
token, through django-otp. It works offline; nothing is sent to a phone. Applicants sign in with their
password only.

- `SecondFactorMiddleware` sends a signed-in official whose session has not passed the second factor to
  enrol (no confirmed device yet) or to type a code, with ?next= the page asked for. Only the two pages,
  logout, the language switch, the password reset and the public health checks are reachable before.
- `otp_setup` shows the user's one pending device as a QR code and as its base32 secret, and confirms it
  with the first right code. `otp_verify` checks a code against the confirmed device.
- Wrong codes are counted in the session: the fifth in a row ends it. Across sessions django-otp's throttle
  (a delay that doubles with every failure, kept on the device until a right code) stops guessing.
"""

import base64
import hashlib
import io
from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import middleware as auth_middleware
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
import django_otp.middleware
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from .access import permission_required_404
from .audit import audit_record
from .models import AuditResult, User
from .rules import needs_second_factor

MAX_WRONG_CODES = 5
WRONG_CODES_SESSION_KEY = "otp_wrong_codes"
# A digest of the pending secret this session was shown (see totp_device_pending).
SHOWN_SESSION_KEY = "otp_setup_shown"
# Set (to the user's id) by a sign-in through the government identity platform that asserted a certificate-level
# login (settings.OIDC_CERTIFICATE_ACR, portal/platform.py): that login is the second kind of authentication.
PLATFORM_CERTIFICATE_SESSION_KEY = "platform_certificate_login"


def second_factor_passed(request):
    """Whether this session has passed the second factor: a TOTP code (django-otp), or a certificate-level sign-in
    through the identity platform. True for users without django-otp's mark (no OTPMiddleware)."""
    user = request.user
    verified = getattr(user, "is_verified", None)
    if verified is None or verified():
        return True
    return request.session.get(PLATFORM_CERTIFICATE_SESSION_KEY) == user.pk


class OTPMiddleware(django_otp.middleware.OTPMiddleware):
    """django-otp's, without its query on every request of an official: the user's query (navportal.auth) brings
    the id of their confirmed TOTP device, and a session whose device is that one needs no second look. The device
    itself is read only when a page uses it. Any other case — no such id, another device, one not confirmed —
    goes the library's way, which reads the device and drops a mark that no longer holds.

    And request.user is the user itself, not a lazy object around django-otp's lazy object around Django's: every
    page asks for the user at once (SecondFactorMiddleware, below), and each of the ~200 attribute reads of a page
    (rules, templates) went through both proxies."""

    def __call__(self, request):
        self._install_lazy_accessors(request)  # request.auser as the library makes it
        if getattr(request, "user", None) is not None:
            request.user = self._verify_user_sync(request, auth_middleware.get_user(request))
        return self.get_response(request)

    def _verify_user_sync(self, request, user):
        confirmed = getattr(user, "confirmed_totp_id", None)
        if confirmed is None or not user.is_authenticated:
            return super()._verify_user_sync(request, user)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        if persistent_id != f"{TOTPDevice.model_label()}/{confirmed}":  # as Device.persistent_id makes it
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        user.otp_device = SimpleLazyObject(lambda: TOTPDevice.objects.get(pk=confirmed))
        return user


def has_confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_url(user, next_path=""):
    """Where a user who has not passed the second factor goes: enrolment or the code, keeping ?next=."""
    url = reverse("otp_verify" if has_confirmed_device(user) else "otp_setup")
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


class SecondFactorMiddleware:
    """Officials and administrators whose session has not passed the second factor reach nothing else.

    Placed after SessionPolicyMiddleware, so that the 12-hour limit is checked first; an expired password
    is asked for only once the second factor has passed (SessionPolicyMiddleware waits for it), so that the
    password alone cannot even change the password.
    """

    # The health checks too: public, and a monitor's browser may be an official's half-signed-in one.
    ALLOWED_BEFORE = frozenset({"otp_setup", "otp_verify", "logout", "set_language", "password_reset",
                                "password_reset_done", "password_reset_confirm", "password_reset_complete",
                                "health", "health_outbox"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if needs_second_factor(user) and not second_factor_passed(request) and not self.allowed(request, user):
            return redirect(second_factor_url(user, request.get_full_path()))
        return self.get_response(request)

    def allowed(self, request, user):
        if request.path_info.startswith(settings.STATIC_URL):
            return True
        try:
            name = resolve(request.path_info).url_name
        except Resolver404:
            return False
        return name in self.ALLOWED_BEFORE


# --- Services ---------------------------------------------------------------------------------------

def totp_device_pending(*, request):
    """The user's one unconfirmed device, created on the first visit.

    Its secret is renewed whenever a session other than the one it was shown to opens the page: a secret
    seen by someone who signed in with a stolen password and then left is useless when the official
    enrols. Reloading the page in the same session keeps it, so a secret already scanned stays valid.
    """
    user = request.user
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)  # one pending device, even from two tabs
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)
        elif request.session.get(SHOWN_SESSION_KEY) != _digest(device.key):
            device.key = default_key()
            device.save(update_fields=["key"])
    request.session[SHOWN_SESSION_KEY] = _digest(device.key)
    return device


def _digest(key):
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class CodeRefused(Exception):
    """A code that did not pass; `ended` when it was the last wrong one the session allows."""

    def __init__(self, message, ended=False):
        super().__init__(message)
        self.message, self.ended = message, ended


def totp_check(*, request, device_id, code, action):
    """Check `code` against the user's device `device_id` (confirmed for otp_verify, pending for otp_setup).

    Right: a pending device is confirmed, the session is marked as passed (under a new key, as after any
    rise in privilege) and `action` is audited. Wrong, or while django-otp's throttle holds the device:
    CodeRefused with the message to show, audited as a failure; the fifth refusal in a row ends the
    session (CodeRefused.ended).
    """
    user = request.user
    with transaction.atomic():
        # Locked, so that two requests cannot both use the same code (django-otp keeps the last step used).
        device = TOTPDevice.objects.select_for_update().get(pk=device_id, user=user)
        allowed, throttle = device.verify_is_allowed()
        if allowed and device.verify_token(code):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            request.session.cycle_key()
            otp_login(request, device)
            request.session.pop(WRONG_CODES_SESSION_KEY, None)
            request.session.pop(SHOWN_SESSION_KEY, None)
            audit_record(actor=user, action=action, obj=device)
            return device
        wrong = request.session.get(WRONG_CODES_SESSION_KEY, 0) + 1
        request.session[WRONG_CODES_SESSION_KEY] = wrong
        audit_record(actor=user, action=action, obj=device, result=AuditResult.FAILURE,
                     note=f"wrong code {wrong} of {MAX_WRONG_CODES}" + ("" if allowed else ", throttled"))
    if wrong >= MAX_WRONG_CODES:
        logout(request)
        raise CodeRefused(ngettext(
            "That code was wrong %(n)d time in a row, so you have been signed out. Sign in again.",
            "That code was wrong %(n)d times in a row, so you have been signed out. Sign in again.",
            MAX_WRONG_CODES) % {"n": MAX_WRONG_CODES}, ended=True)
    if not allowed:
        seconds = max(1, int((throttle["locked_until"] - timezone.now()).total_seconds() + 0.999))
        raise CodeRefused(ngettext(
            "Too many wrong codes: wait %(seconds)d second, then type the code your app shows at that moment.",
            "Too many wrong codes: wait %(seconds)d seconds, then type the code your app shows at that moment.",
            seconds) % {"seconds": seconds})
    left = MAX_WRONG_CODES - wrong
    raise CodeRefused(ngettext(
        "That code is not right. Type the 6 digits your app shows now; after %(left)d more wrong code you "
        "will be signed out.",
        "That code is not right. Type the 6 digits your app shows now; after %(left)d more wrong codes you "
        "will be signed out.", left) % {"left": left})


# --- Views ------------------------------------------------------------------------------------------

class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("6-digit code"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True,
                                      "class": "form-control-lg font-monospace"}))

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if len(code) != 6 or not code.isascii() or not code.isdigit():
            raise forms.ValidationError(_("Type the 6 digits your authenticator app shows, without anything else."))
        return code


def _next_path(request):
    """?next= when it is a path on this site, else the home page: never a redirect to another host."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate.startswith("/") and not candidate.startswith("//") and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return reverse("home")


def _prepare(request):
    """What both pages do first (they are for officials and administrators: navportal.use_second_factor): a
    session that has passed already goes on."""
    if second_factor_passed(request):
        return redirect(_next_path(request))
    return None


def _check(request, form, device, action):
    """Validate the form and check its code. Returns (passed, redirect or None): a redirect when the code
    passed or the session has ended, else None with the refusal added to the form."""
    if not form.is_valid():
        return False, None
    try:
        totp_check(request=request, device_id=device.pk, code=form.cleaned_data["code"], action=action)
    except CodeRefused as refused:
        if refused.ended:
            messages.error(request, refused.message)
            return False, redirect("login")
        form.add_error("code", refused.message)
        return False, None
    return True, redirect(_next_path(request))


@never_cache
@permission_required_404("navportal.use_second_factor")
def otp_setup(request):
    done = _prepare(request)
    if done is not None:
        return done
    if has_confirmed_device(request.user):
        return redirect(second_factor_url(request.user, _next_path(request)))
    device = totp_device_pending(request=request)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        passed, response = _check(request, form, device, "otp_setup")
        if passed:
            messages.success(request, _("Your authenticator app is set up. From now on you sign in with your "
                                        "password and a code from it."))
        if response is not None:
            return response
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "registration/otp_setup.html", {
        "form": form, "next": _next_path(request), "qr_code": qr_data_uri(device.config_url),
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "digits": device.digits, "period": device.step, "issuer": settings.OTP_TOTP_ISSUER})


@never_cache
@permission_required_404("navportal.use_second_factor")
def otp_verify(request):
    done = _prepare(request)
    if done is not None:
        return done
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).order_by("pk").first()
    if device is None:
        return redirect(second_factor_url(request.user, _next_path(request)))
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        _passed, response = _check(request, form, device, "otp_verify")
        if response is not None:
            return response
    return render(request, "registration/otp_verify.html", {"form": form, "next": _next_path(request)})


def qr_data_uri(text):
    """A QR code of `text` as an SVG data: URI for an <img>: the Content-Security-Policy allows images from
    data: and no inline script, and an <img> never runs what an SVG holds."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=5, border=4, xmldecl=False, dark="#000",
                                     light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()

