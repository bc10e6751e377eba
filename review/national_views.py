"""CNIPA's pages: the national dashboard, the public notice's management, objections."""

from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.enums import State
from applications.forms import DateInput
from applications.models import Application
from navportal.access import permission_required_404
from navportal.audit import audit_record
from navportal.bounds import date_bounds
from navportal.errors import PortalError
from navportal.files import private_download

from . import deadlines, national, previews
from .confirm import confirm_or_preview, render_preview
from .models import Call, Notice, Objection, ObjectionDecision
from .progress import unit_progress, unit_totals, units_over_quota


def _call(request):
    calls = list(Call.objects.order_by("-opens_at"))
    if not calls:
        raise Http404
    wanted = request.GET.get("call")
    call = next((c for c in calls if str(c.pk) == wanted), calls[0])
    return call, calls


def dashboard_rows(call):
    """One row per recommending unit with the counts CNIPA follows (review.progress), and the totals. Two
    queries."""
    progress = unit_progress(call)
    top = max([row.received for row in progress] + [1])
    # The links, reversed once and filled in per row: a {% url %} per cell was a third of the page's rendering.
    package_link = reverse("package_detail", args=[0]).replace("/0/", "/{}/")
    queue_link = f"{reverse('review_queue')}?call={call.pk}&state=&{{}}={{}}"
    rows = [{"kind": row.kind, "unit": row.body, "package": row.package, "received": row.received, "city": row.city,
             "desk": row.desk, "recommended": row.recommended, "counted": row.counted, "exempt": row.exempt,
             "over": row.over, "handed_in": row.hand_in, "quota": row.quota, "bar": round(100 * row.received / top),
             "package_link": package_link.format(row.package.pk) if row.package else "",
             "queue_link": queue_link.format(row.kind, row.body.pk)}
            for row in progress]
    return rows, unit_totals(progress)


@permission_required_404("review.view_dashboard")
def dashboard(request):
    call, calls = _call(request)
    # The figures and their rendering are cached under the call's progress_version, which the one writer moves
    # with every state change and claim check of the call's applications and review.services with every change
    # of a package's standing; the call's own version (its title, deadline) and the calls offered; the language.
    # The figures are worked out only on a miss.
    progress = SimpleLazyObject(lambda: dashboard_figures(call))
    version = [call.pk, call.progress_version, get_language(), *[(c.pk, c.version) for c in calls]]
    return render(request, "review/dashboard.html", {
        "fragment_version": "|".join(map(str, version)), "progress": progress, "call": call, "calls": calls})


def dashboard_figures(call):
    rows, totals = dashboard_rows(call)
    return {"rows": rows, "totals": totals, "over_quota": [r for r in rows if r["over"]],
            "late": sum(r["handed_in"] == deadlines.LATE for r in rows),
            "handed_in": sum(r["handed_in"] != deadlines.NOT_HANDED_IN for r in rows)}


@permission_required_404("review.view_dashboard")
def national_summary(request):
    from .national_exports import national_summary_response

    user = request.user
    call, _calls = _call(request)
    audit_record(actor=user, action="national_summary_export", obj=call)
    return national_summary_response(call, user)


# --- The notice ----------------------------------------------------------------------------------

class PublishForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Notice text"), widget=forms.Textarea(attrs={"rows": 6}))
    contact = forms.CharField(label=gettext_lazy("How to object (address, telephone, e-mail)"),
                              widget=forms.Textarea(attrs={"rows": 3}))


class DatesForm(forms.Form):
    starts_on = forms.DateField(label=gettext_lazy("Notice starts"), widget=DateInput(), validators=date_bounds())
    ends_on = forms.DateField(label=gettext_lazy("Notice ends"), widget=DateInput(), validators=date_bounds())


class FinalForm(forms.Form):
    document_number = forms.CharField(label=gettext_lazy("Confirming document number"), max_length=100)
    document_date = forms.DateField(label=gettext_lazy("Document date"), widget=DateInput(),
                                    validators=date_bounds())


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), widget=forms.RadioSelect, choices=[
        (ObjectionDecision.UPHELD, ObjectionDecision.UPHELD.label),
        (ObjectionDecision.DISMISSED, ObjectionDecision.DISMISSED.label)])
    note = forms.CharField(label=gettext_lazy("Reasons (the objector is told)"), widget=forms.Textarea(attrs={"rows": 3}))


DEFAULT_NOTICE_TEXT = ("根据《国家知识产权局办公室关于面向重点产业组织开展国家级专利导航服务基地建设工作的通知》，经各地方和有关部门推荐、"
                       "我局复核，拟确定以下单位为国家级专利导航服务基地，现予以公示。公示期间，任何单位或个人如有异议，"
                       "可以书面形式实名提出，并提供必要的证明材料。")


def _notice_context(call, **forms_):
    notice = Notice.objects.filter(call=call).first()
    context = {"call": call, "notice": notice, **forms_}
    if notice is None:
        context.update(
            pending=Application.objects.filter(call=call, state__in=State.PENDING_RECHECK).count(),
            passing=Application.objects.filter(call=call, state=State.RECHECK_PASSED).count(),
            over_quota=units_over_quota(call),
            publish_form=forms_.get("publish_form") or PublishForm(initial={
                "text": DEFAULT_NOTICE_TEXT, "contact": "联系电话：010-XXXXXXXX\n电子邮箱：navigation@cnipa.gov.cn（示例）"}))
    else:
        # Only confirmed objections exist for CNIPA (an unconfirmed one is nobody's business but its sender's).
        entries = list(notice.entries.annotate(objection_count=Count(
            "objections", filter=Q(objections__confirmed_at__isnull=False))).order_by("number"))
        context.update(
            # The list's seal, verified on the entries just read (all of them, removed ones too).
            entries=entries, verdict=notice.verify(entries), is_open=deadlines.notice_is_open(notice, timezone.now()),
            objections=list(Objection.objects.confirmed().filter(entry__notice=notice).select_related("entry")),
            dates_form=forms_.get("dates_form") or DatesForm(initial={"starts_on": notice.starts_on,
                                                                      "ends_on": notice.ends_on}),
            final_form=forms_.get("final_form") or FinalForm(initial={"document_date": timezone.localdate()}))
    return context


@permission_required_404("review.manage_notice")
def notice_manage(request, call_id):
    call = get_object_or_404(Call, pk=call_id)
    return render(request, "review/notice_manage.html", _notice_context(call))


def _notice_post(request, call_id, form_name, form, work, done):
    call = get_object_or_404(Call, pk=call_id)
    if form.is_valid():
        try:
            work(call, form.cleaned_data)
            messages.success(request, done)
            return redirect("notice_manage", call_id=call.pk)
        except PortalError as exc:
            messages.error(request, exc.message)
            status = 409
    else:
        status = 400
    return render(request, "review/notice_manage.html", _notice_context(call, **{form_name: form}), status=status)


def _notice_id(call):
    notice = Notice.objects.filter(call=call).first()
    if notice is None:
        raise PortalError(_("The proposed list of this call has not been published."), code="state")
    return notice.pk


@permission_required_404("review.manage_notice", methods=["POST"])
def notice_publish(request, call_id):
    call = get_object_or_404(Call, pk=call_id)
    form = PublishForm(request.POST)
    if not form.is_valid() or "edit" in request.POST:
        return render(request, "review/notice_manage.html", _notice_context(call, publish_form=form),
                      status=200 if form.is_valid() else 400)
    data = form.cleaned_data

    def preview(status):
        plan = previews.publish_plan(call, text=data["text"], contact=data["contact"])
        return render_preview(request, plan, title=_("Preview: publishing the proposed list"),
                              action=reverse("notice_publish", args=[call.pk]), status=status, call=call,
                              hidden={name: request.POST.get(name, "") for name in ("text", "contact")},
                              back=reverse("notice_manage", args=[call.pk]))
    return confirm_or_preview(request, preview, lambda confirmed: national.notice_publish(
        actor=request.user, call=call, text=data["text"], contact=data["contact"], confirmed=confirmed),
        _("The proposed list is published; the public notice is open."), reverse("notice_manage", args=[call.pk]))


@permission_required_404("review.manage_notice", methods=["POST"])
def notice_dates(request, call_id):
    return _notice_post(request, call_id, "dates_form", DatesForm(request.POST), lambda call, data:
                        national.notice_confirm_dates(actor=request.user, notice_id=_notice_id(call),
                                                      starts_on=data["starts_on"], ends_on=data["ends_on"]),
                        _("The notice dates are confirmed."))


@permission_required_404("review.manage_notice", methods=["POST"])
def notice_final(request, call_id):
    call = get_object_or_404(Call, pk=call_id)
    form = FinalForm(request.POST)
    notice = Notice.objects.filter(call=call).first()
    if not form.is_valid() or notice is None:
        if notice is None:
            messages.error(request, _("The proposed list of this call has not been published."))
        return render(request, "review/notice_manage.html", _notice_context(call, final_form=form),
                      status=400 if not form.is_valid() else 409)
    data = form.cleaned_data

    def preview(status):
        plan = previews.final_plan(notice, document_number=data["document_number"],
                                   document_date=data["document_date"])
        return render_preview(request, plan, title=_("Preview: confirming the final list"),
                              action=reverse("notice_final", args=[call.pk]), status=status, call=call,
                              hidden={name: request.POST.get(name, "") for name in ("document_number",
                                                                                      "document_date")},
                              back=reverse("notice_manage", args=[call.pk]))
    return confirm_or_preview(request, preview, lambda confirmed: national.final_confirm(
        actor=request.user, notice_id=notice.pk, document_number=data["document_number"],
        document_date=data["document_date"], confirmed=confirmed),
        _("The list is confirmed: the bases are designated."), reverse("notice_manage", args=[call.pk]))


@permission_required_404("review.manage_notice")
def notice_export(request, call_id, which):
    from .national_exports import final_list_response, proposed_list_response

    user = request.user
    notice = get_object_or_404(Notice, call_id=call_id)
    if which not in ("proposed", "final") or (which == "final" and not notice.is_final):
        raise Http404
    try:
        response = proposed_list_response(notice) if which == "proposed" else final_list_response(notice)
    except PortalError as exc:  # a list changed outside the portal is not handed out (the page says why)
        messages.error(request, exc.message)
        return redirect("notice_manage", call_id=call_id)
    audit_record(actor=user, action=f"{which}_list_export", obj=notice)
    return response


# --- Objections ----------------------------------------------------------------------------------

@permission_required_404("review.manage_objections")
def objection_detail(request, pk, form=None, status=200):
    objection = get_object_or_404(Objection.objects.confirmed().select_related("entry", "entry__notice", "decided_by"),
                                  pk=pk)
    return render(request, "review/objection.html", {
        "objection": objection, "form": form or DecideForm()}, status=status)


@permission_required_404("review.manage_objections", methods=["POST"])
def objection_decide(request, pk):
    """Dismissing is recorded at once; upholding (the base leaves the list) is previewed first."""
    form = DecideForm(request.POST)
    if not form.is_valid():
        return objection_detail(request, pk, form=form, status=400)
    data = form.cleaned_data
    objection = get_object_or_404(Objection.objects.confirmed().select_related("entry", "entry__notice"), pk=pk)
    decide = lambda confirmed: national.objection_decide(  # noqa: E731
        actor=request.user, objection_id=pk, decision=data["decision"], note=data["note"], confirmed=confirmed)
    done = _("The decision was recorded and the objector told.")
    if data["decision"] != ObjectionDecision.UPHELD:
        try:
            decide(None)
        except PortalError as exc:
            messages.error(request, exc.message)
            return objection_detail(request, pk, form=form, status=409)
        messages.success(request, done)
        return redirect("objection_detail", pk=pk)

    def preview(status):
        objection.refresh_from_db()
        plan = previews.objection_plan(objection, decision=data["decision"], note=data["note"])
        return render_preview(request, plan, title=_("Preview: upholding the objection"),
                              action=reverse("objection_decide", args=[pk]), status=status, objection=objection,
                              call=objection.entry.notice.call,
                              hidden={name: request.POST.get(name, "") for name in ("decision", "note")},
                              back=reverse("objection_detail", args=[pk]))
    return confirm_or_preview(request, preview, decide, done, reverse("objection_detail", args=[pk]))


@permission_required_404("review.manage_objections")
def objection_file(request, pk, which):
    user = request.user
    objection = get_object_or_404(Objection.objects.confirmed(), pk=pk)
    if which not in ("letter", "evidence") or not getattr(objection, which):
        raise Http404
    audit_record(actor=user, action="objection_file_download", obj=objection, note=which)
    file = getattr(objection, which)
    return private_download(file, f"{which}-{objection.pk}{PurePath(file.name).suffix}")

