"""CNIPA's registry pages: the list, the import template and the import. Anyone else gets a 404."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from navportal.access import permission_required_404
from navportal.errors import PortalError

from . import registry
from .models import RegistryKind


class RegistryFilterForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("category"), required=False,
                             choices=[("", gettext_lazy("All categories")), *RegistryKind.choices])
    q = forms.CharField(label=gettext_lazy("name, alias or credit code"), required=False, max_length=100)


class RegistryImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Registry sheet (.xlsx)"), widget=forms.ClearableFileInput(attrs={
        "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("“%(name)s” is %(size)s; files may be at most %(limit)s.") % {
                "name": upload.name, "size": filesizeformat(upload.size),
                "limit": filesizeformat(settings.UPLOAD_MAX_BYTES)}, code="too_large")
        try:
            self.rows = registry.parse_registry_sheet(upload)
        except PortalError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        return upload


@permission_required_404("review.manage_registry")
def registry_list(request):
    filters = RegistryFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    entries = registry.registry_entries(kind=data.get("kind", ""), q=data.get("q", ""))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for entry in page:
        entry.status = registry.registry_status(entry, today)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "review/registry_list.html", {
        "filters": filters, "page": page, "query": query.urlencode()})


@permission_required_404("review.manage_registry")
def registry_template(request):
    return registry.registry_template_response()


@permission_required_404("review.manage_registry", methods=["GET", "POST"])
def registry_import(request):
    user = request.user
    if request.method != "POST":
        return render(request, "review/registry_import.html", {"form": RegistryImportForm()})
    form = RegistryImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "review/registry_import.html", {"form": form}, status=400)
    rows = form.rows
    if any(not row.accepted for row in rows):
        return render(request, "review/registry_import.html", {
            "form": RegistryImportForm(), "rows": rows, "refused": sum(not row.accepted for row in rows)},
            status=400)
    try:
        created, updated = registry.registry_import(actor=user, rows=rows, file_name=form.cleaned_data["file"].name)
    except PortalError as exc:
        messages.error(request, exc.message)
        return render(request, "review/registry_import.html", {"form": RegistryImportForm()}, status=409)
    messages.success(request, _("Imported: %(created)d created, %(updated)d updated.")
                     % {"created": len(created), "updated": len(updated)})
    return render(request, "review/registry_import.html", {
        "form": RegistryImportForm(), "rows": rows, "imported": True})
