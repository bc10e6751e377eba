import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from applications.enums import State
from applications.selectors import applications_for_user
from navportal.access import get_in_scope
from navportal.throttle import throttle, throttled_response

from navportal.access import permission_required_404
from navportal.errors import PortalError
from navportal.models import Province
from navportal.privacy_rules import RULES_VERSION, retention
from navportal.rules import is_cnipa
from review import deadlines
from review.models import Call

from . import data_requests
from .forms import AnswerForm, ContactForm, CorrectionForm, ObjectorRequestForm
from .models import BureauContact, DataRequest
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


@require_safe
def privacy_rules(request):
    """Public: the 个人信息处理规则 (个人信息保护法 Art. 17) — who handles which personal information, why, who sees
    it, how long it is kept (the periods in settings, which the retention command applies) and how to ask for it
    or its correction. Every form that collects personal information links here and asks for its acknowledgement.
    No query."""
    return render(request, "portal/privacy.html", {"version": RULES_VERSION, **retention()})


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


# --- Personal information: access and correction (个人信息保护法 Art. 44–46, portal.data_requests) -----------------

@permission_required_404("portal.request_personal_data")
def personal_data(request):
    """The applicant's page about its people's data: the export of everything held, the requests made and their
    answers, and the request to correct a submitted application (a draft the applicant corrects on its form)."""
    user = request.user
    posted = request.method == "POST"
    submitted = list(applications_for_user(user).exclude(state__in=[State.DRAFT, State.RETURNED])
                     .select_related("call").order_by("-pk"))
    form = CorrectionForm(request.POST if posted else None, applications=submitted)
    if posted and form.is_valid():
        try:
            data_requests.correction_request(actor=user, application_id=form.cleaned_data["application"],
                                             text=form.cleaned_data["text"])
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your request went to the bureau holding the application. It answers within "
                                        "fifteen working days, here and by e-mail."))
            return redirect("personal_data")
    requests = DataRequest.objects.filter(application__organisation_id=user.organisation_id).select_related(
        "application")
    return render(request, "portal/personal_data.html", {"form": form, "submitted": submitted,
                                                         "requests": requests}, status=400 if posted else 200)


@permission_required_404("portal.request_personal_data", methods=["GET", "HEAD"])
def personal_data_export(request):
    """Everything held about the organisation's people, machine-readable (JSON, UTF-8). Audited."""
    data = data_requests.personal_data_export(actor=request.user)
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="personal-data.json"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def objector_data_request(request):
    """Public: an objector asks CNIPA to show or correct what is held about them. The page answers the same whether
    or not the reference number and the address match an objection (portal.data_requests.objector_request)."""
    posted = request.method == "POST"
    form = ObjectorRequestForm(request.POST if posted else None)
    if posted:
        refusal = throttle(request, "objection", email=request.POST.get("email", ""))
        if refusal:
            return throttled_response(request, "portal/objector_request.html", {"form": form}, refusal)
        if form.is_valid():
            try:
                data_requests.objector_request(**form.cleaned_data)
            except PortalError as exc:
                form.add_error(None, exc.message)
            else:
                return render(request, "portal/objector_request_sent.html")
    return render(request, "portal/objector_request.html", {"form": form}, status=400 if posted else 200)


@permission_required_404("portal.answer_data_requests")
def data_request_list(request):
    """The requests about personal information the bureau holds, open ones first, each with its answer form."""
    rows = data_requests.requests_for_user(request.user).select_related(
        "application", "objection", "answered_by").order_by("-answered_at", "-created_at")
    return render(request, "portal/data_requests.html", {"rows": rows[:200], "form": AnswerForm()})


@permission_required_404("portal.answer_data_requests", methods=["POST"])
def data_request_answer(request, pk):
    get_in_scope(request, data_requests.requests_for_user(request.user), pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["answer"]))
        return redirect("data_requests")
    try:
        data_requests.data_request_answer(actor=request.user, request_id=pk, answer=form.cleaned_data["answer"])
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The answer was sent."))
    return redirect("data_requests")
