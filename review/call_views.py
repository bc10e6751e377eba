"""CNIPA's calls, and a province's own deadline for its applicants."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from navportal.access import permission_required_404
from navportal.errors import PortalError

from . import deadlines
from .calls import CALL_FIELDS, call_save, province_deadline_set
from .forms import CallForm, ProvinceDeadlineForm
from .models import Call, ProvinceDeadline


@permission_required_404("review.manage_calls")
def call_list(request):
    now = timezone.now()
    return render(request, "review/call_list.html", {
        "calls": [(call, deadlines.call_window(call, now)) for call in Call.objects.order_by("-opens_at")]})


@permission_required_404("review.manage_calls")
def call_edit(request, pk=None):
    user = request.user
    call = get_object_or_404(Call, pk=pk) if pk is not None else None
    # Once a package exists the quotas and exempt categories are fixed (call_save refuses a change): shown,
    # not offered.
    fixed = call is not None and call.packages.exists()
    form = CallForm(request.POST if request.method == "POST" else None, instance=call, fixed=fixed)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = call_save(actor=user, call_id=pk, values={f: form.cleaned_data[f] for f in CALL_FIELDS})
                messages.success(request, _("The call was saved."))
                return redirect("call_edit", pk=saved.pk)
            except PortalError as exc:
                messages.error(request, exc.message)
                status = 409
        else:
            status = 400
    return render(request, "review/call_edit.html", {"form": form, "call": call, "fixed": fixed}, status=status)


@permission_required_404("review.set_province_deadline")
def province_deadline(request):
    user = request.user
    now = timezone.now()
    # A province sets its own deadline in a call whose deadline has not passed (open or not open yet).
    calls = [call for call in Call.objects.order_by("deadline") if not deadlines.call_window(call, now).passed]
    own = {d.call_id: d.deadline for d in ProvinceDeadline.objects.filter(province_id=user.province_id)}
    bound_call, status = None, 200
    if request.method == "POST":
        wanted = request.POST.get("call", "")
        if not (wanted.isdigit() and len(wanted) <= 18):
            raise Http404
        bound_call = next((call for call in calls if str(call.pk) == wanted), None)
        if bound_call is None:
            raise Http404
        form = ProvinceDeadlineForm(request.POST, prefix=str(bound_call.pk))
        if form.is_valid():
            try:
                province_deadline_set(actor=user, call=bound_call, deadline=form.cleaned_data["deadline"])
                messages.success(request, _("The deadline for your applicants was saved."))
                return redirect("province_deadline")
            except PortalError as exc:
                messages.error(request, exc.message)
                status = 409
        else:
            status = 400
    rows = []
    for call in calls:
        if bound_call is not None and call.pk == bound_call.pk:
            rows.append((call, form))
        else:
            rows.append((call, ProvinceDeadlineForm(prefix=str(call.pk), initial={
                "deadline": timezone.localtime(own[call.pk]) if call.pk in own else None})))
    return render(request, "review/province_deadline.html", {"rows": rows}, status=status)
