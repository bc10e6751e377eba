"""`{{ form|crispy_cached }}`: crispy-forms' rendering of an unbound form, cached.

Rendering a form through crispy's templates costs a few milliseconds, more than everything else on a page that
shows several (the ranking page has one per recommendation). An unbound form renders the same for everyone who
sees it with the same fields, prefix and initial values, in the same language, so that HTML is a function of exactly
those: it is kept in each process's memory under them (the most recently used FORMS_KEPT), not in the shared cache —
a round trip to Redis per form cost more than the lookup saves, and there is nothing to share or invalidate. A bound
form (with the user's input and its errors) is rendered afresh every time, and
so is a form with a model choice field (its choices come from the database) or a crispy FormHelper (whose
settings the digest does not cover).
"""

import threading
from collections import OrderedDict

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django import forms, template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()


def _fingerprint(form):
    fields = [(name, str(field.label), str(field.help_text), field.required, field.disabled,
               sorted((k, str(v)) for k, v in field.widget.attrs.items()), type(field.widget).__name__,
               [(str(v), str(label)) for v, label in getattr(field, "choices", ())])
              for name, field in form.fields.items()]
    initial = sorted((name, str(form.get_initial_for_field(field, name))) for name, field in form.fields.items())
    return repr((type(form).__module__, type(form).__qualname__, form.prefix, form.auto_id, fields, initial,
                 get_language()))


FORMS_KEPT = 1024
_kept = OrderedDict()
_lock = threading.Lock()


@register.filter
def crispy_cached(form):
    if form.is_bound or hasattr(form, "helper") or any(
            isinstance(f, forms.ModelChoiceField) for f in form.fields.values()):
        return as_crispy_form(form)
    key = _fingerprint(form)
    with _lock:
        html = _kept.get(key)
        if html is not None:
            _kept.move_to_end(key)
    if html is None:
        html = str(as_crispy_form(form))
        with _lock:
            _kept[key] = html
            while len(_kept) > FORMS_KEPT:
                _kept.popitem(last=False)
    return mark_safe(html)  # noqa: S308 - crispy's own output, escaped when it was rendered
