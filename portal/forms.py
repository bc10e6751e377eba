from django import forms
from django.utils.translation import gettext_lazy as _

from navportal.text import apply_text_rules

from .models import BureauContact, DataRequestKind


class ContactForm(forms.ModelForm):
    class Meta:
        model = BureauContact
        fields = ["office", "phone", "email", "address"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        apply_text_rules(self)


class CorrectionForm(forms.Form):
    """An applicant's request to correct the people's data of one of its submitted applications."""

    application = forms.TypedChoiceField(label=_("Application"), coerce=int)
    text = forms.CharField(label=_("What is wrong, and what it should say"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, applications=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].choices = [(a.pk, f"{a.name} · {a.call.title}") for a in applications]


class ObjectorRequestForm(forms.Form):
    """An objector's request about what is held about them, named by their objection."""

    reference = forms.CharField(label=_("Reference number of the objection"), max_length=20)
    email = forms.EmailField(label=_("E-mail address the objection was sent from"), max_length=254)
    kind = forms.ChoiceField(label=_("I want to"), choices=DataRequestKind.choices, widget=forms.RadioSelect,
                             initial=DataRequestKind.ACCESS)
    text = forms.CharField(label=_("What is wrong, and what it should say (for a correction)"), max_length=4000,
                           required=False, widget=forms.Textarea(attrs={"rows": 4}))


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
