import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from navportal.models import AuditEvent
from review.models import Call, ProvinceDeadline


def call_data(**overrides):
    now = timezone.localtime()
    data = {"title": "2027年国家级专利导航服务基地申报", "document_number": "国知办发运字〔2027〕1号", "notice_text": "通知正文",
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "deadline": (now + datetime.timedelta(days=40)).strftime("%Y-%m-%dT%H:%M"), "quota": "3",
            "ministry_quota": "", "notice_working_days": "5",
            "exempt_categories": ["protection_centre", "demonstration_park"]}
    return {**data, **overrides}


def test_cnipa_opens_and_edits_a_call(client, reviewers):
    client.force_login(reviewers["national"])
    response = client.post(reverse("call_create"), call_data())
    call = Call.objects.get()
    assert response.url == reverse("call_edit", args=[call.pk])
    assert (call.quota, call.ministry_quota, call.exempt_categories) == (3, None, ["protection_centre",
                                                                                 "demonstration_park"])
    client.post(reverse("call_edit", args=[call.pk]), call_data(quota="4"))
    assert Call.objects.get().quota == 4
    assert list(AuditEvent.objects.filter(action__startswith="call_").values_list("action", flat=True).order_by("id")) \
        == ["call_create", "call_update"]


def test_deadline_before_opening_is_refused(client, reviewers):
    client.force_login(reviewers["national"])
    now = timezone.localtime()
    response = client.post(reverse("call_create"), call_data(deadline=(now - datetime.timedelta(days=1)).strftime(
        "%Y-%m-%dT%H:%M")))
    # The form checks the model's constraint itself, so the refusal comes with the form.
    assert response.status_code == 400 and not Call.objects.exists()
    assert response.context["form"].errors
    assert "国知办发运字〔2027〕1号" in response.content.decode()


def test_quota_is_fixed_once_packages_exist(client, reviewers, call):
    from review import services
    services.package_get_or_create(actor=reviewers["province_js"], call=call)
    client.force_login(reviewers["national"])
    data = call_data(title=call.title, document_number=call.document_number,
                     opens_at=timezone.localtime(call.opens_at).strftime("%Y-%m-%dT%H:%M"),
                     deadline=timezone.localtime(call.deadline).strftime("%Y-%m-%dT%H:%M"), quota="5")
    assert client.post(reverse("call_edit", args=[call.pk]), data).status_code == 409
    assert Call.objects.get(pk=call.pk).quota == 3


@pytest.mark.parametrize("who", ["province_js", "city_nanjing", "ministry_moe"])
def test_only_cnipa_manages_calls(client, reviewers, call, who):
    client.force_login(reviewers[who])
    assert client.get(reverse("call_list")).status_code == 404
    assert client.post(reverse("call_create"), call_data()).status_code == 404


def test_province_sets_an_earlier_deadline_not_a_later_one(client, reviewers, call):
    client.force_login(reviewers["province_js"])
    later = timezone.localtime(call.deadline + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("province_deadline"), {"call": call.pk, f"{call.pk}-deadline": later})
    assert response.status_code == 409 and not ProvinceDeadline.objects.exists()
    earlier = timezone.localtime(call.deadline - datetime.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    client.post(reverse("province_deadline"), {"call": call.pk, f"{call.pk}-deadline": earlier})
    assert ProvinceDeadline.objects.get().province == reviewers["province_js"].province
    client.force_login(reviewers["national"])
    assert client.get(reverse("province_deadline")).status_code == 404
