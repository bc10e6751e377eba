"""The bases' pages: the officials' list and each base's page with CNIPA's dynamic management, and the base's own
page for its organisation's accounts. Every change is a bases.services call; outside the scope, 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from navportal.access import get_in_scope, permission_required_404
from navportal.errors import PortalError

from . import services
from .forms import AnswerForm, CloseForm, RectifyForm, RevokeForm, StatusFilterForm
from .models import BaseStatus
from .selectors import bases_for_user


@permission_required_404("bases.view_bases", methods=["GET", "HEAD"])
def base_list(request):
    """The bases the official's bureau supervises (CNIPA: all), by status and name."""
    form = StatusFilterForm(request.GET)
    rows = bases_for_user(request.user).select_related("province", "ministry").order_by("-designated_on", "name")
    if form.is_valid():
        if form.cleaned_data["status"]:
            rows = rows.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["q"]:
            rows = rows.filter(name__icontains=form.cleaned_data["q"])
    counts = dict.fromkeys(BaseStatus.values, 0)
    for status in bases_for_user(request.user).values_list("status", flat=True):
        counts[status] += 1
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "bases/list.html", {
        "form": form, "page": Paginator(rows, 50).get_page(request.GET.get("page")), "query": query.urlencode(),
        "counts": [(BaseStatus(status).label, status, n) for status, n in counts.items()]})


def _detail(request, base, status=200, **forms_):
    rectifications = list(base.rectifications.select_related("opened_by", "closed_by"))
    open_one = next((r for r in rectifications if r.is_open), None)
    return render(request, "bases/detail.html", {
        "base": base, "rectifications": rectifications, "open_rectification": open_one,
        "overdue": open_one is not None and services.rectification_overdue(open_one),
        "rectify_form": forms_.get("rectify_form") or RectifyForm(initial={"version": base.lock_version}),
        "close_form": forms_.get("close_form") or CloseForm(),
        "revoke_form": forms_.get("revoke_form") or RevokeForm(initial={"version": base.lock_version,
                                                                         "document_date": timezone.localdate()}),
    }, status=status)


def _scoped(request, pk):
    return get_in_scope(request, bases_for_user(request.user).select_related(
        "province", "ministry", "organisation", "application", "entry__notice__call"), pk)


@permission_required_404("bases.view_bases", methods=["GET", "HEAD"])
def base_detail(request, pk):
    return _detail(request, _scoped(request, pk))


def _act(request, pk, form_class, form_name, call, done):
    """A POST of one of CNIPA's forms on the base's page: the service, or the page again with the form's errors."""
    base = _scoped(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            call(base, form.cleaned_data)
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect("base_detail", pk=base.pk)
    return _detail(request, base, status=400, **{form_name: form})


@permission_required_404("bases.manage_bases", methods=["POST"])
def base_rectify(request, pk):
    return _act(request, pk, RectifyForm, "rectify_form", lambda base, data: services.rectification_open(
        actor=request.user, base_id=base.pk, reason=data["reason"], detail=data["detail"],
        deadline=data["deadline"], expected_version=data["version"]),
        _("The rectification was opened; the base was told."))


@permission_required_404("bases.manage_bases", methods=["POST"])
def base_rectification_close(request, pk):
    return _act(request, pk, CloseForm, "close_form", lambda base, data: services.rectification_close(
        actor=request.user, base_id=base.pk, note=data["note"]),
        _("The rectification was closed; the base is active again."))


@permission_required_404("bases.manage_bases", methods=["POST"])
def base_revoke(request, pk):
    return _act(request, pk, RevokeForm, "revoke_form", lambda base, data: services.base_revoke(
        actor=request.user, base_id=base.pk, document_number=data["document_number"],
        document_date=data["document_date"], reason=data["reason"], expected_version=data["version"]),
        _("The title was revoked; the public list shows the document."))


# --- The base's own page -------------------------------------------------------------------------------------------

def _own(request, status=200, answer_form=None):
    bases = list(bases_for_user(request.user).select_related("province", "ministry").prefetch_related(
        "rectifications"))
    for base in bases:
        base.open_rectification = next((r for r in base.rectifications.all() if r.is_open), None)
    return render(request, "bases/own.html", {"bases": bases, "answer_form": answer_form or AnswerForm()},
                  status=status)


@permission_required_404("bases.view_own_base", methods=["GET", "HEAD"])
def own_base(request):
    """The organisation's base: its status and designation, and a rectification to answer."""
    return _own(request)


@permission_required_404("bases.view_own_base", methods=["POST"])
def rectification_answer(request, pk):
    base = get_in_scope(request, bases_for_user(request.user), pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.rectification_answer(actor=request.user, base_id=base.pk, answer=form.cleaned_data["answer"])
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your answer went to CNIPA."))
            return redirect("own_base")
    return _own(request, status=400, answer_form=form)
