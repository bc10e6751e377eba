"""Form pieces every side uses: a select of cities grouped under their provinces, and a select's prompt."""

from itertools import groupby

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from .models import City


class CityChoiceIterator(ModelChoiceIterator):
    """Cities grouped under their province, so a long list stays readable."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for province, cities in groupby(self.queryset, key=lambda city: city.province):
            yield (str(province), [self.choice(city) for city in cities])


class CityField(forms.ModelChoiceField):
    iterator = CityChoiceIterator

    def __init__(self, **kwargs):
        super().__init__(queryset=City.objects.select_related("province").order_by("code"), **kwargs)


def choose_prompt(form):
    """A select's empty choice says what to do (请选择) instead of Django's "---------"."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            if field.empty_label is not None:
                field.empty_label = _("Choose…")
        elif isinstance(field, forms.TypedChoiceField | forms.ChoiceField) and not isinstance(
                field, forms.MultipleChoiceField):
            choices = list(field.choices)
            if choices and choices[0][0] == "" and str(choices[0][1]).strip("-") == "":
                field.choices = [("", _("Choose…")), *choices[1:]]
