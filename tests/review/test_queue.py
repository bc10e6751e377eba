"""Reviewer queues exist for every desk and show exactly the reviewer's own scope; list pages keep a
constant number of queries however many rows they show."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import services
from applications.enums import State
from portal import data_requests
from portal.models import DataRequest
from tests.conftest import make_applicant


@pytest.fixture
def everyone(applicant, city_institution, province_institution, ministry_unit, submitted):
    """One submitted application on each route, plus a draft nobody but its applicant may see."""
    apps = {who: submitted(user) for who, user in [
        ("park", applicant), ("city_inst", city_institution), ("prov_inst", province_institution),
        ("moe_unit", ministry_unit)]}
    drafter = make_applicant("示例·草稿园区", "drafter")
    apps["draft"] = services.application_start(actor=drafter, call=apps["park"].call)
    return apps


def names_in_queue(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("review_queue"), {"state": "", **params})
    assert response.status_code == 200
    return sorted(a.name for a in response.context["page"].object_list)


@pytest.mark.parametrize("desk, expected", [
    ("city_nanjing", ["示例·南京市中心"]),
    ("city_suzhou", []),  # the Suzhou park is a park: it goes straight to the province
    ("province_js", ["示例·南京市中心", "示例·江苏省中心", "示例·苏州园区"]),
    ("province_zj", []),
    ("ministry_moe", ["示例·某大学中心"]),
    ("ministry_cas", []),
    ("national", ["示例·南京市中心", "示例·某大学中心", "示例·江苏省中心", "示例·苏州园区"]),
])
def test_each_queue_shows_exactly_its_scope_and_never_drafts(client, reviewers, everyone, desk, expected):
    assert names_in_queue(client, reviewers[desk]) == expected


def test_queue_opens_on_the_reviewers_own_desk(client, reviewers, everyone):
    client.force_login(reviewers["province_js"])
    response = client.get(reverse("review_queue"))
    assert sorted(a.name for a in response.context["page"]) == ["示例·江苏省中心", "示例·苏州园区"]
    assert all(a.state == State.PROVINCE_REVIEW for a in response.context["page"])


def test_queue_filters_and_search(client, reviewers, everyone):
    reviewer = reviewers["province_js"]
    assert names_in_queue(client, reviewer, applicant_type="institution") == ["示例·南京市中心", "示例·江苏省中心"]
    assert names_in_queue(client, reviewer, q="苏州") == ["示例·苏州园区"]
    code = everyone["prov_inst"].organisation.credit_code
    assert names_in_queue(client, reviewer, q=code.lower()) == ["示例·江苏省中心"]
    assert names_in_queue(client, reviewer, industry="集成电路", state="city_review") == ["示例·南京市中心"]


@pytest.mark.parametrize("desk, allowed", [
    ("province_js", {"park", "city_inst", "prov_inst"}), ("province_zj", set()), ("city_nanjing", {"city_inst"}),
    ("city_suzhou", set()), ("ministry_moe", {"moe_unit"}), ("ministry_cas", set()),
    ("national", {"park", "city_inst", "prov_inst", "moe_unit"}),
])
def test_detail_outside_scope_is_404(client, reviewers, everyone, desk, allowed):
    client.force_login(reviewers[desk])
    for key, application in everyone.items():
        status = client.get(reverse("review_application", args=[application.pk])).status_code
        assert status == (200 if key in allowed else 404), (desk, key)


def test_applicants_have_no_queue(client, applicant):
    client.force_login(applicant)
    assert client.get(reverse("review_queue")).status_code == 404


def test_anonymous_users_are_sent_to_log_in(client):
    assert client.get(reverse("review_queue")).url.startswith(reverse("login"))


def _submitted_many(submitted, n):
    for i in range(n):
        submitted(make_applicant(f"示例·园区{i}", f"park{i}"))


def count_queries(client, django_assert_num_queries, url, expected):
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("page", ["review_queue", "application_list"])
def test_list_pages_have_a_constant_query_count(client, reviewers, submitted, django_assert_num_queries,
                                                  applicant, page):
    user = reviewers["province_js"] if page == "review_queue" else applicant
    submitted(applicant)
    client.force_login(user)
    url = reverse(page)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _submitted_many(submitted, 3)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(one) == len(many) <= 12


def test_the_queue_pages_fifty_at_a_time_with_the_count_and_the_last_page_past_the_end(client, reviewers, submitted,
                                                                                         english):
    """The count comes with the page's light query (a window over the selection); a page past the end shows the
    last one, as Paginator.get_page does."""
    _submitted_many(submitted, 53)
    client.force_login(reviewers["province_js"])
    pages = {}
    for asked in ("", "2", "9", "x"):
        response = client.get(reverse("review_queue"), {"page": asked} if asked else {})
        page = response.context["page"]
        pages[asked] = (page.number, len(page.object_list), page.paginator.count)
        assert "53 applications" in response.content.decode()
    assert pages == {"": (1, 50, 53), "2": (2, 3, 53), "9": (2, 3, 53), "x": (1, 50, 53)}


def test_the_queue_links_the_requests_about_personal_information_with_the_count_its_bureau_holds(
        client, reviewers, applicant, submitted, english):
    """The bureau holding a request about personal information finds the list from its queue, with how many wait for
    its answer; another bureau's count is its own (the header menu has no room for the link: tests/browser/
    test_header.py). One query for the count."""
    application = submitted(applicant)  # a Suzhou park: held by the Jiangsu bureau
    for text in ("联系人手机号码有误", "部门名称有误", "人员名册有误"):
        data_requests.correction_request(actor=applicant, application_id=application.pk, text=text)
    answered = DataRequest.objects.order_by("pk").first()
    data_requests.data_request_answer(actor=reviewers["province_js"], request_id=answered.pk, answer="已更正。")
    counts = {}
    for desk in ("province_js", "province_zj", "city_suzhou", "national"):
        client.force_login(reviewers[desk])
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("review_queue")).content.decode()
        links = re.findall(r'<a [^>]*href="/review/data-requests/">([^<]*)</a>', page)
        counts[desk] = links
        # On PostgreSQL the compiled count is prepared once per session, then run as EXECUTE by its name.
        assert len([q for q in queries if "portal_datarequest" in q["sql"] or "open_data_requests" in q["sql"]]) == 1, \
            desk
    assert counts == {"province_js": ["Requests about personal information (2 open)"],
                      "province_zj": ["Requests about personal information (0 open)"],
                      "city_suzhou": ["Requests about personal information (0 open)"],
                      "national": ["Requests about personal information (0 open)"]}


def test_the_queue_as_it_opens_is_read_by_a_compiled_query_that_agrees_with_the_orm(client, reviewers, everyone,
                                                                                    django_assert_num_queries):
    """The first page of one state (or of all) and no other filter — the queue as it opens — is read by a query
    compiled per role and state (review.selectors.queue_first_page): the same ids, version counters and count
    as the ORM's light query of the reviewer's scope, for every kind of reviewer and state; an official without a
    place gets None (the ORM reads their queue)."""
    from applications.models import Application
    from applications.selectors import applications_for_user
    from navportal.models import Role, User
    from review.selectors import queue_first_page, queue_light

    Application.objects.filter(pk=everyone["prov_inst"].pk).update(state=State.NOT_RECOMMENDED)
    states = ["", State.CITY_REVIEW, State.PROVINCE_REVIEW, State.MINISTRY_REVIEW, State.NOT_RECOMMENDED]
    seen = 0
    for user in reviewers.values():
        for state in states:
            scope = applications_for_user(user)
            expected = [(a.pk, a.lock_version, a.call.version, a.total)
                        for a in queue_light(scope.filter(state=state) if state else scope)[:50]]
            assert queue_first_page(user, state) == expected, (user.username, state)
            seen += len(expected)
    assert seen > 10
    assert queue_first_page(User(role=Role.PROVINCE, username="nowhere"), "") is None
    # The page as it opens: one query for the light rows, as before.
    client.force_login(reviewers["province_js"])
    client.get(reverse("review_queue"))
    page = client.get(reverse("review_queue")).context["page"]
    assert [a.name for a in page] == ["示例·苏州园区"] and page.paginator.count == 1  # the province desk
