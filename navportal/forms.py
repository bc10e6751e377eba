"""Form pieces every side uses: a select of cities grouped under their provinces, and a select's prompt; the sign-in
and password-reset forms, which find an account by its e-mail address through the blind index."""

from itertools import groupby

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, _unicode_ci_compare
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from .identifiers import users_by_email
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


class SignInForm(AuthenticationForm):
    """Django's sign-in form, taking a user name or an e-mail address (navportal.auth.ScopedModelBackend resolves
    either)."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        field.label = _("User name or e-mail address")
        field.max_length = 254  # an e-mail address may be longer than a user name
        field.widget.attrs["maxlength"] = "254"
        field.widget.attrs["autocomplete"] = "username"


class PasswordResetByEmailForm(PasswordResetForm):
    """Django's reset form, finding the accounts by the address's blind index (the column is encrypted: Django's
    `email__iexact` cannot compare it)."""

    def get_users(self, email):
        users = users_by_email(email).filter(is_active=True)
        return (user for user in users if user.has_usable_password() and _unicode_ci_compare(email, user.email))
