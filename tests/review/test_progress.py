"""review/progress.py: the counts per recommending unit, as the dashboard, the national summary, the reminders
and publishing read them — checked figure by figure on a call with every kind of unit, and in two queries
whatever its size."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.enums import Affiliation, ApplicantType
from applications.units import MINISTRY, PROVINCE, Unit
from navportal.models import Ministry, Province
from review import national, services
from review.deadlines import LATE, NOT_HANDED_IN, ON_TIME
from review.models import Package
from review.progress import unit_progress, unit_totals, units_over_quota
from navportal.demo.content import TINY_PDF
from tests.conftest import make_applicant
from tests.review.test_national_exports import cnipa, nation, recommend  # noqa: F401 - fixtures

FIGURES = ("received", "city", "desk", "recommended", "counted", "exempt", "over", "quota", "hand_in")


def figures(row):
    return (row.body.name, *(getattr(row, name) for name in FIGURES))


def test_every_figure_of_every_unit(nation, call):
    """The nation of test_national_exports: Jiangsu over quota after CNIPA rejected an exemption, Zhejiang late
    with a failed recommendation, MOE's package open, CAS without one, Guangdong with a draft only."""
    progress = unit_progress(call)
    provinces = list(Province.objects.order_by("code"))
    # Every province, by code, then the ministries with something in the call, by code.
    assert [row.unit for row in progress] == [Unit(PROVINCE, p.pk) for p in provinces] + [
        Unit(MINISTRY, Ministry.objects.get(code=code).pk) for code in ("cas", "moe")]
    assert [row.body for row in progress] == [*provinces, *Ministry.objects.filter(code__in=("cas", "moe"))
                                              .order_by("code")]
    listed = [figures(row) for row in progress if row.received or row.package]
    assert listed == [
        # received, city, desk, recommended, counted, exempt, over, quota, handed in
        ("江苏省", 5, 1, 0, 4, 4, 0, 1, 3, ON_TIME),
        ("浙江省", 2, 0, 0, 2, 0, 1, 0, 3, LATE),       # the draft is not received; the failed one no longer counts
        ("中国科学院", 1, 0, 1, 0, 0, 0, 0, None, NOT_HANDED_IN),  # no package: the call's (no) ministry quota
        ("教育部", 1, 0, 0, 1, 1, 0, 0, None, NOT_HANDED_IN),      # its package is open
    ]
    guangdong = next(row for row in progress if row.body.code == "440000")
    assert figures(guangdong) == ("广东省", 0, 0, 0, 0, 0, 0, 0, 3, NOT_HANDED_IN) and guangdong.package is None
    assert unit_totals(progress) == {"received": 9, "city": 1, "desk": 1, "recommended": 7, "counted": 5, "exempt": 1,
                                "over": 1}
    jiangsu = progress[[p.code for p in provinces].index("320000")]
    assert (jiangsu.kind, jiangsu.handed_in, jiangsu.on_time) == (PROVINCE, True, True)
    assert jiangsu.package == Package.objects.get(call=call, province__code="320000")


def test_units_over_quota(nation, call):
    assert [(row.body.name, row.counted, row.quota, row.over) for row in units_over_quota(call)] == [
        ("江苏省", 4, 3, 1)]


def test_the_notice_page_names_the_units_over_quota(english, client, nation, cnipa, call):
    client.force_login(cnipa)
    response = client.get(reverse("notice_manage", args=[call.pk]))
    assert [row.body.name for row in response.context["over_quota"]] == ["江苏省"]
    assert "Jiangsu is over quota (4 / 3)." in response.content.decode()


def test_a_package_handed_in_late_and_one_reopened_since(reviewers, submitted, call):
    js, zj = reviewers["province_js"], reviewers["province_zj"]
    on_time = recommend(js, [submitted(make_applicant("示例·江苏园区", "js0"))])
    late = recommend(zj, [submitted(make_applicant("示例·浙江园区", "zj0", city="330100"))])
    Package.objects.filter(pk=late.pk).update(submitted_at=call.deadline)  # exactly at the deadline: late
    by_name = {row.body.name: row for row in unit_progress(call)}
    assert (by_name["江苏省"].hand_in, by_name["浙江省"].hand_in) == (ON_TIME, LATE)
    services.package_reopen(actor=reviewers["national"], package_id=on_time.pk, reason="补正",
                            until=timezone.now() + datetime.timedelta(days=2))
    assert {row.body.name: row for row in unit_progress(call)}["江苏省"].hand_in == NOT_HANDED_IN


def test_a_ministry_with_only_an_empty_package_is_a_unit_of_the_call(reviewers, call):
    services.package_get_or_create(actor=reviewers["ministry_cas"], call=call)
    ministries = [row for row in unit_progress(call) if row.unit.is_ministry]
    assert [figures(row) for row in ministries] == [("中国科学院", 0, 0, 0, 0, 0, 0, 0, None, NOT_HANDED_IN)]


def test_the_call_sets_the_ministries_quota(reviewers, submitted, call):
    call.ministry_quota = 2
    call.save()
    submitted(make_applicant("示例·某大学中心", "moe0", applicant_type=ApplicantType.INSTITUTION,
                             affiliation=Affiliation.MINISTRY, city="110108", ministry="moe"))
    [moe] = [row for row in unit_progress(call) if row.unit.is_ministry]
    assert (moe.body.name, moe.desk, moe.quota) == ("教育部", 1, 2)


def test_two_queries_with_one_unit_or_three(reviewers, submitted, call, django_assert_num_queries):
    js, zj, moe = reviewers["province_js"], reviewers["province_zj"], reviewers["ministry_moe"]
    recommend(js, [submitted(make_applicant(f"示例·江苏园区{i}", f"js{i}")) for i in range(2)])
    with django_assert_num_queries(2):
        one = unit_progress(call)
    recommend(zj, [submitted(make_applicant(f"示例·浙江园区{i}", f"zj{i}", city="330100")) for i in range(3)])
    recommend(moe, [submitted(make_applicant(f"示例·大学中心{i}", f"moe{i}", applicant_type=ApplicantType.INSTITUTION,
                                             affiliation=Affiliation.MINISTRY, city="110108", ministry="moe"))
                    for i in range(2)], hand_in=False)
    with django_assert_num_queries(2):
        three = unit_progress(call)
    assert [sum(bool(row.package) for row in rows) for rows in (one, three)] == [1, 3]
    assert [unit_totals(rows)["recommended"] for rows in (one, three)] == [2, 7]
    # What the pages show of a unit and its package is loaded: no query per row.
    with CaptureQueriesContext(connection) as shown:
        [(str(row.body), row.package and (row.package.pk, str(row.package), row.package.unit.code)) for row in three]
    assert len(shown) == 0


@pytest.mark.django_db
def test_a_call_with_nothing_yet(call):
    progress = unit_progress(call)
    assert len(progress) == Province.objects.count() and not any(row.unit.is_ministry for row in progress)
    assert set(unit_totals(progress).values()) == {0}


def test_the_dashboards_cached_rendering_follows_the_calls_progress_version(english, client, reviewers, submitted,
                                                                            cnipa, call):
    """The dashboard is cached under the call's progress_version: what the writers change shows at once; a write
    that bypasses them (and so the counter) is not seen — the key holds no figure of its own."""
    js = reviewers["province_js"]
    package = recommend(js, [submitted(make_applicant("示例·江苏园区", "js0"))], hand_in=False)
    client.force_login(cnipa)

    def jiangsu_row():
        body = client.get(reverse("dashboard")).content.decode()
        return body[body.index("Jiangsu"):].split("</tr>")[0]

    assert "Not handed in" in jiangsu_row()
    services.package_attach_letter(actor=js, package_id=package.pk, upload=SimpleUploadedFile("l.pdf", TINY_PDF))
    services.package_submit(actor=js, package_id=package.pk)
    assert "On time" in jiangsu_row()
    Package.objects.filter(pk=package.pk).update(submitted_at=call.deadline)
    assert "On time" in jiangsu_row()
    national.recheck_fail(actor=cnipa, application_id=package.recommendations.get().application_id, reason="不符合")
    assert "Late" in jiangsu_row()


def test_a_package_handed_in_again_within_cnipas_extension_is_on_time(reviewers, submitted, call):
    js = reviewers["province_js"]
    package = recommend(js, [submitted(make_applicant("示例·江苏园区", "js0"))])
    now = timezone.now()
    type(call).objects.filter(pk=call.pk).update(opens_at=now - datetime.timedelta(days=30),
                                                 deadline=now - datetime.timedelta(hours=1))
    services.package_reopen(actor=reviewers["national"], package_id=package.pk, reason="排序有误",
                            until=now + datetime.timedelta(days=2))
    services.package_submit(actor=js, package_id=package.pk)
    call.refresh_from_db()
    assert {row.body.name: row for row in unit_progress(call)}["江苏省"].hand_in == ON_TIME
