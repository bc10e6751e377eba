"""The sequences the model-based test (tests/test_model_process.py) found, kept as plain examples: one test per
defect, each walking the world of tests/model_world.py through the steps the model printed and asserting the
rule the defect broke. The docstring of each names the printed sequence; the fix is in the commit that added it."""

import datetime

import pytest
from django.utils import timezone

from applications import services as applicant_services
from applications.enums import AttachmentKind, ClaimStatus, Route, State
from applications.models import Application
from applications.sections import SECTION_BY_KEY
from navportal.errors import PortalError
from navportal.models import Ministry, User
from navportal.privacy_rules import RULES_VERSION
from review import national, services as review_services
from review.models import Recommendation
from review.progress import units_over_quota
from tests.model_world import KINDS, frozen_clock, model_world, pdf  # noqa: F401 - fixtures


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


def test_corrected_notice_dates_never_start_before_the_publication(model_world, frozen_clock):
    """state.reopen_package(bureau='jiangsu', by='cnipa', days=7); state.publish(by='cnipa');
    state.correct_notice_dates(by='cnipa', start='day before publication', working_days=5): published on Monday
    2026-09-21, the period was corrected to 2026-09-20 (a make-up working Sunday) – 09-24: five working days on
    the calendar, but only three of them after the publication (SPEC §6.2: the notice starts the day after it)."""
    cnipa = person("cnipa")
    national.national_claim_check(actor=cnipa, application_id=model_world.applications["suzhou_park"],
                                  status=ClaimStatus.VERIFIED)
    for key in ("suzhou_park", "kunshan_park"):
        national.recheck_pass(actor=cnipa, application_id=model_world.applications[key])
    notice = national.notice_publish(actor=cnipa, call=model_world.call, text="现将拟确定名单予以公示。", contact="电话")
    assert (notice.starts_on, notice.ends_on) == (datetime.date(2026, 9, 22), datetime.date(2026, 9, 29))
    with pytest.raises(PortalError) as refusal:
        national.notice_confirm_dates(actor=cnipa, notice_id=notice.pk, starts_on=datetime.date(2026, 9, 20),
                                      ends_on=datetime.date(2026, 9, 24))
    assert refusal.value.code == "invalid"
    notice.refresh_from_db()
    assert (notice.starts_on, notice.ends_on) == (datetime.date(2026, 9, 22), datetime.date(2026, 9, 29))
    # Moving the whole period later stays possible.
    national.notice_confirm_dates(actor=cnipa, notice_id=notice.pk, starts_on=datetime.date(2026, 9, 24),
                                  ends_on=datetime.date(2026, 10, 8))


@pytest.mark.parametrize("key, kind, route", [
    ("suzhou_institution", "moe_unit", Route.MINISTRY),      # a city institution turns out to be a MOE unit
    ("cas_institute", "city_institution", Route.CITY),       # a CAS unit turns out to be city-affiliated
])
def test_a_draft_whose_affiliation_was_corrected_can_be_submitted(model_world, key, kind, route):
    """state.edit(applicant='suzhou_institution', by='suzhou_institution', change='type moe_unit');
    state.submit(applicant='suzhou_institution', by='suzhou_institution', with_new_scan=True): the first
    submission gave the organisation the draft's ministry but kept its old affiliation, which the database refuses
    (an organisation has a ministry exactly when it is ministry-affiliated): a server error instead of a submission."""
    user, application_id = person(key), model_world.applications[key]
    applicant_type, affiliation, ministry = KINDS[kind]
    application = Application.objects.get(pk=application_id)
    values = {name: getattr(application, name) for name in SECTION_BY_KEY["basic"].fields}
    values.update(applicant_type=applicant_type, affiliation=affiliation,
                  ministry=Ministry.objects.get(code=ministry) if ministry else None)
    applicant_services.application_save_section(actor=user, application_id=application_id, section_key="basic",
                                                values=values, lock_version=application.lock_version,
                                                privacy_version=RULES_VERSION)
    applicant_services.application_attach(actor=user, application_id=application_id, kind=AttachmentKind.SEALED_SCAN,
                                          upload=pdf("sealed-scan.pdf"), content_type="application/pdf")
    assert applicant_services.application_submit(actor=user, application_id=application_id) == []
    application = Application.objects.select_related("organisation").get(pk=application_id)
    assert application.route == route
    organisation = application.organisation
    assert (organisation.affiliation, organisation.ministry_id) == (affiliation, application.ministry_id)


def test_a_bureau_cannot_recommend_past_its_quota_after_cnipa_rejected_an_exemption(model_world):
    """CNIPA rejects the 示范 park's exemption (Jiangsu is one over its quota of 2), reopens the package; Jiangsu
    takes back the plain park — and recommended the Suzhou centre in its place: a slot was free (the rejected
    exemption counts without holding one), so the package counted 3 again, by the bureau's own doing (SPEC §5:
    the quota can never be exceeded)."""
    cnipa, province, applications = person("cnipa"), person("province_js"), model_world.applications
    national.national_claim_check(actor=cnipa, application_id=applications["suzhou_park"], status=ClaimStatus.REJECTED,
                                  note="认定文件已过期")
    assert [(row.counted, row.over) for row in units_over_quota(model_world.call)] == [(3, 1)]
    review_services.package_reopen(actor=cnipa, package_id=model_world.packages["jiangsu"], reason="超出名额",
                                   until=timezone.now() + datetime.timedelta(days=7))
    review_services.application_unrecommend(actor=province, application_id=applications["kunshan_park"])
    assert units_over_quota(model_world.call) == []
    review_services.application_city_consent(actor=person("city_suzhou"), application_id=applications["suzhou_centre"])
    with pytest.raises(PortalError) as refusal:
        review_services.application_recommend(actor=province, application_id=applications["suzhou_centre"],
                                              opinion="同意推荐")
    assert refusal.value.code == "quota"
    assert units_over_quota(model_world.call) == []
    assert state_of(model_world, "suzhou_centre") == State.PROVINCE_REVIEW


def _reopen(world, cnipa, days=7):
    review_services.package_reopen(actor=cnipa, package_id=world.packages["jiangsu"], reason="请调整推荐",
                                   until=timezone.now() + datetime.timedelta(days=days))


def test_an_application_that_failed_the_recheck_gives_its_quota_slot_back(model_world):
    """state.recheck(applicant='kunshan_park', by='cnipa', outcome='fail'); state.reopen_package(bureau='jiangsu',
    by='cnipa', days=7); state.city_decides(applicant='suzhou_centre', by='city_suzhou', decision='consent');
    state.bureau_decides(applicant='suzhou_centre', by='province_js', decision='recommend'): the failed park no
    longer counted (the package showed 1 of 2), yet it still held its slot, so the recommendation was refused as
    "quota used up" — the count and the slots disagreed."""
    cnipa, province, applications = person("cnipa"), person("province_js"), model_world.applications
    national.recheck_fail(actor=cnipa, application_id=applications["kunshan_park"], reason="不符合条件")
    assert Recommendation.objects.get(application_id=applications["kunshan_park"]).slot_id is None
    _reopen(model_world, cnipa)
    review_services.application_city_consent(actor=person("city_suzhou"), application_id=applications["suzhou_centre"])
    review_services.application_recommend(actor=province, application_id=applications["suzhou_centre"],
                                          opinion="同意推荐")
    assert state_of(model_world, "suzhou_centre") == State.RECOMMENDED
    assert units_over_quota(model_world.call) == []
    # The failed park stays on record in the package, and the quota still holds: nothing more fits.
    assert state_of(model_world, "kunshan_park") == State.RECHECK_FAILED


def test_publishing_waits_for_a_reopened_package(model_world):
    """state.reopen_package(bureau='jiangsu', by='cnipa', days=7); state.recheck(applicant='nanjing_park', ...)
    state.publish(by='cnipa'): the two parks handed back to Jiangsu were merely recommended again, so nothing was
    "pending re-check" and the list was published without them — they could never reach it."""
    cnipa, province, applications = person("cnipa"), person("province_js"), model_world.applications
    _reopen(model_world, cnipa)
    assert state_of(model_world, "suzhou_park") == State.RECOMMENDED
    with pytest.raises(PortalError) as refusal:
        national.notice_publish(actor=cnipa, call=model_world.call, text="公示", contact="电话")
    assert refusal.value.code == "open"
    assert "江苏" in refusal.value.message
    # Handed in again, the two are under re-check: publishing waits for that; then it lists all three.
    review_services.package_submit(actor=province, package_id=model_world.packages["jiangsu"])
    with pytest.raises(PortalError) as refusal:
        national.notice_publish(actor=cnipa, call=model_world.call, text="公示", contact="电话")
    assert refusal.value.code == "pending"
    national.national_claim_check(actor=cnipa, application_id=applications["suzhou_park"], status=ClaimStatus.VERIFIED)
    for key in ("suzhou_park", "kunshan_park"):
        national.recheck_pass(actor=cnipa, application_id=applications[key])
    notice = national.notice_publish(actor=cnipa, call=model_world.call, text="公示", contact="电话")
    assert notice.entries.count() == 3


def test_a_reopened_package_that_lapsed_does_not_hold_up_the_list(model_world, frozen_clock):
    """Control: once the reopening's deadline has passed without a hand-in, the package is locked and the list
    can be published (without the applications the bureau did not hand in again)."""
    cnipa, applications = person("cnipa"), model_world.applications
    _reopen(model_world, cnipa, days=2)
    frozen_clock.shift(datetime.timedelta(days=9))  # past the reopening and the call's deadline
    notice = national.notice_publish(actor=cnipa, call=model_world.call, text="公示", contact="电话")
    assert [entry.application_id for entry in notice.entries.all()] == [applications["nanjing_park"]]


def test_the_packages_close_when_the_list_is_published(model_world):
    """state.publish(by='cnipa'); state.bureau_decides(applicant='hangzhou_park', by='province_zj',
    decision='recommend'); state.reopen_package(bureau='jiangsu', by='cnipa', days=7): after publication Zhejiang
    still recommended into its open package, and CNIPA could reopen Jiangsu's — recommendations that could never
    reach the list, which is drawn once."""
    cnipa, applications = person("cnipa"), model_world.applications
    national.national_claim_check(actor=cnipa, application_id=applications["suzhou_park"], status=ClaimStatus.VERIFIED)
    for key in ("suzhou_park", "kunshan_park"):
        national.recheck_pass(actor=cnipa, application_id=applications[key])
    national.notice_publish(actor=cnipa, call=model_world.call, text="公示", contact="电话")
    with pytest.raises(PortalError) as refusal:
        review_services.application_recommend(actor=person("province_zj"), application_id=applications["hangzhou_park"],
                                              opinion="同意推荐")
    assert refusal.value.code == "locked"
    assert state_of(model_world, "hangzhou_park") == State.PROVINCE_REVIEW
    with pytest.raises(PortalError) as refusal:
        review_services.package_reopen(actor=cnipa, package_id=model_world.packages["jiangsu"], reason="请调整",
                                       until=timezone.now() + datetime.timedelta(days=7))
    assert refusal.value.code == "state"


def test_an_exemption_cnipa_verifies_gives_its_quota_slot_back(model_world):
    """SEQUENCE: CNIPA rejected the 示范 park's exemption (it counts without a slot, Jiangsu one over its quota) and
    reopened the package; Jiangsu took back the plain park (its slot free) and checked the exemption again (the park
    counts: it takes the free slot), declined the plain park and handed in; CNIPA then verified the exemption. The
    park is exempt, yet keeps the slot: reopened once more, the package counts 1 of 2, and recommending the Suzhou
    centre is refused as "quota used up" — as for the failed re-check fixed before (SPEC §5)."""
    cnipa, province, applications = person("cnipa"), person("province_js"), model_world.applications
    national.national_claim_check(actor=cnipa, application_id=applications["suzhou_park"], status=ClaimStatus.REJECTED,
                                  note="认定文件已过期")
    _reopen(model_world, cnipa)
    review_services.application_unrecommend(actor=province, application_id=applications["kunshan_park"])
    review_services.claim_check(actor=province, application_id=applications["suzhou_park"], claim="exemption",
                                status=ClaimStatus.VERIFIED)
    assert Recommendation.objects.get(application_id=applications["suzhou_park"]).slot_id is not None  # it counts
    review_services.application_decline(actor=province, application_id=applications["kunshan_park"], reason="不予推荐")
    review_services.package_submit(actor=province, package_id=model_world.packages["jiangsu"])
    national.national_claim_check(actor=cnipa, application_id=applications["suzhou_park"], status=ClaimStatus.VERIFIED)
    # Exempt now, the park holds no slot (the model's invariant).
    assert Recommendation.objects.get(application_id=applications["suzhou_park"]).slot_id is None
    _reopen(model_world, cnipa)
    assert units_over_quota(model_world.call) == []
    review_services.application_city_consent(actor=person("city_suzhou"), application_id=applications["suzhou_centre"])
    review_services.application_recommend(actor=province, application_id=applications["suzhou_centre"],
                                          opinion="同意推荐")
    assert state_of(model_world, "suzhou_centre") == State.RECOMMENDED
