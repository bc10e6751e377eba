from django import forms
from django.utils.translation import gettext_lazy as _

from applications.forms import DateInput
from navportal.bounds import date_bounds

from .models import RectificationReason


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    q = forms.CharField(label=_("Name contains"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        from .models import BaseStatus

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *BaseStatus.choices]


class RectifyForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=RectificationReason.choices, widget=forms.RadioSelect)
    detail = forms.CharField(label=_("What the base must put right (the base reads it)"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(label=_("Answer by"), widget=DateInput(), validators=date_bounds())
    version = forms.IntegerField(widget=forms.HiddenInput)


class CloseForm(forms.Form):
    note = forms.CharField(label=_("CNIPA's conclusion (the base reads it)"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class RevokeForm(forms.Form):
    document_number = forms.CharField(label=_("Revoking document number"), max_length=100)
    document_date = forms.DateField(label=_("Document date"), widget=DateInput(), validators=date_bounds())
    reason = forms.CharField(label=_("Reason (the base reads it; the public list shows the document)"),
                             max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(label=_("I confirm: this base's title is revoked by this document"))
    version = forms.IntegerField(widget=forms.HiddenInput)


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("What the base has put right"), max_length=8000,
                             widget=forms.Textarea(attrs={"rows": 5}))
