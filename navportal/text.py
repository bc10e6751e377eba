"""What text typed by a user may hold: the one rule for single-line and multi-line text.

A single line — a name, a number, a phone, an address, a title: every CharField — holds no control character
at all (Unicode category Cc: line breaks, tabs, NUL, escape sequences, DEL and the C1 range). A multi-line
narrative — a TextField — may hold line breaks and tabs, and no other control character. Forms (through
`apply_text_rules`) and services (through navportal.cleaning) check with the same functions, so a form never
accepts what its service refuses, nor the other way round.
"""

import re

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# Unicode category Cc is exactly U+0000–U+001F and U+007F–U+009F.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The same without the line feed, the carriage return and the tab.
CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _code(char):
    return f"U+{ord(char):04X}"


def validate_single_line(value):
    """Refuse a control character anywhere in `value` (a line break or a tab too)."""
    match = CONTROL.search(value) if isinstance(value, str) else None
    if match:
        raise ValidationError(
            _("Only one line: remove the line break, tab or other control character (%(char)s)."),
            code="control_character", params={"char": _code(match.group())})


def validate_multi_line(value):
    """Refuse a control character other than a line break or a tab (a vertical tab pasted from Word, NUL…)."""
    match = CONTROL_BUT_LINES.search(value) if isinstance(value, str) else None
    if match:
        raise ValidationError(
            _("Remove the invisible control character %(char)s; line breaks and tabs are fine here."),
            code="control_character", params={"char": _code(match.group())})


def text_validators(field):
    """The text rule of model field `field`: multi-line for a TextField, single-line for any other CharField
    (an e-mail, a choice), none for the rest."""
    if isinstance(field, models.TextField):
        return [validate_multi_line]
    if isinstance(field, models.CharField):
        return [validate_single_line]
    return []


def apply_text_rules(form, model=None, fields=None):
    """Give each text field of `form` the text rule of the model field it stores into.

    model: the model (a ModelForm's own by default); fields: form field → model field name, for a plain form
    whose fields store into a model (the registration form's contact person is the account's name)."""
    model = model or form._meta.model
    names = fields or {name: name for name in form.fields}
    for name, model_name in names.items():
        try:
            model_field = model._meta.get_field(model_name)
        except FieldDoesNotExist:
            continue
        validators = text_validators(model_field)
        if validators and name in form.fields:
            form.fields[name].validators.extend(validators)
