import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.enums import ExemptCategory
from navportal.errors import PortalError
from navportal.models import AuditEvent
from review import services
from review.calls import CALL_FIELDS, call_save, province_deadline_set
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


def values_of(call, **overrides):
    return {**{f: getattr(call, f) for f in CALL_FIELDS}, **overrides}


def same_call(call):
    return {f: getattr(Call.objects.get(pk=call.pk), f) for f in CALL_FIELDS} == {f: getattr(call, f)
                                                                                   for f in CALL_FIELDS}


@pytest.mark.parametrize("change", [{"quota": 5}, {"ministry_quota": 2},
                                    {"exempt_categories": ["protection_centre"]},
                                    {"exempt_categories": []}])
def test_quotas_and_exempt_categories_are_fixed_once_packages_exist(reviewers, call, change):
    services.package_get_or_create(actor=reviewers["province_js"], call=call)
    with pytest.raises(PortalError) as exc:
        call_save(actor=reviewers["national"], call_id=call.pk, values=values_of(call, **change))
    assert exc.value.code == "state"
    assert same_call(call)


def test_other_fields_still_change_once_packages_exist(reviewers, call):
    services.package_get_or_create(actor=reviewers["province_js"], call=call)
    reordered = list(reversed(call.exempt_categories))  # the same categories in another order are no change
    call_save(actor=reviewers["national"], call_id=call.pk, values=values_of(
        call, title="新标题", exempt_categories=reordered))
    saved = Call.objects.get(pk=call.pk)
    assert (saved.title, saved.exempt_categories) == ("新标题", call.exempt_categories)


def test_the_edit_page_shows_the_fixed_fields_read_only_once_packages_exist(client, reviewers, call):
    client.force_login(reviewers["national"])
    form = client.get(reverse("call_edit", args=[call.pk])).context["form"]
    assert [name for name, field in form.fields.items() if field.disabled] == []
    services.package_get_or_create(actor=reviewers["province_js"], call=call)
    response = client.get(reverse("call_edit", args=[call.pk]))
    form = response.context["form"]
    assert [name for name, field in form.fields.items() if field.disabled] == [
        "quota", "ministry_quota", "exempt_categories"]
    html = response.content.decode()
    assert "data-fixed-note" in html
    assert html.count("disabled") == 2 + len(ExemptCategory.values)  # the two quotas and every category box
    # A changed value posted anyway (an old page) is ignored: the page saves the rest.
    data = call_data(title="改过的标题", document_number=call.document_number,
                     opens_at=timezone.localtime(call.opens_at).strftime("%Y-%m-%dT%H:%M"),
                     deadline=timezone.localtime(call.deadline).strftime("%Y-%m-%dT%H:%M"), quota="5",
                     exempt_categories=["pilot_base"])
    assert client.post(reverse("call_edit", args=[call.pk]), data).status_code == 302
    saved = Call.objects.get(pk=call.pk)
    assert (saved.title, saved.quota, saved.exempt_categories) == ("改过的标题", 3, call.exempt_categories)


REFUSED_VALUES = {
    "quota 0": {"quota": 0},
    "ministry quota 0": {"ministry_quota": 0},
    "no quota": {"quota": None},
    "notice of 0 working days": {"notice_working_days": 0},
    "notice of 31 working days": {"notice_working_days": 31},
    "unknown exempt category": {"exempt_categories": ["protection_centre", "pilot_park"]},
    "exempt categories as a text": {"exempt_categories": "protection_centre"},
    "exempt categories missing": {"exempt_categories": None},
    "title with a line break": {"title": "2027年\n申报"},
    "document number with a tab": {"document_number": "国知办发运字\t〔2027〕1号"},
    "notice text with NUL": {"notice_text": "通知\x00正文"},
    "title too long": {"title": "批" * 201},
    "no title": {"title": "  "},
    "opening in year one": {"opens_at": datetime.datetime(1, 1, 2, tzinfo=datetime.timezone.utc)},
    "deadline at the opening": {"deadline": "OPENS"},
    "deadline before the opening": {"deadline": "BEFORE"},
}


@pytest.mark.parametrize("case", REFUSED_VALUES)
@pytest.mark.parametrize("edit", [False, True], ids=["create", "edit"])
def test_call_save_refuses_what_the_form_refuses_and_stores_nothing(reviewers, call, case, edit):
    change = dict(REFUSED_VALUES[case])
    if change.get("deadline") == "OPENS":
        change["deadline"] = call.opens_at
    elif change.get("deadline") == "BEFORE":
        change["deadline"] = call.opens_at - datetime.timedelta(days=1)
    with pytest.raises(PortalError) as exc:
        call_save(actor=reviewers["national"], call_id=call.pk if edit else None, values=values_of(call, **change))
    assert exc.value.code == "invalid"
    assert Call.objects.count() == 1 and same_call(call)
    assert not AuditEvent.objects.filter(action__startswith="call_").exists()


def test_call_save_stores_what_the_form_would(reviewers, call):
    saved = call_save(actor=reviewers["national"], values=values_of(
        call, title="  2027年申报 ", notice_text="第一段\n第二段", ministry_quota=None,
        exempt_categories=["pilot_base", "protection_centre", "pilot_base"]))
    saved.refresh_from_db()
    assert (saved.title, saved.notice_text, saved.exempt_categories) == (
        "2027年申报", "第一段\n第二段", ["protection_centre", "pilot_base"])


def test_the_call_form_refuses_with_the_services_message(english, client, reviewers):
    client.force_login(reviewers["national"])
    response = client.post(reverse("call_create"), call_data(
        notice_working_days="31", quota="0", title="2027年\t申报"))
    assert response.status_code == 400 and not Call.objects.exists()
    errors = response.context["form"].errors
    assert errors["notice_working_days"] == ["Ensure this value is less than or equal to 30."]
    assert errors["quota"] == ["Ensure this value is greater than or equal to 1."]
    assert errors["title"] == ["Only one line: remove the line break, tab or other control character (U+0009)."]
    for change, message in (({"notice_working_days": 31}, errors["notice_working_days"][0]),
                            ({"quota": 0}, errors["quota"][0]), ({"title": "2027年\t申报"}, errors["title"][0])):
        values = {**{f: Call._meta.get_field(f).get_default() for f in CALL_FIELDS}, "title": "2027年申报",
                  "document_number": "国知办发运字〔2027〕1号", "opens_at": timezone.now(),
                  "deadline": timezone.now() + datetime.timedelta(days=40), **change}
        with pytest.raises(PortalError) as exc:
            call_save(actor=reviewers["national"], values=values)
        assert exc.value.message.endswith(message)


def test_a_missing_call_is_refused_not_a_server_error(reviewers, call):
    with pytest.raises(PortalError) as exc:
        call_save(actor=reviewers["national"], call_id=call.pk + 1000, values=values_of(call))
    assert exc.value.code == "not_found"


def test_the_provinces_deadline_is_refused_outside_plausible_dates_at_the_service(reviewers, call):
    with pytest.raises(PortalError) as exc:
        province_deadline_set(actor=reviewers["province_js"], call=call,
                              deadline=datetime.datetime(1999, 12, 31, tzinfo=datetime.timezone.utc))
    assert exc.value.code == "invalid"
    assert not ProvinceDeadline.objects.exists()


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
