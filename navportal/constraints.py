"""A check constraint that a form of some of its model's fields checks only when it has every field it names.

Django validates a model's check constraints in Python (Model.validate_constraints, from a ModelForm's clean): for
each one it builds a query of the instance's values and the condition, and a constraint naming a field the form
excludes fails to build (a FieldError) and is skipped. An application's section form holds a handful of its
fields, so on every draft save each of the application's checks was built to be skipped: a fifth of the save
(docs/performance.md). This one is skipped at once when the form excludes a field its condition names, as Django
would skip it a moment later; checked exactly as Django's when the form has them all. The database enforces it
either way. It deconstructs as Django's own, so that migrations see no change.
"""

from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import Q
from django.utils.functional import cached_property


class CheckConstraint(models.CheckConstraint):
    @cached_property
    def fields(self):
        """The names of the model's fields the condition names (not those through a join)."""
        return frozenset(Q(self.condition).referenced_base_fields)

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        if exclude and not self.fields.isdisjoint(exclude):
            return
        super().validate(model, instance, exclude=exclude, using=using)

    def deconstruct(self):
        _path, args, kwargs = super().deconstruct()
        return "django.db.models.CheckConstraint", args, kwargs
