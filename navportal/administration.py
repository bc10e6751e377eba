"""The system and security administrators' work (三权分立, 等保 2.0 level 3).

- The system administrator keeps the officials' accounts: creates them (the new official sets the password
  from an e-mailed link, so no administrator ever knows it), changes their role and scope, and disables or
  re-enables any business account. Administrator accounts are outside the page: they are made at
  installation with `manage.py create_account`, so no administrator can give himself or a colleague
  another power.
- The security administrator lifts lockouts and resets a lost second factor; both end in the audit trail.
- The audit administrator only reads the trail (navportal/audit_views.py).

Every change is a service here, in one transaction, audited with from → to.
"""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record
from .errors import PortalError
from .models import ADMIN_ROLES, OFFICIAL_ROLES, Role, User

SCOPE_FIELDS = ("city", "province", "ministry")
ROLE_SCOPE = {Role.CITY: "city", Role.PROVINCE: "province", Role.MINISTRY: "ministry", Role.NATIONAL: None}


def describe(user):
    """'province:320000' — the role and scope as the audit trail records a change of them."""
    scope = user.city_id or user.province_id or user.ministry_id
    return f"{user.role}:{scope}" if scope else user.role


def set_password_link(user, site_url):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return site_url.rstrip("/") + reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def send_welcome(user, site_url):
    """The new official's e-mail: who made the account, for which role, and the link to set a password.
    Written to the outbox: call it inside the transaction that makes the account."""
    with translation.override("zh-hans"):
        context = {"user": user, "link": set_password_link(user, site_url),
                   "days": settings.PASSWORD_RESET_TIMEOUT // 86400}
        send_mail(render_to_string("administration/welcome_subject.txt", context).strip(),
                  render_to_string("administration/welcome_email.txt", context),
                  settings.DEFAULT_FROM_EMAIL, [user.email])


def _check_scope(role, scope):
    """The role's scope is given and of the right kind (a city for a city reviewer …), or the role has none."""
    field = ROLE_SCOPE.get(role)
    if field and not isinstance(scope, User._meta.get_field(field).related_model):
        raise PortalError(_("Choose the %(scope)s this official acts for.") % {
            "scope": User._meta.get_field(field).verbose_name})


def _apply_scope(user, role, scope):
    user.role = role
    for name in SCOPE_FIELDS:
        setattr(user, name, scope if ROLE_SCOPE.get(role) == name else None)


def _managed(actor, user_id, *, editable_roles):
    """The account an administrator may change: never an administrator's (his own included)."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None or user.role in ADMIN_ROLES or user.pk == actor.pk or user.role not in editable_roles:
        raise PortalError(_("This account cannot be changed here."))
    return user


def _require_role(actor, role):
    if actor.role != role:
        raise PortalError(_("Only the %(role)s may do this.") % {"role": Role(role).label})


def new_account(*, username, display_name, email, role, scope=None, actor=None, by=""):
    """An account without a usable password (its holder sets one from a link), audited as made by `actor` or,
    from the command line, by `by`. The role's scope is checked here, before the database's own check."""
    _check_scope(role, scope)
    if User.objects.filter(username__iexact=username).exists():
        raise PortalError(_("The user name %(name)s is taken.") % {"name": username})
    user = User(username=username, display_name=display_name, email=email)
    _apply_scope(user, role, scope)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise PortalError(_("The user name %(name)s is taken.") % {"name": username}) from None
    audit_record(actor=actor, username=by, action="account_create", obj=user, to_state=describe(user),
                 note=f"{username} {display_name}")
    return user


def account_create(*, actor, username, display_name, email, role, scope, site_url):
    """A new official's account; the official sets the password from the e-mailed link."""
    _require_role(actor, Role.SYSTEM_ADMIN)
    if role not in OFFICIAL_ROLES:
        raise PortalError(_("Choose the role of a reviewer or of CNIPA staff."))
    with transaction.atomic():
        user = new_account(actor=actor, username=username, display_name=display_name, email=email, role=role,
                           scope=scope)
        # Queued in the account's own transaction (navportal.mail): no account without its mail, and an SMTP
        # server that is down only delays the mail — the worker sends it when the server is back.
        send_welcome(user, site_url)
    return user


def account_update(*, actor, user_id, display_name, email, role, scope):
    """Change an official's name, e-mail, role or scope; a change of role or scope is audited as such."""
    _require_role(actor, Role.SYSTEM_ADMIN)
    if role not in OFFICIAL_ROLES:
        raise PortalError(_("Choose the role of a reviewer or of CNIPA staff."))
    _check_scope(role, scope)
    with transaction.atomic():
        user = _managed(actor, user_id, editable_roles=OFFICIAL_ROLES)
        before = describe(user)
        user.display_name, user.email = display_name, email
        _apply_scope(user, role, scope)
        user.save()
        after = describe(user)
        audit_record(actor=actor, action="role_change" if after != before else "account_update", obj=user,
                     from_state=before, to_state=after, note=user.username)
    return user


def account_set_active(*, actor, user_id, active):
    """Disable or re-enable a business account. Disabling ends the account's sessions for good (their hash no
    longer matches: signed out at the next request, and still after the account is enabled again)."""
    _require_role(actor, Role.SYSTEM_ADMIN)
    with transaction.atomic():
        user = _managed(actor, user_id, editable_roles=(Role.APPLICANT, *OFFICIAL_ROLES))
        if user.is_active == active:
            return user
        user.is_active = active
        if not active:
            user.sessions_epoch += 1
        user.save(update_fields=["is_active", "sessions_epoch"])
        states = ("disabled", "active")
        audit_record(actor=actor, action="account_enable" if active else "account_disable", obj=user,
                     from_state=states[not active], to_state=states[active], note=user.username)
    return user


def second_factor_reset(*, actor, user_id):
    """Forget a user's authenticator (lost phone or token): the next sign-in enrols a new one. Sessions that
    passed with the old one no longer count as verified (django-otp finds no device)."""
    _require_role(actor, Role.SECURITY_ADMIN)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None or user.role not in (*OFFICIAL_ROLES, *ADMIN_ROLES) or user.pk == actor.pk:
            raise PortalError(_("This account has no second factor you may reset."))
        removed, _by_model = TOTPDevice.objects.filter(user=user).delete()
        if not removed:
            raise PortalError(_("%(name)s has no authenticator to reset.") % {"name": user.username})
        audit_record(actor=actor, action="otp_reset", obj=user, from_state="enrolled", to_state="none",
                     note=user.username)
    return user


def _locked_condition(since):
    """Locked now (navportal.security.axes_failure_limit): a user name and address with 5 failures, or any attempt
    on a user name that failed 20 times from all addresses together, within the cool-off period."""
    usernames = (AccessAttempt.objects.filter(attempt_time__gte=since).values("username")
                 .annotate(total=Sum("failures_since_start"))
                 .filter(total__gte=settings.LOCKOUT_FAILURES_PER_USERNAME).values("username"))
    return Q(failures_since_start__gte=settings.LOCKOUT_FAILURES_PER_ADDRESS) | Q(username__in=usernames)


def locked_out():
    """Sign-in attempts that are locked now."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(_locked_condition(since), attempt_time__gte=since).order_by("-attempt_time")


def failing():
    """Recent failed attempts not (yet) locked, for a look at who is guessing."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(attempt_time__gte=since).exclude(_locked_condition(since)).order_by(
        "-attempt_time")


def lockout_reset(*, actor, attempt_id):
    """Lift a lockout before its 30 minutes are over (the user called and was identified)."""
    _require_role(actor, Role.SECURITY_ADMIN)
    with transaction.atomic():
        attempt = AccessAttempt.objects.select_for_update().filter(pk=attempt_id).first()
        if attempt is None:
            raise PortalError(_("This lockout has ended already."))
        # Every attempt on the user name goes: a lock of the user name itself (many addresses) lifts with it.
        AccessAttempt.objects.filter(username=attempt.username).delete()
        audit_record(actor=actor, action="lockout_reset", from_state="locked", to_state="unlocked",
                     note=f"{attempt.username} @ {attempt.ip_address}")
    return attempt
