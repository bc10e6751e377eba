from django import forms
from django.utils.translation import gettext_lazy as _

from applications.forms import DateInput
from navportal.bounds import date_bounds, datetime_bounds

from .filings import MAX_COUNT
from .models import (
    ClientKind, Deliverable, IndicatorGroup, IndicatorKind, ProjectType, RectificationReason, ServiceKind,
)


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


class PlanForm(forms.Form):
    summary = forms.CharField(label=_("Summary by the three tasks: demand matching, organisation and management, "
                                      "application and promotion"), max_length=8000,
                              widget=forms.Textarea(attrs={"rows": 6}))
    file = forms.FileField(label=_("The construction plan (PDF)"), required=False,
                           help_text=_("Checked by its content. When revising a returned plan you may keep the PDF "
                                       "filed before."))


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("Project"), max_length=200)
    need = forms.CharField(label=_("The need it answers"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    client_kind = forms.ChoiceField(label=_("For whom"), choices=ClientKind.choices, widget=forms.RadioSelect)
    client = forms.CharField(label=_("Client"), max_length=200)
    project_type = forms.ChoiceField(label=_("Type (GB/T 39551)"), choices=[("", "—"), *ProjectType.choices])
    service_body = forms.CharField(label=_("Service body"), max_length=200)
    funding = forms.DecimalField(label=_("Funding (10,000 yuan)"), min_value=0, max_digits=10, decimal_places=2)
    funding_source = forms.CharField(label=_("Source of funding"), max_length=200)
    approved_on = forms.DateField(label=_("Approved (立项)"), widget=DateInput(), validators=date_bounds())
    tendered_on = forms.DateField(label=_("Tendered (招投标)"), widget=DateInput(), validators=date_bounds(),
                                  required=False)
    started_on = forms.DateField(label=_("Running since (执行)"), widget=DateInput(), validators=date_bounds(),
                                 required=False)
    accepted_on = forms.DateField(label=_("Accepted (验收)"), widget=DateInput(), validators=date_bounds(),
                                  required=False)
    deliverables = forms.MultipleChoiceField(label=_("Deliverables"), choices=Deliverable.choices, required=False,
                                             widget=forms.CheckboxSelectMultiple)
    evidence = forms.FileField(label=_("Evidence of use (成果应用证明, PDF)"), required=False,
                               help_text=_("Once the project is accepted: proof that its results are in use."))


class ServiceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ServiceKind.choices, widget=forms.RadioSelect)
    title = forms.CharField(label=_("Title"), max_length=200)
    held_on = forms.DateField(label=_("Date"), widget=DateInput(), validators=date_bounds())
    participants = forms.IntegerField(label=_("Participants"), min_value=1, max_value=MAX_COUNT)
    description = forms.CharField(label=_("What was done"), max_length=4000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))


class CheckForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        ("acknowledge", _("Acknowledge")), ("return", _("Return it for revision"))])
    note = forms.CharField(label=_("Note (the base reads it; required when returning)"), max_length=2000,
                           required=False, widget=forms.Textarea(attrs={"rows": 2}))


def _moment_field(label):
    return forms.DateTimeField(label=label, validators=datetime_bounds(), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))


class PeriodForm(forms.Form):
    year = forms.IntegerField(label=_("Year reported on"), min_value=2000, max_value=2099)
    title = forms.CharField(label=_("Title"), max_length=200)
    opens_at = _moment_field(_("Opens at"))
    deadline = _moment_field(_("Bases report by"))
    review_deadline = _moment_field(_("Bureaus forward by"))


class ReportForm(forms.Form):
    demand_matching = forms.CharField(label=_("Demand matching (需求对接)"), max_length=20000, required=False,
                                      widget=forms.Textarea(attrs={"rows": 6}))
    organisation = forms.CharField(label=_("Organisation and management (组织管理)"), max_length=20000,
                                   required=False, widget=forms.Textarea(attrs={"rows": 6}),
                                   help_text=_("Including the construction plan's progress and the projects run."))
    promotion = forms.CharField(label=_("Application and promotion (应用推广)"), max_length=20000, required=False,
                                widget=forms.Textarea(attrs={"rows": 6}),
                                help_text=_("Including the projects filed and their results in use."))
    file = forms.FileField(label=_("Attachment (PDF, optional)"), required=False)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        ("forward", _("Forward it to CNIPA with our opinion")), ("return", _("Return it to the base"))])
    text = forms.CharField(label=_("Opinion, or the reasons for returning it (the base reads it)"),
                           max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class ThresholdsForm(forms.Form):
    excellent = forms.DecimalField(label=_("Excellent from"), min_value=0, max_value=1000, decimal_places=2)
    good = forms.DecimalField(label=_("Good from"), min_value=0, max_value=1000, decimal_places=2)
    qualified = forms.DecimalField(label=_("Qualified from"), min_value=0, max_value=1000, decimal_places=2)


class IndicatorForm(forms.Form):
    group = forms.ChoiceField(label=_("Group"), choices=IndicatorGroup.choices)
    name = forms.CharField(label=_("Indicator"), max_length=200)
    kind = forms.ChoiceField(label=_("How it is assessed"), choices=IndicatorKind.choices, widget=forms.RadioSelect)
    figure = forms.ChoiceField(label=_("Figure (computed)"), required=False)
    target = forms.IntegerField(label=_("Full points at (computed)"), required=False, min_value=1,
                                max_value=MAX_COUNT)
    points = forms.DecimalField(label=_("Points"), min_value=0, max_value=100, decimal_places=2)

    def __init__(self, *args, figures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["figure"].choices = [("", "—"), *figures]


class ScoreForm(forms.Form):
    indicator = forms.IntegerField(widget=forms.HiddenInput)
    points = forms.DecimalField(label=_("Points"), min_value=0, max_value=100, decimal_places=2)
    reason = forms.CharField(label=_("Reason (the base reads it)"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class PublishForm(forms.Form):
    rectify_by = forms.DateField(label=_("An unqualified base answers its rectification by"), widget=DateInput(),
                                 validators=date_bounds())
    confirm = forms.BooleanField(label=_("I confirm: the results are final, each base is told, the unqualified are "
                                         "put under rectification"))


class MissedForm(forms.Form):
    deadline = forms.DateField(label=_("Answer the rectification by"), widget=DateInput(), validators=date_bounds())
