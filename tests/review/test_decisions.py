"""Every review decision, from every state and by every role: allowed exactly where the transition
table says, refused everywhere else without a trace; plus what each decision does."""

from unittest import mock

import pytest

from applications.enums import ClaimStatus, State
from applications.models import Application
from applications.sections import SECTION_BY_KEY
from applications.workflow import allowed
from navportal.errors import PortalError
from navportal.models import AuditEvent, Message
from review import services
from review.models import Recommendation


DECISIONS = {
    "city_consent": lambda actor, app: services.application_city_consent(actor=actor, application_id=app.pk),
    "city_decline": lambda actor, app: services.application_city_decline(actor=actor, application_id=app.pk,
                                                                         reason="不符合"),
    "return": lambda actor, app: services.application_return(actor=actor, application_id=app.pk, reason="请补充",
                                                             sections=["department"]),
    "decline": lambda actor, app: services.application_decline(actor=actor, application_id=app.pk, reason="不推荐"),
    "recommend": lambda actor, app: services.application_recommend(actor=actor, application_id=app.pk,
                                                                   opinion="同意推荐"),
}
# The reviewer in whose scope each route's application lies.
IN_SCOPE = {"city": "city_nanjing", "province": "province_js", "ministry": "ministry_moe", "national": "national"}


@pytest.fixture
def on_desk(city_institution, ministry_unit, submitted):
    """A city-routed application (Nanjing, Jiangsu) and a ministry-routed one, submitted."""
    return {"city": submitted(city_institution), "ministry": submitted(ministry_unit)}


@pytest.mark.parametrize("action", list(DECISIONS))
@pytest.mark.parametrize("state", [s for s in State if s != State.DRAFT])
def test_decision_matrix(reviewers, on_desk, action, state):
    for route, application in on_desk.items():
        Application.objects.filter(pk=application.pk).update(state=state)
        for role in ("city", "province", "ministry", "national"):
            actor = reviewers[IN_SCOPE[role]]
            application.refresh_from_db()
            in_scope = not (route == "ministry" and role in ("city", "province")) and not (
                route == "city" and role == "ministry") and not (
                role == "city" and state not in (State.CITY_REVIEW, State.CITY_DECLINED, State.RETURNED))
            expected = allowed(action, state, role)
            before = AuditEvent.objects.count()
            try:
                DECISIONS[action](actor, application)
                succeeded = True
            except PortalError:
                succeeded = False
            assert succeeded == (expected and in_scope), (route, role)
            if succeeded:
                assert AuditEvent.objects.count() == before + 1
                Recommendation.objects.filter(application=application).delete()
                Application.objects.filter(pk=application.pk).update(state=state)
            else:
                assert AuditEvent.objects.count() == before
                assert Application.objects.get(pk=application.pk).state == state


def test_city_consent_moves_it_to_the_province_and_tells_both(reviewers, on_desk):
    application = services.application_city_consent(actor=reviewers["city_nanjing"],
                                                    application_id=on_desk["city"].pk)
    assert application.state == State.PROVINCE_REVIEW
    assert Message.objects.filter(recipient=reviewers["province_js"]).count() == 1


def test_city_decline_needs_a_reason_the_applicant_sees(client, reviewers, on_desk, city_institution):
    with pytest.raises(PortalError):
        services.application_city_decline(actor=reviewers["city_nanjing"], application_id=on_desk["city"].pk,
                                          reason="  ")
    services.application_city_decline(actor=reviewers["city_nanjing"], application_id=on_desk["city"].pk,
                                      reason="材料不实")
    client.force_login(city_institution)
    body = client.get(f"/applications/{on_desk['city'].pk}/").content.decode()
    assert "材料不实" in body


def test_return_flags_sections_keeps_data_and_comes_back_to_the_same_desk(reviewers, on_desk, city_institution):
    from applications import services as applicant
    app = on_desk["city"]
    services.application_city_consent(actor=reviewers["city_nanjing"], application_id=app.pk)
    services.application_return(actor=reviewers["province_js"], application_id=app.pk, reason="人员名单不全",
                                sections=["department"])
    returned = Application.objects.get(pk=app.pk)
    assert (returned.state, returned.flagged_sections, returned.staff.count()) == (
        State.RETURNED, ["department"], 5)
    from tests.conftest import attach_scan, fill
    fill(city_institution, returned, staff=6, scan=False)
    attach_scan(city_institution, returned)
    assert applicant.application_submit(actor=city_institution, application_id=app.pk) == []
    back = Application.objects.get(pk=app.pk)
    assert (back.state, back.versions.count(), back.flagged_sections) == (State.PROVINCE_REVIEW, 2, [])


def test_changes_since_the_last_version_field_by_field(reviewers, on_desk, city_institution):
    from applications import services as applicant
    from review.selectors import version_changes
    from tests.conftest import attach_scan, fill
    app = on_desk["city"]
    services.application_return(actor=reviewers["city_nanjing"], application_id=app.pk, reason="改")
    fill(city_institution, Application.objects.get(pk=app.pk), values={"plan_goals": "新目标"}, staff=6, scan=False)
    attach_scan(city_institution, app)
    applicant.application_submit(actor=city_institution, application_id=app.pk)
    changes = [(str(section), str(label), after) for section, label, _, after in version_changes(app)]
    plan, goals = str(SECTION_BY_KEY["plan"].title), str(Application._meta.get_field("plan_goals").verbose_name)
    assert [c for c in changes if c[1] != "第 6 行"] == [(plan, goals, "新目标")]
    # The new roster row by its number, its employment by the choice's label, not its code ("part").
    assert [(c[1], c[2].endswith("; 兼职")) for c in changes if c[1] == "第 6 行"] == [("第 6 行", True)]


def test_the_comparison_is_cached_until_the_next_submission(reviewers, on_desk, city_institution,
                                                            django_assert_num_queries):
    from applications import services as applicant
    from applications.selectors import verified_versions
    from review.selectors import version_changes
    from tests.conftest import attach_scan, fill
    app = on_desk["city"]
    assert version_changes(Application.objects.get(pk=app.pk)) == []
    services.application_return(actor=reviewers["city_nanjing"], application_id=app.pk, reason="改")
    fill(city_institution, Application.objects.get(pk=app.pk), values={"plan_goals": "新目标"}, scan=False)
    attach_scan(city_institution, app)
    applicant.application_submit(actor=city_institution, application_id=app.pk)
    fresh = Application.objects.get(pk=app.pk)
    first = version_changes(fresh)  # the submission moved lock_version: compared anew
    assert [str(after) for _section, _label, _before, after in first] == ["新目标"]
    # The versions are read (and their seals verified) on every request; the comparison is not worked out again.
    versions = verified_versions(fresh)
    with django_assert_num_queries(0), mock.patch("review.selectors._raw_changes") as compare:
        assert version_changes(fresh, versions) == first
    compare.assert_not_called()


def test_claim_checks(reviewers, applicant, complete, call):
    from applications import services as applicant_services
    app = complete(applicant, values={"exempt_category": "protection_centre", "exempt_document_number": "国知发1号",
                                      "exempt_document_date": call.opens_at.date(), "local_base": False})
    from django.core.files.uploadedfile import SimpleUploadedFile
    from navportal.demo.content import TINY_PDF
    applicant_services.application_attach(actor=applicant, application_id=app.pk, kind="exemption_document",
                                          upload=SimpleUploadedFile("d.pdf", TINY_PDF), content_type="application/pdf")
    from tests.conftest import attach_scan
    attach_scan(applicant, app)
    assert applicant_services.application_submit(actor=applicant, application_id=app.pk) == []
    province = reviewers["province_js"]
    with pytest.raises(PortalError):  # no local-base claim was made
        services.claim_check(actor=province, application_id=app.pk, claim="priority", status="verified")
    with pytest.raises(PortalError):  # a rejection needs its reason
        services.claim_check(actor=province, application_id=app.pk, claim="exemption", status="rejected")
    with pytest.raises(PortalError):  # another province's reviewer
        services.claim_check(actor=reviewers["province_zj"], application_id=app.pk, claim="exemption",
                             status="verified")
    services.claim_check(actor=province, application_id=app.pk, claim="exemption", status="verified", note="核实")
    assert Application.objects.get(pk=app.pk).exemption_status == ClaimStatus.VERIFIED


def test_other_provinces_and_applicants_cannot_decide(reviewers, on_desk, outsider):
    app = on_desk["city"]
    for actor in (reviewers["city_suzhou"], reviewers["province_zj"], outsider):
        with pytest.raises(PortalError):
            services.application_city_consent(actor=actor, application_id=app.pk)
    assert Application.objects.get(pk=app.pk).state == State.CITY_REVIEW



def test_the_detail_page_keeps_trail_changes_and_content_together_until_the_next_change(
        client, reviewers, on_desk, city_institution, english):
    """The trail, what changed since the previous version and the form's content are one fragment kept under the
    application's lock_version: a second look reads none of them again, and a resubmission shows its changes, its
    trail line and its new content at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from applications import services as applicant
    from tests.conftest import attach_scan, fill

    app = on_desk["city"]
    city = reviewers["city_nanjing"]
    url = reverse("review_application", args=[app.pk])
    client.force_login(city)
    first = client.get(url).content.decode()
    assert "Changed since the previous version" not in first and "新目标" not in first
    with CaptureQueriesContext(connection) as again:
        assert client.get(url).status_code == 200
    assert not [q for q in again.captured_queries if "auditevent" in q["sql"] or "staffmember" in q["sql"]]
    services.application_return(actor=city, application_id=app.pk, reason="请补充建设目标")
    fill(city_institution, Application.objects.get(pk=app.pk), values={"plan_goals": "新目标"}, scan=False)
    attach_scan(city_institution, app)
    applicant.application_submit(actor=city_institution, application_id=app.pk)
    page = client.get(url).content.decode()
    assert "Changed since the previous version (1 change)" in page and page.count("新目标") >= 2
    assert "请补充建设目标" in page  # the return, on the trail


def test_the_detail_page_reads_its_kept_fragment_with_the_seals_verdicts_in_one_round_trip(client, reviewers,
                                                                                           on_desk):
    """Once kept, the page's fragment (trail, changes, content) is read together with its versions' seal verdicts:
    one get_many, and no get of its own by {% cache %}; a missing fragment is rendered and kept as before."""
    from django.core.cache import caches
    from django.urls import reverse

    app = on_desk["city"]
    client.force_login(reviewers["city_nanjing"])
    url = reverse("review_application", args=[app.pk])
    first = client.get(url).content.decode()
    backend = caches["default"]
    with mock.patch.object(backend, "get_many", wraps=backend.get_many) as get_many, \
            mock.patch.object(backend, "get", wraps=backend.get) as get:
        again = client.get(url).content.decode()
    # {% cache %} asks get(key); the local-memory cache's get_many asks get(key, default, version) for each key.
    fragment_reads = [call for call in get.call_args_list
                      if "application_main" in str(call.args[0]) and len(call.args) == 1]
    [many] = [call for call in get_many.call_args_list if any("application_main" in k for k in call.args[0])]
    assert fragment_reads == [] and any(k.startswith("seal-verdict:") for k in many.args[0])
    assert 'id="trail-title"' in again and app.name in again and 'id="trail-title"' in first
