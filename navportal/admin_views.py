"""Pages of the system administrator (accounts and roles, and his requests for them) and the security
administrator (lockouts, second factors, the requests to approve). The services are in
navportal/administration.py; each page is for one role (navportal.manage_accounts, navportal.manage_security,
navportal.approve_accounts), 404 for every other."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import administration as admin
from .access import permission_required_404
from .errors import PortalError
from .fields import blind_index_values
from .forms import CityField, choose_prompt
from .identifiers import NO_AT_SIGN, is_email
from .models import ADMIN_ROLES, OFFICIAL_ROLES, AccountRequest, AccountRequestState, Ministry, Province, Role, User
from .security import PASSWORD_MAX_AGE, SESSION_ABSOLUTE
from .text import apply_text_rules

ROLE_CHOICES = [(role.value, role.label) for role in OFFICIAL_ROLES]
SCOPE_LABELS = {Role.CITY: gettext_lazy("A city reviewer acts for one city: choose it."),
                Role.PROVINCE: gettext_lazy("A provincial reviewer acts for one province: choose it."),
                Role.MINISTRY: gettext_lazy("A ministry reviewer acts for one ministry: choose it.")}


class AccountForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("user name"), max_length=150,
                               validators=[UnicodeUsernameValidator()],
                               help_text=gettext_lazy("Letters, digits and . + - _ only; it cannot be changed."))
    display_name = forms.CharField(label=gettext_lazy("name"), max_length=60,
                                   help_text=gettext_lazy("The person and the bureau, as colleagues will see it."))
    email = forms.EmailField(label=gettext_lazy("e-mail"),
                             help_text=gettext_lazy("The link to set the password is sent here."))
    role = forms.ChoiceField(label=gettext_lazy("role"), choices=ROLE_CHOICES)
    province = forms.ModelChoiceField(label=gettext_lazy("province"), required=False,
                                      queryset=Province.objects.order_by("code"))
    city = CityField(label=gettext_lazy("city"), required=False)
    ministry = forms.ModelChoiceField(label=gettext_lazy("ministry"), required=False,
                                      queryset=Ministry.objects.order_by("code"))

    def __init__(self, *args, account=None, **kwargs):
        if account is not None:
            kwargs.setdefault("initial", {
                "display_name": account.display_name, "email": account.email, "role": account.role,
                "province": account.province_id or (account.city.province_id if account.city_id else None),
                "city": account.city_id, "ministry": account.ministry_id})
        super().__init__(*args, **kwargs)
        choose_prompt(self)
        if account is not None:
            del self.fields["username"]

    def clean_username(self):
        username = self.cleaned_data["username"]
        if is_email(username):
            raise forms.ValidationError(NO_AT_SIGN)
        if admin.name_taken(username):
            raise forms.ValidationError(_("The user name %(name)s is taken.") % {"name": username})
        return username

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        field = admin.ROLE_SCOPE.get(role)
        if field and not cleaned.get(field):
            self.add_error(field, SCOPE_LABELS[role])
        city, province = cleaned.get("city"), cleaned.get("province")
        if role == Role.CITY and city and province and city.province_id != province.pk:
            self.add_error("city", _("This city is not in the chosen province."))
        cleaned["scope"] = cleaned.get(field) if field else None
        return cleaned


class AccountFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=254,
                        help_text=gettext_lazy("user name, name, or a whole e-mail address"))
    role = forms.ChoiceField(label=gettext_lazy("role"), required=False,
                             choices=[("", gettext_lazy("All")), *Role.choices])


def _site_url(request):
    """The portal's address for the links in mails: one setting, never the request's Host header."""
    return settings.SITE_URL + "/"


def _accounts(data):
    form = AccountFilter(data or None)
    users = User.objects.select_related("city__province", "province", "ministry", "organisation").annotate(
        change_pending=Exists(AccountRequest.objects.filter(target=OuterRef("pk"), state=AccountRequestState.PENDING))
    ).order_by("role", "username")
    if form.is_valid():
        if form.cleaned_data["q"]:
            q = form.cleaned_data["q"].strip()
            # An e-mail address is encrypted: found only whole, through its blind index (any case); the user name
            # and the name as before, by a part.
            found = Q(username__icontains=q) | Q(display_name__icontains=q)
            if is_email(q):
                found |= Q(email_index__in=blind_index_values(q))
            users = users.filter(found)
        if form.cleaned_data["role"]:
            users = users.filter(role=form.cleaned_data["role"])
    return form, users


@permission_required_404("navportal.manage_accounts")
def account_list(request):
    form, users = _accounts(request.GET)
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "administration/account_list.html", {
        "form": form, "page": page, "query": query.urlencode(), "admin_roles": ADMIN_ROLES,
        "official_roles": OFFICIAL_ROLES,
        "pending": AccountRequest.objects.filter(requested_by=request.user, state=AccountRequestState.PENDING).count()})


def _account_form(request, actor, account=None):
    """The account form, for a new official (account None) or an existing one: 400 with the form's messages,
    409 with the service's refusal, everything typed kept either way."""
    form = AccountForm(request.POST or None, account=account)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            fields = {"display_name": data["display_name"], "email": data["email"], "role": data["role"],
                      "scope": data["scope"]}
            try:
                if account is None:
                    asked = admin.account_request_create(actor=actor, username=data["username"], **fields)
                else:
                    _user, asked = admin.account_update(actor=actor, user_id=account.pk, **fields)
            except PortalError as exc:
                form.add_error(None, exc.message)
                status = 409
            else:
                if asked is None:
                    messages.success(request, _("The account %(name)s was saved.") % {"name": account.username})
                    return redirect("account_list")
                messages.success(request, _(
                    "Your request for %(name)s awaits the security administrator's approval: nothing changes "
                    "before it.") % {"name": asked.username})
                return redirect("account_requests")
    pending = account is not None and AccountRequest.objects.filter(
        target=account, state=AccountRequestState.PENDING).exists()
    return render(request, "administration/account_form.html", {"form": form, "account": account,
                                                                 "pending_request": pending}, status=status)


@permission_required_404("navportal.manage_accounts")
def account_create(request):
    return _account_form(request, request.user)


@permission_required_404("navportal.manage_accounts")
def account_edit(request, pk):
    actor = request.user
    account = User.objects.select_related("city__province", "province", "ministry").filter(pk=pk).first()
    if account is None or account.role not in OFFICIAL_ROLES or account.pk == actor.pk:
        raise Http404
    return _account_form(request, actor, account)


@permission_required_404("navportal.manage_accounts", methods=["POST"])
def account_active(request, pk):
    actor = request.user
    account = User.objects.filter(pk=pk).exclude(role__in=ADMIN_ROLES).exclude(pk=actor.pk).first()
    if account is None:
        raise Http404
    active = request.POST.get("active") == "1"
    try:
        admin.account_set_active(actor=actor, user_id=account.pk, active=active)
    except PortalError as exc:
        messages.error(request, exc.message)
        return redirect("account_list")
    messages.success(request, (_("%(name)s can sign in again.") if active else
                               _("%(name)s is disabled and signed out.")) % {"name": account.username})
    return redirect("account_list")


@permission_required_404("navportal.manage_accounts")
def account_requests(request):
    """The system administrator's own requests: the pending ones (to withdraw), then the decided ones."""
    asked = list(admin.requests_of(request.user)[:100])
    for item in asked:
        # A pending change shows the account as it is now beside what is asked; a decided one only what was asked.
        item.show_now = item.target_id is not None and item.state == AccountRequestState.PENDING
    return render(request, "administration/account_requests.html", {"requests": asked})


@permission_required_404("navportal.manage_accounts", methods=["POST"])
def account_request_withdraw(request, pk):
    get_object_or_404(AccountRequest.objects.filter(requested_by=request.user), pk=pk)
    try:
        asked = admin.account_request_withdraw(actor=request.user, request_id=pk)
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your request for %(name)s was withdrawn: nothing of it was applied.")
                         % {"name": asked.username})
    return redirect("account_requests")


# --- The security administrator -------------------------------------------------------------------------


class UserSearch(forms.Form):
    q = forms.CharField(label=gettext_lazy("Find an official or administrator"), required=False, max_length=60,
                        help_text=gettext_lazy("user name or name"))


@permission_required_404("navportal.manage_security")
def security_home(request):
    actor = request.user
    search = UserSearch(request.GET or None)
    found = []
    if search.is_valid() and search.cleaned_data["q"].strip():
        q = search.cleaned_data["q"].strip()
        found = list(
            User.objects.filter(role__in=(*OFFICIAL_ROLES, *ADMIN_ROLES))
            .filter(Q(username__icontains=q) | Q(display_name__icontains=q)).exclude(pk=actor.pk)
            .select_related("city", "province", "ministry")
            .annotate(enrolled=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"))))
            .order_by("username")[:20])
    return render(request, "administration/security.html", {
        "pending": AccountRequest.objects.filter(state=AccountRequestState.PENDING).count(),
        "search": search, "found": found, "locked": list(admin.locked_out()[:100]),
        "failing": list(admin.failing()[:100]),
        "policy": {"failure_limit": settings.LOCKOUT_FAILURES_PER_ADDRESS,
                   "username_limit": settings.LOCKOUT_FAILURES_PER_USERNAME,
                   "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
                   "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
                   "absolute_hours": int(SESSION_ABSOLUTE.total_seconds() // 3600),
                   "password_days": PASSWORD_MAX_AGE.days}})


def _security_action(request, work, done):
    """A security administrator's POST: the service, then its message (or the refusal's), back to the page."""
    try:
        result = work(request.user)
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done(result))
    return redirect("security_home")


@permission_required_404("navportal.manage_security", methods=["POST"])
def lockout_reset(request, pk):
    return _security_action(
        request, lambda actor: admin.lockout_reset(actor=actor, attempt_id=pk),
        lambda attempt: _("%(name)s may sign in again from %(ip)s.") % {"name": attempt.username,
                                                                        "ip": attempt.ip_address})


@permission_required_404("navportal.manage_security", methods=["POST"])
def second_factor_reset(request, pk):
    return _security_action(
        request, lambda actor: admin.second_factor_reset(actor=actor, user_id=pk),
        lambda user: _("The authenticator of %(name)s was reset: a new one is enrolled at the next sign-in.")
        % {"name": user.username})


# --- The security administrator: approving the system administrator's requests -----------------------------


class RefuseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason for the refusal (the system administrator reads it)"),
                             max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        apply_text_rules(self, AccountRequest)


def _approvals(request, refusing=None, status=200):
    """The queue: each pending request with the account as it is now, whether it changed since the request (then
    only a refusal is left), and its refusal form — bound, with what was typed, for the one being refused."""
    queue = list(admin.pending_requests().annotate(
        name_taken=Exists(User.objects.filter(username__iexact=OuterRef("username")))))
    for asked in queue:
        asked.stale = (asked.target_id is not None and admin.account_digest(asked.target) != asked.target_digest) or (
            asked.target_id is None and asked.name_taken)
        asked.refuse_form = refusing[1] if refusing and refusing[0] == asked.pk else RefuseForm(
            auto_id=f"refuse-{asked.pk}-%s")
    return render(request, "administration/approvals.html", {"queue": queue}, status=status)


@permission_required_404("navportal.approve_accounts")
def account_approvals(request):
    return _approvals(request)


@permission_required_404("navportal.approve_accounts", methods=["POST"])
def account_request_approve(request, pk):
    get_object_or_404(AccountRequest, pk=pk)
    try:
        asked = admin.account_request_approve(actor=request.user, request_id=pk, site_url=_site_url(request))
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Approved: the request for %(name)s is in effect.") % {"name": asked.username})
    return redirect("account_approvals")


@permission_required_404("navportal.approve_accounts", methods=["POST"])
def account_request_refuse(request, pk):
    get_object_or_404(AccountRequest, pk=pk)
    form = RefuseForm(request.POST, auto_id=f"refuse-{pk}-%s")
    if form.is_valid():
        try:
            asked = admin.account_request_refuse(actor=request.user, request_id=pk, reason=form.cleaned_data["reason"])
        except PortalError as exc:
            form.add_error(None, exc.message)
            return _approvals(request, (pk, form), status=409)
        messages.success(request, _("Refused: nothing of the request for %(name)s was applied.")
                         % {"name": asked.username})
        return redirect("account_approvals")
    return _approvals(request, (pk, form), status=400)
