"""Forms of the applicant's side. They check input types only; rules live in services and validators."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from navportal.forms import CityField, choose_prompt
from navportal.models import Ministry, Province, User
from navportal.privacy_rules import RULES_VERSION, acknowledgement_field
from navportal.text import apply_text_rules

from .enums import Affiliation, AttachmentKind, DocumentKind, ExemptCategory
from .models import Application, Organisation, ServiceRecord, StaffMember
from .sections import PERSONAL_FIELDS, PERSONAL_ROWS, SECTION_BY_KEY
from .selectors import identity_fixed
from .uploads import ALL_TYPES, PDF, check_upload
from .validators import (
    MAX_ROWS, MAX_YEARS, SERVICE_FIELDS, STAFF_FIELDS, check_password, check_place, clean_login_email,
    normalize_credit_code, sensible_years,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _check_place(form, cleaned):
    """The services' rule (validators.check_place) on the form's values, its refusals shown at their fields."""
    try:
        ministry = check_place(province=cleaned.get("province"), city=cleaned.get("city"),
                               affiliation=cleaned.get("affiliation"), ministry=cleaned.get("ministry"))
    except ValidationError as exc:
        for name, errors in exc.error_dict.items():
            form.add_error(name, errors)
    else:
        cleaned["ministry"] = ministry


class RegistrationForm(forms.Form):
    """An organisation registers itself together with its contact person's account."""

    name = forms.CharField(label=_("organisation name"), max_length=200)
    credit_code = forms.CharField(label=_("unified social credit code"), max_length=30,
                                  help_text=_("18 characters, as on the business licence or registration certificate."))
    applicant_type = forms.ChoiceField(label=_("applicant type"), choices=Organisation._meta.get_field(
        "applicant_type").choices)
    affiliation = forms.ChoiceField(label=_("affiliation"), choices=Affiliation.choices)
    ministry = forms.ModelChoiceField(label=_("ministry"), queryset=Ministry.objects.all(), required=False,
                                      help_text=_("Only for units affiliated with a central ministry."))
    province = forms.ModelChoiceField(label=_("province"), queryset=Province.objects.all())
    city = CityField(label=_("city"))
    contact_name = forms.CharField(label=_("contact person"), max_length=60)
    # The address becomes the user name, which holds 150 characters.
    email = forms.EmailField(label=_("e-mail"), max_length=150, help_text=_("You log in with this address."))
    password1 = forms.CharField(label=_("password"), strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}), help_text=_("At least 8 characters, not only digits."))
    password2 = forms.CharField(label=_("password again"), strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}))
    privacy = acknowledgement_field(_("I have read the personal information rules."))

    def __init__(self, *args, vouched=None, **kwargs):
        """vouched: the claims of an identity platform's sign-in (portal.platform): they prefill the form, and the
        credit code the platform vouched for cannot be changed."""
        super().__init__(*args, **kwargs)
        apply_text_rules(self, Organisation, {"name": "name"})
        apply_text_rules(self, User, {"contact_name": "display_name"})
        choose_prompt(self)
        if vouched:
            for name in ("name", "credit_code", "contact_name", "email"):
                if vouched.get(name):
                    self.initial[name] = vouched[name]
            self.fields["credit_code"].disabled = True
            self.fields["credit_code"].help_text = _("Confirmed by the government identity platform.")

    def clean_credit_code(self):
        # A credit code registered already is no refusal, and whether the code or the address is registered is not
        # said here (SPEC §7): the answer is a mail to the address given, which for a registered code offers to ask
        # its bureau to transfer the organisation's account (services.registration_request, SPEC §10).
        code = normalize_credit_code(self.cleaned_data["credit_code"]).upper()
        Organisation._meta.get_field("credit_code").run_validators(code)
        return code

    def clean_email(self):
        return clean_login_email(self.cleaned_data["email"])

    def clean(self):
        cleaned = super().clean()
        _check_place(self, cleaned)
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                check_password(p1, email=cleaned.get("email", ""), contact_name=cleaned.get("contact_name", ""))
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


def document_fields():
    """The two registration documents (SPEC §10), checked by content like every upload; optional on the form."""
    return {
        DocumentKind.AUTHORISATION: AttachmentField(label=DocumentKind.AUTHORISATION.label, help_text=_(
            "Sealed by the organisation, naming you as its contact person (PDF, JPG or PNG).")),
        DocumentKind.LICENCE: AttachmentField(label=DocumentKind.LICENCE.label, help_text=_("PDF, JPG or PNG.")),
    }


class DocumentsForm(forms.Form):
    """The registration documents: on the organisation's page, or with a transfer request (the link mailed to whoever
    registered a registered credit code)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(document_fields())

    def uploads(self):
        """{kind: (upload, content type)} of the files that passed their checks."""
        return {kind: (self.cleaned_data[kind], self.cleaned_data[kind].checked_content_type) for kind in DocumentKind
                if self.cleaned_data.get(kind)}


class WithdrawForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500)


class PledgeForm(forms.Form):
    pledge = forms.BooleanField(label=_(
        "I undertake that everything entered in this application is true, accurate and complete, and I take "
        "responsibility for its truthfulness."), error_messages={"required": _("Tick the pledge to continue.")})


def _draft(form):
    # Drafts save without required-field checks: the eligibility check at submission names what is missing.
    for field in form.fields.values():
        field.required = False


IDENTITY_FIELDS = ("name", "applicant_type", "affiliation", "province", "city")
FIXED_PLACE_FIELDS = ("province", "city", "ministry")
# Where the unit stands, in pairs stored only together, so that no save pairs a province with another
# province's city, or a ministry affiliation with no ministry (validators.check_place).
PLACE_PAIRS = (("province", "city"), ("affiliation", "ministry"))

WIDGETS = {
    "department_founded": DateInput(),
    "exempt_document_date": DateInput(),
    "local_base_document_date": DateInput(),
    "declaration_date": DateInput(),
    "date": DateInput(),
}


class SectionForm(forms.ModelForm):
    personal_rows = False  # the section's table names people (section_form_class)

    class Meta:
        model = Application
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _draft(self)
        apply_text_rules(self)
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 3
        if "city" in self.fields:
            self.fields["city"] = CityField(label=self.fields["city"].label)
            if self.instance.city_id:
                self.initial.setdefault("city", self.instance.city_id)
        # Who the applicant is and where it stands decide scope and routing: never empty, even in a draft.
        for name in IDENTITY_FIELDS:
            if name in self.fields:
                self.fields[name].required = True
        # Once the organisation has submitted, its place is its own and fixed (SPEC §4): shown, not offered.
        if "province" in self.fields and self.instance.pk and identity_fixed(self.instance.organisation):
            for name in FIXED_PLACE_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "Fixed since your organisation's first submission. To change it, write to your provincial "
                    "intellectual property office (for a ministry: CNIPA).")
        choose_prompt(self)
        _explicit_claims(self)
        # Personal data is stored only once the applicant acknowledged the rules as they stand (asked until then).
        if PERSONAL_FIELDS.intersection(self._meta.fields) or self.personal_rows:
            if self.instance.privacy_version != RULES_VERSION:
                self.fields["privacy"] = acknowledgement_field(_(
                    "I have read the personal information rules and told the people named in this application what "
                    "they say about their data."))
                self.fields["privacy"].required = False  # a draft saves without it what holds no personal data

    @property
    def acknowledged(self):
        """The rules' version the page's tick box acknowledged, else None (call after is_valid())."""
        return RULES_VERSION if self.cleaned_data.get("privacy") else None

    def clean(self):
        cleaned = super().clean()
        if "ministry" in self.fields and self.fields["ministry"].disabled and \
                cleaned.get("affiliation") == Affiliation.MINISTRY:
            cleaned["ministry"] = self.instance.organisation.ministry
        if "city" in self.fields:
            _check_place(self, cleaned)
        return cleaned

    def savable_values(self):
        """The values a draft save stores: every field the form accepted (call after is_valid()).

        A refused field keeps its error and what the user typed, and is not stored. The place is stored in
        pairs (PLACE_PAIRS): when one of a pair is refused, the other is withheld too and told why — unless it
        was left empty and is not asked (the ministry of a unit not affiliated with one) — so that the page
        names exactly what was not stored.
        """
        withheld = set()
        for pair in PLACE_PAIRS:
            names = [name for name in pair if name in self.fields and not self.fields[name].disabled]
            refused = [name for name in names if name in self.errors]
            if not refused:
                continue
            withheld.update(names)
            for name in names:
                asked = name != "ministry" or self.data.get(self.add_prefix("affiliation")) == Affiliation.MINISTRY \
                    or self.data.get(self.add_prefix(name))
                if name not in self.errors and asked:
                    self.add_error(name, _("Not saved: it is saved together with “%(other)s”, which needs "
                                           "correcting.") % {"other": self.fields[refused[0]].label})
        return {name: self.cleaned_data[name] for name in self._meta.fields
                if name in self.cleaned_data and name not in withheld}


def _explicit_claims(form):
    """Section 6 asks each claim as a choice with "no claim" spelt out, instead of an empty select and an
    unticked box that leave the applicant wondering whether the answer was recorded."""
    if "exempt_category" in form.fields:
        field = form.fields["exempt_category"]
        field.choices = [("", _("No exemption claimed (counts against the province's quota)")),
                         *ExemptCategory.choices]
        field.widget = forms.RadioSelect(choices=field.choices)
    if "local_base" in form.fields:
        old = form.fields["local_base"]
        form.fields["local_base"] = forms.TypedChoiceField(
            label=old.label, required=False, widget=forms.RadioSelect, empty_value=False,
            coerce=lambda value: value in (True, "True"),
            choices=[(False, _("No priority claimed")),
                     (True, _("Priority claimed: we are a designated local patent navigation service base"))])


def section_form_class(section_key):
    section = SECTION_BY_KEY[section_key]
    widgets = {name: WIDGETS[name] for name in section.fields if name in WIDGETS}
    form = forms.modelform_factory(Application, form=SectionForm, fields=section.fields, widgets=widgets)
    form.personal_rows = section.rows in PERSONAL_ROWS
    return form


class RowForm(forms.ModelForm):
    """One row of a table; rendered bare in a table cell, so it carries its own classes and labels."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _draft(self)
        apply_text_rules(self)
        for field in self.fields.values():
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 2
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
            field.widget.attrs.setdefault("aria-label", str(field.label))
        choose_prompt(self)


class StaffForm(RowForm):
    class Meta:
        model = StaffMember
        fields = STAFF_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The model's range and wording (validators.sensible_years), not the form's own check of the column.
        years = self.fields["years"]
        years.validators = list(sensible_years)
        years.widget.attrs.update(min=0, max=MAX_YEARS)


class ServiceForm(RowForm):
    class Meta:
        model = ServiceRecord
        fields = SERVICE_FIELDS
        widgets = {"date": DateInput()}


ROW_FORMS = {"staff": StaffForm, "services": ServiceForm}


def row_formset_class(rows_name, extra=0):
    return forms.formset_factory(ROW_FORMS[rows_name], extra=extra, can_delete=True, max_num=MAX_ROWS,
                                 validate_max=True)


def formset_rows(formset):
    """The rows for the service (call after is_valid()): the forms not marked for deletion, in page order, each
    with the cells its form accepted — a refused cell is left empty, keeps its error and what the user typed on
    the page, and is not stored. The service stores empty cells as its columns want them and drops the rows
    left blank (validators.clean_rows). None — the table stays as it is — when the table as a whole is refused
    (more rows than allowed, a tampered management form): formset.non_form_errors() says why."""
    if formset.non_form_errors():
        return None
    return [{name: form.cleaned_data.get(name) for name in form._meta.fields} for form in formset.forms
            if not (formset.can_delete and form.cleaned_data.get("DELETE"))]


class AttachmentField(forms.FileField):
    def __init__(self, *, allowed=ALL_TYPES, **kwargs):
        self.allowed = allowed
        super().__init__(required=False, **kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload:
            upload.checked_content_type = check_upload(upload, self.allowed)
        return upload


ATTACHMENT_FIELDS = {
    AttachmentKind.EXEMPTION_DOCUMENT: lambda: AttachmentField(
        label=_("Designation document of the exempt category (PDF, JPG or PNG)")),
    AttachmentKind.LOCAL_BASE_DOCUMENT: lambda: AttachmentField(
        label=_("Document designating the local base (PDF, JPG or PNG)")),
    AttachmentKind.SEALED_SCAN: lambda: AttachmentField(
        allowed=(PDF,), label=_("Sealed application form, scanned (PDF)")),
}


class AttachmentsForm(forms.Form):
    """The upload fields of one section; each valid file is stored even if the rest of the page is not."""

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        for kind in kinds:
            self.fields[kind] = ATTACHMENT_FIELDS[kind]()

    def valid_uploads(self):
        """(kind, upload) for every field whose file passed its checks, whatever the other fields did."""
        self.is_valid()
        return [(kind, self.cleaned_data[kind]) for kind in self.fields
                if kind not in self.errors and self.cleaned_data.get(kind)]
