"""The national-scale generator: coherent data, an intact audit trail, and no way into a production database."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from applications import services
from applications.enums import State
from applications.models import Application
from navportal.audit import audit_verify
from navportal.models import User
from review.models import Call, Package, Recommendation


def test_refuses_with_production_settings(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("generate_national", "--applications", "10")
    assert not Call.objects.exists()


def test_refuses_a_database_that_holds_calls(db, call, settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="holds calls"):
        call_command("generate_national", "--applications", "10")
    assert Call.objects.count() == 1


def test_generates_a_coherent_call(db, settings):
    settings.DEBUG = True
    call_command("generate_national", "--applications", "150", "--past", "60")
    current = Call.objects.get(document_number__endswith="1号")
    states = set(Application.objects.filter(call=current).values_list("state", flat=True))
    assert {State.DRAFT, State.PROVINCE_REVIEW, State.RETURNED, State.RECOMMENDED, State.ON_NOTICE} <= states
    assert Application.objects.filter(state=State.DESIGNATED).exists()
    assert audit_verify()[1] is None
    # Every recommendation holds a slot of its own package, within the quota, and ranks are 1..n.
    for package in Package.objects.filter(quota__isnull=False):
        recommendations = list(package.recommendations.order_by("rank"))
        assert [r.rank for r in recommendations] == list(range(1, len(recommendations) + 1))
        assert sum(r.slot_id is not None for r in recommendations) <= package.quota
    assert not Recommendation.objects.exclude(slot=None).exclude(slot__package=F("package")).exists()
    # A generated draft is complete: its applicant submits it through the service like any other.
    draft = next(a for a in Application.objects.filter(call=current, state=State.DRAFT) if "plan" in a.sections_saved)
    user = User.objects.get(organisation=draft.organisation)
    assert services.application_submit(actor=user, application_id=draft.pk) == []
