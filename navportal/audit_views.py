"""The audit administrator's pages: read and export the audit trail, nothing else (三权分立)."""

import datetime

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from . import xlsx
from .access import permission_required_404
from .audit import audit_record
from .audit_labels import (
    action_choices, action_label, note_text, object_choices, object_label, result_label, role_label, state_label,
)
from .identifiers import account_for
from .models import AuditEvent, AuditResult

EXPORT_LIMIT = 100_000


class AuditFilterForm(forms.Form):
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    username = forms.CharField(label=_("User name or e-mail address"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("event"), required=False)
    result = forms.ChoiceField(label=_("result"), required=False, choices=[("", _("All")), *AuditResult.choices])
    kind = forms.ChoiceField(label=_("object"), required=False)
    number = forms.CharField(label=_("object number"), required=False, max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Chosen by their names: the codes are the trail's, not the reader's.
        self.fields["action"].choices = [("", _("All")), *sorted(action_choices(), key=lambda c: str(c[1]))]
        self.fields["kind"].choices = [("", _("All")), *sorted(object_choices(), key=lambda c: str(c[1]))]

    def apply(self, events):
        if not self.is_valid():
            return events.none()
        data = self.cleaned_data
        if data["since"]:
            events = events.filter(at__gte=timezone.make_aware(datetime.datetime.combine(data["since"],
                                                                                         datetime.time.min)))
        if data["until"]:
            end = data["until"] + datetime.timedelta(days=1)
            events = events.filter(at__lt=timezone.make_aware(datetime.datetime.combine(end, datetime.time.min)))
        if data["username"]:
            # An account's lines carry its user name, opaque for a contact (navportal.identifiers): an address
            # typed here finds them through the account, and the lines written before it had one, which name it.
            typed = data["username"].strip()
            account = account_for(typed)
            found = Q(username__iexact=typed)
            if account is not None:
                found |= Q(username__iexact=account.username)
            events = events.filter(found)
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["result"]:
            events = events.filter(result=data["result"])
        if data["kind"]:
            events = events.filter(object_type=data["kind"])
        if data["number"]:
            events = events.filter(object_id=data["number"].strip())
        return events


@permission_required_404("navportal.view_audit")
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    events = form.apply(AuditEvent.objects.all()) if request.GET else AuditEvent.objects.all()
    page = Paginator(events.order_by("-id"), 50).get_page(request.GET.get("page"))
    for event in page:
        event.labels = labelled(event)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/list.html", {"form": form, "page": page, "query": query.urlencode()})


def labelled(event):
    """The event's codes in words (navportal.audit_labels): what the pages and the export show."""
    labels = {
        "action": action_label(event.action), "result": result_label(event.result), "role": role_label(event.role),
        "object": object_label(event.object_type, event.object_id),
        "from": state_label(event.from_state, event.object_type), "to": state_label(event.to_state, event.object_type),
        "note": note_text(event.note, event.action),
    }
    return {key: str(value) for key, value in labels.items()}


COLUMNS = [("时间", 18), ("用户", 18), ("角色", 10), ("IP", 16), ("事件", 22), ("结果", 8), ("对象", 28), ("原状态", 14),
           ("新状态", 14), ("备注", 40), ("哈希", 20)]


@permission_required_404("navportal.view_audit")
def audit_export(request):
    user = request.user
    form = AuditFilterForm(request.GET or None)
    events = form.apply(AuditEvent.objects.all()) if request.GET else AuditEvent.objects.all()
    audit_record(actor=user, action="audit_export", note=request.GET.urlencode()[:500])
    with translation.override("zh-hans"):
        workbook = xlsx.new_workbook()
        sheet = xlsx.Sheet(workbook, "审计日志", COLUMNS)
        for event in events.order_by("id")[:EXPORT_LIMIT].iterator(chunk_size=2000):
            labels = labelled(event)
            sheet.append([timezone.localtime(event.at), event.username, labels["role"], event.ip or "",
                          labels["action"], labels["result"], labels["object"], labels["from"], labels["to"],
                          labels["note"], event.hash[:16]])
        return xlsx.response(workbook, f"审计日志-{timezone.localdate():%Y%m%d}.xlsx")
