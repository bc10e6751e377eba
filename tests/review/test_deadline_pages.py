"""What the pages say about deadlines comes from review.deadlines: the package page, the calls (CNIPA's list and
the home page) and a province's own deadline. The rules themselves are table-tested in test_deadlines.py."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from review import services
from review.deadlines import HANDED_IN, NOT_YET_OPEN, OPEN, PASSED
from review.models import Call, Package, ProvinceDeadline
from tests.conftest import make_applicant


def move(call, *, opens_in, due_in):
    now = timezone.now()
    Call.objects.filter(pk=call.pk).update(opens_at=now + opens_in, deadline=now + due_in)


DAY = datetime.timedelta(days=1)


@pytest.fixture
def jiangsu_package(reviewers, submitted, call):
    province = reviewers["province_js"]
    application = submitted(make_applicant("示例·江苏园区", "js0"))
    services.application_recommend(actor=province, application_id=application.pk, opinion="同意推荐")
    return Package.objects.get(call=call)


def test_the_package_page_locks_once_the_deadline_passed(english, client, reviewers, jiangsu_package, call):
    client.force_login(reviewers["province_js"])
    url = reverse("package_detail", args=[jiangsu_package.pk])
    response = client.get(url)
    assert (response.context["window"].status, response.context["editable"]) == (OPEN, True)
    move(call, opens_in=-10 * DAY, due_in=-datetime.timedelta(minutes=1))
    response = client.get(url)
    assert (response.context["window"].status, response.context["editable"]) == (PASSED, False)
    assert "The deadline has passed" in response.content.decode()


def test_the_package_page_shows_cnipas_extension_as_its_deadline(client, reviewers, jiangsu_package, call):
    move(call, opens_in=-10 * DAY, due_in=-datetime.timedelta(minutes=1))
    until = timezone.now() + 2 * DAY
    services.package_reopen(actor=reviewers["national"], package_id=jiangsu_package.pk, reason="材料补正", until=until)
    client.force_login(reviewers["province_js"])
    response = client.get(reverse("package_detail", args=[jiangsu_package.pk]))
    assert (response.context["window"].status, response.context["editable"]) == (OPEN, True)
    assert timezone.localtime(until).strftime("%Y-%m-%d %H:%M") in response.content.decode()


def test_a_handed_in_package_is_locked_before_the_deadline(english, client, reviewers, jiangsu_package):
    Package.objects.filter(pk=jiangsu_package.pk).update(status="submitted", submitted_at=timezone.now())
    client.force_login(reviewers["province_js"])
    response = client.get(reverse("package_detail", args=[jiangsu_package.pk]))
    assert (response.context["window"].status, response.context["editable"]) == (HANDED_IN, False)
    assert "The deadline has passed" not in response.content.decode()


@pytest.mark.parametrize("opens_in, due_in, status, badge", [
    (-DAY, DAY, OPEN, "Open for applications"),
    (DAY, 2 * DAY, NOT_YET_OPEN, "Not yet open"),
    (-2 * DAY, -DAY, PASSED, "Closed"),
])
def test_the_calls_say_where_each_call_stands(english, client, reviewers, call, opens_in, due_in, status, badge):
    move(call, opens_in=opens_in, due_in=due_in)
    client.force_login(reviewers["national"])
    response = client.get(reverse("call_list"))
    [(listed, window)] = response.context["calls"]
    assert (listed, window.status) == (call, status)
    assert badge in response.content.decode()
    public = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("home"))
    [(listed, window)] = public.context["calls"]
    assert window.status == status
    assert ("Open for applications" in public.content.decode()) is (status == OPEN)


def test_a_province_sets_its_deadline_only_in_a_call_not_past_its_deadline(client, reviewers, call):
    later = Call.objects.create(title="下一批次", document_number="测试〔2027〕1号",
                                opens_at=timezone.now() + 10 * DAY, deadline=timezone.now() + 40 * DAY)
    past = Call.objects.create(title="上一批次", document_number="测试〔2025〕1号",
                               opens_at=timezone.now() - 400 * DAY, deadline=timezone.now() - 300 * DAY)
    client.force_login(reviewers["province_js"])
    response = client.get(reverse("province_deadline"))
    assert [listed for listed, _form in response.context["rows"]] == [call, later]  # by deadline; not the past one
    deadline = timezone.localtime(past.deadline - DAY).strftime("%Y-%m-%dT%H:%M")
    assert client.post(reverse("province_deadline"), {"call": past.pk, f"{past.pk}-deadline": deadline}
                       ).status_code == 404
    deadline = timezone.localtime(later.deadline - DAY).strftime("%Y-%m-%dT%H:%M")
    assert client.post(reverse("province_deadline"), {"call": later.pk, f"{later.pk}-deadline": deadline}
                       ).status_code == 302
    assert list(ProvinceDeadline.objects.values_list("call", flat=True)) == [later.pk]
