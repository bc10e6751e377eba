from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from navportal.access import permission_required_404
from navportal.errors import PortalError
from navportal.models import Province
from navportal.rules import is_cnipa
from review import deadlines
from review.models import Call

from .forms import ContactForm
from .models import BureauContact
from .services import CONTACT_FIELDS, contact_save

# Where the home page sends a signed-in user: the first of these pages the user may open. Every role opens
# exactly one of them (tests/test_access_matrix.py, the home row).
DESKS = [
    ("applications.apply", "application_list"),
    ("review.view_queue", "review_queue"),
    ("navportal.manage_accounts", "account_list"),
    ("navportal.manage_security", "security_home"),
    ("navportal.view_audit", "audit_list"),
]


def home(request):
    """Public: the calls for a visitor; a signed-in user goes to their desk."""
    user = request.user
    if user.is_authenticated:
        return redirect(next(name for perm, name in DESKS if user.has_perm(perm)))
    now = timezone.now()
    calls = [(call, deadlines.call_window(call, now)) for call in Call.objects.order_by("-opens_at")[:10]]
    return render(request, "home.html", {"calls": calls})


@require_safe
def help_page(request):
    """Public: how to apply — the call's notice and dates (the open one, else the newest), who may apply, the
    steps, and whom to ask (CNIPA and every provincial bureau). Three queries."""
    now = timezone.now()
    calls = list(Call.objects.order_by("-opens_at")[:5])
    call = next((c for c in calls if deadlines.call_window(c, now).is_open), calls[0] if calls else None)
    national = BureauContact.objects.filter(national=True).first()
    provinces = Province.objects.select_related("contact").order_by("code")
    return render(request, "portal/help.html", {
        "call": call, "window": deadlines.call_window(call, now) if call else None,
        "national": national, "provinces": provinces,
        "can_edit": request.user.has_perm("portal.edit_contacts")})


@permission_required_404("portal.edit_contacts")
def contact_edit(request):
    """A province keeps its own bureau's contact; CNIPA keeps its own (?unit=national, the default) and any
    province's (?unit=<province code>)."""
    user = request.user
    if is_cnipa(user):
        unit = request.GET.get("unit", "national")
        province = None if unit == "national" else Province.objects.filter(code=unit[:6]).first()
        if unit != "national" and province is None:
            raise Http404
    else:
        province = user.province
    contact = BureauContact.objects.filter(province=province, national=province is None).first()
    form = ContactForm(request.POST or None, instance=contact)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                contact_save(actor=user, province=province,
                             values={name: form.cleaned_data[name] for name in CONTACT_FIELDS})
                messages.success(request, _("The contact was saved: the help page shows it now."))
                return redirect("help")
            except PortalError as exc:
                messages.error(request, exc.message)
                status = 409
    return render(request, "portal/contact_form.html", {
        "form": form, "province": province,
        "units": Province.objects.order_by("code") if is_cnipa(user) else None}, status=status)
