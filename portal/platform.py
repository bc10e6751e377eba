"""Sign-in through a government identity platform (统一身份认证) by OpenID Connect (SPEC §10, issue 15.2–3).

Off unless settings.OIDC_RP_CLIENT_ID is set (navportal/settings.py reads the OIDC_* environment): then the login
page shows no button and both routes answer 404. The authorization-code flow with PKCE and a nonce is
mozilla-django-oidc's; the ID token's signature is checked against the platform's JWKS, its issuer and audience here.
What a sign-in leads to is this module's:

- a 法人 sign-in (the platform's claims carry a unified social credit code): the organisation of that code, if its
  contact person is the one signing in (linked before, or the same e-mail), is signed in and verified at once — the
  platform vouches for the code. An unknown code: the registration form, prefilled from the claims, the code fixed;
  the organisation it registers is verified. A code registered by someone else: refused, with the way to ask its
  bureau for a transfer (a registration again: the link it mails takes the documents).
- an official (no credit code), only when OIDC_OFFICIALS is on: matched to an existing official's account by one
  claim (OIDC_OFFICIAL_CLAIM against the account's OIDC_OFFICIAL_FIELD); officials are never created. The second
  factor still applies unless the platform asserts a certificate-level login (`acr` or `amr` in
  OIDC_CERTIFICATE_ACR): then the session counts as having passed it (navportal.second_factor).

The session that results belongs to navportal.auth.ScopedModelBackend, as after a password sign-in.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from applications.models import Organisation
from applications.organisations import organisation_verify_by_platform
from applications.validators import normalize_credit_code, validate_credit_code
from navportal.audit import audit_record
from navportal.identifiers import users_by_email
from navportal.models import OFFICIAL_ROLES, AuditResult, PlatformIdentity, Role, User
from navportal.second_factor import PLATFORM_CERTIFICATE_SESSION_KEY
from navportal.rules import needs_second_factor

# The claims of a platform sign-in whose organisation is not registered yet: the registration form's prefill.
REGISTRATION_SESSION_KEY = "platform_registration"
# Why a platform sign-in was refused, shown on the login page.
REFUSAL_SESSION_KEY = "platform_refusal"


def enabled():
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


class Refused(Exception):
    """A platform sign-in that leads to no account; the message says why and what to do."""


def _credit_code(claims):
    code = claims.get(settings.OIDC_CLAIM_CREDIT_CODE)
    if not isinstance(code, str) or not code.strip():
        return ""
    code = normalize_credit_code(code).upper()
    try:
        validate_credit_code(code)
    except ValidationError:
        raise Refused(_("The identity platform gave a credit code that is not valid: %(code)s.")
                      % {"code": code[:30]}) from None
    return code


def _text(claims, name, limit):
    value = claims.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def certificate_level(claims):
    """Whether the platform asserts a certificate-level login (an acr or amr value configured as such)."""
    asserted = set()
    for name in ("acr", "amr"):
        value = claims.get(name)
        asserted |= set(value) if isinstance(value, list) else {value}
    return bool(asserted & set(settings.OIDC_CERTIFICATE_ACR))


def _link(user, issuer, subject):
    PlatformIdentity.objects.get_or_create(issuer=issuer, subject=subject, defaults={"user": user})
    audit_record(actor=user, action="platform_link", obj=user, note=issuer)


def platform_account(*, session, issuer, subject, claims):
    """The account a platform sign-in with `claims` (ID token and userinfo) signs in, or None when the organisation
    is to be registered first (its claims are then kept in `session` for the registration form). Raises Refused.
    One transaction: the link to the platform's subject and the organisation's verification are written together."""
    linked = PlatformIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    code = _credit_code(claims)
    with transaction.atomic():
        if code:
            return _organisation_account(session, issuer, subject, claims, code, linked)
        return _official_account(issuer, subject, claims, linked)


def _organisation_account(session, issuer, subject, claims, code, linked):
    organisation = Organisation.objects.filter(credit_code=code).first()
    if linked is not None:
        user = linked.user
        if user.role != Role.APPLICANT or organisation is None or user.organisation_id != organisation.pk:
            raise Refused(_("Your platform identity is linked to another account of this portal; ask its bureau."))
    elif organisation is None:
        session[REGISTRATION_SESSION_KEY] = {
            "issuer": issuer, "subject": subject, "credit_code": code,
            "name": _text(claims, settings.OIDC_CLAIM_ORGANISATION, 200),
            "contact_name": _text(claims, settings.OIDC_CLAIM_NAME, 60),
            "email": _text(claims, settings.OIDC_CLAIM_EMAIL, 150)}
        return None
    else:
        email = _text(claims, settings.OIDC_CLAIM_EMAIL, 150)
        members = list(users_by_email(email, organisation.members.filter(is_active=True))) if email else []
        if len(members) != 1:
            raise Refused(_("%(name)s is registered with another contact person. To take over its account, register "
                            "it again: the e-mail you then receive holds the link to send its bureau the two "
                            "documents and ask it to transfer the account to you.")
                          % {"name": organisation.name})
        user = members[0]
        _link(user, issuer, subject)
    if not user.is_active:
        raise Refused(_("This account is disabled."))
    # The platform vouches for the organisation's credit code: its registration is verified at once.
    organisation_verify_by_platform(actor=user, organisation_id=user.organisation_id, issuer=issuer)
    return user


def _official_account(issuer, subject, claims, linked):
    if not settings.OIDC_OFFICIALS:
        raise Refused(_("The identity platform did not give an organisation's credit code. Officials sign in with "
                        "their password here."))
    if linked is not None and linked.user.role in OFFICIAL_ROLES:
        user = linked.user
    else:
        value = claims.get(settings.OIDC_OFFICIAL_CLAIM)
        matches = []
        if isinstance(value, str) and value.strip():
            officials = User.objects.filter(role__in=OFFICIAL_ROLES)
            # An e-mail address is encrypted: matched through its blind index (any case), as a user name is.
            matches = list((users_by_email(value, officials) if settings.OIDC_OFFICIAL_FIELD == "email"
                            else officials.filter(username__iexact=value))[:2])
        if len(matches) != 1:
            raise Refused(_("No official's account of this portal matches your platform identity. The system "
                            "administrator creates officials' accounts."))
        user = matches[0]
        _link(user, issuer, subject)
    if not user.is_active:
        raise Refused(_("This account is disabled."))
    return user


class PlatformBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, answering only the platform's callback and only while the platform is
    configured (its settings are read then, not at start-up), with the issuer and audience of the ID token checked
    and the account chosen by platform_account."""

    def __init__(self, *args, **kwargs):
        if enabled():
            super().__init__(*args, **kwargs)

    def authenticate(self, request, **kwargs):
        # The callback passes the nonce it kept; a password sign-in never does, whatever its query string holds.
        if not enabled() or request is None or "nonce" not in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if payload.get("iss") != settings.OIDC_OP_ISSUER or settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token's issuer or audience is not this portal's platform.")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        claims = {**self.get_userinfo(access_token, id_token, payload), **{
            name: payload[name] for name in ("acr", "amr") if name in payload}}
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The userinfo's subject is not the ID token's.")
        session = self.request.session
        try:
            user = platform_account(session=session, issuer=payload["iss"], subject=payload["sub"], claims=claims)
        except Refused as refused:
            session[REFUSAL_SESSION_KEY] = str(refused)
            audit_record(actor=None, action="platform_login", result=AuditResult.FAILURE, note=str(refused)[:500])
            return None
        if user is not None:
            user.platform_certificate = certificate_level(claims)
        return user

    def get_user(self, user_id):
        return None  # sessions are ScopedModelBackend's


class PlatformCallback(OIDCAuthenticationCallbackView):
    def login_success(self):
        # The session is ScopedModelBackend's, as after a password sign-in.
        self.user.backend = "navportal.auth.ScopedModelBackend"
        response = super().login_success()
        certificate = getattr(self.user, "platform_certificate", False)
        if certificate and needs_second_factor(self.user):
            # A certificate-level login is the second kind of authentication 等保 asks of officials.
            self.request.session[PLATFORM_CERTIFICATE_SESSION_KEY] = self.user.pk
        audit_record(actor=self.user, action="platform_login",
                     note="certificate-level login: second factor passed" if certificate else "")
        return response

    def login_failure(self):
        session = self.request.session
        if REGISTRATION_SESSION_KEY in session:
            messages.info(self.request, _("The identity platform confirmed your organisation's credit code. Register "
                                          "the organisation: it is verified at once."))
            return redirect("register")
        messages.error(self.request, session.pop(REFUSAL_SESSION_KEY, None) or _(
            "The sign-in through the identity platform did not succeed. Try again, or sign in with your password."))
        return redirect("login")


def platform_login(request):
    if not enabled():
        raise Http404
    return OIDCAuthenticationRequestView.as_view()(request)


def platform_callback(request):
    if not enabled():
        raise Http404
    return PlatformCallback.as_view()(request)


def pending_registration(request):
    """The claims of a platform sign-in whose organisation is to be registered, or None."""
    return request.session.get(REGISTRATION_SESSION_KEY) if enabled() else None
