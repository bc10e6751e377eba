"""Forms of the public pages: the objection (异议) and the final list's filters.

The objection form checks what a form can: presence, formats and the files' real content. Whether an
objection is accepted — the period, the base still on the list, the signature matching the name — is
national.objection_submit's decision.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from applications.uploads import ALL_TYPES, PDF, check_upload
from navportal.privacy_rules import acknowledgement_field

from .models import ObjectorKind
from .validators import PHONE_PATTERN



class ObjectionForm(forms.Form):
    kind = forms.ChoiceField(label=_("I object as"), choices=ObjectorKind.choices, widget=forms.RadioSelect,
                             initial=ObjectorKind.PERSON)
    name = forms.CharField(label=_("Full name (of the person or the organisation)"), max_length=200)
    phone = forms.CharField(
        label=_("Telephone"), max_length=20,
        help_text=_("A mainland mobile number (11 digits) or a landline with its area code, e.g. 010-12345678."),
        validators=[RegexValidator(PHONE_PATTERN, _("This is not a valid mobile or landline number."))],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    email = forms.EmailField(label=_("E-mail"), max_length=254,
                             help_text=_("You will be told the outcome at this address."),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    reasons = forms.CharField(label=_("Reasons for the objection"), max_length=10000,
                              widget=forms.Textarea(attrs={"rows": 8}))
    evidence = forms.FileField(label=_("Evidence (optional)"), required=False,
                               help_text=_("One PDF, JPG or PNG file."))
    # A person signs; an organisation sends its letter bearing the official seal.
    signature = forms.CharField(label=_("Signature"), max_length=60, required=False,
                                help_text=_("Type your full name, exactly as given above, to sign."))
    declaration = forms.BooleanField(label=_("I declare that the information I give is true and I take "
                                             "responsibility for it."), required=False)
    letter = forms.FileField(label=_("Letter bearing the official seal (PDF)"), required=False,
                             help_text=_("A scan of the organisation's signed and sealed letter, as one PDF file."))
    privacy = acknowledgement_field(_("I have read the personal information rules: they say who sees my name, "
                                      "telephone and e-mail address, and for how long they are kept."))

    def clean_phone(self):
        return re.sub(r"\s+", "", self.cleaned_data["phone"])

    def clean_evidence(self):
        evidence = self.cleaned_data.get("evidence")
        if evidence:
            check_upload(evidence, ALL_TYPES)
        return evidence

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        # Only the part for the chosen kind is sent on: a file picked, then abandoned, for the other kind is not.
        if kind == ObjectorKind.PERSON:
            data["letter"] = None
            if not (data.get("signature") or "").strip():
                self.add_error("signature", _("Sign by typing your full name."))
            if not data.get("declaration"):
                self.add_error("declaration", _("Declare that the information is true."))
        elif kind == ObjectorKind.ORGANISATION:
            data["signature"], data["declaration"] = "", False
            letter = data.get("letter")
            if not letter:
                if "letter" not in self.errors:
                    self.add_error("letter", _("Upload the organisation's letter bearing the official seal (PDF)."))
            else:
                try:
                    check_upload(letter, (PDF,))
                except ValidationError as exc:
                    self.add_error("letter", exc)
        return data


class BasesFilterForm(forms.Form):
    province = forms.ChoiceField(label=_("Province"), required=False)
    industry = forms.CharField(label=_("Key industry"), required=False, max_length=50)
    q = forms.CharField(label=_("Name of the base"), required=False, max_length=50)

    def __init__(self, *args, provinces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [("", _("All provinces")), *[(p, p) for p in provinces]]

    def apply(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["province"]:
            queryset = queryset.filter(province_name=data["province"])
        if data["industry"].strip():
            queryset = queryset.filter(industry__icontains=data["industry"].strip())
        if data["q"].strip():
            queryset = queryset.filter(name__icontains=data["q"].strip())
        return queryset
