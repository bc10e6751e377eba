"""Values a service receives, cleaned as the form in front of it cleans them.

A service may be called by its page, by a command, by a test or by the next feature: it must not store what
the page's form refuses. `clean_field` runs the model field's own checks — type, length, choices, validators,
blank — and the text rule (navportal.text) on one value, after the form's normalisation (text stripped, an
empty value as the column stores it). It never requires a value its column may leave empty: what a complete
application needs is checked at submission.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.forms import ModelChoiceField
from django.forms.utils import from_current_timezone
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import PortalError
from .text import text_validators


def clean_field(field, value, validators=()):
    """`value` as the form would store it in model field `field`, checked; raises ValidationError.

    validators: further checks of this value (a bound the form adds to the field, e.g. a date range)."""
    if isinstance(value, str) and not field.choices:
        value = value.strip()  # as a form's text, number and date fields do (its choice fields do not)
    if isinstance(field, models.BooleanField) and value in (None, ""):
        value = False  # an unticked box
    elif value is None or value == "":
        value = None if field.null else ("" if field.empty_strings_allowed else value)
    if isinstance(field, models.DateTimeField) and type(value) is datetime.date:
        value = datetime.datetime.combine(value, datetime.time.min)  # midnight, as the form reads a date
    if isinstance(field, models.ForeignKey):
        value = _clean_relation(field, value)
    else:
        try:
            value = field.clean(value, None)
        except (TypeError, ValueError, ArithmeticError):
            # A value of a type the field never expects (a number for a date, a signalling NaN for a box):
            # Django's to_python lets these through as exceptions of its own.
            raise ValidationError(field.error_messages["invalid"], code="invalid", params={"value": value}) from None
        if isinstance(value, datetime.datetime) and settings.USE_TZ and timezone.is_naive(value):
            value = from_current_timezone(value)  # a moment without a zone is local time, as the form reads it
    if value not in (None, ""):
        for validator in (*text_validators(field), *validators):
            validator(value)
    return value


def _clean_relation(field, value):
    """A related row, as a ModelChoiceField returns it: an instance of the related model, or None."""
    if value is None:
        if not field.null:
            raise ValidationError(field.error_messages["null"], code="null")
        return None
    if not isinstance(value, field.related_model) or value.pk is None:
        raise ValidationError(ModelChoiceField.default_error_messages["invalid_choice"], code="invalid_choice")
    return value


def refusal(label, error, *, row=None):
    """The PortalError a service raises for ValidationError `error` of the field labelled `label` (of table row
    number `row`)."""
    problem = " ".join(error.messages)
    if row is None:
        message = _("“%(label)s”: %(problem)s") % {"label": label, "problem": problem}
    else:
        message = _("Row %(row)d, “%(label)s”: %(problem)s") % {"row": row, "label": label, "problem": problem}
    return PortalError(message, code="invalid")


def clean_model_values(model, values, validators=None):
    """Every value of `values` (model field name → value) cleaned by clean_field; raises the PortalError of the
    first refused one, named by its label. validators: field name → further checks."""
    cleaned = {}
    for name, value in values.items():
        field = model._meta.get_field(name)
        try:
            cleaned[name] = clean_field(field, value, (validators or {}).get(name, ()))
        except ValidationError as exc:
            raise refusal(field.verbose_name, exc) from None
    return cleaned
