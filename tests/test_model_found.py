"""The sequences the model-based test (tests/test_model_process.py) found, kept as plain examples: one test per
defect, each walking the world of tests/model_world.py through the steps the model printed and asserting the
rule the defect broke. The docstring of each names the printed sequence; the fix is in the commit that added it."""

import pytest

from applications.enums import ClaimStatus, State
from applications.models import Application
from navportal.errors import PortalError
from navportal.models import User
from review import national
from tests.model_world import frozen_clock, model_world  # noqa: F401 - fixtures


def person(name):
    return User.objects.select_related("organisation").get(username=name)


def state_of(world, key):
    return Application.objects.get(pk=world.applications[key]).state


def test_cnipa_passes_an_exempt_application_only_after_checking_its_exemption(model_world):
    """state.recheck_pass(applicant='suzhou_park', by='cnipa'): the 示范 park, whose exemption only Jiangsu had
    verified, passed the re-check and would have stood on the list outside the quota on a claim CNIPA never
    checked (SPEC §5 "CNIPA verifies it again", §6.1)."""
    cnipa, suzhou_park = person("cnipa"), model_world.applications["suzhou_park"]
    with pytest.raises(PortalError) as refusal:
        national.recheck_pass(actor=cnipa, application_id=suzhou_park)
    assert refusal.value.code == "claim"
    assert state_of(model_world, "suzhou_park") == State.NATIONAL_REVIEW

    national.national_claim_check(actor=cnipa, application_id=suzhou_park, status=ClaimStatus.VERIFIED)
    national.recheck_pass(actor=cnipa, application_id=suzhou_park)
    assert state_of(model_world, "suzhou_park") == State.RECHECK_PASSED


def test_a_rejected_exemption_needs_no_second_look_to_pass(model_world):
    """Control: once CNIPA rejected the exemption (the park counts against the quota), the re-check may pass it."""
    cnipa, suzhou_park = person("cnipa"), model_world.applications["suzhou_park"]
    national.national_claim_check(actor=cnipa, application_id=suzhou_park, status=ClaimStatus.REJECTED, note="过期")
    national.recheck_pass(actor=cnipa, application_id=suzhou_park)
    assert state_of(model_world, "suzhou_park") == State.RECHECK_PASSED
