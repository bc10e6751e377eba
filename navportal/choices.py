"""Choice labels without Django's per-call cost."""

from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

_labels = {}


class ChoiceDisplayMixin:
    """get_FOO_display() from a dict built once per field, instead of Django's, which rebuilds the dict of every
    choice (hashing each lazy label) at each call: a list of 50 applications spent more time there than in its
    query. Labels stay lazy in the dict, so each call still answers in the active language."""

    def _get_FIELD_display(self, field):
        labels = _labels.get(field)
        if labels is None:
            labels = _labels[field] = dict(make_hashable(field.flatchoices))
        value = getattr(self, field.attname)
        return force_str(labels.get(make_hashable(value), value), strings_only=True)
