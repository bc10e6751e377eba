from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from applications.enums import ApplicantType, ClaimStatus, ExemptCategory
from applications.sections import SECTIONS
from applications.uploads import PDF, check_upload

from navportal.bounds import datetime_bounds
from navportal.compiled import CompiledQuery
from navportal.models import Ministry, Province
from navportal.text import apply_text_rules

from .models import Call
from .validators import CALL_FIELDS, FIXED_ONCE_PACKAGES, call_limits, check_call_dates, exempt_categories_value


class QueueFilterForm(forms.Form):
    """The queue's filters. The call (and, for CNIPA's drill-down from the dashboard, the province and ministry:
    other reviewers' scope is one unit already, and they have no such fields) are chosen by id among the rows the
    compiled CHOICES read on every queue page — no queryset copied with each form, none asked again to check the
    choice."""

    call = forms.TypedChoiceField(label=_("call"), coerce=int, empty_value=None, required=False)
    state = forms.ChoiceField(label=_("state"), required=False)
    applicant_type = forms.ChoiceField(label=_("applicant type"), required=False,
                                       choices=[("", _("All types")), *ApplicantType.choices])
    industry = forms.CharField(label=_("industry"), required=False, max_length=50)
    q = forms.CharField(label=_("name or credit code"), required=False, max_length=50)
    province = forms.TypedChoiceField(label=_("province"), coerce=int, empty_value=None, required=False)
    ministry = forms.TypedChoiceField(label=_("ministry"), coerce=int, empty_value=None, required=False)

    EMPTY_LABELS = {"call": _("All calls"), "province": _("All provinces"), "ministry": _("All ministries")}

    def __init__(self, *args, states=(), units=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("All states")), *[(s.value, s.label) for s in states]]
        if not units:
            del self.fields["province"], self.fields["ministry"]
        # The choices read now, one query each: with the query string, the role and the language they are
        # everything the rendered form shows — the version of its cached fragment (templates/review/queue.html).
        self.choices = []
        for name in ("call", *(("province", "ministry") if units else ())):
            choices = [(obj.pk, str(obj)) for obj in CHOICES[name].list()]
            self.fields[name].choices = [("", self.EMPTY_LABELS[name]), *choices]
            self.choices.append(choices)

    def state_alone(self):
        """The state filtered on ("" for every state) when it is the only filter set, else None: the queue as it
        opens, the desk's state and nothing else (review.selectors.queue_first_page)."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        if any(data.get(name) for name in self.fields if name != "state"):
            return None
        return data["state"]

    def apply(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["call"]:
            queryset = queryset.filter(call_id=data["call"])
        if data["state"]:
            queryset = queryset.filter(state=data["state"])
        if data["applicant_type"]:
            queryset = queryset.filter(applicant_type=data["applicant_type"])
        if data["industry"]:
            queryset = queryset.filter(industry_fields__icontains=data["industry"])
        if data.get("province"):
            queryset = queryset.filter(province_id=data["province"]).exclude(route="ministry")
        if data.get("ministry"):
            queryset = queryset.filter(ministry_id=data["ministry"], route="ministry")
        if data["q"]:
            term = data["q"].strip()
            queryset = queryset.filter(Q(name__icontains=term) | Q(organisation__credit_code=term.upper()))
        return queryset


# The queue's choices, read on every queue page: each model's rows in its order, compiled once (navportal.compiled).
CHOICE_QUERYSETS = {"call": Call.objects.all(), "province": Province.objects.all(), "ministry": Ministry.objects.all()}
CHOICES = {name: CompiledQuery(lambda _value, queryset=queryset: queryset.all(), f"queue_{name}_choices")
           for name, queryset in CHOICE_QUERYSETS.items()}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason (the applicant sees it)"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=2000)


class ConsentForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class TakeBackForm(forms.Form):
    reason = forms.CharField(label=_("Why the decision is taken back (recorded in the decision trail)"),
                             widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ReturnForm(ReasonForm):
    sections = forms.MultipleChoiceField(
        label=_("Sections to revise (optional)"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(s.key, f"{s.number}. {s.title}") for s in SECTIONS])


class RecommendForm(forms.Form):
    opinion = forms.CharField(label=_("Recommendation opinion"), widget=forms.Textarea(attrs={"rows": 3}),
                              max_length=2000)
    score = forms.DecimalField(label=_("Score (optional, 0–100)"), required=False, min_value=0, max_value=100,
                               max_digits=5, decimal_places=1)


class ClaimForm(forms.Form):
    status = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        (ClaimStatus.VERIFIED, _("Verified")), (ClaimStatus.REJECTED, _("Rejected"))])
    note = forms.CharField(label=_("Note (required when rejecting)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class JustificationForm(forms.Form):
    justification = forms.CharField(
        label=_("Justification"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when a non-priority applicant is ranked above a verified local base; CNIPA reads it."))


class LetterForm(forms.Form):
    letter = forms.FileField(label=_("Sealed recommendation letter (PDF)"))

    def clean_letter(self):
        upload = self.cleaned_data["letter"]
        check_upload(upload, (PDF,))
        return upload


class RankForm(forms.Form):
    order = forms.CharField(max_length=4000)

    def clean_order(self):
        try:
            return [int(pk) for pk in self.cleaned_data["order"].split(",") if pk]
        except ValueError:
            raise forms.ValidationError(_("The ranking could not be read.")) from None


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Reason for reopening"), widget=forms.Textarea(attrs={"rows": 2}),
                             max_length=2000)
    until = forms.DateTimeField(label=_("Open until"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), input_formats=["%Y-%m-%dT%H:%M"],
        validators=datetime_bounds())


class CallForm(forms.ModelForm):
    """A call's fields, with call_save's rules (review/validators.py). fixed: packages of the call exist, so
    the quotas and the exempt categories are shown but cannot be changed."""

    exempt_categories = forms.MultipleChoiceField(
        label=_("Exempt categories that apply"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=ExemptCategory.choices)

    class Meta:
        model = Call
        fields = CALL_FIELDS
        widgets = {
            "opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "deadline": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "notice_text": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, fixed=False, **kwargs):
        super().__init__(*args, **kwargs)
        apply_text_rules(self)
        for name, validators in call_limits().items():
            self.fields[name].validators.extend(validators)
        if fixed:
            for name in FIXED_ONCE_PACKAGES:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed: recommendation packages of this call exist already.")

    def clean_exempt_categories(self):
        return exempt_categories_value(self.cleaned_data["exempt_categories"])

    def clean(self):
        cleaned = super().clean()
        try:
            check_call_dates(cleaned.get("opens_at"), cleaned.get("deadline"))
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned


class ProvinceDeadlineForm(forms.Form):
    deadline = forms.DateTimeField(
        label=_("Deadline for your applicants"), required=False,
        help_text=_("Leave empty to use the call's deadline."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"], validators=datetime_bounds())


class VerificationRefuseForm(forms.Form):
    """A bureau refuses to verify a registration: the reason is the applicant's to read."""

    reason = forms.CharField(label=_("Reason (the applicant sees it)"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from applications.models import Organisation
        apply_text_rules(self, Organisation, {"reason": "verification_note"})


class TransferDecisionForm(forms.Form):
    """A bureau decides a request to transfer an organisation's account, with a reason both contacts read."""

    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        ("approve", _("Approve: transfer the account to the new contact person")),
        ("refuse", _("Refuse: the account stays with its contact person"))])
    reason = forms.CharField(label=_("Reason (both contact persons see it)"),
                             widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from applications.models import OrganisationTransfer
        apply_text_rules(self, OrganisationTransfer, {"reason": "reason"})
