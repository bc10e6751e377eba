from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from applications.enums import ApplicantType

from .models import Call


class QueueFilterForm(forms.Form):
    call = forms.ModelChoiceField(label=_("call"), queryset=Call.objects.all(), required=False,
                                  empty_label=_("All calls"))
    state = forms.ChoiceField(label=_("state"), required=False)
    applicant_type = forms.ChoiceField(label=_("applicant type"), required=False,
                                       choices=[("", _("All types")), *ApplicantType.choices])
    industry = forms.CharField(label=_("industry"), required=False, max_length=50)
    q = forms.CharField(label=_("name or credit code"), required=False, max_length=50)

    def __init__(self, *args, states=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("All states")), *[(s.value, s.label) for s in states]]

    def apply(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["call"]:
            queryset = queryset.filter(call=data["call"])
        if data["state"]:
            queryset = queryset.filter(state=data["state"])
        if data["applicant_type"]:
            queryset = queryset.filter(applicant_type=data["applicant_type"])
        if data["industry"]:
            queryset = queryset.filter(industry_fields__icontains=data["industry"])
        if data["q"]:
            term = data["q"].strip()
            queryset = queryset.filter(Q(name__icontains=term) | Q(organisation__credit_code=term.upper()))
        return queryset
