"""The public pages (no login): the notice, the objection form, the final list.

Pages are read in English (the source language) so that the assertions on wording hold whatever the
Chinese catalogue says; names, provinces and dates are the data as stored.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications import services as application_services
from navportal.demo.content import TINY_PDF
from review import national
from review.models import Call, Notice, NoticeEntry, Objection
from tests.conftest import object_confirmed, make_applicant, resealed
from tests.review.test_national import during, handed_in, pass_all, person, publish  # noqa: F401 - fixtures

# A PNG is a valid upload in general, but not a sealed letter.
TINY_PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
            b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
OBJECTOR = {"name": "异议人赵钱孙", "phone": "13912345678", "email": "zhao@example.cn"}


@pytest.fixture
def public():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def cnipa(reviewers):
    return reviewers["national"]


def shift(notice, start_days, end_days):
    """Move the notice period relative to today (negative: in the past)."""
    today = timezone.localdate()
    Notice.objects.filter(pk=notice.pk).update(starts_on=today + datetime.timedelta(days=start_days),
                                               ends_on=today + datetime.timedelta(days=end_days))
    return resealed(notice)  # the calendar moved, not an attacker: the list's seal goes with it


@pytest.fixture
def open_notice(cnipa, handed_in, call):
    """The four Jiangsu applications on a notice whose period runs now."""
    pass_all(cnipa, handed_in)
    notice = shift(publish(cnipa, call), -1, 5)
    return notice, list(notice.entries.order_by("number"))


def form_data(**overrides):
    data = {"kind": "person", **OBJECTOR, "signature": OBJECTOR["name"], "declaration": "on",
            "reasons": "该基地的服务次数与事实不符。", "privacy": "on"}
    return {**data, **overrides}


def object_url(entry, call_id=None):
    return reverse("objection_create", args=[call_id or entry.notice.call_id, entry.pk])


# --- The notice page ----------------------------------------------------------------------------

def test_notice_lists_the_bases_with_the_exact_dates_without_login(public, open_notice, call):
    notice, entries = open_notice
    NoticeEntry.objects.filter(pk=entries[2].pk).update(industry="新能源汽车")
    response = public.get(reverse("notice_detail", args=[call.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert [e.name for e in response.context["entries"]] == [e.name for e in entries]
    for entry in entries:
        assert entry.name in page
    assert page.count("江苏省") >= len(entries)
    assert "新能源汽车" in page and "集成电路；生物医药" in page
    assert f"{notice.starts_on:%Y-%m-%d} to {notice.ends_on:%Y-%m-%d}" in page
    assert "provisional" not in page
    assert "现将拟确定名单予以公示。" in page and "电话 010-0000" in page
    for entry in entries:
        assert object_url(entry) in page


def test_notice_hides_removed_bases_objections_and_personal_data(public, cnipa, open_notice, call):
    notice, entries = open_notice
    upheld = object_confirmed(**person(entries[0], **OBJECTOR, signature=OBJECTOR["name"]))
    national.objection_decide(actor=cnipa, objection_id=upheld.pk, decision="upheld", note="经核实服务记录造假")
    object_confirmed(**person(entries[1], name="另一异议人", phone="010-87654321", email="li@example.cn",
                                       signature="另一异议人", reasons="秘密理由：材料不实"))
    response = public.get(reverse("notice_detail", args=[call.pk]))
    page = response.content.decode()
    assert [e.name for e in response.context["entries"]] == [e.name for e in entries[1:]]
    assert entries[0].name not in page
    for secret in ("经核实服务记录造假", "秘密理由", "另一异议人", "010-87654321", "li@example.cn",
                   *OBJECTOR.values(), "13800138000", "李联络"):
        assert secret not in page, secret
    assert object_url(entries[0]) not in page


def test_notice_text_is_escaped_and_keeps_its_lines(public, open_notice, call):
    notice, _entries = open_notice
    Notice.objects.filter(pk=notice.pk).update(text="<script>alert(1)</script>\n第二行")
    page = public.get(reverse("notice_detail", args=[call.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>第二行" in page


def test_provisional_dates_are_said_to_be_provisional(public, open_notice, call):
    notice, _entries = open_notice
    Notice.objects.filter(pk=notice.pk).update(dates_confirmed=False)
    page = public.get(reverse("notice_detail", args=[call.pk])).content.decode()
    assert "These dates are provisional" in page


def test_before_the_period_no_objection_links(public, cnipa, handed_in, call):
    pass_all(cnipa, handed_in)
    notice = publish(cnipa, call)  # published today: the period starts tomorrow
    response = public.get(reverse("notice_detail", args=[call.pk]))
    assert response.context["period"] == "upcoming"
    page = response.content.decode()
    assert f"Objections will be accepted from {notice.starts_on:%Y-%m-%d}" in page
    assert "/object/" not in page


def test_confirmed_notice_says_so_and_links_to_the_final_list(public, open_notice, call):
    notice, _entries = open_notice
    Notice.objects.filter(pk=notice.pk).update(confirmed_at=timezone.now(), final_document_number="国知办发运字〔2026〕9号",
                                               final_document_date=datetime.date(2026, 3, 2))
    page = public.get(reverse("notice_detail", args=[call.pk])).content.decode()
    assert "CNIPA confirmed this list by document 国知办发运字〔2026〕9号 of 2026-03-02" in page
    assert f'href="{reverse("bases")}"' in page
    assert "/object/" not in page


def test_unpublished_notice_is_404_and_current_notice_redirects(public, call, cnipa, handed_in):
    assert public.get(reverse("notice_detail", args=[call.pk])).status_code == 404
    response = public.get(reverse("notice_current"))
    assert response.status_code == 200 and "No public notice is open" in response.content.decode()
    pass_all(cnipa, handed_in)
    publish(cnipa, call)
    older = Call.objects.create(title="往年批次", document_number="旧〔2022〕58号",
                                opens_at=call.opens_at - datetime.timedelta(days=900), deadline=call.deadline)
    listed(older, cnipa, 1, published_at=timezone.now() - datetime.timedelta(days=700))
    assert public.get(reverse("notice_current")).url == reverse("notice_detail", args=[call.pk])


_applicants = iter(range(10_000))


def listed(call, cnipa, n, cities=(), industries=(), published_at=None, **notice_fields):
    """A notice of `call` with n entries, built directly: for the read-only pages' data.

    Each entry stands for a draft application of a new organisation (in `cities[i]`, default Suzhou), so
    the call must be open.
    """
    today = timezone.localdate()
    notice = Notice.objects.create(
        call=call, published_at=published_at or timezone.now(), published_by=cnipa,
        starts_on=today - datetime.timedelta(days=1), ends_on=today + datetime.timedelta(days=5),
        text="公示", contact="电话", **notice_fields)
    for i in range(n):
        k = next(_applicants)
        user = make_applicant(f"示例·基地{k}", f"base{k}", city=cities[i] if i < len(cities) else "320500")
        application = application_services.application_start(actor=user, call=call)
        NoticeEntry.objects.create(notice=notice, application=application, number=i + 1, name=application.name,
                                   province_name=application.province.name,
                                   industry=industries[i] if i < len(industries) else "集成电路")
    return notice


def test_notice_query_count_does_not_grow_with_the_entries(public, cnipa, call, db):
    def count(call):
        with CaptureQueriesContext(connection) as queries:
            response = public.get(reverse("notice_detail", args=[call.pk]))
        assert response.status_code == 200
        return len(queries), len(response.context["entries"])
    listed(call, cnipa, 1)
    other = Call.objects.create(title="第二批次", document_number="测试〔2026〕2号", opens_at=call.opens_at,
                                deadline=call.deadline)
    listed(other, cnipa, 5)
    (few, one), (many, five) = count(call), count(other)
    assert (one, five) == (1, 5)
    assert few == many <= 4


# --- Objecting ----------------------------------------------------------------------------------

def test_a_person_objects_during_the_period(public, open_notice, call):
    _notice, entries = open_notice
    form = public.get(object_url(entries[1]))
    assert form.status_code == 200 and 'name="reasons"' in form.content.decode()
    response = public.post(object_url(entries[1]), form_data(), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302
    assert response.url == reverse("objection_done", args=[call.pk])
    objection = Objection.objects.get()
    assert (objection.entry_id, objection.kind, objection.name, objection.phone, objection.email,
            objection.signature, objection.reasons, objection.ip, objection.letter.name, objection.decision) == (
        entries[1].pk, "person", OBJECTOR["name"], OBJECTOR["phone"], OBJECTOR["email"], OBJECTOR["name"],
        "该基地的服务次数与事实不符。", "203.0.113.7", "", "pending")
    done = public.get(response.url).content.decode()
    assert "Confirm your e-mail address" in done and "z***@example.cn" in done  # the link went there
    for secret in (*OBJECTOR.values(), "该基地的服务次数"):
        assert secret not in done


def test_an_organisation_objects_with_its_sealed_pdf_letter_and_evidence(public, open_notice):
    _notice, entries = open_notice
    response = public.post(object_url(entries[0]), form_data(
        kind="organisation", name="某某科技有限公司", phone="010-12345678", signature="", declaration="",
        letter=SimpleUploadedFile("异议函.pdf", TINY_PDF, "application/pdf"),
        evidence=SimpleUploadedFile("证据.png", TINY_PNG, "image/png")))
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert (objection.kind, objection.name, objection.phone, objection.signature) == (
        "organisation", "某某科技有限公司", "010-12345678", "")
    assert objection.letter.name.endswith(".pdf") and objection.evidence.name.endswith(".png")
    with objection.letter.open("rb") as letter:
        assert letter.read() == TINY_PDF


@pytest.mark.parametrize("upload", [
    SimpleUploadedFile("函.pdf", TINY_PNG, "application/pdf"),   # a picture named .pdf
    SimpleUploadedFile("函.pdf", b"%PDF-1.4 but cut short", "application/pdf"),
])
def test_a_letter_that_is_not_a_pdf_is_refused_and_nothing_is_stored(public, open_notice, upload):
    _notice, entries = open_notice
    response = public.post(object_url(entries[0]), form_data(kind="organisation", signature="", letter=upload))
    assert response.status_code == 400
    assert response.context["form"].errors["letter"] == [
        "“函.pdf” is not a valid PDF file (checked by its content, not its name)."]
    assert 'href="#id_letter"' in response.content.decode()
    assert Objection.objects.count() == 0


def test_evidence_must_be_a_pdf_or_an_image(public, open_notice):
    _notice, entries = open_notice
    response = public.post(object_url(entries[0]), form_data(
        evidence=SimpleUploadedFile("x.png", b"<html><script>alert(1)</script></html>", "image/png")))
    assert response.status_code == 400 and list(response.context["form"].errors) == ["evidence"]
    assert Objection.objects.count() == 0


def test_an_anonymous_objection_is_refused_and_the_typing_stays(public, open_notice):
    _notice, entries = open_notice
    response = public.post(object_url(entries[0]), form_data(phone="", reasons="匿名举报的理由原文"))
    assert response.status_code == 400
    page = response.content.decode()
    assert list(response.context["form"].errors) == ["phone"]
    assert "data-error-summary" in page and 'href="#id_phone"' in page
    assert "匿名举报的理由原文" in page and OBJECTOR["email"] in page
    assert Objection.objects.count() == 0


def test_a_bad_phone_number_is_refused(public, open_notice):
    _notice, entries = open_notice
    for phone in ("12345", "12812345678", "010-123"):
        response = public.post(object_url(entries[0]), form_data(phone=phone))
        assert response.status_code == 400 and list(response.context["form"].errors) == ["phone"], phone
    assert Objection.objects.count() == 0


def test_a_person_must_sign_and_declare(public, open_notice):
    _notice, entries = open_notice
    response = public.post(object_url(entries[0]), form_data(signature="", declaration=""))
    assert response.status_code == 400
    assert sorted(response.context["form"].errors) == ["declaration", "signature"]
    assert Objection.objects.count() == 0


def test_the_services_refusal_is_shown_above_the_form_with_the_typing_kept(public, open_notice):
    _notice, entries = open_notice
    response = public.post(object_url(entries[0]), form_data(signature="别人", reasons="签名不符时的理由"))
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["Sign with your full name, exactly as given above."]
    page = response.content.decode()
    assert "Sign with your full name, exactly as given above." in page and "签名不符时的理由" in page
    assert Objection.objects.count() == 0


def test_outside_the_period_the_page_is_closed_and_a_post_is_refused(public, open_notice):
    notice, entries = open_notice
    notice = shift(notice, -10, -3)
    response = public.get(object_url(entries[0]))
    page = response.content.decode()
    assert response.status_code == 200 and response.context["period"] == "ended"
    assert "Objections are closed" in page
    assert f"from {notice.starts_on:%Y-%m-%d} to {notice.ends_on:%Y-%m-%d}" in page
    assert "<form method=\"post\" enctype" not in page and 'name="reasons"' not in page
    response = public.post(object_url(entries[0]), form_data(reasons="过期提交的理由"))
    assert response.status_code == 409
    assert response.context["form"].non_field_errors() == [
        f"Objections are accepted only during the notice period, {notice.starts_on} to {notice.ends_on}."]
    assert "过期提交的理由" in response.content.decode()
    assert Objection.objects.count() == 0
    assert "/object/" not in public.get(reverse("notice_detail", args=[notice.call_id])).content.decode()


def test_before_the_period_a_post_is_refused(public, cnipa, handed_in, call):
    pass_all(cnipa, handed_in)
    notice = publish(cnipa, call)
    entry = notice.entries.first()
    assert "Objections are not open yet" in public.get(object_url(entry)).content.decode()
    assert public.post(object_url(entry), form_data()).status_code == 409
    assert Objection.objects.count() == 0


def test_an_entry_of_another_call_or_removed_is_404(public, cnipa, open_notice, call):
    _notice, entries = open_notice
    other = Call.objects.create(title="第二批次", document_number="测试〔2026〕2号", opens_at=call.opens_at,
                                deadline=call.deadline)
    foreign = listed(other, cnipa, 1).entries.get()
    assert public.get(object_url(foreign)).status_code == 200
    assert public.get(object_url(foreign, call_id=call.pk)).status_code == 404
    assert public.post(object_url(foreign, call_id=call.pk), form_data()).status_code == 404
    NoticeEntry.objects.filter(pk=entries[0].pk).update(removed_at=timezone.now())
    assert public.get(object_url(entries[0])).status_code == 404
    assert public.post(object_url(entries[0]), form_data()).status_code == 404
    assert public.get(reverse("objection_create", args=[call.pk, 999_999])).status_code == 404
    assert Objection.objects.count() == 0


# --- The final list -----------------------------------------------------------------------------

def confirm(notice, number="国知办发运字〔2026〕9号", date=datetime.date(2026, 3, 2)):
    Notice.objects.filter(pk=notice.pk).update(confirmed_at=timezone.now(), final_document_number=number,
                                               final_document_date=date)


@pytest.fixture
def final_lists(cnipa, call):
    """An older confirmed list (Jiangsu, Zhejiang), the current confirmed one, and an unconfirmed one."""
    old = Call.objects.create(title="2022年批次", document_number="国知办发运字〔2022〕58号",
                              opens_at=call.opens_at - datetime.timedelta(days=1000), deadline=call.deadline)
    old_notice = listed(old, cnipa, 3, cities=["320500", "330100", "330100"], industries=["集成电路", "生物医药", "海洋装备"])
    confirm(old_notice, "国知办发运字〔2023〕1号", datetime.date(2023, 1, 10))
    new_notice = listed(call, cnipa, 2, cities=["110108", "320100"], industries=["人工智能", "生物医药"])
    confirm(new_notice)
    NoticeEntry.objects.filter(notice=new_notice, number=2).update(removed_at=timezone.now())
    pending = Call.objects.create(title="未确定批次", document_number="x", opens_at=call.opens_at, deadline=call.deadline)
    listed(pending, cnipa, 1, industries=["未确定的产业"])
    return old_notice, new_notice


def names(response):
    return [e.name for e in response.context["page"]]


def entry_names(notice):
    return list(notice.entries.filter(removed_at__isnull=True).order_by("number").values_list("name", flat=True))


def test_bases_shows_only_confirmed_lists_newest_call_first(public, final_lists):
    old_notice, new_notice = final_lists
    response = public.get(reverse("bases"))
    assert response.status_code == 200
    assert names(response) == entry_names(new_notice) + entry_names(old_notice)
    page = response.content.decode()
    assert "未确定的产业" not in page
    assert "Confirmed by document 国知办发运字〔2026〕9号 of 2026-03-02" in page
    assert "Confirmed by document 国知办发运字〔2023〕1号 of 2023-01-10" in page
    assert [label for _value, label in response.context["filters"].fields["province"].choices[1:]] == [
        "北京市", "江苏省", "浙江省"]


def test_bases_filters_by_province_industry_and_name(public, final_lists):
    old_notice, new_notice = final_lists
    old = entry_names(old_notice)
    assert names(public.get(reverse("bases"), {"province": "浙江省"})) == old[1:]
    assert names(public.get(reverse("bases"), {"industry": "生物"})) == old[1:2]
    assert names(public.get(reverse("bases"), {"province": "浙江省", "industry": "海洋"})) == old[2:]
    assert names(public.get(reverse("bases"), {"q": old[0][-3:]})) == old[:1]
    empty = public.get(reverse("bases"), {"industry": "不存在的产业"})
    assert names(empty) == [] and "No base matches these filters." in empty.content.decode()


def test_bases_query_count_does_not_grow(public, cnipa, call):
    def count():
        with CaptureQueriesContext(connection) as queries:
            response = public.get(reverse("bases"))
        assert response.status_code == 200
        return len(queries), len(response.context["page"])
    notice = listed(call, cnipa, 1)
    confirm(notice)
    few, one = count()
    other = Call.objects.create(title="第二批次", document_number="测试〔2026〕2号", opens_at=call.opens_at,
                                deadline=call.deadline)
    confirm(listed(other, cnipa, 4, cities=["330100"] * 4))
    many, five = count()
    assert (one, five) == (1, 5)
    assert few == many <= 5
