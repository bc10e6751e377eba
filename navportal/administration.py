"""The system and security administrators' work (三权分立, 等保 2.0 level 3).

- The system administrator keeps the officials' accounts: asks for new ones, for changes of their role, scope
  and e-mail address, changes their names, and disables or re-enables any business account. Administrator
  accounts are outside the page: they are made at installation with `manage.py create_account`, so no
  administrator can give himself or a colleague another power.
- Two people for powers (SPEC §10): a new official's account and a change of an official's role, scope or
  e-mail address are requests (AccountRequest) that take effect only when a security administrator — another
  person than the one who asked — approves them. Until then nothing is applied: a requested account does not
  exist (its user name is reserved by the pending request), no mail goes out. Approving makes the account and
  sends its holder the link to set the password, or applies the change, tells the old address of a new one
  and confirms to the new one. A name change needs no approval. The one exception is the bootstrap:
  `manage.py create_account` (new_account) makes the first administrators, and an official when no system
  administrator exists yet, at once, by whoever runs the server.
- The security administrator lifts lockouts, resets a lost second factor, and approves or refuses the system
  administrator's requests; all of it ends in the audit trail.
- The audit administrator only reads the trail (navportal/audit_views.py).

Every change is a service here, in one transaction, audited with from → to (both people and both values of an
approved request). Lock order: an account before its request (account_update, account_request_approve).
"""

import hashlib
import json

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.db.models import Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record
from .cleaning import clean_model_values
from .errors import PortalError
from .identifiers import NO_AT_SIGN, is_email, users_by_email
from .models import ADMIN_ROLES, OFFICIAL_ROLES, AccountRequest, AccountRequestKind, AccountRequestState, Role, User
from .privacy import masked_email
from .notify import lazy_text, notify
from .rules import made_the_request

SCOPE_FIELDS = ("city", "province", "ministry")
# An e-mail address signs in one account and resets one password (User's user_email_unique).
EMAIL_TAKEN = gettext_lazy("Another account has this e-mail address: each account needs its own.")
ROLE_SCOPE = {Role.CITY: "city", Role.PROVINCE: "province", Role.MINISTRY: "ministry", Role.NATIONAL: None}


def describe(user):
    """'province:320000' — the role and scope as the audit trail records a change of them (of an account or of
    a request for one)."""
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


def new_account(*, username, display_name, email, role, scope=None, actor=None, by="", note=""):
    """An account without a usable password (its holder sets one from a link), audited as made by `actor` or,
    from the command line, by `by`. The role's scope is checked here, before the database's own check.

    It needs no approval: called by `manage.py create_account` (the bootstrap exception: the administrators
    themselves, at installation) and by account_request_approve, once the security administrator approved."""
    _check_scope(role, scope)
    if is_email(username):
        raise PortalError(NO_AT_SIGN, code="invalid")
    if User.objects.filter(username__iexact=username).exists():
        raise PortalError(_("The user name %(name)s is taken.") % {"name": username}, code="taken")
    if users_by_email(email).exists():
        raise PortalError(EMAIL_TAKEN, code="email_taken")
    user = User(username=username, display_name=display_name, email=email)
    _apply_scope(user, role, scope)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        if users_by_email(email).exists():
            raise PortalError(EMAIL_TAKEN, code="email_taken") from None
        raise PortalError(_("The user name %(name)s is taken.") % {"name": username}, code="taken") from None
    audit_record(actor=actor, username=by, action="account_create", obj=user, to_state=describe(user),
                 note=note or f"{username} {display_name}")
    return user


def account_digest(user):
    """What a request for a change was asked against: the account's role and scope, e-mail, name, and whether (and
    since which disabling) it may sign in. A request approved against another digest would apply a change to an
    account its requester and approver no longer see: it is refused as stale."""
    values = [user.pk, user.role, user.city_id, user.province_id, user.ministry_id, user.email, user.display_name,
              user.is_active, user.sessions_epoch]
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()


def request_note(request, **parts):
    """The audit note of a request's events: the account's user name, then `term: value` parts, in the order given
    (audit_labels.account_note puts the terms in words). Values that are pairs are written old → new."""
    items = [request.username, f"request: {request.pk}"]
    for term, value in parts.items():
        if isinstance(value, tuple):
            value = " → ".join(str(v) for v in value)
        if value not in (None, ""):
            items.append(f"{term}: {value}")
    return " · ".join(items)


def _official_role(role, scope):
    if role not in OFFICIAL_ROLES:
        raise PortalError(_("Choose the role of a reviewer or of CNIPA staff."))
    _check_scope(role, scope)


def name_taken(username):
    """A user name is taken by an account, or reserved by a pending request for one — whatever its case."""
    return (User.objects.filter(username__iexact=username).exists()
            or AccountRequest.objects.filter(kind=AccountRequestKind.CREATE, state=AccountRequestState.PENDING,
                                             username__iexact=username).exists())


def _save_request(request, refusal):
    """Insert a request; the partial unique constraints (one pending request per account, per user name) turn a
    concurrent second one into `refusal`."""
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:
        raise refusal from None
    return request


def _tell_approvers(request):
    """The security administrators are told a request awaits them (in the portal and by mail)."""
    notify(User.objects.filter(role=Role.SECURITY_ADMIN, is_active=True),
           subject=lazy_text(gettext_lazy("An account request awaits your decision: %(name)s"), name=request.username),
           body=lazy_text(gettext_lazy("%(requester)s asked for a change that takes effect only once a security "
                                       "administrator approves it. Approve or refuse it on the security pages."),
                          requester=request.requested_by.username),
           link=reverse("account_approvals"))


def _tell_requester(request):
    """The system administrator who asked is told of the decision, with the reason of a refusal."""
    if request.state == AccountRequestState.APPROVED:
        subject = lazy_text(gettext_lazy("Your account request was approved: %(name)s"), name=request.username)
        body = gettext_lazy("The security administrator approved it; it has taken effect.")
    else:
        subject = lazy_text(gettext_lazy("Your account request was refused: %(name)s"), name=request.username)
        body = lazy_text(gettext_lazy("The security administrator refused it. Reason: %(reason)s"),
                         reason=request.reason)
    notify([request.requested_by], subject=subject, body=body, link=reverse("account_requests"))


def account_request_create(*, actor, username, display_name, email, role, scope):
    """Ask for a new official's account (system administrator). Nothing is made yet: the account exists, and its
    holder gets the link to set a password, only when a security administrator approves
    (account_request_approve). The user name is reserved meanwhile against accounts and other requests.

    Errors (PortalError): not a system administrator; a role that is not an official's, or a scope of the wrong
    kind; a value its form refuses; a user name with "@"; the user name taken or reserved (code "taken"); the
    e-mail address another account's (code "email_taken")."""
    _require_role(actor, Role.SYSTEM_ADMIN)
    _official_role(role, scope)
    values = clean_model_values(AccountRequest, {"username": username, "display_name": display_name,
                                                 "email": email})
    if is_email(values["username"]):
        raise PortalError(NO_AT_SIGN, code="invalid")
    taken = PortalError(_("The user name %(name)s is taken.") % {"name": values["username"]}, code="taken")
    with transaction.atomic():
        if name_taken(values["username"]):
            raise taken
        if users_by_email(values["email"]).exists():
            raise PortalError(EMAIL_TAKEN, code="email_taken")
        request = AccountRequest(kind=AccountRequestKind.CREATE, requested_by=actor, requested_at=timezone.now(),
                                 **values)
        _apply_scope(request, role, scope)
        _save_request(request, taken)
        audit_record(actor=actor, action="account_request", obj=request, from_state="", to_state=describe(request),
                     note=request_note(request, kind=request.kind, email=request.email))
        _tell_approvers(request)
    return request


def account_update(*, actor, user_id, display_name, email, role, scope):
    """Change an official's account (system administrator): the name at once; a change of role, scope or e-mail
    address becomes a request that takes effect only once a security administrator approves it.

    Returns (account, request), request None when nothing needed approval. Errors (PortalError): not a system
    administrator; an account not an official's (or the actor's own); a role or scope refused; a request for
    this account pending already (code "pending": it is withdrawn or decided first, so that the approver
    decides on the account as it was asked); the e-mail address another account's (code "email_taken")."""
    _require_role(actor, Role.SYSTEM_ADMIN)
    _official_role(role, scope)
    values = clean_model_values(AccountRequest, {"display_name": display_name, "email": email})
    pending = PortalError(_("A change of this account awaits the security administrator's decision; withdraw it "
                            "before you edit the account again."), code="pending")
    with transaction.atomic():
        user = _managed(actor, user_id, editable_roles=OFFICIAL_ROLES)
        if AccountRequest.objects.filter(target=user, state=AccountRequestState.PENDING).exists():
            raise pending
        if users_by_email(values["email"]).exclude(pk=user.pk).exists():
            raise PortalError(EMAIL_TAKEN, code="email_taken")
        if values["display_name"] != user.display_name:
            before, user.display_name = user.display_name, values["display_name"]
            user.save(update_fields=["display_name"])
            audit_record(actor=actor, action="account_update", obj=user, note=f"{user.username} · name: {before} → "
                                                                              f"{user.display_name}")
        request = AccountRequest(kind=AccountRequestKind.CHANGE, target=user, username=user.username,
                                 display_name=user.display_name, email=values["email"], requested_by=actor,
                                 requested_at=timezone.now(), target_digest=account_digest(user))
        _apply_scope(request, role, scope)
        if describe(request) == describe(user) and request.email == user.email:
            return user, None
        _save_request(request, pending)
        email = (user.email, request.email) if request.email != user.email else ""
        audit_record(actor=actor, action="account_request", obj=request, from_state=describe(user),
                     to_state=describe(request), note=request_note(request, kind=request.kind, email=email))
        _tell_approvers(request)
    return user, request


def _decidable(actor, request_id, *, lock_account):
    """The pending request `request_id`, locked, that `actor` may decide: never one he asked for himself — roles
    are single in this schema, but the rule is about people, so it is checked by identity. With lock_account,
    its account is locked first (the lock order: an account before its request)."""
    if lock_account:
        target_id = AccountRequest.objects.filter(pk=request_id).values_list("target_id", flat=True).first()
        if target_id is not None:
            list(User.objects.select_for_update().filter(pk=target_id).values_list("pk"))
    # Only the request's row (of=self): its account, read along, was locked above when it matters, and PostgreSQL
    # cannot lock the nullable side of the outer join anyway.
    request = (AccountRequest.objects.select_for_update(of=("self",)).select_related("requested_by", "target")
               .filter(pk=request_id).first())
    if request is None:
        raise PortalError(_("This request does not exist."), code="missing")
    if made_the_request(actor, request) or request.target_id == actor.pk:
        raise PortalError(_("You asked for this change yourself: another person, the security administrator, "
                            "decides on it."), code="same_person")
    if request.state != AccountRequestState.PENDING:
        raise PortalError(_("This request was decided already: %(state)s.") % {
            "state": request.get_state_display()}, code="decided")
    return request


def _close(request, *, actor, state, reason=""):
    before = request.state
    request.state, request.reason, request.decided_at = state, reason, timezone.now()
    request.decided_by = actor if state != AccountRequestState.WITHDRAWN else None
    request.save(update_fields=["state", "reason", "decided_at", "decided_by", "target"])
    return before


def _render_mail(name, context):
    """The subject and body of mail `name` (templates/administration/<name>_subject.txt, <name>_email.txt), in
    Chinese, as the welcome mail."""
    with translation.override("zh-hans"):
        return (render_to_string(f"administration/{name}_subject.txt", context).strip(),
                render_to_string(f"administration/{name}_email.txt", context))


def _mail(name, context, to):
    subject, body = _render_mail(name, context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])


def _approve_create(actor, request, site_url):
    note = request_note(request, email=request.email, requested_by=request.requested_by.username)
    try:
        user = new_account(actor=actor, username=request.username, display_name=request.display_name,
                           email=request.email, role=request.role, scope=request.scope, note=note)
    except PortalError as error:
        if error.code == "email_taken":
            raise PortalError(_("Another account took the e-mail address of this request meanwhile: refuse it."),
                              code="stale") from None
        raise PortalError(_("The user name %(name)s was taken meanwhile: refuse this request.") % {
            "name": request.username}, code="stale") from None
    request.target = user
    # The welcome mail with the set-password link goes out now, with the approval, and not before. Inside the
    # transaction: the mail backend may be an outbox that writes its row with the change it reports.
    send_welcome(user, site_url)
    return user


def _approve_change(actor, request):
    user = request.target  # read with the request, after the account's lock: as it is now
    if user.role not in OFFICIAL_ROLES or account_digest(user) != request.target_digest:
        raise PortalError(_("The account %(name)s changed after the request was made (edited, disabled or enabled "
                            "again): this request is stale. Refuse it; the system administrator can ask again.")
                          % {"name": user.username}, code="stale")
    before_role, before_email = describe(user), user.email
    _apply_scope(user, request.role, request.scope)
    user.email = request.email
    try:
        with transaction.atomic():
            user.save(update_fields=["role", "city", "province", "ministry", "email"])  # and email_index
    except IntegrityError:
        raise PortalError(_("Another account took the e-mail address of this request meanwhile: refuse it."),
                          code="stale") from None
    requester = request.requested_by.username
    if describe(user) != before_role:
        audit_record(actor=actor, action="role_change", obj=user, from_state=before_role, to_state=describe(user),
                     note=request_note(request, requested_by=requester))
    context = {"user": user, "requester": request.requested_by, "approver": actor,
               "role_changed": describe(user) != before_role, "email_changed": user.email != before_email,
               "old_email": before_email, "new_email_masked": masked_email(user.email)}
    if user.email != before_email:
        audit_record(actor=actor, action="email_change", obj=user, note=request_note(
            request, email=(before_email, user.email), requested_by=requester))
        # The old address is told, so that a holder whose address was taken over learns of it.
        _mail("email_changed_old", context, before_email)
    # The address now in force confirms the change to the holder.
    _mail("account_changed", context, user.email)
    return user


def account_request_approve(*, actor, request_id, site_url):
    """Approve a pending request (security administrator, never the person who asked): make the account and send
    its holder the link to set a password, or apply the change of role, scope or e-mail (the old address is told,
    the new one confirms). Audited on the account (account_create, role_change, email_change: the approver as
    actor, the requester named) and on the request (account_approve), with both values.

    Errors (PortalError): not a security administrator; the request missing, decided already ("decided") or the
    actor's own ("same_person"); its account changed since it was asked, or the user name taken meanwhile
    ("stale")."""
    _require_role(actor, Role.SECURITY_ADMIN)
    with transaction.atomic():
        request = _decidable(actor, request_id, lock_account=True)
        if request.kind == AccountRequestKind.CREATE:
            user = _approve_create(actor, request, site_url)
        else:
            user = _approve_change(actor, request)
        before = _close(request, actor=actor, state=AccountRequestState.APPROVED)
        audit_record(actor=actor, action="account_approve", obj=request, from_state=before,
                     to_state=request.state, note=request_note(request, requested_by=request.requested_by.username,
                                                               account=describe(user)))
        _tell_requester(request)
    return request


def account_request_refuse(*, actor, request_id, reason):
    """Refuse a pending request, with a reason the system administrator sees (security administrator, never the
    person who asked). Nothing of the request is applied; a new account's user name is free again.

    Errors (PortalError): as account_request_approve, and a missing or refused reason ("invalid")."""
    _require_role(actor, Role.SECURITY_ADMIN)
    reason = clean_model_values(AccountRequest, {"reason": reason})["reason"]
    if not reason:
        raise PortalError(_("Give the reason for the refusal: the system administrator reads it."), code="invalid")
    with transaction.atomic():
        request = _decidable(actor, request_id, lock_account=False)
        before = _close(request, actor=actor, state=AccountRequestState.REFUSED, reason=reason)
        audit_record(actor=actor, action="account_refuse", obj=request, from_state=before, to_state=request.state,
                     note=request_note(request, requested_by=request.requested_by.username, reason=reason))
        _tell_requester(request)
    return request


def account_request_withdraw(*, actor, request_id):
    """Withdraw one's own pending request (system administrator): nothing of it is applied; a new account's user
    name is free again, and the account can be edited again.

    Errors (PortalError): not a system administrator; the request missing, someone else's or decided already."""
    _require_role(actor, Role.SYSTEM_ADMIN)
    with transaction.atomic():
        request = AccountRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None or not made_the_request(actor, request):
            raise PortalError(_("This request does not exist."), code="missing")
        if request.state != AccountRequestState.PENDING:
            raise PortalError(_("This request was decided already: %(state)s.") % {
                "state": request.get_state_display()}, code="decided")
        before = _close(request, actor=actor, state=AccountRequestState.WITHDRAWN)
        audit_record(actor=actor, action="account_withdraw", obj=request, from_state=before, to_state=request.state,
                     note=request_note(request))
    return request


def pending_requests():
    """The security administrator's queue: every pending request, oldest first, with what its page shows."""
    return (AccountRequest.objects.filter(state=AccountRequestState.PENDING)
            .select_related("requested_by", "target__city__province", "target__province", "target__ministry",
                            "city__province", "province", "ministry").order_by("requested_at", "pk"))


def requests_of(actor):
    """The system administrator's own requests: pending ones first, then the decided ones, newest first."""
    return (AccountRequest.objects.filter(requested_by=actor)
            .select_related("decided_by", "target__city__province", "target__province", "target__ministry",
                            "city__province", "province", "ministry")
            .order_by(models.Case(models.When(state=AccountRequestState.PENDING, then=0), default=1),
                      "-requested_at", "-pk"))


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
