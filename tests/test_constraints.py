"""navportal.constraints.CheckConstraint: a form of some of a model's fields skips at once the checks naming a
field it excludes (Django would build each one's query to skip it), checks exactly as Django's the ones it has
every field of, and migrations see Django's own constraint."""

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from applications.models import Application
from navportal.constraints import CheckConstraint


def constraint(name):
    return next(c for c in Application._meta.constraints if c.name == name)


def test_it_names_the_fields_of_its_condition_and_deconstructs_as_djangos():
    funding = constraint("application_funding_not_negative")
    assert isinstance(funding, CheckConstraint) and funding.fields == {"funding_amount"}
    assert constraint("application_claim_status_known").fields == {
        "exemption_status", "priority_status", "national_exemption_status"}
    path, _args, kwargs = funding.deconstruct()
    assert path == "django.db.models.CheckConstraint" and kwargs["name"] == "application_funding_not_negative"
    assert models.CheckConstraint(**kwargs) == funding


@pytest.mark.django_db
def test_a_check_is_skipped_without_a_query_when_a_field_is_excluded_and_checked_when_all_are_there(
        django_assert_num_queries, monkeypatch):
    funding = constraint("application_funding_not_negative")
    negative = Application(funding_amount=-1)
    built = []
    monkeypatch.setattr("django.db.models.Q.check", lambda self, against, using="default": built.append(self) or False)
    funding.validate(Application, negative, exclude={"funding_amount", "name"})
    assert built == []  # excluded: not even built
    with pytest.raises(ValidationError):
        funding.validate(Application, negative, exclude={"name"})
    assert len(built) == 1


@pytest.mark.django_db
def test_the_models_own_check_still_refuses_a_negative_amount_where_the_amount_is_there():
    application = Application(funding_amount=-5)
    with pytest.raises(ValidationError) as refused:
        application.validate_constraints(exclude={"name"})
    assert "application_funding_not_negative" in str(refused.value)
    application.validate_constraints(exclude={"funding_amount"})  # a form without the amount: nothing to say
