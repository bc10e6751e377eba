"""The provincial package: ranking, the quota with its exemptions, priority, the letter, the deadline
lock and CNIPA's audited reopen."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications import services as applicant_services
from applications.enums import State
from applications.models import Application
from navportal.demo.content import TINY_PDF
from navportal.errors import PortalError
from navportal.models import AuditEvent
from review import services
from review.models import Package, PackageStatus, Recommendation
from review.quota import priority_overrides, quota_usage
from tests.conftest import make_applicant


@pytest.fixture
def province(reviewers):
    return reviewers["province_js"]


@pytest.fixture
def jiangsu_apps(submitted):
    """Five parks of Jiangsu at the provincial desk."""
    return [submitted(make_applicant(f"示例·江苏园区{i}", f"js-park{i}")) for i in range(5)]


def recommend(actor, application, opinion="同意推荐"):
    return services.application_recommend(actor=actor, application_id=application.pk, opinion=opinion)


def package_of(province, call):
    return Package.objects.get(call=call, province=province.province)


def test_recommendations_take_slots_up_to_the_quota(province, jiangsu_apps, call):
    for application in jiangsu_apps[:3]:
        recommend(province, application)
    with pytest.raises(PortalError) as exc:
        recommend(province, jiangsu_apps[3])
    assert exc.value.code == "quota"
    package = package_of(province, call)
    assert list(package.recommendations.values_list("rank", "slot__number")) == [(1, 1), (2, 2), (3, 3)]
    assert Application.objects.get(pk=jiangsu_apps[3].pk).state == State.PROVINCE_REVIEW


def test_taking_one_back_frees_its_slot_and_closes_the_ranks(province, jiangsu_apps, call):
    for application in jiangsu_apps[:3]:
        recommend(province, application)
    services.application_unrecommend(actor=province, application_id=jiangsu_apps[0].pk)
    recommend(province, jiangsu_apps[3])
    package = package_of(province, call)
    assert list(package.recommendations.values_list("application__name", "rank")) == [
        ("示例·江苏园区1", 1), ("示例·江苏园区2", 2), ("示例·江苏园区3", 3)]
    assert Application.objects.get(pk=jiangsu_apps[0].pk).state == State.PROVINCE_REVIEW


def exempt(application, category="protection_centre"):
    Application.objects.filter(pk=application.pk).update(exempt_category=category)


def test_only_a_verified_exemption_frees_the_quota(province, jiangsu_apps, call):
    exempt(jiangsu_apps[0])
    for application in jiangsu_apps[1:4]:
        recommend(province, application)
    with pytest.raises(PortalError):  # claimed but not yet verified: it counts
        recommend(province, jiangsu_apps[0])
    services.claim_check(actor=province, application_id=jiangsu_apps[0].pk, claim="exemption", status="verified")
    recommend(province, jiangsu_apps[0])
    package = package_of(province, call)
    recommendations = list(package.recommendations.select_related("application"))
    assert quota_usage(recommendations, call, package.quota) == (3, 1, 0)
    assert Recommendation.objects.get(application=jiangsu_apps[0]).slot is None


def test_rejecting_an_exemption_of_a_recommended_one_needs_a_free_slot(province, jiangsu_apps, call):
    exempt(jiangsu_apps[0])
    services.claim_check(actor=province, application_id=jiangsu_apps[0].pk, claim="exemption", status="verified")
    for application in jiangsu_apps[:4]:
        recommend(province, application)
    with pytest.raises(PortalError) as exc:
        services.claim_check(actor=province, application_id=jiangsu_apps[0].pk, claim="exemption",
                             status="rejected", note="文件不符")
    assert exc.value.code == "quota"
    assert Application.objects.get(pk=jiangsu_apps[0].pk).exemption_status == "verified"
    services.application_unrecommend(actor=province, application_id=jiangsu_apps[1].pk)
    services.claim_check(actor=province, application_id=jiangsu_apps[0].pk, claim="exemption", status="rejected",
                         note="文件不符")
    assert Recommendation.objects.get(application=jiangsu_apps[0]).slot is not None


def test_pilot_parks_are_not_a_category_and_a_category_the_call_excludes_does_not_exempt(province, jiangsu_apps,
                                                                                          call):
    call.exempt_categories = ["protection_centre"]
    call.save()
    exempt(jiangsu_apps[0], "demonstration_park")
    services.claim_check(actor=province, application_id=jiangsu_apps[0].pk, claim="exemption", status="verified")
    for application in jiangsu_apps[1:3]:
        recommend(province, application)
    recommend(province, jiangsu_apps[0])  # counts: takes the third slot
    with pytest.raises(PortalError):
        recommend(province, jiangsu_apps[3])


def test_priority_overrides_need_a_justification(english, province, jiangsu_apps, call):
    Application.objects.filter(pk=jiangsu_apps[2].pk).update(local_base=True)
    services.claim_check(actor=province, application_id=jiangsu_apps[2].pk, claim="priority", status="verified")
    for application in jiangsu_apps[:3]:
        recommend(province, application)
    package = package_of(province, call)
    ranked = [r.application for r in package.recommendations.select_related("application")]
    assert [(a.name, b.name) for a, b in priority_overrides(ranked)] == [
        ("示例·江苏园区0", "示例·江苏园区2"), ("示例·江苏园区1", "示例·江苏园区2")]
    ready(province, package, jiangsu_apps[3:])
    with pytest.raises(PortalError) as exc:
        services.package_submit(actor=province, package_id=package.pk)
    assert "justification" in str(exc.value)
    # Moving the local base to the top removes the need.
    services.package_move(actor=province, package_id=package.pk,
                          recommendation_id=Recommendation.objects.get(application=jiangsu_apps[2]).pk, steps=-2)
    services.package_submit(actor=province, package_id=package.pk)


def test_a_written_justification_allows_the_override(province, jiangsu_apps, call):
    Application.objects.filter(pk=jiangsu_apps[1].pk).update(local_base=True)
    services.claim_check(actor=province, application_id=jiangsu_apps[1].pk, claim="priority", status="verified")
    recommend(province, jiangsu_apps[0])
    recommend(province, jiangsu_apps[1])
    package = package_of(province, call)
    ready(province, package, jiangsu_apps[2:])
    services.package_update(actor=province, package_id=package.pk, justification="园区0产业带动作用更突出")
    assert services.package_submit(actor=province, package_id=package.pk).status == PackageStatus.SUBMITTED


def test_ranking_by_explicit_order(province, jiangsu_apps, call):
    for application in jiangsu_apps[:3]:
        recommend(province, application)
    package = package_of(province, call)
    ids = list(package.recommendations.order_by("rank").values_list("pk", flat=True))
    services.package_rank(actor=province, package_id=package.pk, order=[ids[2], ids[0], ids[1]])
    assert list(package.recommendations.order_by("rank").values_list("pk", flat=True)) == [ids[2], ids[0], ids[1]]
    with pytest.raises(PortalError):
        services.package_rank(actor=province, package_id=package.pk, order=ids[:2])


def ready(province, package, undecided):
    """Decline the rest and upload the letter, so that only the rule under test can stop the hand-in."""
    for application in undecided:
        services.application_decline(actor=province, application_id=application.pk, reason="择优")
    services.package_attach_letter(actor=province, package_id=package.pk,
                                   upload=SimpleUploadedFile("推荐函.pdf", TINY_PDF))


def test_hand_in_names_what_is_missing(english, province, jiangsu_apps, call):
    recommend(province, jiangsu_apps[0])
    package = package_of(province, call)
    with pytest.raises(PortalError) as exc:
        services.package_submit(actor=province, package_id=package.pk)
    message = str(exc.value)
    assert "4 applications" in message and "letter" in message


def test_hand_in_locks_the_package_and_moves_the_recommended_to_cnipa(province, reviewers, jiangsu_apps, call):
    for application in jiangsu_apps[:2]:
        recommend(province, application)
    package = package_of(province, call)
    ready(province, package, jiangsu_apps[2:])
    services.package_submit(actor=province, package_id=package.pk)
    assert set(Application.objects.filter(pk__in=[a.pk for a in jiangsu_apps[:2]]).values_list("state", flat=True)) \
        == {State.NATIONAL_REVIEW}
    for change in (lambda: services.application_unrecommend(actor=province, application_id=jiangsu_apps[0].pk),
                   lambda: services.package_update(actor=province, package_id=package.pk, justification="x"),
                   lambda: services.package_submit(actor=province, package_id=package.pk)):
        with pytest.raises(PortalError):
            change()


def test_deadline_locks_the_package_and_cnipa_reopens_it_with_an_audited_reason(province, reviewers, jiangsu_apps,
                                                                                 call):
    recommend(province, jiangsu_apps[0])
    package = package_of(province, call)
    call.deadline = timezone.now() - datetime.timedelta(minutes=1)
    call.opens_at = call.deadline - datetime.timedelta(days=10)
    call.save()
    with pytest.raises(PortalError) as exc:
        recommend(province, jiangsu_apps[1])
    assert exc.value.code == "deadline"
    with pytest.raises(PortalError):
        services.package_reopen(actor=province, package_id=package.pk, reason="x",
                                until=timezone.now() + datetime.timedelta(days=2))
    with pytest.raises(PortalError):
        services.package_reopen(actor=reviewers["national"], package_id=package.pk, reason="",
                                until=timezone.now() + datetime.timedelta(days=2))
    services.package_reopen(actor=reviewers["national"], package_id=package.pk, reason="材料补正",
                            until=timezone.now() + datetime.timedelta(days=2))
    [event] = AuditEvent.objects.filter(action="package_reopen")
    assert (event.actor, event.note.startswith("材料补正")) == (reviewers["national"], True)
    recommend(province, jiangsu_apps[1])


def test_reopening_a_handed_in_package_brings_its_recommendations_back(province, reviewers, jiangsu_apps, call):
    recommend(province, jiangsu_apps[0])
    package = package_of(province, call)
    ready(province, package, jiangsu_apps[1:])
    services.package_submit(actor=province, package_id=package.pk)
    services.package_reopen(actor=reviewers["national"], package_id=package.pk, reason="排序有误",
                            until=timezone.now() + datetime.timedelta(days=3))
    assert Application.objects.get(pk=jiangsu_apps[0].pk).state == State.RECOMMENDED
    assert Package.objects.get(pk=package.pk).status == PackageStatus.OPEN


def test_ministry_packages_have_no_quota_unless_the_call_sets_one(reviewers, submitted, call):
    moe = reviewers["ministry_moe"]
    units = [submitted(make_applicant(f"示例·部属{i}", f"moe{i}", applicant_type="institution",
                                      affiliation="ministry", city="110108", ministry="moe")) for i in range(4)]
    for application in units:
        recommend(moe, application)
    assert Package.objects.get(ministry=moe.ministry).quota is None
    assert Recommendation.objects.filter(slot__isnull=False).count() == 0


def test_ministry_quota_from_the_call(reviewers, submitted, call):
    call.ministry_quota = 1
    call.save()
    moe = reviewers["ministry_moe"]
    units = [submitted(make_applicant(f"示例·部属{i}", f"moe{i}", applicant_type="institution",
                                      affiliation="ministry", city="110108", ministry="moe")) for i in range(2)]
    recommend(moe, units[0])
    with pytest.raises(PortalError):
        recommend(moe, units[1])


def test_applicant_cannot_withdraw_once_recommended_but_sees_no_internal_state(province, jiangsu_apps):
    recommend(province, jiangsu_apps[0])
    app = Application.objects.get(pk=jiangsu_apps[0].pk)
    assert str(app.applicant_state_label) == str(Application(state=State.PROVINCE_REVIEW).applicant_state_label)
    owner = app.organisation.members.get()
    with pytest.raises(PortalError):
        applicant_services.application_withdraw(actor=owner, application_id=app.pk)



def test_declining_a_verified_local_base_while_recommending_others_needs_a_justification(english, province, jiangsu_apps,
                                                                                        call):
    Application.objects.filter(pk=jiangsu_apps[0].pk).update(local_base=True)
    services.claim_check(actor=province, application_id=jiangsu_apps[0].pk, claim="priority", status="verified")
    services.application_decline(actor=province, application_id=jiangsu_apps[0].pk, reason="择优")
    recommend(province, jiangsu_apps[1])
    package = package_of(province, call)
    ready(province, package, jiangsu_apps[2:])
    with pytest.raises(PortalError) as exc:
        services.package_submit(actor=province, package_id=package.pk)
    assert "justification" in str(exc.value)
    services.package_update(actor=province, package_id=package.pk, justification="该基地服务能力不足")
    services.package_submit(actor=province, package_id=package.pk)


def test_package_in_scope_agrees_with_the_scoped_queryset(reviewers, call, applicant):
    """review.selectors.package_in_scope (the ranking page's check on the package read by id) says what
    packages_for_user says, for every role, on packages of two provinces and two ministries."""
    from navportal.models import Ministry, Province
    from review.selectors import package_in_scope, packages_for_user

    packages = [Package.objects.create(call=call, province=Province.objects.get(code=code)) for code in
                ("320000", "330000")] + [Package.objects.create(call=call, ministry=Ministry.objects.get(code=code))
                                         for code in ("moe", "cas")]
    for user in [*reviewers.values(), applicant]:
        visible = set(packages_for_user(user).values_list("pk", flat=True))
        assert {p.pk for p in packages if package_in_scope(user, p)} == visible, user.username


def test_another_provinces_package_is_404_and_recorded(client, reviewers, call):
    from navportal.models import Province

    package = Package.objects.create(call=call, province=Province.objects.get(code="320000"))
    client.force_login(reviewers["province_js"])
    assert client.get(package.get_absolute_url()).status_code == 200
    client.force_login(reviewers["province_zj"])
    assert client.get(package.get_absolute_url()).status_code == 404
    [event] = AuditEvent.objects.filter(action="access_denied")
    assert event.note.startswith(f"review.package#{package.pk} GET")


def test_the_ranking_pages_compiled_reads_are_the_orms(province, jiangsu_apps, reviewers, call):
    """The ranking page reads the recommendations (with their applications) and whether the list is published
    through compiled queries: the same rows, fields and order as the ORM's, and the notice seen once there."""
    from review.models import Notice
    from review.selectors import list_published, package_recommendations

    for application in reversed(jiangsu_apps[:3]):
        recommend(province, application)
    package = package_of(province, call)
    services.package_move(actor=province, package_id=package.pk,
                          recommendation_id=package.recommendations.get(rank=3).pk, steps=-1)
    listed = package_recommendations(package)
    expected = list(package.recommendations.select_related("application").order_by("rank"))
    fields = ("pk", "rank", "score", "opinion", "slot_id")
    application_fields = ("pk", "name", "state", "exempt_category", "exemption_status", "national_exemption_status",
                          "local_base", "priority_status")
    assert [([getattr(r, f) for f in fields], [getattr(r.application, f) for f in application_fields])
            for r in listed] == [([getattr(r, f) for f in fields], [getattr(r.application, f) for f in application_fields])
                                 for r in expected] and len(listed) == 3
    assert all(r.package is package for r in listed)
    assert package_recommendations(Package(pk=999_999)) == []
    assert list_published(call.pk) is False
    Notice.objects.create(call=call, text="公示", contact="电话", published_at=timezone.now(),
                          published_by=reviewers["national"], starts_on=timezone.localdate(),
                          ends_on=timezone.localdate())
    assert list_published(call.pk) is True


def test_the_ranking_pages_lists_beside_the_package_are_its_bureaus_scoped_ones(province, jiangsu_apps, reviewers,
                                                                                call):
    """The applications still at the desk and the verified local bases passed over, read on every ranking page in
    one query compiled per kind of unit (review.selectors.beside_package), are those the bureau's scoped querysets
    give, with the same fields and in the same order, for a province's package and a ministry's — and none of
    another unit's or another call's. The package is read with whether its call's list is published."""
    from applications.enums import ClaimStatus, Route
    from applications.selectors import applications_for_user
    from navportal.models import Ministry, Province
    from review.models import Notice
    from review.selectors import beside_package, list_published
    from review.views import PACKAGE

    recommend(province, jiangsu_apps[0])
    passed, zhejiang, at_ministry = jiangsu_apps[1], jiangsu_apps[3], jiangsu_apps[4]
    Application.objects.filter(pk=passed.pk).update(state=State.NOT_RECOMMENDED, local_base=True,
                                                    priority_status=ClaimStatus.VERIFIED)
    Application.objects.filter(pk=zhejiang.pk).update(province=Province.objects.get(code="330000"))
    moe = Ministry.objects.get(code="moe")
    Application.objects.filter(pk=at_ministry.pk).update(route=Route.MINISTRY, ministry=moe,
                                                         state=State.MINISTRY_REVIEW)
    ministry_package = Package.objects.create(call=call, ministry=moe)
    cases = [(province, package_of(province, call), State.PROVINCE_REVIEW),
             (reviewers["ministry_moe"], ministry_package, State.MINISTRY_REVIEW)]
    for user, package, desk in cases:
        scope = applications_for_user(user)
        undecided, passed_over = beside_package(package)
        undecided = [(a.pk, a.name, a.exempt_category, a.local_base, a.lock_version) for a in undecided]
        assert undecided == [(a.pk, a.name, a.exempt_category, a.local_base, a.lock_version) for a in scope.filter(
            call=call, state=desk).order_by("submitted_at", "pk")] and undecided, desk
        assert [(a.pk, a.name, a.local_base, a.priority_status) for a in passed_over] == [
            (a.pk, a.name, a.local_base, a.priority_status) for a in services.passed_over_priority(package, scope)]
    assert [a.pk for a in beside_package(package_of(province, call))[0]] == [jiangsu_apps[2].pk]
    assert [a.pk for a in beside_package(package_of(province, call))[1]] == [passed.pk]
    assert [a.pk for a in beside_package(ministry_package)[0]] == [at_ministry.pk]
    assert beside_package(Package(pk=999_999, call=call, ministry=moe)) == ([], [])
    assert PACKAGE.get(ministry_package.pk).list_published is False is list_published(call.pk)
    Notice.objects.create(call=call, text="公示", contact="电话", published_at=timezone.now(),
                          published_by=reviewers["national"], starts_on=timezone.localdate(),
                          ends_on=timezone.localdate())
    assert PACKAGE.get(ministry_package.pk).list_published is True is list_published(call.pk)


def test_the_list_still_at_the_desk_is_kept_under_its_rows_versions_and_the_language(client, province, jiangsu_apps,
                                                                                     call):
    """The ranking page's list of the applications still at the desk is rendered once for its rows' ids and
    lock_versions and the language: a decision takes one off at once, and another language gets its own words."""
    from django.urls import reverse

    recommend(province, jiangsu_apps[0])
    Application.objects.filter(pk=jiangsu_apps[2].pk).update(exempt_category="national_ip_park")
    services.application_decline(actor=province, application_id=jiangsu_apps[3].pk, reason="不符合条件")
    url = reverse("package_detail", args=[package_of(province, call).pk])
    client.force_login(province)

    def still_at_desk(**headers):
        page = client.get(url, **headers).content.decode()
        section = page[page.index('id="undecided-title"'):]
        return section[:section.index("</section>")]

    first = still_at_desk()
    assert all(a.name in first for a in (jiangsu_apps[1], jiangsu_apps[2], jiangsu_apps[4]))
    assert jiangsu_apps[3].name not in first and "申请免占名额" in first and "claims exemption" not in first
    services.application_decline(actor=province, application_id=jiangsu_apps[1].pk, reason="不符合条件")
    second = still_at_desk()
    assert jiangsu_apps[1].name not in second and jiangsu_apps[4].name in second
    client.cookies["django_language"] = "en"
    english = still_at_desk(HTTP_ACCEPT_LANGUAGE="en")
    assert "claims exemption" in english and jiangsu_apps[4].name in english


def test_the_ranking_table_follows_each_change_and_posts_with_the_requests_own_token(province, jiangsu_apps, call, english):
    """The ranking's table shows a move and a revised opinion at once, and its forms carry the token of the
    request that shows them: a POST with it passes Django's CSRF check."""
    import re

    from django.test import Client
    from django.urls import reverse

    for application in jiangsu_apps[:3]:
        recommend(province, application)
    package = package_of(province, call)
    url = reverse("package_detail", args=[package.pk])
    client = Client(enforce_csrf_checks=True)
    client.force_login(province)

    def order_and_token():
        page = client.get(url).content.decode()
        table = page[page.index('id="ranking-table"'):page.index("</table>", page.index('id="ranking-table"'))]
        rows = re.findall(r'<tr data-id="(\d+)"', table)
        tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', table))
        return [int(pk) for pk in rows], tokens

    first, first_tokens = order_and_token()
    again, tokens = order_and_token()
    assert first == again == [r.pk for r in package.recommendations.order_by("rank")]
    assert len(tokens) == 1 and tokens != first_tokens
    last = first[-1]
    response = client.post(reverse("package_move", args=[package.pk, last, "up"]),
                           {"csrfmiddlewaretoken": tokens.pop()})
    assert response.status_code == 302
    moved, _tokens = order_and_token()
    assert moved == [first[0], last, first[1]]
    services.recommendation_update(actor=province, application_id=jiangsu_apps[0].pk, opinion="重新评估后推荐",
                                   score=88)
    page = client.get(url).content.decode()
    assert "<summary>重新评估后推荐</summary>" in page and "<td>88.0</td>" in page
